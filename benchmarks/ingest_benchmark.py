"""Ingest benchmark: N interaction rows from CSV, with and without the expectation suite.

    python benchmarks/ingest_benchmark.py                 # 10,000,000 rows (about 1.3 GB of CSV)
    python benchmarks/ingest_benchmark.py --rows 1000000  # a quicker look

Each variant runs in its own process against a fresh warehouse, so its peak memory (max RSS) is its
own. Structural checks (casting, keys) run in both variants; "validated" adds the Great Expectations
suite. The file carries 0.05% rows with an unknown channel, so the validated run quarantines them.
Results are printed as a Markdown table row and as JSON.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def make_file(path: Path, rows: int) -> None:
    """Write ``rows`` interactions as CSV with DuckDB (seconds, not minutes, at 10 M rows)."""
    import duckdb

    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(
        f"""
        COPY (
            SELECT
                'I' || i AS interaction_id,
                'C' || (hash(i) % 1000000) AS customer_id,
                TIMESTAMP '2023-01-01' + to_seconds(CAST(hash(i * 7) % (86400 * 900) AS BIGINT)) AS started_at,
                CASE WHEN i % 2000 = 17 THEN 'fax'
                     ELSE ['voice', 'chat', 'email', 'web', 'social', 'ivr'][1 + CAST(hash(i * 3) % 6 AS INT)] END AS channel,
                ['learn', 'buy', 'get', 'use', 'pay', 'support'][1 + CAST(hash(i * 5) % 6 AS INT)] AS journey_stage,
                'reason_' || CAST(hash(i * 11) % 40 AS INT) AS contact_reason,
                ['in_house', 'partner_a', 'partner_b'][1 + CAST(hash(i * 13) % 3 AS INT)] AS handled_by,
                (hash(i * 17) % 5) = 0 AS is_automated,
                round((hash(i * 19) % 60000) / 100.0, 1) AS wait_seconds,
                round((hash(i * 23) % 120000) / 100.0, 1) AS handle_seconds,
                CAST(hash(i * 29) % 3 AS INT) AS transfers,
                (hash(i * 31) % 10) < 7 AS is_resolved,
                (hash(i * 37) % 10) = 0 AS is_escalated,
                round((hash(i * 41) % 2000) / 100.0, 2) AS cost
            FROM range({rows}) t(i)
        ) TO '{path}' (HEADER, DELIMITER ',')
        """
    )


def run_one(file: Path, warehouse: Path, validate: bool) -> dict[str, float]:
    from analytics.data.ingest import ingest

    shutil.rmtree(warehouse, ignore_errors=True)
    start = time.perf_counter()
    result = ingest(
        "interactions", file, warehouse_path=warehouse, validate=validate, progress=lambda m: print(m, file=sys.stderr)
    )
    seconds = time.perf_counter() - start
    assert result.status == "committed", result.message
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # Linux reports KiB
    shutil.rmtree(warehouse, ignore_errors=True)
    return {
        "rows": result.rows_in,
        "seconds": round(seconds, 1),
        "rows_per_second": round(result.rows_in / seconds),
        "peak_rss_gb": round(peak_gb, 2),
        "quarantined": result.rows_quarantined,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", type=int, default=10_000_000)
    p.add_argument("--dir", type=Path, default=HERE / "out")
    p.add_argument("--one", choices=["validated", "unvalidated"], help=argparse.SUPPRESS)
    args = p.parse_args()
    file = args.dir / f"interactions_{args.rows}.csv"
    if args.one:
        print(json.dumps(run_one(file, args.dir / f"wh_{args.one}", args.one == "validated")))
        return

    print(f"writing {args.rows:,} rows to {file} …", file=sys.stderr)
    make_file(file, args.rows)
    results = {}
    for variant in ("unvalidated", "validated"):
        print(f"ingesting ({variant}) …", file=sys.stderr)
        cmd = [sys.executable, __file__, "--rows", str(args.rows), "--dir", str(args.dir), "--one", variant]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True)
        results[variant] = json.loads(out.stdout.strip().splitlines()[-1])
    ratio = results["validated"]["seconds"] / results["unvalidated"]["seconds"]
    summary = {**results, "ratio": round(ratio, 2), "file_gb": round(file.stat().st_size / 1e9, 2)}
    print(json.dumps(summary, indent=2))
    u, v = results["unvalidated"], results["validated"]
    print(
        f"| {args.rows:,} | {u['seconds']} s ({u['rows_per_second']:,}/s, {u['peak_rss_gb']} GB) "
        f"| {v['seconds']} s ({v['rows_per_second']:,}/s, {v['peak_rss_gb']} GB) | {ratio:.2f} |"
    )


if __name__ == "__main__":
    main()
