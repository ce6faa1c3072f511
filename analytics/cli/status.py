"""``iconic status`` and ``iconic quality``: what the warehouse holds, and whether it still passes its checks."""

from __future__ import annotations

import argparse
from typing import Any

from analytics.cli.options import Commands, at_least, command
from analytics.cli.output import EXIT_FAILED, EXIT_OK, err, print_json, records
from analytics.data import schema


def register(sub: Commands) -> None:
    with command(sub, "status", _status) as p:
        p.add_argument(
            "--last", type=at_least(0), default=5, metavar="N", help="how many recent ingests to show (default 5)"
        )
    with command(sub, "quality", _quality) as p:
        p.add_argument("--table", choices=list(schema.TABLES), help="only this table (default: all stored tables)")


def _status(args: argparse.Namespace) -> int:
    """tables, row counts, versions and the last ingests"""
    from analytics.data import catalog, warehouse
    from analytics.report import views

    wh = warehouse.open(args.warehouse, engine=args.engine)
    summary = catalog.table_summary(wh)
    history = catalog.ingest_history(wh, limit=args.last)
    if args.json:
        print_json(
            {
                "warehouse": str(wh.root),
                "data_version": wh.data_version,
                "tables": records(summary),
                "last_ingests": records(history.drop(columns=["message"])),
            }
        )
        return EXIT_OK
    print(f"warehouse {wh.root}  (data version {wh.data_version})\n")
    print(views.text(summary, ["table", "rows", "version", "updated_at", "latest_event_at"]))
    print("\nLast ingests:")
    if history.empty:
        print("  none yet")
    else:
        print(views.text(history, views.INGEST_HISTORY))
    return EXIT_OK


def _quality(args: argparse.Namespace) -> int:
    """re-validate what is stored: keys, references between tables, the expectation suites"""
    from analytics.data import quality, warehouse

    wh = warehouse.open(args.warehouse, engine=args.engine)
    tables = [args.table] if args.table else [t for t in schema.TABLES if wh.has(t)]
    if not tables or (args.table and not wh.has(args.table)):
        what = f"no {args.table} table" if args.table else "nothing"
        message = f"{what} is stored in {wh.root} yet: ingest a file first (`iconic ingest TABLE FILE`)"
        if args.json:
            print_json({})
        else:
            print(message)
        return EXIT_OK
    report: dict[str, Any] = {}
    failed = False
    for table in tables:
        if not args.json:
            err(f"checking {table} …")
        result = quality.check_stored(wh, table)
        failed = failed or any(not c.success and c.policy != "warn" for c in result.checks)
        report[table] = [c.to_dict() for c in result.checks]
    if args.json:
        print_json(report)
    else:
        for table, checks in report.items():
            bad = [c for c in checks if not c["success"]]
            print(f"{table}: {len(checks) - len(bad)}/{len(checks)} checks pass")
            for c in bad:
                print(f"  - {'warning: ' if c['policy'] == 'warn' else ''}{c['message']}")
    return EXIT_FAILED if failed else EXIT_OK
