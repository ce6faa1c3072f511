"""PDF brief benchmark: the whole `iconic brief` at demo scale and on the 1 M-customer demo, every
analysis computed fresh (each run in a process of its own, so nothing is remembered from another).

    python benchmarks/brief_benchmark.py                          # the default demo (20,000 customers)
    python benchmarks/brief_benchmark.py --scale 1m               # the 1 M-customer demo too
    python benchmarks/brief_benchmark.py --scale 1m --demo1m PATH # an existing 1 M demo, read only
    ICONIC_DEMO1M=PATH python benchmarks/brief_benchmark.py --scale 1m

The demo-scale warehouse is built under benchmarks/out/demo if missing; the 1 M demo comes from
``demo1m.ensure`` (about 7 minutes) unless --demo1m or ICONIC_DEMO1M points at one. Each run reports
the time to compute the content (every headline, the moment map, the chart data), the time to lay out
and render the PDF (charts through vl-convert), the pages and the peak memory. Targets: under 10 s at
demo scale and under 60 s at 1 M customers. Prints a Markdown table and JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import demo1m

HERE = Path(__file__).resolve().parent
DEMO = HERE / "out" / "demo"


def child(root: Path) -> dict[str, Any]:
    """One brief of the whole warehouse, timed in this (fresh) process."""
    start = time.perf_counter()
    from analytics.data import warehouse
    from analytics.report import brief
    from analytics.report.pdf import page_count, render_pdf

    wh = warehouse.open(root)
    opened = time.perf_counter()
    content = brief.brief_content(wh)
    computed = time.perf_counter()
    pdf = render_pdf(content)
    rendered = time.perf_counter()
    customers = int(wh.table("customers").count().execute())
    return {
        "warehouse": str(root),
        "customers": customers,
        "period": content.period_line,
        "open_s": round(opened - start, 2),
        "content_s": round(computed - opened, 2),
        "render_s": round(rendered - computed, 2),
        "total_s": round(rendered - start, 2),
        "pages": page_count(pdf),
        "bytes": len(pdf),
        "peak_rss_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2, 2),
    }


def ensure_demo(root: Path) -> Path:
    if not (root / "customers").exists():
        print(f"building the default demo at {root}", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, "-m", "analytics.cli", "demo", "--warehouse", str(root)], check=True)
    return root


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scale", choices=["demo", "1m"], default="demo", help="demo only (default), or the 1 M demo too")
    p.add_argument("--demo", type=Path, default=DEMO, help="demo-scale warehouse (built if missing)")
    p.add_argument("--demo1m", type=Path, default=Path(os.environ.get("ICONIC_DEMO1M", demo1m.DEFAULT)))
    p.add_argument("--child", metavar="WAREHOUSE", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--runs", type=int, default=3, help="runs per warehouse, each in a fresh process (default 3)")
    args = p.parse_args()
    if args.child:
        print(json.dumps(child(args.child)))
        return
    roots = [ensure_demo(args.demo)]
    if args.scale == "1m":
        roots.append(demo1m.ensure(args.demo1m))
    results = []
    for root in roots:
        for run in range(args.runs):
            print(f"brief of {root} (run {run + 1} of {args.runs})", file=sys.stderr, flush=True)
            command = [sys.executable, __file__, "--child", str(root)]
            out = subprocess.run(command, check=True, capture_output=True, text=True)
            results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    demo1m.print_results(
        results,
        "| {customers:,} | {open_s} s | {content_s} s | {render_s} s | **{total_s} s** | {pages} | {peak_rss_gb} GB |",
        header="| customers | open | content | render | total | pages | peak RSS |\n|---|---|---|---|---|---|---|",
    )


if __name__ == "__main__":
    main()
