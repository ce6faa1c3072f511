"""The ``iconic`` command: bring data in, check it, see what the warehouse holds, serve the dashboard.

Exit codes: 0 done (including a re-ingest that had nothing to do), 1 a batch was rejected, stored
data fails its checks, or something unexpected went wrong, 2 a usage or environment problem (a file,
mapping, setting or warehouse that cannot be used). ``main`` is the one boundary where failures
become one line each; ``--debug`` shows the traceback instead.

Each command group is a module that registers its commands next to their handlers: ``ingest``,
``status`` (status, quality), ``serve`` (app, warm), ``analyze`` (one module per analysis),
``brief`` and ``demo``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Sequence

from analytics.cli import analyze, brief, demo, ingest, serve, status
from analytics.cli.output import EXIT_FAILED, EXIT_OK, EXIT_USAGE, err
from analytics.errors import IconicError

__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "main", "parser", "run"]


def main(argv: Sequence[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    if not getattr(args, "command", None):
        p.print_help()
        return EXIT_USAGE
    try:
        code: int = args.run(args)
        return code
    except KeyboardInterrupt:
        err("interrupted; nothing partial was committed")
        return 130
    except BrokenPipeError:
        raise  # the reader left (`| head`); `run` ends quietly
    except Exception as exc:
        if args.debug:
            raise
        message, code = _failure(exc)
        err(f"error: {message}")
        return code


def _failure(exc: Exception) -> tuple[str, int]:
    """One line for a failure, and its exit code."""
    from deltalake.exceptions import DeltaError

    if isinstance(exc, IconicError):
        return str(exc), EXIT_USAGE
    if isinstance(exc, PermissionError):
        where = f": {exc.filename}" if exc.filename else ""
        return f"permission denied{where}; check who may read and write there", EXIT_USAGE
    if isinstance(exc, OSError) and exc.strerror:
        where = f": {exc.filename}" if exc.filename else ""
        return f"{exc.strerror.lower()}{where}", EXIT_USAGE
    if isinstance(exc, DeltaError):
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"the warehouse could not be read or written ({first}); nothing partial was committed", EXIT_USAGE
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return (
        f"unexpected {type(exc).__name__}{': ' + detail if detail else ''}. Run again with --debug for the traceback",
        EXIT_FAILED,
    )


def parser() -> argparse.ArgumentParser:
    """``iconic``'s parser: the global options, then each command group's commands, in the order help lists them."""
    p = argparse.ArgumentParser(
        prog="iconic",
        description="Iconic: customer-experience analytics over a validated Delta warehouse.",
    )
    p.add_argument("--debug", action="store_true", help="show the traceback of an unexpected error")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for group in (ingest, status, serve, analyze, brief, demo):
        group.register(sub)
    return p


def run() -> None:
    """Console entry point: run the command, then leave without interpreter teardown.

    Arrow's and DuckDB's native thread pools can still be alive when Python tears itself down, and
    a worker outliving its pool aborts the process (SIGABRT, "terminate called without an active
    exception") after the command has finished its work and printed its result; see
    apache/arrow#34314 and delta-io/delta-rs#2184. Every command has committed, or cleaned up, by
    the time ``main`` returns, so the exit code is final: flush what was printed and exit at once.
    """
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:  # the reader left early (`iconic status | head`): nothing more to say
        code = 141
    with contextlib.suppress(OSError):
        sys.stderr.flush()
    os._exit(code)
