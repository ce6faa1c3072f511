"""Survival and lifetime-value benchmark at 1 M customers: every step the Churn & lifetime value page
and `iconic analyze survival` / `iconic analyze value` run, timed one after another in one process.

    python benchmarks/survival_benchmark.py                      # builds the 1 M-customer demo if missing
    python benchmarks/survival_benchmark.py --warehouse PATH     # any warehouse

Steps: the survival table (one row per customer), the NPS spells the Cox model fits on, Kaplan-Meier by
segment and by region (curves, bands, median, survival at 12/24/36 months, RMST with 200 bootstrap
replicates), the Cox model with its default covariates and proportional-hazards check, lifetime value
by segment with 200 bootstrap replicates (equity and value at risk included), and one what-if. The
target is under 20 s for the whole on 2 cores. Prints a Markdown table and JSON.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import demo1m

HERE = Path(__file__).resolve().parent
DEFAULT = HERE / "out" / "demo1m"


def run(root: Path) -> list[dict[str, Any]]:
    from analytics.analyses import survival, value
    from analytics.data import warehouse

    wh = warehouse.open(root)
    steps: list[tuple[str, Callable[[], Any], Callable[[Any], str]]] = [
        ("survival table", lambda: survival.survival_table(wh), lambda t: f"{len(t):,} customers"),
        ("NPS spells", lambda: survival.nps_spells(wh), lambda t: f"{len(t):,} spells"),
        (
            "Kaplan-Meier by segment",
            lambda: survival.survival_report(wh, by="segment"),
            lambda r: f"{len(r.summary)} groups",
        ),
        (
            "Kaplan-Meier by region",
            lambda: survival.survival_report(wh, by="region"),
            lambda r: f"{len(r.summary)} groups",
        ),
        ("Cox model", lambda: survival.hazard_ratios(wh), lambda c: f"{len(c.hazard_ratios)} terms on {c.n:,} rows"),
        ("lifetime value by segment", lambda: value.customer_value(wh, by="segment"), lambda v: f"{len(v)} groups"),
        ("what-if", lambda: survival.what_if(wh), lambda w: f"{w.customers:,} customers moved"),
    ]
    out = []
    for name, call, describe in steps:
        print(f"running {name}", file=sys.stderr, flush=True)
        start = time.perf_counter()
        result = call()
        seconds = time.perf_counter() - start
        out.append({"step": name, "seconds": round(seconds, 2), "result": describe(result)})
    out.append(
        {
            "step": "peak memory",
            "seconds": None,
            "result": f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2:.2f} GB max RSS",
        }
    )
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--warehouse", type=Path, default=DEFAULT)
    args = p.parse_args()
    demo1m.ensure(args.warehouse)
    results = run(args.warehouse)
    total = sum(r["seconds"] for r in results if r["seconds"] is not None)
    print("| step | time | result |\n|---|---|---|")
    for r in results:
        print(f"| {r['step']} | {'' if r['seconds'] is None else str(r['seconds']) + ' s'} | {r['result']} |")
    print(f"| **total** | **{total:.1f} s** | |")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
