"""The dashboard's global filters as options, and the warehouse they are checked against."""

from __future__ import annotations

import argparse
from typing import Any


def day(text: str) -> Any:
    from datetime import date

    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (use YYYY-MM-DD)") from None


def scope_options(p: argparse.ArgumentParser) -> None:
    """The sidebar's filters as options, in a group of their own in the help."""
    g = p.add_argument_group(
        "scope", "the dashboard's global filters; repeat --segment, --region or --channel to keep several"
    )
    g.add_argument("--start", type=day, metavar="YYYY-MM-DD", help="first day in scope (inclusive)")
    g.add_argument("--end", type=day, metavar="YYYY-MM-DD", help="last day in scope (inclusive)")
    g.add_argument("--segment", action="append", default=[], metavar="NAME", help="keep this customer segment")
    g.add_argument("--region", action="append", default=[], metavar="NAME", help="keep this region")
    g.add_argument("--channel", action="append", default=[], metavar="NAME", help="keep this contact channel")


def _scope(args: argparse.Namespace) -> Any:
    """The ``Filters`` the dashboard's sidebar would build from the same choices."""
    from analytics.data.filters import Filters
    from analytics.errors import UsageError

    try:
        return Filters(
            start=args.start,
            end=args.end,
            segments=tuple(dict.fromkeys(args.segment)),
            regions=tuple(dict.fromkeys(args.region)),
            channels=tuple(dict.fromkeys(args.channel)),
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def open_scope(args: argparse.Namespace) -> tuple[Any, Any]:
    """The warehouse of ``--warehouse`` and the scope the options give, checked against it."""
    from analytics.data import warehouse

    scope = _scope(args)
    wh = warehouse.open(args.warehouse, engine=args.engine)
    _check_scope(wh, scope)
    return wh, scope


def _check_scope(wh: Any, scope: Any) -> None:
    """Refuse a segment, region or channel the warehouse has never seen (a typo would otherwise
    read as an empty scope), naming the values it has."""
    from analytics.data.filters import options
    from analytics.errors import UsageError

    known = options(wh)
    for option, chosen, values in (
        ("--segment", scope.segments, known.segments),
        ("--region", scope.regions, known.regions),
        ("--channel", scope.channels, known.channels),
    ):
        unknown = [v for v in chosen if v not in values]
        if unknown:
            has = ", ".join(values) if values else "none yet"
            raise UsageError(f"{option} {unknown[0]!r} is not in the warehouse; it has: {has}")


def nothing_in_scope(what: str, emptied: str | None) -> str:
    """The note for a scope with no ``what`` ("contacts", "relationship responses"), naming the
    filter that ``filters.emptied_by`` found to leave none."""
    return f"No {what} in this scope" + (f": {emptied} leaves none." if emptied else ".")


def no_contacts(wh: Any, scope: Any) -> str:
    """``nothing_in_scope`` for contacts: the note of an analysis of interactions with none to read."""
    from analytics.data import filters

    return nothing_in_scope("contacts", filters.emptied_by(wh, scope, rows="interactions"))


def scope_dict(scope: Any) -> dict[str, Any]:
    from analytics.data.filters import scope_rules

    return {
        "start": scope.start.isoformat() if scope.start else None,
        "end": scope.end.isoformat() if scope.end else None,
        "segments": list(scope.segments),
        "regions": list(scope.regions),
        "channels": list(scope.channels),
        "description": scope.describe(),
        "rules": scope_rules(scope),
    }
