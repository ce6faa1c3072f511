"""``iconic analyze impact``: the value case, the lifetime value kept by fixing each moment of truth."""

from __future__ import annotations

import argparse

from analytics.cli.analyze.moments import PRIORITY_FIELDS
from analytics.cli.analyze.value import money_options
from analytics.cli.options import Commands, bootstrap_option, command
from analytics.cli.output import EXIT_OK, print_json, progress, records
from analytics.cli.scope import open_scope, scope_dict


def register(analyses: Commands) -> None:
    with command(analyses, "impact", _analyze_impact, scope=True) as p:
        p.add_argument(
            "--moment", type=_moment_arg, metavar="STAGE:REASON", help="only this moment, e.g. pay:billing_dispute"
        )
        p.add_argument(
            "--improve",
            type=float,
            default=1.0,
            metavar="FRACTION",
            help="share of not-met contacts the fix turns into met ones (default 1: fixed fully)",
        )
        p.add_argument(
            "--cost", type=float, metavar="AMOUNT", help="one-off cost of the fix: gives net value and payback"
        )
        money_options(p)
        p.add_argument("--confidence", type=float, default=0.90, metavar="C", help="interval level (default 0.90)")
        bootstrap_option(p, "bootstrap resamples (default %(default)s)")


def _moment_arg(text: str) -> tuple[str, str]:
    stage, sep, reason = text.partition(":")
    if not sep or not stage.strip() or not reason.strip():
        raise argparse.ArgumentTypeError(f"a moment is STAGE:REASON, e.g. pay:billing_dispute, not {text!r}")
    return stage.strip(), reason.strip()


def _analyze_impact(args: argparse.Namespace) -> int:
    """the value case: lifetime value kept by fixing each moment of truth, by segment

    For each moment (journey stage x contact reason): how much a contact that did not meet expectations lowers the
    customer's next relationship answer (compared with met contacts of customers in the same segment and plan), how
    much that raises churn (a Cox model, corrected for the noise in one answer), and the discounted margin a fix
    would keep for a year of contacts, with bootstrap intervals over customers. Observational: see the assumptions
    printed with the result.
    """
    from analytics.analyses import impact, priorities, value
    from analytics.errors import UsageError
    from analytics.report import views
    from analytics.report.columns import IMPACT_ALIASES

    wh, scope = open_scope(args)
    try:
        assumptions = impact.ImpactAssumptions(
            improve=args.improve,
            cost=args.cost,
            confidence=args.confidence,
            bootstrap=args.bootstrap,
            value=value.ValueAssumptions(
                margin_rate=args.margin_rate, annual_discount=args.discount, horizon_months=args.horizon
            ),
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if args.moment is not None:
        known = impact.known_moments(wh)
        if args.moment not in known:
            examples = ", ".join(f"{s}:{r}" for s, r in known[:5])
            raise UsageError(
                f"there is no moment {args.moment[0]}:{args.moment[1]} in the interactions; they include {examples}"
            )
    say = None if args.json else progress()
    plist = None
    if args.moment is None:
        # The whole case is ranked as every surface ranks it: by the priority list.
        plist = priorities.priority_list(wh, scope, assumptions=assumptions, progress=say)
        case = plist.case if plist.case is not None else impact.value_case(wh, scope, assumptions=assumptions)
    else:
        case = impact.value_case(wh, scope, assumptions=assumptions, moment=args.moment, progress=say)
    ranked = plist.valued() if plist is not None and plist.case is not None else case.moments
    if args.json:
        out = {
            "scope": scope_dict(scope),
            "ranking": plist.ranking if plist is not None else None,
            "impacts": records(case.impacts[list(impact.IMPACT_COLUMNS)]),
            "moments": records(ranked),
            "priorities": [{k: r[k] for k in PRIORITY_FIELDS} for r in plist.records()] if plist is not None else None,
            "attitude_link": case.link.to_dict() if case.link else None,
            "months_of_contacts": case.months,
            "assumptions": case.statements(),
            "settings": {
                "improve": assumptions.improve,
                "cost": assumptions.cost,
                "confidence": assumptions.confidence,
                "bootstrap": assumptions.bootstrap,
                **assumptions.value.to_dict(),
            },
        }
        print_json(out)
        return EXIT_OK
    print(f"scope: {scope.describe()}")
    if case.empty:
        print("\nNo value case in this scope: " + "; ".join(case.notes))
        return EXIT_OK
    if plist is not None:
        print(plist.ranking)
    columns = [c for c in views.VALUE_CASE if plist is not None or c not in ("rank", "action", "money")]
    if assumptions.cost is not None:
        columns += ["net_value", "payback_months"]
    print("\n" + views.text(ranked, columns, aliases=IMPACT_ALIASES))
    if args.moment is not None:
        print("\nBy segment:\n" + views.text(case.impacts, views.VALUE_CASE_BY_SEGMENT))
    print("\nAssumptions:")
    for line in case.statements():
        print(f"  - {line}")
    return EXIT_OK
