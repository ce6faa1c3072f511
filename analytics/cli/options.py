"""Options many commands share, declared once, and the argument types they read.

A command is declared with ``command``: its own options go in the ``with`` block, and the shared
ones it asks for follow, so each command's help lists what is particular to it first.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Callable, Iterator
from typing import Any, Literal

from analytics import config
from analytics.cli.scope import scope_options

#: What ``add_subparsers`` returns: where a command group registers its commands.
Commands = argparse._SubParsersAction
#: A command's handler: the parsed options in, the exit code out.
Handler = Callable[[argparse.Namespace], int]


@contextlib.contextmanager
def command(
    commands: Commands,
    name: str,
    run: Handler,
    *,
    json: str | None = "print as JSON",
    scope: bool = False,
    warehouse: Literal["reads", "writes"] | None = "reads",
    **about: Any,
) -> Iterator[argparse.ArgumentParser]:
    """Declare the command ``name``, handled by ``run``, with ``about`` (help, description) for its help.

    After the block: ``--json`` with the help ``json`` (None: no JSON), the scope options when
    ``scope``, and ``--warehouse`` with ``--debug``, plus ``--engine`` when the command ``reads``
    the warehouse (None: no warehouse).
    """
    p = commands.add_parser(name, **about)
    yield p
    if json is not None:
        p.add_argument("--json", action="store_true", help=json)
    if scope:
        scope_options(p)
    if warehouse is not None:
        _warehouse_options(p, reads=warehouse == "reads")
    p.set_defaults(run=run)


def _warehouse_options(p: argparse.ArgumentParser, *, reads: bool) -> None:
    # Also accepted after the command (`iconic status --debug`); SUPPRESS keeps the global value.
    p.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="show the traceback of an unexpected error"
    )
    p.add_argument(
        "--warehouse",
        metavar="PATH",
        help=f"warehouse folder (default: $ICONIC_WAREHOUSE or {config.DEFAULT_WAREHOUSE})",
    )
    if reads:  # writes (ingest, demo) always run on this machine, through delta-rs
        p.add_argument(
            "--engine",
            choices=config.ENGINES,
            help=f"engine that reads the warehouse (default: $ICONIC_ENGINE or {config.DEFAULT_ENGINE}); "
            "spark runs on $ICONIC_SPARK_MASTER, else local[*]",
        )


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
