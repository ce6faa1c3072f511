"""``iconic analyze value``: lifetime value, customer equity and value at risk."""

from __future__ import annotations

import argparse

from analytics.analyses.value import DIMENSIONS
from analytics.cli.options import Commands, at_least, bootstrap_option, command
from analytics.cli.output import EXIT_OK, print_json, records
from analytics.cli.scope import day, open_scope, scope_dict


def register(analyses: Commands) -> None:
    with command(analyses, "value", _analyze_value, scope=True) as p:
        p.add_argument("--by", choices=DIMENSIONS, default="segment", help="group by (default segment)")
        money_options(p)
        p.add_argument(
            "--tail", choices=["weibull", "sbg"], default="weibull", help="survival past the data (default weibull)"
        )
        p.add_argument(
            "--as-of",
            type=day,
            metavar="YYYY-MM-DD",
            help="value customers as of this day (default: the end of the latest complete quarter in scope, as the headlines are)",
        )
        bootstrap_option(p, "bootstrap replicates (default %(default)s)")


def _analyze_value(args: argparse.Namespace) -> int:
    """lifetime value, customer equity and value at risk by segment

    A new customer's discounted margin over the horizon from their group's survival curve, the residual value of
    active customers (customer equity) and the margin expected to be lost to churn in the next 12 months, with
    bootstrap 95% intervals. Survival past the last tenure with 50 customers at risk follows a stated parametric
    tail, and such figures are flagged as extrapolated.
    """
    from analytics import names
    from analytics.analyses import headlines, value
    from analytics.errors import UsageError
    from analytics.report import kpis, views
    from analytics.report.columns import SURVIVAL_ALIASES

    wh, scope = open_scope(args)
    try:
        assumptions = value.ValueAssumptions(
            margin_rate=args.margin_rate, annual_discount=args.discount, horizon_months=args.horizon, tail=args.tail
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    # Every surface labels one figure "Customer equity": the headline's, as at the end of the reporting
    # period, unless a day is asked for. The rows are valued as at the same day.
    if args.as_of is None:
        total = headlines.equity(wh, scope, assumptions=assumptions).now
    else:
        total = value.scope_value(wh, scope, assumptions=assumptions, as_of=args.as_of, bootstrap=args.bootstrap)
    table = value.customer_value(
        wh, scope, by=args.by, assumptions=assumptions, as_of=total.as_of or args.as_of, bootstrap=args.bootstrap
    )
    if args.json:
        out = {
            "scope": scope_dict(scope),
            "assumptions": assumptions.to_dict(),
            "as_of": total.as_of.isoformat() if total.as_of else None,
            "groups": records(table),
            "total": total.to_dict(),
            "headline": [k.to_dict() for k in kpis.equity_kpis(headlines.Equity(total, None))],
        }
        print_json(out)
        return EXIT_OK
    print(f"scope: {scope.describe()}")
    print(assumptions.describe())
    if table.empty:
        print("\nNo customers in this scope.")
        return EXIT_OK

    print(f"Valued as at {total.as_of}." if total.as_of else "")
    print("\n" + views.text(table, views.CUSTOMER_VALUE, group=args.by, aliases=SURVIVAL_ALIASES))
    for k in kpis.equity_kpis(headlines.Equity(total, None)):
        print(f"\n{k.label} ({k.period}): {k.value} (95% CI {k.interval})", end="")
    print("\n(each segment valued on its own survival curve and summed, as every headline is)")
    if args.by != value.HEADLINE_BY:
        rows = value.totals(table)
        print(
            f"The rows above, each {args.by} on its own curve, sum to {kpis.figure('money', rows['equity'])} of equity "
            f"and {kpis.figure('money', rows['value_at_risk'])} at risk."
        )
    for group, tail, share in zip(table["group"], table["tail"], table["tail_share"], strict=True):
        print(f"  {names.name(group)}: {tail}; {share:.0%} of its equity comes from the tail")
    return EXIT_OK


def money_options(p: argparse.ArgumentParser) -> None:
    """The money side of lifetime value, shared by `analyze value` and `analyze impact`."""
    p.add_argument(
        "--margin-rate", type=float, default=0.30, metavar="R", help="share of revenue that is margin (default 0.30)"
    )
    p.add_argument("--discount", type=float, default=0.10, metavar="R", help="annual discount rate (default 0.10)")
    p.add_argument(
        "--horizon", type=at_least(1), default=60, metavar="MONTHS", help="value horizon in months (default 60)"
    )
