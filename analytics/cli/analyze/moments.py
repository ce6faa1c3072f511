"""``iconic analyze moments``: the priority list of moments of truth, or the moment map split by a dimension."""

from __future__ import annotations

import argparse
from typing import Any

from analytics.cli.options import Commands, command
from analytics.cli.output import EXIT_OK, EXIT_USAGE, err, print_json, progress, records
from analytics.cli.scope import no_contacts, open_scope, scope_dict


def register(analyses: Commands) -> None:
    with command(analyses, "moments", _analyze_moments, scope=True) as p:
        p.add_argument("--by", choices=["channel", "handled_by"], help="split each moment by channel or handler")
        p.add_argument("--any-wait", action="store_true", help="leave waiting time out of the met rule")
        p.add_argument(
            "--max-transfers", type=int, default=1, metavar="N", help="transfers a met contact may have (default 1)"
        )
        p.add_argument(
            "--without-value-case",
            action="store_true",
            help="rank without the value case's money (faster at scale; the ranking then says so)",
        )


#: The priority list's fields in the JSON of ``analyze moments`` and ``analyze impact``.
PRIORITY_FIELDS = (
    "rank", "journey_stage", "contact_reason", "moment", "action", "volume", "met_rate", "n", "n_met", "nps_met",
    "n_not_met", "nps_not_met", "swing", "swing_low", "swing_high", "swing_p", "ltr_slope", "ltr_slope_low",
    "ltr_slope_high", "at_stake", "answers_needed", "value", "value_low", "value_high", "money", "tier", "sentence",
)  # fmt: skip


def _analyze_moments(args: argparse.Namespace) -> int:
    """the priority list of moments of truth: action, swing, money and rank

    The priority list: one row per journey stage x contact reason, in the order to act on them, with the share of
    contacts that met expectations (resolved, waited no longer than the channel's target, at most one transfer), the
    swing in NPS between met and missed contacts with a customer-clustered 95% interval, net promoters at stake, the
    value case's margin kept a year with its interval, and the action (Fix, Delight, Maintain, Unclear, Right-size).
    With --by, the map split by channel or handler, unranked and without money.
    """
    from analytics.analyses import moments, priorities

    wh, scope = open_scope(args)
    if args.max_transfers < 0:
        err("error: --max-transfers cannot be negative")
        return EXIT_USAGE
    rule = moments.MetRule(max_transfers=args.max_transfers, wait_targets={} if args.any_wait else moments.WAIT_TARGETS)
    actions = moments.ActionRule()
    if args.by is not None:
        return _split_moments(args, wh, scope, rule)
    say = None if args.json or args.without_value_case else progress()
    if say:
        say("the moment map and the value case's money per moment")
    plist = priorities.priority_list(wh, scope, rule=rule, actions=actions, money=not args.without_value_case)
    table = plist.table
    note = no_contacts(wh, scope) if table.empty else ""
    if args.json:
        out = {
            "scope": scope_dict(scope),
            "met_rule": rule.describe(),
            "action_rule": actions.describe(),
            "ranking": plist.ranking,
            "value_case": plist.case is not None,
            "priorities": [{k: r[k] for k in PRIORITY_FIELDS} for r in plist.records()],
            "what_to_do": [s.replace("**", "") for s in plist.top(5)["sentence"]] if not table.empty else [],
            "note": note,
        }
        print_json(out)
        return EXIT_OK
    print(f"scope: {scope.describe()}")
    print(rule.describe())
    print(actions.describe())
    if table.empty:
        print(f"\n{note}")
        return EXIT_OK
    print(plist.ranking)
    _print_priorities(plist)
    lines = list(plist.top(5)["sentence"])
    if lines:
        print("\nWhat to do:")
        for line in lines:
            print("  - " + line.replace("**", ""))
    return EXIT_OK


def _print_priorities(plist: Any) -> None:
    """The priority list as the Moments page shows it: one line per moment, in rank order."""
    from analytics.report import views

    columns = [*views.PRIORITIES, *(views.PRIORITIES_MONEY if plist.case is not None else ("answers_needed",))]
    print("\n" + views.text(plist.table, columns))


def _split_moments(args: argparse.Namespace, wh: Any, scope: Any, rule: Any) -> int:
    """``analyze moments --by``: the moment map split by channel or handler, unranked and without money."""
    from analytics.analyses import moments
    from analytics.report import views

    table = moments.moment_map(wh, scope, by=args.by, rule=rule)
    note = no_contacts(wh, scope) if table.empty else ""
    split_note = (
        f"Split by {args.by}: not ranked and without money. The priority list (without --by) ranks the moments."
    )
    if args.json:
        fields = [*moments.MOMENT, args.by, "volume", "met_rate", "n", "n_met", "nps_met", "n_not_met", "nps_not_met"]
        fields += ["swing", "swing_low", "swing_high", "swing_p", "ltr_slope", "ltr_slope_low", "ltr_slope_high"]
        fields += ["at_stake", "action", "answers_needed"]
        out = {
            "scope": scope_dict(scope),
            "met_rule": rule.describe(),
            "action_rule": moments.ActionRule().describe(),
            "moments": records(table[fields]),
            "note": note or split_note,
        }
        print_json(out)
        return EXIT_OK
    print(f"scope: {scope.describe()}")
    print(rule.describe())
    if table.empty:
        print(f"\n{note}")
        return EXIT_OK
    print(split_note)
    print("\n" + views.text(table, ["journey_stage", "contact_reason", args.by, *views.MOMENT_SPLIT]))
    return EXIT_OK
