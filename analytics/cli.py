"""The ``iconic`` command: bring data in, check it, see what the warehouse holds, serve the dashboard.

Exit codes: 0 success (including a re-ingest that had nothing to do), 1 a batch was rejected or
stored data fails its checks, 2 a usage or input error (file, mapping, table not found).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from analytics import config, schema
from analytics.errors import IconicError

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        code: int = args.run(args)
        return code
    except IconicError as exc:
        _err(f"error: {exc}")
        return EXIT_USAGE
    except KeyboardInterrupt:
        _err("interrupted; nothing partial was committed")
        return 130


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="iconic",
        description="Iconic: customer-experience analytics over a validated Delta warehouse.",
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def warehouse_arg(sp: argparse.ArgumentParser) -> None:
        sp.add_argument(
            "--warehouse",
            metavar="PATH",
            help=f"warehouse folder (default: $ICONIC_WAREHOUSE or {config.DEFAULT_WAREHOUSE})",
        )

    sp = sub.add_parser(
        "ingest",
        help="validate a CSV/Parquet file and commit it to a table",
        description="Read a CSV (optionally .gz) or Parquet file, map it to a canonical table, validate it "
        "with the table's expectation suite and commit it in one transaction. Bad rows go to "
        "quarantine_<table>; if too many fail, nothing is written.",
    )
    sp.add_argument("table", choices=list(schema.TABLES), help="canonical table to load into")
    sp.add_argument("file", help="CSV, CSV.gz or Parquet file")
    sp.add_argument("--mapping", metavar="MAP.yaml", help="column renames, code recodes, date formats, CSV options")
    sp.add_argument(
        "--max-quarantine-share",
        type=float,
        metavar="SHARE",
        help=f"reject the batch if more than this share of rows fail (default {config.DEFAULT_MAX_QUARANTINE_SHARE})",
    )
    sp.add_argument("--json", action="store_true", help="print the result as JSON")
    warehouse_arg(sp)
    sp.set_defaults(run=_ingest)

    sp = sub.add_parser("status", help="tables, row counts, versions and the last ingests")
    sp.add_argument("--json", action="store_true", help="print as JSON")
    sp.add_argument("--last", type=int, default=5, metavar="N", help="how many recent ingests to show (default 5)")
    warehouse_arg(sp)
    sp.set_defaults(run=_status)

    sp = sub.add_parser(
        "quality", help="re-validate what is stored: keys, references between tables, the expectation suites"
    )
    sp.add_argument("--table", choices=list(schema.TABLES), help="only this table (default: all stored tables)")
    sp.add_argument("--json", action="store_true", help="print as JSON")
    warehouse_arg(sp)
    sp.set_defaults(run=_quality)

    sp = sub.add_parser("app", help="serve the dashboard (http://localhost:8501)")
    sp.add_argument("--port", type=int, default=8501)
    sp.add_argument("--host", default="localhost", help="address to bind (default: localhost only)")
    warehouse_arg(sp)
    sp.set_defaults(run=_app)

    sp = sub.add_parser("analyze", help="run an analysis and print its numbers")
    analyses = sp.add_subparsers(dest="analysis", metavar="ANALYSIS", required=True)
    ap = analyses.add_parser(
        "advocacy",
        help="NPS with its 95%% interval, by a dimension, with Holm-adjusted tests",
        description="Headline NPS (adjusted Wald interval, Rocks 2016) and NPS per group of a dimension, "
        "each group tested against the rest with Holm-adjusted p-values.",
    )
    ap.add_argument(
        "--by",
        default="segment",
        help="segment, region, plan, tenure_band, behaviour_segment (after `analyze segments --save`), "
        "channel, handled_by, journey_stage or contact_reason",
    )
    ap.add_argument(
        "--responses",
        choices=["relationship", "transactional"],
        help="which responses count (default: relationship; transactional for contact dimensions)",
    )
    ap.add_argument("--json", action="store_true", help="print as JSON")
    warehouse_arg(ap)
    ap.set_defaults(run=_analyze_advocacy)
    sg = analyses.add_parser(
        "segments",
        help="cluster customers into behavioural segments and profile them",
        description="k-means on standardised tenure, usage, channel mix, contacts, escalations, revenue and "
        "latest LTR. k is the best silhouette over 3-7 unless --k is given. --save stores the assignments "
        "so `analyze advocacy --by behaviour_segment` and the dashboard can use them.",
    )
    sg.add_argument("--k", type=int, metavar="K", help="fixed number of segments (default: chosen by silhouette)")
    sg.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")
    sg.add_argument("--save", action="store_true", help="save the assignments to the warehouse")
    sg.add_argument("--json", action="store_true", help="print as JSON")
    warehouse_arg(sg)
    sg.set_defaults(run=_analyze_segments)

    sp = sub.add_parser("demo", help="generate demo data and ingest it through the validated path")
    sp.add_argument("--customers", type=int, default=20_000, metavar="N")
    sp.add_argument("--months", type=int, default=36, metavar="M")
    sp.add_argument("--seed", type=int, default=7, metavar="S")
    sp.add_argument("--force", action="store_true", help="rebuild even if the warehouse already exists")
    warehouse_arg(sp)
    sp.set_defaults(run=_demo)
    return p


# --- commands --------------------------------------------------------------------------------------


def _ingest(args: argparse.Namespace) -> int:
    from analytics.ingest import ingest

    result = ingest(
        args.table,
        args.file,
        warehouse_path=args.warehouse,
        mapping=args.mapping,
        max_quarantine_share=args.max_quarantine_share,
        progress=None if args.json else _progress(),
    )
    if args.json:
        print(json.dumps(result.to_dict(), indent=2, default=str))
    else:
        print(result.message if result.ok else f"rejected: {result.message}")
        for check in result.failed_checks:
            if check.message == result.message:
                continue
            column = f" [{check.column}]" if check.column else ""
            print(f"  - {check.rule}{column}: {check.message}")
    return EXIT_OK if result.ok else EXIT_FAILED


def _status(args: argparse.Namespace) -> int:
    from analytics import catalog, warehouse

    wh = warehouse.open(args.warehouse)
    summary = catalog.table_summary(wh)
    history = catalog.ingest_history(wh, limit=args.last)
    if args.json:
        print(
            json.dumps(
                {
                    "warehouse": str(wh.root),
                    "data_version": wh.data_version,
                    "tables": _records(summary),
                    "last_ingests": _records(history.drop(columns=["message"])),
                },
                indent=2,
                default=str,
            )
        )
        return EXIT_OK
    print(f"warehouse {wh.root}  (data version {wh.data_version})\n")
    print(summary.to_string(index=False))
    print("\nlast ingests:")
    if history.empty:
        print("  none yet")
    else:
        cols = ["started_at", "table_name", "status", "rows_in", "rows_committed", "rows_quarantined", "source_file"]
        print(history[cols].to_string(index=False))
    return EXIT_OK


def _quality(args: argparse.Namespace) -> int:
    from analytics import quality, warehouse

    wh = warehouse.open(args.warehouse)
    tables = [args.table] if args.table else [t for t in schema.TABLES if wh.has(t)]
    report: dict[str, Any] = {}
    failed = False
    for table in tables:
        if not args.json:
            _err(f"checking {table} …")
        result = quality.check_stored(wh, table)
        failed = failed or any(not c.success and c.policy != "warn" for c in result.checks)
        report[table] = [c.to_dict() for c in result.checks]
    if args.json:
        print(json.dumps(report, indent=2, default=str))
    else:
        for table, checks in report.items():
            bad = [c for c in checks if not c["success"]]
            print(f"{table}: {len(checks) - len(bad)}/{len(checks)} checks pass")
            for c in bad:
                print(f"  - {'warning: ' if c['policy'] == 'warn' else ''}{c['message']}")
    return EXIT_FAILED if failed else EXIT_OK


def _analyze_advocacy(args: argparse.Namespace) -> int:
    from analytics import advocacy, warehouse

    wh = warehouse.open(args.warehouse)
    try:
        groups = advocacy.nps_by(wh, by=args.by, kind=args.responses)
    except ValueError as exc:
        _err(f"error: {exc}")
        return EXIT_USAGE
    kind = advocacy.responses_for(wh, args.by, args.responses)
    headline = advocacy.nps(wh, kind=kind)
    fields = ["score", "low", "high", "n", "promoters", "passives", "detractors"]
    if args.json:
        out = {
            "responses": kind,
            "nps": {k: getattr(headline, k) for k in fields},
            "by": args.by,
            "groups": _records(groups[["group", *fields, "diff", "p_value", "p_adjusted", "significant", "small_n"]]),
        }
        print(json.dumps(out, indent=2, default=str))
        return EXIT_OK
    print(
        f"NPS ({kind} responses): {headline.score:+.1f} [{headline.low:+.1f}, {headline.high:+.1f}], n = {headline.n:,}"
    )
    shown = groups.assign(
        nps=groups["score"].map("{:+.1f}".format),
        interval=[f"[{lo:+.1f}, {hi:+.1f}]" for lo, hi in zip(groups["low"], groups["high"], strict=True)],
        vs_rest=groups["diff"].map("{:+.1f}".format),
        p_holm=groups["p_adjusted"].map("{:.3f}".format),
        flag=["*" if sig else "" for sig in groups["significant"]],
        note=["small n" if small else "" for small in groups["small_n"]],
    )
    print(f"\nby {args.by} (each against the rest; * = significant after Holm at 5%):")
    print(shown[["group", "n", "nps", "interval", "vs_rest", "p_holm", "flag", "note"]].to_string(index=False))
    return EXIT_OK


def _analyze_segments(args: argparse.Namespace) -> int:
    from analytics import segmentation, warehouse

    if args.k is not None and args.k < 2:
        _err("error: --k must be at least 2")
        return EXIT_USAGE
    wh = warehouse.open(args.warehouse)
    say = None if args.json else _progress()
    if say:
        say("building customer features")
    features = segmentation.customer_features(wh)
    if say:
        say(f"clustering {len(features):,} customers")
    try:
        seg = segmentation.segment_customers(features, k=args.k, random_state=args.seed)
    except ValueError as exc:
        _err(f"error: {exc}")
        return EXIT_USAGE
    version = segmentation.save_assignments(wh, seg) if args.save else None
    columns = ["segment", "customers", "share", "revenue_share", "nps", "nps_low", "nps_high", "nps_n"]
    columns += list(segmentation.FEATURES)
    if args.json:
        out = {
            "k": seg.k,
            "silhouette_by_k": {str(k): v for k, v in seg.silhouette_by_k.items()},
            "saved_version": version,
            "segments": _records(seg.profiles[columns]),
        }
        print(json.dumps(out, indent=2, default=str))
        return EXIT_OK
    scores = ", ".join(f"k={k}: {v:.3f}" for k, v in seg.silhouette_by_k.items())
    print(f"{seg.k} segments of {len(features):,} customers (silhouette {scores})\n")
    shown = seg.profiles.assign(
        share=seg.profiles["share"].map("{:.0%}".format),
        revenue_share=seg.profiles["revenue_share"].map("{:.0%}".format),
        nps=[
            f"{s:+.0f} [{lo:+.0f}, {hi:+.0f}]" for s, lo, hi in seg.profiles[["nps", "nps_low", "nps_high"]].to_numpy()
        ],
    )
    print(shown[["segment", "customers", "share", "revenue_share", "nps"]].to_string(index=False))
    if version is not None:
        print(f"\nsaved to {segmentation.SEGMENT_TABLE} (version {version}); use --by behaviour_segment")
    return EXIT_OK


def _app(args: argparse.Namespace) -> int:
    app = Path(__file__).resolve().parent.parent / "app.py"
    env = dict(os.environ)
    if args.warehouse:
        env["ICONIC_WAREHOUSE"] = str(Path(args.warehouse).resolve())
    cmd = [
        sys.executable, "-m", "analytics.ui.serve", "run", str(app),
        "--server.address", args.host, "--server.port", str(args.port),
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    _err(f"serving the dashboard on http://{args.host}:{args.port}")
    return subprocess.call(cmd, env=env)


def _demo(args: argparse.Namespace) -> int:
    from analytics import demo

    root = config.warehouse_path(args.warehouse)
    if root.exists() and any(root.iterdir()) and not args.force:
        _err(f"demo warehouse already at {root}; use --force to rebuild it")
        return EXIT_OK
    results = demo.build(root, customers=args.customers, months=args.months, seed=args.seed, progress=_progress())
    rejected = [r for r in results if not r.ok]
    for r in results:
        print(f"{r.table:<13} {r.status:<9} {r.rows_committed:>10,} rows  {r.rows_quarantined:>6,} quarantined")
    return EXIT_FAILED if rejected else EXIT_OK


# --- output helpers ---------------------------------------------------------------------------------


def _err(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _progress() -> Any:
    start = time.monotonic()

    def say(message: str) -> None:
        _err(f"[{time.monotonic() - start:6.1f}s] {message}")

    return say


def _records(frame: Any) -> list[dict[str, Any]]:
    return json.loads(frame.to_json(orient="records", date_format="iso"))


def run() -> None:
    """Console entry point: run the command, then leave without interpreter teardown.

    Arrow's and DuckDB's native thread pools can still be alive when Python tears itself down, and
    a worker outliving its pool aborts the process (SIGABRT, "terminate called without an active
    exception") after the command has finished its work and printed its result; see
    apache/arrow#34314 and delta-io/delta-rs#2184. Every command has committed, or cleaned up, by
    the time ``main`` returns, so the exit code is final: flush what was printed and exit at once.
    """
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    run()
