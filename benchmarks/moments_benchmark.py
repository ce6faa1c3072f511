"""Moments-of-truth benchmark: the whole moment map and the contact-reason Pareto at 1 M customers.

    python benchmarks/moments_benchmark.py                      # builds the 1 M-customer demo if missing
    python benchmarks/moments_benchmark.py --warehouse PATH     # any warehouse

Each measurement runs in its own process, so its peak memory (max RSS) is its own. Cold is the first
call in a fresh process (warehouse opened, nothing cached); warm is the median of three repeats on
the same handle. Prints Markdown rows and JSON.
"""

from __future__ import annotations

import resource
import statistics
import time

import demo1m

TASKS = ("map", "map by handler", "pareto")
ROW = "| {what} | {interactions:,} | {rows} | {cold_s} s | {warm_median_s} s | {peak_rss_gb} GB |"


def _child(root: str, task: str) -> dict[str, object]:
    from analytics.analyses import moments
    from analytics.data import warehouse

    wh = warehouse.open(root)
    call = {
        "map": lambda: moments.moment_map(wh),
        "map by handler": lambda: moments.moment_map(wh, by="handled_by"),
        "pareto": lambda: moments.pareto(wh),
    }[task]
    start = time.perf_counter()
    table = call()
    cold = time.perf_counter() - start
    warm = []
    for _ in range(3):
        start = time.perf_counter()
        call()
        warm.append(time.perf_counter() - start)
    return {
        "what": task,
        "interactions": int(wh.table("interactions").count().execute()),
        "rows": len(table),
        "cold_s": round(cold, 2),
        "warm_median_s": round(statistics.median(warm), 2),
        "peak_rss_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2, 2),
    }


def main() -> None:
    args = demo1m.task_parser(__doc__).parse_args()
    demo1m.run_tasks(args, __file__, _child, TASKS, ROW)


if __name__ == "__main__":
    main()
