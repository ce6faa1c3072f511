"""``iconic analyze benchmarks``: the iconic-firm benchmarks, stances, partners and ramp-up."""

from __future__ import annotations

import argparse
from typing import Any

from analytics.cli.options import Commands, command
from analytics.cli.output import EXIT_OK, print_json
from analytics.cli.scope import no_contacts, open_scope, scope_dict

#: The standard's targets as options: flag, ``benchmarks.Standard`` field, metavar, what it sets.
STANDARD_OPTIONS = (
    ("--min-csat", "min_csat", "SHARE", "CSAT 4-5 at least"),
    ("--min-nps", "min_nps", "POINTS", "post-contact NPS at least"),
    ("--max-asa", "max_asa_seconds", "SECONDS", "voice speed of answer at most"),
    ("--min-fcr", "min_fcr", "SHARE", "first-contact resolution at least"),
    ("--max-escalation", "max_escalation", "SHARE", "escalated at most"),
    ("--max-cost-ratio", "max_cost_ratio", "X", "cost per contact at most this times the in-house team's"),
)


def _standard_defaults() -> Any:
    from analytics.analyses.benchmarks import Standard

    return Standard()


def register(analyses: Commands) -> None:
    with command(analyses, "benchmarks", _analyze_benchmarks, scope=True) as p:
        defaults = _standard_defaults()
        for flag, target, metavar, words in STANDARD_OPTIONS:
            p.add_argument(
                flag,
                type=float,
                default=getattr(defaults, target),
                metavar=metavar,
                help=f"{words} (default %(default)s)",
            )
        p.add_argument(
            "--in-house",
            default=defaults.in_house,
            metavar="NAME",
            help="the in-house team's handled_by (default %(default)s)",
        )
        p.add_argument(
            "--kpi",
            choices=["fcr", "csat", "asa_seconds", "escalation_rate"],
            default="fcr",
            help="what a new partner's ramp-up is judged on (default fcr)",
        )


def _analyze_benchmarks(args: argparse.Namespace) -> int:
    """iconic-firm benchmarks: the self-assessment against published profiles, stances, partners, ramp-up

    The self-assessment against the iconic, all-respondent and poor-performer profiles (published figures with their
    sources) and the distance to iconic; the stance each journey stage shows (satisfaction-led, efficiency-led, both
    or neither) against what the self-assessment says; every handler against a common standard; and the first weeks
    of each partner that went live inside the scope.
    """
    from analytics.analyses import benchmarks
    from analytics.report import views

    wh, scope = open_scope(args)
    targets = {target: getattr(args, flag[2:].replace("-", "_")) for flag, target, _, _ in STANDARD_OPTIONS}
    standard = benchmarks.Standard(**targets, in_house=args.in_house)
    result = benchmarks.report(wh, scope, standard=standard, kpi=args.kpi)
    note = no_contacts(wh, scope) if result.stages.empty else ""
    if args.json:
        print_json({"scope": scope_dict(scope), **result.to_dict(), "note": note})
        return EXIT_OK
    print(f"scope: {scope.describe()}")
    for line in benchmarks.summary(result.distances, result.stages, result.scorecard, result.share, result.ramp):
        print("  - " + line)
    print("\nSelf-assessment against the published profiles (shares of executives saying yes; secondary source):")
    print(views.text(result.items, views.PROFILE_ITEMS))
    print(
        f"\nDistance to iconic: {result.distance_to_iconic:.1f} points"
        if result.distance_to_iconic is not None
        else "\nDistance to iconic: no answers to compare"
    )
    if note:
        print(f"\n{note}")
        return EXIT_OK
    print(f"\nStance by journey stage, said against shown ({result.rule.describe()})")
    print(views.text(result.stages, views.STAGES))
    print(f"\nPartners against the standard ({standard.describe()})")
    print(views.text(result.scorecard, views.SCORECARD))
    print(f"  {result.share.note}")
    for handler in dict.fromkeys(result.ramp["handled_by"]):
        sentence = benchmarks.ramp_sentence(result.ramp[result.ramp["handled_by"] == handler], kpi=args.kpi)
        print(f"\nfirst weeks: {sentence}")
    return EXIT_OK
