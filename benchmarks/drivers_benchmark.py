"""Driver-analysis benchmark: exact LMG with a 200-replicate customer bootstrap on 2 M responses.

    python benchmarks/drivers_benchmark.py                    # ours only
    python benchmarks/drivers_benchmark.py --compare          # also dominance-analysis on the same data
    python benchmarks/drivers_benchmark.py --responses 200000 --customers 80000 --compare   # quicker
    python benchmarks/drivers_benchmark.py --warehouse benchmarks/out/demo1m   # end to end on a warehouse

The data is synthetic and generated here (seeded): ``--customers`` customers answer ``--responses``
post-contact surveys between them (each customer's count is 1 + Poisson, so most answer more than
once), rating 10 attributes on 1-5 that load on a tactile and an emotive factor plus a customer
effect, and an LTR of 0-10 that follows both factors. Each measurement runs in its own process so
its peak memory (max RSS) is its own; "warm" is the median of three calls after the first. Each
time is given as wall clock and as the process's CPU time, with the machine's load average: on a
shared machine the wall clock also measures the neighbours.

``--compare`` runs the PyPI package ``dominance-analysis`` (``pip install '.[bench]'``), whose
general dominance is the LMG value: it fits one scikit-learn regression on the rows for each of the
1,023 subsets. Its ``bokeh`` pin predates NumPy 2, so the alias it needs is restored before import.
Agreement is the largest absolute difference between its general dominance and our LMG.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
DRIVERS = [f"rating_{i}" for i in range(10)]


def synthetic(responses: int, customers: int, seed: int = 0) -> pd.DataFrame:
    """Clustered survey answers: ``customer_id``, ``ltr`` and 10 ratings (see the module docstring)."""
    rng = np.random.default_rng(seed)
    extra = rng.poisson(max(responses / customers - 1, 0), customers)
    counts = 1 + extra
    # Trim or top up to exactly ``responses`` rows, customer by customer.
    who = np.repeat(np.arange(customers), counts)[:responses]
    if who.size < responses:
        who = np.concatenate([who, rng.integers(0, customers, responses - who.size)])
    who.sort()
    n = who.size
    tactile = rng.normal(size=n) + 0.4 * rng.normal(size=customers)[who]
    emotive = rng.normal(size=n) + 0.6 * rng.normal(size=customers)[who]
    loadings = np.array([[0.9, 0.1], [0.8, 0.2], [0.7, 0.0], [0.6, 0.3], [0.5, 0.5]] * 2)
    loadings[5:] = loadings[5:, ::-1]
    noise = rng.normal(scale=0.8, size=(n, 10))
    ratings = np.clip(np.round(3 + np.column_stack([tactile, emotive]) @ loadings.T + noise), 1, 5)
    ltr = np.clip(np.round(7 + 0.9 * tactile + 1.1 * emotive + rng.normal(scale=1.5, size=n)), 0, 10)
    frame = pd.DataFrame(ratings, columns=DRIVERS)
    frame.insert(0, "ltr", ltr)
    frame.insert(0, "customer_id", who)
    return frame


def _peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def _ours(responses: int, customers: int, bootstrap: int) -> dict[str, object]:
    from analytics.stats import importance

    frame = synthetic(responses, customers)

    def run() -> importance.ImportanceIntervals:
        return importance.importance_intervals(frame, "ltr", DRIVERS, cluster="customer_id", bootstrap=bootstrap)

    start, cpu = time.perf_counter(), time.process_time()
    fit = run()
    cold, cold_cpu = time.perf_counter() - start, time.process_time() - cpu
    warm, warm_cpu = [], []
    for _ in range(3):
        start, cpu = time.perf_counter(), time.process_time()
        run()
        warm.append(time.perf_counter() - start)
        warm_cpu.append(time.process_time() - cpu)
    start, cpu = time.perf_counter(), time.process_time()
    point = importance.relative_importance(frame, "ltr", DRIVERS)
    point_s, point_cpu = time.perf_counter() - start, time.process_time() - cpu
    return {
        "what": f"importance_intervals, 10 drivers, {bootstrap} customer-bootstrap replicates",
        "responses": fit.n,
        "customers": fit.clusters,
        "cold_s": round(cold, 3),
        "warm_median_s": round(statistics.median(warm), 3),
        "point_only_s": round(point_s, 3),
        "cold_cpu_s": round(cold_cpu, 3),
        "warm_median_cpu_s": round(statistics.median(warm_cpu), 3),
        "point_only_cpu_s": round(point_cpu, 3),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "r2": fit.r2,
        "lmg": point.table["importance"].tolist(),
        "ci_width_mean": float((fit.table["high"] - fit.table["low"]).mean()),
        "peak_gb": round(_peak_gb(), 2),
    }


def _warehouse(root: str) -> dict[str, object]:
    """``driver_analysis`` end to end on a warehouse: the query, the bootstrap and the grid."""
    from analytics.analyses import drivers
    from analytics.data import warehouse

    wh = warehouse.open(root)
    rows = []
    for moment in (None, ("pay", "billing_dispute")):
        start, cpu = time.perf_counter(), time.process_time()
        result = drivers.driver_analysis(wh, moment=moment)
        cold, cold_cpu = time.perf_counter() - start, time.process_time() - cpu
        start, cpu = time.perf_counter(), time.process_time()
        drivers.driver_analysis(wh, moment=moment)
        warm, warm_cpu = time.perf_counter() - start, time.process_time() - cpu
        rows.append(
            {
                "moment": moment,
                "drivers": len(result.table),
                "responses": result.n,
                "customers": result.customers,
                "cold_s": round(cold, 3),
                "cold_cpu_s": round(cold_cpu, 3),
                "warm_s": round(warm, 3),
                "warm_cpu_s": round(warm_cpu, 3),
            }
        )
    return {"warehouse": root, "runs": rows, "peak_gb": round(_peak_gb(), 2), "load_average_1min": os.getloadavg()[0]}


def _theirs(responses: int, customers: int) -> dict[str, object]:
    # dominance-analysis imports bokeh 2.4, which predates NumPy 2 and today's IPython: restore the
    # alias it reads and skip the notebook set-up it runs on import. Neither touches the numbers.
    np.bool8 = np.bool_  # type: ignore[attr-defined]
    import bokeh.io

    bokeh.io.output_notebook = lambda *args, **kwargs: None
    from dominance_analysis import Dominance

    frame = synthetic(responses, customers)[["ltr", *DRIVERS]]
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        model = Dominance(data=frame, target="ltr", objective=1)
        general = model.incremental_rsquare()
    took = time.perf_counter() - start
    return {
        "what": "dominance-analysis 1.1.9, Dominance(objective=1).incremental_rsquare() on the rows",
        "seconds": round(took, 2),
        "lmg": [float(general[d]) for d in DRIVERS],
        "peak_gb": round(_peak_gb(), 2),
    }


def _in_process(name: str, *args: str) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, __file__, "--run", name, *args], capture_output=True, text=True, check=False, timeout=7200
    )
    if out.returncode != 0:
        raise SystemExit(f"{name} failed:\n{out.stderr}")
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--responses", type=int, default=2_000_000)
    parser.add_argument("--customers", type=int, default=800_000)
    parser.add_argument("--bootstrap", type=int, default=200)
    parser.add_argument("--compare", action="store_true", help="also time dominance-analysis on the same data")
    parser.add_argument("--warehouse", help="instead: driver_analysis end to end on this warehouse (e.g. the 1 M demo)")
    parser.add_argument("--run", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.warehouse:
        print(json.dumps(_warehouse(args.warehouse), indent=2))
        return
    if args.run == "ours":
        print(json.dumps(_ours(args.responses, args.customers, args.bootstrap)))
        return
    if args.run == "theirs":
        print(json.dumps(_theirs(args.responses, args.customers)))
        return
    size = ["--responses", str(args.responses), "--customers", str(args.customers)]
    ours = _in_process("ours", *size, "--bootstrap", str(args.bootstrap))
    print(
        f"| {ours['responses']:,} responses, {ours['customers']:,} customers | {ours['cold_s']} s "
        f"({ours['cold_cpu_s']} s CPU) | {ours['warm_median_s']} s ({ours['warm_median_cpu_s']} s CPU) | "
        f"{ours['point_only_s']} s ({ours['point_only_cpu_s']} s CPU) | {ours['peak_gb']} GB | "
        f"load {ours['load_average_1min']} |"
    )
    out = {"ours": ours}
    if args.compare:
        theirs = _in_process("theirs", *size)
        diff = float(np.max(np.abs(np.subtract(ours["lmg"], theirs["lmg"]))))  # type: ignore[arg-type]
        speed = float(theirs["seconds"]) / float(ours["point_only_s"])  # type: ignore[arg-type]
        with_bootstrap = float(theirs["seconds"]) / float(ours["warm_median_s"])  # type: ignore[arg-type]
        print(
            f"| dominance-analysis | {theirs['seconds']} s | ours point-only {speed:,.0f}x faster, "
            f"with 200 replicates {with_bootstrap:,.0f}x | max abs difference {diff:.1e} |"
        )
        out["theirs"] = theirs
        out["comparison"] = {
            "max_abs_difference": diff,
            "speedup_point": speed,
            "speedup_with_bootstrap": with_bootstrap,
        }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
