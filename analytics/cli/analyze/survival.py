"""``iconic analyze survival``: how long customers stay."""

from __future__ import annotations

import argparse

from analytics.analyses.survival import DIMENSIONS
from analytics.cli.options import Commands, at_least, bootstrap_option, command
from analytics.cli.output import EXIT_OK, print_json, progress
from analytics.cli.scope import day, open_scope, scope_dict


def register(analyses: Commands) -> None:
    with command(analyses, "survival", _analyze_survival, scope=True) as p:
        p.add_argument("--by", choices=DIMENSIONS, help="split the curves (default: everyone)")
        p.add_argument(
            "--horizon", type=at_least(1), default=36, metavar="MONTHS", help="RMST horizon in months (default 36)"
        )
        p.add_argument(
            "--as-of", type=day, metavar="YYYY-MM-DD", help="censor active customers here (default: the latest event)"
        )
        bootstrap_option(p, "bootstrap replicates for RMST (default %(default)s)")
        p.add_argument("--no-cox", action="store_true", help="skip the Cox model")


def _analyze_survival(args: argparse.Namespace) -> int:
    """how long customers stay: Kaplan-Meier by a dimension, RMST, log-rank and the Cox model

    Kaplan-Meier survival by a dimension with 95% bands, median tenure (or 'not reached'), restricted mean survival
    time to the horizon with a bootstrap interval, the log-rank test with Holm-adjusted pairs, and the Cox model of
    churn (hazard ratios, concordance, proportional-hazards check). Customers already there when the data begin
    count from then (left truncation). Works on a warehouse that holds only customers.
    """
    from analytics.analyses import survival
    from analytics.report import views
    from analytics.report.columns import COX_ALIASES, SURVIVAL_ALIASES, fmt

    wh, scope = open_scope(args)
    say = progress()
    say("Kaplan-Meier" + (f" by {args.by}" if args.by else ""))
    report = survival.survival_report(
        wh, scope, by=args.by, horizon=args.horizon, as_of=args.as_of, bootstrap=args.bootstrap
    )
    cox = None
    if not args.no_cox and not report.is_empty:
        say("Cox model")
        cox = survival.hazard_ratios(wh, scope, as_of=args.as_of)
    if args.json:
        out = {
            "scope": scope_dict(scope),
            "window": report.window.to_dict() if report.window else None,
            "by": args.by,
            "horizon": args.horizon,
            "note": report.note,
            "groups": survival.group_records(report, months=args.horizon),
            "logrank": report.logrank.to_dict() if report.logrank else None,
            "cox": cox.to_dict() if cox else None,
        }
        print_json(out)
        return EXIT_OK
    print(f"scope: {scope.describe()}")
    if report.window:
        print(report.window.describe())
    if report.is_empty:
        print("\nNo customers in this scope.")
        return EXIT_OK
    print(report.note)
    by = args.by
    print("\n" + views.text(report.summary, views.SURVIVAL, group=by, aliases=SURVIVAL_ALIASES))
    if report.logrank is not None:
        lr = report.logrank
        print(f"\nLog-rank test: chi-square {lr.statistic:.1f} on {lr.df} df, p = {fmt('p_value', lr.p_value)}")
    if cox is not None and not cox.hazard_ratios.empty:
        print(f"\nCox model: {cox.customers:,} customers, {cox.events:,} churns, concordance {cox.concordance:.3f}")
        print(views.text(cox.hazard_ratios, views.HAZARD_RATIOS, aliases=COX_ALIASES))
        if cox.note:
            print(cox.note)
        if cox.warning:
            print("\nwarning: " + cox.warning)
    return EXIT_OK
