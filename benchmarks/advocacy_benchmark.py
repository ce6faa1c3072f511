"""Advocacy benchmark: NPS by segment x month, and segmentation, at 1 M customers.

    python benchmarks/advocacy_benchmark.py                      # builds the 1 M-customer demo if missing
    python benchmarks/advocacy_benchmark.py --warehouse PATH     # any warehouse

The demo is built with ``iconic demo --customers 1000000``: about 11 M interactions and
2 M survey responses. Each measurement runs in its own process so its peak memory (max RSS) is its
own. Cold is the first call in a fresh process (the warehouse opened, nothing cached); warm is the
median of five repeats. Results are printed as Markdown rows and JSON.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT = HERE / "out" / "demo1m"


def _nps_by_period(root: str, by: str, period: str, kind: str) -> dict[str, object]:
    from analytics.analyses import advocacy
    from analytics.data import warehouse

    wh = warehouse.open(root)
    start = time.perf_counter()
    table = advocacy.nps_by_period(wh, by=by, period=period, kind=kind)  # type: ignore[arg-type]
    cold = time.perf_counter() - start
    warm = []
    for _ in range(5):
        start = time.perf_counter()
        advocacy.nps_by_period(wh, by=by, period=period, kind=kind)  # type: ignore[arg-type]
        warm.append(time.perf_counter() - start)
    surveys = wh.table("surveys").count().execute()
    return {
        "what": f"NPS by {by} x {period} ({kind} responses)",
        "surveys": int(surveys),
        "responses_counted": int(table["n"].sum()),
        "cells": len(table),
        "cold_s": round(cold, 3),
        "warm_median_s": round(statistics.median(warm), 3),
    }


def _segmentation(root: str, k: int | None, method: str) -> dict[str, object]:
    from analytics.analyses import segmentation
    from analytics.data import warehouse

    wh = warehouse.open(root)
    start = time.perf_counter()
    features = segmentation.customer_features(wh)
    built = time.perf_counter() - start
    start = time.perf_counter()
    seg = segmentation.segment_customers(features, method=method, k=k, random_state=0)  # type: ignore[arg-type]
    clustered = time.perf_counter() - start
    chosen = "BIC over 3-7" if method == "gmm" else "best silhouette over 3-7"
    out: dict[str, object] = {
        "what": f"segmentation ({method}), k = {k if k else chosen}",
        "customers": len(features),
        "k": seg.k,
        "features_s": round(built, 1),
        "cluster_s": round(clustered, 1),
        "total_s": round(built + clustered, 1),
        "silhouette": round(seg.silhouette, 3),
        "stability": round(seg.stability, 3),
    }
    personas = Path(root) / "_sources" / "personas.parquet"
    if personas.exists():
        import pandas as pd
        from sklearn.metrics import adjusted_rand_score

        truth = pd.read_parquet(personas).merge(seg.assignments, on="customer_id")
        truth = truth.merge(features[["customer_id", "plan"]], on="customer_id")
        out["ari_vs_personas"] = round(float(adjusted_rand_score(truth["persona"], truth["segment_id"])), 3)
        out["ari_plan_alone"] = round(float(adjusted_rand_score(truth["persona"], truth["plan"])), 3)
    return out


def _child(args: argparse.Namespace) -> None:
    if args.task == "nps":
        result = _nps_by_period(args.warehouse, args.by, args.period, args.kind)
    else:
        result = _segmentation(args.warehouse, args.k, args.method)
    result["peak_rss_gb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2, 2)
    print(json.dumps(result))


def _run(warehouse: Path, *extra: str) -> dict[str, object]:
    cmd = [sys.executable, __file__, "--child", *extra, "--warehouse", str(warehouse)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--warehouse", type=Path, default=DEFAULT)
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--task", choices=["nps", "segments"], help=argparse.SUPPRESS)
    p.add_argument("--by", default="segment", help=argparse.SUPPRESS)
    p.add_argument("--period", default="month", help=argparse.SUPPRESS)
    p.add_argument("--kind", default="relationship", help=argparse.SUPPRESS)
    p.add_argument("--k", type=int, help=argparse.SUPPRESS)
    p.add_argument("--method", default="kmeans", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        _child(args)
        return
    if not (args.warehouse / "customers").exists():
        print(f"building the 1 M-customer demo at {args.warehouse} (about 2 minutes)", file=sys.stderr)
        subprocess.run(
            [sys.executable, "-m", "analytics.cli", "demo", "--customers", "1000000"]
            + ["--warehouse", str(args.warehouse)],
            check=True,
        )
    runs = [
        ("--task", "nps", "--by", "segment", "--period", "month", "--kind", "relationship"),
        ("--task", "nps", "--by", "segment", "--period", "month", "--kind", "transactional"),
        ("--task", "nps", "--by", "channel", "--period", "month", "--kind", "transactional"),
        ("--task", "segments"),
        ("--task", "segments", "--k", "3"),
        ("--task", "segments", "--method", "gmm"),
    ]
    results = []
    for extra in runs:
        print(f"running {' '.join(extra)}", file=sys.stderr, flush=True)
        results.append(_run(args.warehouse, *extra))
    for r in results:
        if "cold_s" in r:
            print(
                f"| {r['what']} | {r['responses_counted']:,} of {r['surveys']:,} | {r['cells']} | "
                f"{r['cold_s']} s | {r['warm_median_s']} s | {r['peak_rss_gb']} GB |"
            )
        else:
            print(
                f"| {r['what']} | {r['customers']:,} | k = {r['k']} | {r['features_s']} s | {r['cluster_s']} s | "
                f"**{r['total_s']} s** | {r['silhouette']} | {r['stability']} | {r['peak_rss_gb']} GB | "
                f"{r.get('ari_vs_personas', '')} | {r.get('ari_plan_alone', '')} |"
            )
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
