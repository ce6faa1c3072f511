"""Options many commands share, declared once, and the argument types they read.

A command is declared with ``command``: its help is its handler's docstring, its own options go in
the ``with`` block, and the shared ones it asks for follow, so its help lists what is particular to
it first.
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
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
) -> Iterator[argparse.ArgumentParser]:
    """Declare the command ``name``, handled by ``run``; the ``with`` block adds its own options.

    ``run``'s docstring is the command's help, as click reads it: the first paragraph is the line
    ``iconic --help`` lists, the rest (if any) the description ``iconic NAME --help`` opens with.
    After the block come the shared options it asks for: ``--json`` with the help ``json`` (None:
    no JSON), the scope options when ``scope``, and ``--warehouse`` with ``--debug``, plus
    ``--engine`` when the command ``reads`` the warehouse (None: no warehouse).
    """
    summary, description = _about(run)
    p = commands.add_parser(name, help=summary, description=description)
    yield p
    if json is not None:
        p.add_argument("--json", action="store_true", help=json)
    if scope:
        scope_options(p)
    if warehouse is not None:
        _warehouse_options(p, reads=warehouse == "reads")
    p.set_defaults(run=run)


def _about(run: Handler) -> tuple[str, str | None]:
    """A command's help and description from its handler's docstring, each on one line (argparse
    wraps them again). argparse formats a help with %, not a description, so only the help's are doubled."""
    summary, _, rest = inspect.cleandoc(run.__doc__ or "").partition("\n\n")
    return " ".join(summary.split()).replace("%", "%%"), " ".join(rest.split()) or None


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


def bootstrap_option(p: argparse.ArgumentParser, words: str) -> None:
    """``--bootstrap B``: how many resamples an interval is read from (default 200, 0 for none)."""
    p.add_argument("--bootstrap", type=at_least(0), default=200, metavar="B", help=words)


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
