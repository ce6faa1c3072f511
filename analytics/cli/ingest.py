"""``iconic ingest``: validate a file and commit it to a table."""

from __future__ import annotations

import argparse

from analytics import config
from analytics.cli.options import Commands, command
from analytics.cli.output import EXIT_FAILED, EXIT_OK, print_json, progress
from analytics.data import schema


def register(sub: Commands) -> None:
    with command(sub, "ingest", _ingest, json="print the result as JSON", warehouse="writes") as p:
        p.add_argument("table", choices=list(schema.TABLES), help="canonical table to load into")
        p.add_argument("file", help="CSV, CSV.gz or Parquet file")
        p.add_argument("--mapping", metavar="MAP.yaml", help="column renames, code recodes, date formats, CSV options")
        p.add_argument(
            "--max-quarantine-share",
            type=float,
            metavar="SHARE",
            help="reject the batch if more than this share of rows fail "
            f"(default {config.DEFAULT_MAX_QUARANTINE_SHARE})",
        )


def _ingest(args: argparse.Namespace) -> int:
    """validate a CSV/Parquet file and commit it to a table

    Read a CSV (optionally .gz) or Parquet file, map it to a canonical table, validate it with the table's
    expectation suite and commit it in one transaction. Bad rows go to quarantine_<table>; if too many fail, nothing
    is written.
    """
    from analytics.data.ingest import ingest

    result = ingest(
        args.table,
        args.file,
        warehouse_path=args.warehouse,
        mapping=args.mapping,
        max_quarantine_share=args.max_quarantine_share,
        progress=None if args.json else progress(),
    )
    if args.json:
        print_json(result.to_dict())
    else:
        print(result.message if result.ok else f"rejected: {result.message}")
        for check in result.failed_checks:
            if check.message == result.message:
                continue
            column = f" [{check.column}]" if check.column else ""
            print(f"  - {check.rule}{column}: {check.message}")
    return EXIT_OK if result.ok else EXIT_FAILED
