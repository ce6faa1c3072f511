"""``iconic demo``: generate the demo world and ingest it through the validated path."""

from __future__ import annotations

import argparse

from analytics import config
from analytics.cli.options import Commands, at_least, command
from analytics.cli.output import EXIT_FAILED, EXIT_OK, err, progress


def register(sub: Commands) -> None:
    with command(sub, "demo", _demo, json=None, warehouse="writes") as p:
        p.add_argument("--customers", type=at_least(100), default=20_000, metavar="N", help="at least 100")
        p.add_argument("--months", type=at_least(12), default=36, metavar="M", help="at least 12")
        p.add_argument("--seed", type=int, default=7, metavar="S")
        p.add_argument("--force", action="store_true", help="rebuild even if the warehouse already exists")


def _demo(args: argparse.Namespace) -> int:
    """generate demo data and ingest it through the validated path"""
    from analytics import demo

    root = config.warehouse_path(args.warehouse)
    if root.exists() and any(root.iterdir()) and not args.force:
        err(f"demo warehouse already at {root}; use --force to rebuild it")
        return EXIT_OK
    results = demo.build(root, customers=args.customers, months=args.months, seed=args.seed, progress=progress())
    rejected = [r for r in results if not r.ok]
    for r in results:
        print(f"{r.table:<13} {r.status:<9} {r.rows_committed:>10,} rows  {r.rows_quarantined:>6,} quarantined")
    return EXIT_FAILED if rejected else EXIT_OK
