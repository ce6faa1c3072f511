"""``iconic analyze ANALYSIS``: one module per analysis, each registering its command next to its handler."""

from __future__ import annotations

from analytics.cli.analyze import advocacy, benchmarks, drivers, impact, moments, segments, survival, value
from analytics.cli.options import Commands


def register(sub: Commands) -> None:
    sp = sub.add_parser("analyze", help="run an analysis and print its numbers")
    analyses = sp.add_subparsers(dest="analysis", metavar="ANALYSIS", required=True)
    for analysis in (advocacy, segments, moments, drivers, survival, value, impact, benchmarks):
        analysis.register(analyses)
