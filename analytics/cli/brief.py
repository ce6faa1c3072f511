"""``iconic brief``: the executive PDF for a scope."""

from __future__ import annotations

import argparse
from pathlib import Path

from analytics.cli.analyze.moments import PRIORITY_FIELDS
from analytics.cli.options import Commands, command
from analytics.cli.output import EXIT_OK, print_json, progress, records
from analytics.cli.scope import open_scope, scope_dict


def register(sub: Commands) -> None:
    with command(sub, "brief", _brief, json="print the headline numbers as JSON", scope=True) as p:
        p.add_argument("--out", required=True, metavar="FILE.pdf", help="where to write the PDF")
        p.add_argument(
            "--period",
            metavar="PERIOD",
            help="the quarter (2025-Q3) or month (2025-07) to report on (default: the latest complete quarter in "
            "scope); not with --start/--end",
        )
        p.add_argument("--title", metavar="TEXT", help="the brief's title (default: Customer experience brief)")
        p.add_argument("--paper", choices=["a4", "letter"], default="a4", help="paper size (default a4)")
        p.add_argument(
            "--without-value-case",
            action="store_true",
            help="leave the value case's money at stake out of the top actions (it is the slowest part at scale)",
        )


def _brief(args: argparse.Namespace) -> int:
    """write the executive PDF brief (2-5 pages) for a scope

    A PDF for leadership: data freshness and quality, the headline numbers with their change against the previous
    period and 95% intervals, the top moments of truth to act on, charts, and methods and sources. It covers the
    latest complete quarter in scope against the one before, or --period.
    """
    from analytics.errors import UsageError
    from analytics.report import brief, kpis
    from analytics.report.pdf import page_count, render_pdf

    if args.period and (args.start or args.end):
        raise UsageError("give either --period or --start/--end, not both")
    wh, scope = open_scope(args)
    say = None if args.json else progress()
    if say:
        say("computing the headline numbers, actions and charts")
    content = brief.brief_content(
        wh, scope, period=args.period, title=args.title, use_value_case=not args.without_value_case
    )
    if say:
        say("laying out the PDF")
    pdf = render_pdf(content, paper=args.paper)
    out = Path(args.out)
    partial = out.with_name(f".{out.name}.partial")
    partial.write_bytes(pdf)
    partial.replace(out)  # a reader never sees half a PDF
    pages = page_count(pdf)
    if args.json:
        out_json = {
            "out": str(out),
            "pages": pages,
            "scope": scope_dict(scope),
            "period": content.period.to_dict() if content.period else None,
            "previous": content.previous.to_dict() if content.previous else None,
            "summary": content.summary,
            "kpis": [k.to_dict() for k in content.kpis],
            "ranking": content.priorities.ranking,
            "actions": records(content.actions[list(PRIORITY_FIELDS)]),
            "value_case": content.value_case,
        }
        print_json(out_json)
        return EXIT_OK
    print(f"wrote {out} ({pages} pages): {content.period_line}")
    for line in content.summary:
        print("  " + line)
    for line in kpis.describe_kpis(content.kpis):
        print("  " + line)
    if content.status.warning:
        print(f"warning: {content.status.warning}")
    return EXIT_OK
