"""Options many commands share, and the argument types they read."""

from __future__ import annotations

import argparse
from typing import Any

from analytics import config

#: What ``add_subparsers`` returns: where a command group registers its commands.
Commands = argparse._SubParsersAction


def at_least(least: int) -> Any:
    def whole(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if value < least:
            raise argparse.ArgumentTypeError(f"must be at least {least}, got {value}")
        return value

    return whole


def warehouse_arg(sp: argparse.ArgumentParser, *, reads: bool = True) -> None:
    # Also accepted after the command (`iconic status --debug`); SUPPRESS keeps the global value.
    sp.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="show the traceback of an unexpected error"
    )
    sp.add_argument(
        "--warehouse",
        metavar="PATH",
        help=f"warehouse folder (default: $ICONIC_WAREHOUSE or {config.DEFAULT_WAREHOUSE})",
    )
    if reads:  # writes (ingest, demo) always run on this machine, through delta-rs
        sp.add_argument(
            "--engine",
            choices=config.ENGINES,
            help=f"engine that reads the warehouse (default: $ICONIC_ENGINE or {config.DEFAULT_ENGINE}); "
            "spark runs on $ICONIC_SPARK_MASTER, else local[*]",
        )
