"""Value-case benchmark at 1 M customers: the whole chain of `iconic analyze impact` (every moment x
segment, 200 bootstrap resamples) in a fresh process, split by step.

    python benchmarks/impact_benchmark.py                      # builds the 1 M-customer demo if missing
    python benchmarks/impact_benchmark.py --warehouse PATH     # any warehouse

The steps are those ``impact.value_case`` times itself (``ValueCase.timings``): contacts followed to
their next relationship answer, the attitude link (answer pairs, spells and the Cox model), churn
rates per segment and plan, the reliability and fading per resample, and the shifts and margin kept
per moment. Nothing is cached beforehand. The target is under 60 s on 2 cores. Prints a Markdown
table and JSON.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

import demo1m

HERE = Path(__file__).resolve().parent
DEFAULT = HERE / "out" / "demo1m"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--warehouse", type=Path, default=DEFAULT)
    p.add_argument("--bootstrap", type=int, default=200)
    args = p.parse_args()
    demo1m.ensure(args.warehouse)
    from analytics.analyses import impact
    from analytics.data import warehouse

    wh = warehouse.open(args.warehouse)
    start = time.perf_counter()
    case = impact.value_case(wh, assumptions=impact.ImpactAssumptions(bootstrap=args.bootstrap))
    total = time.perf_counter() - start
    ok = case.moments[case.moments["status"] == "ok"]
    rows = [{"step": step, "seconds": round(s, 2)} for step, s in case.timings.items()]
    print("| step | time |\n|---|---|")
    for r in rows:
        print(f"| {r['step']} | {r['seconds']} s |")
    print(f"| **total** | **{total:.1f} s** |")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(
        f"\n{len(ok)} of {len(case.moments)} moments valued, {len(case.impacts)} moment x segment rows; peak RSS {peak:.2f} GB"
    )
    print(json.dumps({"steps": rows, "total_seconds": round(total, 2), "peak_rss_gb": round(peak, 2)}, indent=2))


if __name__ == "__main__":
    main()
