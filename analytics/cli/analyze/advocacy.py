"""``iconic analyze advocacy``: NPS with its interval, by a dimension, and what advocacy is worth."""

from __future__ import annotations

import argparse

from analytics.cli.options import Commands, command
from analytics.cli.output import EXIT_OK, EXIT_USAGE, err, print_json, records
from analytics.cli.scope import nothing_in_scope, open_scope, scope_dict


def register(analyses: Commands) -> None:
    with command(analyses, "advocacy", _analyze_advocacy, scope=True) as p:
        p.add_argument(
            "--by",
            default="segment",
            help="segment, region, plan, tenure_band, behaviour_segment (after `analyze segments --save`), "
            "channel, handled_by, journey_stage or contact_reason",
        )
        p.add_argument(
            "--responses",
            choices=["relationship", "transactional"],
            help="which responses count (default: relationship; transactional for contact dimensions)",
        )
        p.add_argument(
            "--weighted",
            action="store_true",
            help="also show NPS weighted to everyone invited, and response rates (needs the invitations table)",
        )


def _analyze_advocacy(args: argparse.Namespace) -> int:
    """NPS with its 95% interval, by a dimension, with Holm-adjusted tests

    Headline NPS (adjusted Wald interval, Rocks 2016) and NPS per group of a dimension, each group tested against
    the rest with Holm-adjusted p-values.
    """
    from analytics.analyses import advocacy, nonresponse
    from analytics.analyses import headlines as headline
    from analytics.data import filters, periods
    from analytics.report import narrative, views
    from analytics.report.columns import spec

    wh, scope = open_scope(args)
    if args.weighted and not nonresponse.available(wh):
        err("error: --weighted needs survey invitations, and this warehouse has none; `iconic ingest invitations FILE`")
        return EXIT_USAGE
    try:
        kind = advocacy.responses_for(wh, args.by, args.responses)
        groups = advocacy.nps_by(wh, scope, by=args.by, kind=kind)
        weighted = nonresponse.weighted_nps_by(wh, scope, by=args.by, kind=kind) if args.weighted else None
        rates = nonresponse.response_rates(wh, scope, by=args.by, kind=kind) if args.weighted else None
    except ValueError as exc:
        err(f"error: {exc}")
        return EXIT_USAGE
    overall = advocacy.nps(wh, scope, kind=kind)
    headlines = {
        "relationship": headline.relationship_nps(wh, scope),
        "transactional": headline.post_contact_nps(wh, scope),
    }
    span = periods.scope_period(wh, scope)
    period = span.to_dict() if span else None
    words = advocacy.RESPONSE_WORDS[kind]
    note = nothing_in_scope(f"{words} responses", filters.emptied_by(wh, scope, kind=kind)) if overall.n == 0 else ""
    grid = advocacy.value_advocacy_grid(wh, scope)
    economics = advocacy.advocacy_economics(wh, scope)
    if args.json:
        fields = ["group", "n", "promoters", "passives", "detractors", "score", "low", "high", "design_effect"]
        fields += ["effective_n", "diff", "diff_low", "diff_high", "test", "p_value", "p_adjusted", "significant"]
        fields += ["small_n"]
        out = {
            "scope": scope_dict(scope),
            "headline": {k: h.to_dict() for k, h in headlines.items()},
            "nps": {**overall.to_dict(), "responses": kind, "period": period},
            "by": args.by,
            "groups": [{**g, "responses": kind, "period": period} for g in records(groups[fields])],
            "churn": {
                "measure": f"churn events per {advocacy.CHURN_PER} customer-months at risk, by the state each "
                "customer was in (their latest relationship answer so far, or no answer yet); exact Poisson intervals",
                "by_advocacy": records(economics),
                "value_advocacy": records(grid),
            },
            "note": note,
        }
        if weighted is not None and rates is not None:
            out["weighted"] = {
                "cells": list(nonresponse.WEIGHT_CELLS[kind]),
                "groups": records(weighted),
                "response_rates": records(rates),
            }
        print_json(out)
        return EXIT_OK
    print(f"scope: {scope.describe()}")
    for h in headlines.values():
        print(narrative.headline_sentence(h))
    quarterly = advocacy.nps_trend(wh, scope, kind="relationship", period="quarter")
    print(narrative.trend_sentence(advocacy.long_run(quarterly, kind="relationship", period="quarter")))
    monthly = advocacy.nps_trend(wh, scope, kind="transactional", period="month")
    print(narrative.trend_sentence(advocacy.long_run(monthly, kind="transactional", period="month")))
    where = f", {period['label']}" if period else ""
    if overall.n == 0:
        print(f"\n{note}")
        return EXIT_OK
    by = spec(args.by).label.lower()
    print(f"\nNPS by {by} ({words} responses{where}; each group against the rest, Holm-adjusted at 5%):")
    columns = list(views.NPS_BY)
    if kind == "transactional":
        columns.insert(2, "effective_n")
    print(views.text(groups, columns, group=args.by))
    if weighted is not None and rates is not None and not weighted.empty:
        cells = " and ".join(spec(c).label.lower() for c in nonresponse.WEIGHT_CELLS[kind])
        print(f"\nWeighted to everyone invited (each answer counts for the invitations of its {cells}):")
        print(views.text(weighted, views.WEIGHTED_NPS_BY, group=args.by))
        print(f"\nResponse rates by {by}:")
        print(views.text(rates, views.RESPONSE_RATES, group=args.by))
    if not economics.empty:
        for sentence in narrative.value_sentences(grid, economics):
            print("\n" + sentence)
        print(f"\nChurn per {advocacy.CHURN_PER} customer-months at risk, by what the customer last said:")
        print(views.text(economics, views.ADVOCACY_ECONOMICS))
        print("\nValue x advocacy:")
        print(views.text(grid, views.VALUE_ADVOCACY))
        if (grid["action"] == "").all():
            print("No value x advocacy cell churns significantly differently from the rest of its tier.")
    return EXIT_OK
