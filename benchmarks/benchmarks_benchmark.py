"""Iconic-benchmarks benchmark: the whole benchmarks analysis of the 1 M-customer demo.

    python benchmarks/benchmarks_benchmark.py                      # builds the 1 M-customer demo if missing
    python benchmarks/benchmarks_benchmark.py --warehouse PATH     # any warehouse

Tasks, each in its own process so that its peak memory (max RSS) and CPU time are its own:

- ``report``: ``benchmarks.report``, everything ``iconic analyze benchmarks`` prints (the
  self-assessment against the profiles, the stance by stage said against shown, the partner
  scorecard, each new partner's weeks, the channel mix);
- ``page``: what the Iconic benchmarks page computes on a first visit: the same, with the quadrant
  by journey stage (which the stage table reads too) and the automation outcomes (with 7-day
  repeats);
- ``outcomes``: the automation outcomes alone;
- ``pareto``: the moments page's contact-reason Pareto, which shares the 7-day repeat window.

Cold is the first call on a freshly opened warehouse; warm the median of three more calls on the same
handle (what a scope already visited costs: the scope's contact sums and joined answers are kept).
Each time is given as wall clock and as the process's CPU time, with the 1-minute load average, since
the machine is shared. Prints Markdown rows and JSON.
"""

from __future__ import annotations

import os
import resource
import statistics
import time

import demo1m

TASKS = ("report", "page", "outcomes", "pareto")
ROW = (
    "| {what} | {interactions:,} | {cold_s} s ({cold_cpu_s} s CPU) | {warm_median_s} s ({warm_cpu_s} s CPU) | "
    "{peak_rss_gb} GB | {load} |"
)


def _child(root: str, task: str) -> dict[str, object]:
    from analytics.analyses import benchmarks, moments
    from analytics.data import warehouse

    wh = warehouse.open(root)

    def page() -> object:
        items = benchmarks.assessment_items(wh)
        benchmarks.distance_to_profiles(items)
        by_stage = benchmarks.satisfaction_efficiency(wh, by="journey_stage")
        benchmarks.stage_stances(by_stage, dict(zip(items["question_id"], items["answer"], strict=True)))
        benchmarks.standard_share(benchmarks.partner_scorecard(wh))
        benchmarks.partner_ramp(wh)
        benchmarks.channel_mix(wh)
        return benchmarks.automation_outcomes(wh)

    call = {
        "report": lambda: benchmarks.report(wh),
        "page": page,
        "outcomes": lambda: benchmarks.automation_outcomes(wh),
        "pareto": lambda: moments.pareto(wh),
    }[task]

    def timed() -> tuple[float, float]:
        wall, cpu = time.perf_counter(), time.process_time()
        call()
        return time.perf_counter() - wall, time.process_time() - cpu

    cold, cold_cpu = timed()
    warm = [timed() for _ in range(3)]
    return {
        "what": task,
        "interactions": int(wh.table("interactions").count().execute()),
        "cold_s": round(cold, 2),
        "cold_cpu_s": round(cold_cpu, 2),
        "warm_median_s": round(statistics.median(w for w, _ in warm), 2),
        "warm_cpu_s": round(statistics.median(c for _, c in warm), 2),
        "load": round(os.getloadavg()[0], 1),
        "peak_rss_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2, 2),
    }


def main() -> None:
    p = demo1m.task_parser(__doc__)
    p.add_argument("--task", action="append", choices=TASKS, help="run only this task (repeat for several)")
    args = p.parse_args()
    demo1m.run_tasks(args, __file__, _child, args.task or TASKS, ROW)


if __name__ == "__main__":
    main()
