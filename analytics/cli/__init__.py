"""The ``iconic`` command: bring data in, check it, see what the warehouse holds, serve the dashboard.

Exit codes: 0 done (including a re-ingest that had nothing to do), 1 a batch was rejected, stored
data fails its checks, or something unexpected went wrong, 2 a usage or environment problem (a file,
mapping, setting or warehouse that cannot be used). ``main`` is the one boundary where failures
become one line each; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from analytics import config
from analytics.data import schema
from analytics.errors import IconicError

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
# survival.DIMENSIONS and value.DIMENSIONS, spelled out so that `iconic --help` does not import lifelines
# (tests/test_survival_cli.py checks they agree).
SURVIVAL_DIMENSIONS = ["segment", "region", "plan", "nps_category", "behaviour_segment"]
VALUE_DIMENSIONS = ["segment", "region", "plan", "behaviour_segment"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        code: int = args.run(args)
        return code
    except KeyboardInterrupt:
        _err("interrupted; nothing partial was committed")
        return 130
    except BrokenPipeError:
        raise  # the reader left (`| head`); `run` ends quietly
    except Exception as exc:
        if args.debug:
            raise
        message, code = _failure(exc)
        _err(f"error: {message}")
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


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="iconic",
        description="Iconic: customer-experience analytics over a validated Delta warehouse.",
    )
    p.add_argument("--debug", action="store_true", help="show the traceback of an unexpected error")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def scope_args(sp: argparse.ArgumentParser) -> None:
        g = sp.add_argument_group(
            "scope", "the dashboard's global filters; repeat --segment, --region or --channel to keep several"
        )
        g.add_argument("--start", type=_day, metavar="YYYY-MM-DD", help="first day in scope (inclusive)")
        g.add_argument("--end", type=_day, metavar="YYYY-MM-DD", help="last day in scope (inclusive)")
        g.add_argument("--segment", action="append", default=[], metavar="NAME", help="keep this customer segment")
        g.add_argument("--region", action="append", default=[], metavar="NAME", help="keep this region")
        g.add_argument("--channel", action="append", default=[], metavar="NAME", help="keep this contact channel")

    def warehouse_arg(sp: argparse.ArgumentParser, *, reads: bool = True) -> None:
        # Also accepted after the command (`iconic status --debug`); SUPPRESS keeps the global value.
        sp.add_argument(
            "--debug", action="store_true", default=argparse.SUPPRESS, help="show the traceback of an unexpected error"
        )
        sp.add_argument(
            "--warehouse",
            metavar="PATH",
            help=f"warehouse folder (default: $ICONIC_WAREHOUSE or {config.DEFAULT_WAREHOUSE})",
        )
        if reads:  # writes (ingest, demo) always run on this machine, through delta-rs
            sp.add_argument(
                "--engine",
                choices=config.ENGINES,
                help=f"engine that reads the warehouse (default: $ICONIC_ENGINE or {config.DEFAULT_ENGINE}); "
                "spark runs on $ICONIC_SPARK_MASTER, else local[*]",
            )

    sp = sub.add_parser(
        "ingest",
        help="validate a CSV/Parquet file and commit it to a table",
        description="Read a CSV (optionally .gz) or Parquet file, map it to a canonical table, validate it "
        "with the table's expectation suite and commit it in one transaction. Bad rows go to "
        "quarantine_<table>; if too many fail, nothing is written.",
    )
    sp.add_argument("table", choices=list(schema.TABLES), help="canonical table to load into")
    sp.add_argument("file", help="CSV, CSV.gz or Parquet file")
    sp.add_argument("--mapping", metavar="MAP.yaml", help="column renames, code recodes, date formats, CSV options")
    sp.add_argument(
        "--max-quarantine-share",
        type=float,
        metavar="SHARE",
        help=f"reject the batch if more than this share of rows fail (default {config.DEFAULT_MAX_QUARANTINE_SHARE})",
    )
    sp.add_argument("--json", action="store_true", help="print the result as JSON")
    warehouse_arg(sp, reads=False)
    sp.set_defaults(run=_ingest)

    sp = sub.add_parser("status", help="tables, row counts, versions and the last ingests")
    sp.add_argument("--json", action="store_true", help="print as JSON")
    sp.add_argument(
        "--last", type=_at_least(0), default=5, metavar="N", help="how many recent ingests to show (default 5)"
    )
    warehouse_arg(sp)
    sp.set_defaults(run=_status)

    sp = sub.add_parser(
        "quality", help="re-validate what is stored: keys, references between tables, the expectation suites"
    )
    sp.add_argument("--table", choices=list(schema.TABLES), help="only this table (default: all stored tables)")
    sp.add_argument("--json", action="store_true", help="print as JSON")
    warehouse_arg(sp)
    sp.set_defaults(run=_quality)

    sp = sub.add_parser("app", help="serve the dashboard (http://localhost:8501)")
    sp.add_argument("--port", type=int, default=8501)
    sp.add_argument("--host", default="localhost", help="address to bind (default: localhost only)")
    warehouse_arg(sp)
    sp.set_defaults(run=_app)

    sp = sub.add_parser(
        "warm",
        help="open every dashboard page so its results are ready before people arrive",
        description="Open every page of a running dashboard, as a browser would, and wait until none is still "
        "computing a result in the background: run it after a restart or the nightly ingest "
        "(`iconic ingest ... && iconic warm`), once per server behind a proxy.",
    )
    sp.add_argument("--url", default="http://127.0.0.1:8501", help="the server (default: http://127.0.0.1:8501)")
    sp.add_argument(
        "--query",
        action="append",
        default=None,
        metavar="QUERY",
        help="a scope to warm as the page's URL query, e.g. channel=voice (repeatable; default: all data)",
    )
    sp.add_argument("--deadline", type=float, default=3600.0, help="seconds to wait at most (default 3600)")
    sp.set_defaults(run=_warm)

    sp = sub.add_parser("analyze", help="run an analysis and print its numbers")
    analyses = sp.add_subparsers(dest="analysis", metavar="ANALYSIS", required=True)
    ap = analyses.add_parser(
        "advocacy",
        help="NPS with its 95%% interval, by a dimension, with Holm-adjusted tests",
        description="Headline NPS (adjusted Wald interval, Rocks 2016) and NPS per group of a dimension, "
        "each group tested against the rest with Holm-adjusted p-values.",
    )
    ap.add_argument(
        "--by",
        default="segment",
        help="segment, region, plan, tenure_band, behaviour_segment (after `analyze segments --save`), "
        "channel, handled_by, journey_stage or contact_reason",
    )
    ap.add_argument(
        "--responses",
        choices=["relationship", "transactional"],
        help="which responses count (default: relationship; transactional for contact dimensions)",
    )
    ap.add_argument(
        "--weighted",
        action="store_true",
        help="also show NPS weighted to everyone invited, and response rates (needs the invitations table)",
    )
    ap.add_argument("--json", action="store_true", help="print as JSON")
    scope_args(ap)
    warehouse_arg(ap)
    ap.set_defaults(run=_analyze_advocacy)
    sg = analyses.add_parser(
        "segments",
        help="cluster customers into behavioural segments and profile them",
        description="Clusters customers on how they get in touch (voice, chat, email and web shares, contacts "
        "per month) and what they are worth (revenue), then profiles each segment's NPS from those who "
        "answered. --method kmeans picks k by silhouette over 3-7, --method gmm (a Gaussian mixture with "
        "soft memberships) by BIC, unless --k is given. Reports silhouette and bootstrap stability. --save "
        "stores the assignments so `analyze advocacy --by behaviour_segment` and the dashboard can use them.",
    )
    sg.add_argument(
        "--method", choices=["kmeans", "gmm"], default="kmeans", help="k-means (default) or a Gaussian mixture"
    )
    sg.add_argument(
        "--k", type=int, metavar="K", help="fixed number of segments (default: silhouette for kmeans, BIC for gmm)"
    )
    sg.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")
    sg.add_argument("--save", action="store_true", help="save the assignments to the warehouse")
    sg.add_argument("--json", action="store_true", help="print as JSON")
    scope_args(sg)
    warehouse_arg(sg)
    sg.set_defaults(run=_analyze_segments)
    mo = analyses.add_parser(
        "moments",
        help="the priority list of moments of truth: action, swing, money and rank",
        description="The priority list: one row per journey stage x contact reason, in the order to act on them, "
        "with the share of contacts that met expectations (resolved, waited no longer than the channel's target, "
        "at most one transfer), the swing in NPS between met and missed contacts with a customer-clustered 95% "
        "interval, net promoters at stake, the value case's margin kept a year with its interval, and the action "
        "(Fix, Delight, Maintain, Unclear, Right-size). With --by, the map split by channel or handler, unranked "
        "and without money.",
    )
    mo.add_argument("--by", choices=["channel", "handled_by"], help="split each moment by channel or handler")
    mo.add_argument("--any-wait", action="store_true", help="leave waiting time out of the met rule")
    mo.add_argument(
        "--max-transfers", type=int, default=1, metavar="N", help="transfers a met contact may have (default 1)"
    )
    mo.add_argument(
        "--without-value-case",
        action="store_true",
        help="rank without the value case's money (faster at scale; the ranking then says so)",
    )
    mo.add_argument("--json", action="store_true", help="print as JSON")
    scope_args(mo)
    warehouse_arg(mo)
    mo.set_defaults(run=_analyze_moments)
    dr = analyses.add_parser(
        "drivers",
        help="which attribute ratings drive LTR, CSAT or effort after a contact (relative importance)",
        description="Relative importance of the attribute ratings for an outcome among post-contact responses: "
        "the exact LMG (Shapley) decomposition of R² or Johnson's relative weights, with 95% intervals from a "
        "bootstrap that resamples customers; performance (mean, top-2-box), the tactile vs emotive split of the "
        "explained variance, and an action per driver (Fix, Delight, Maintain, Right-size).",
    )
    dr.add_argument("--outcome", choices=["ltr", "csat", "effort"], default="ltr", help="what to explain (default ltr)")
    dr.add_argument(
        "--moment",
        metavar="STAGE:REASON",
        help="only contacts at this journey stage and contact reason, e.g. pay:billing_dispute ('*' for any)",
    )
    dr.add_argument("--method", choices=["lmg", "johnson"], default="lmg", help="default lmg (exact up to 15 drivers)")
    dr.add_argument(
        "--missing",
        choices=["listwise", "pairwise"],
        default="listwise",
        help="how missing ratings count (default listwise)",
    )
    dr.add_argument(
        "--driver",
        action="append",
        default=[],
        metavar="NAME",
        help="analyse this driver (repeat; default: every rating); contact measures such as wait_seconds, "
        "transfers or is_resolved count as operational drivers",
    )
    dr.add_argument(
        "--bootstrap", type=_at_least(0), default=200, metavar="B", help="bootstrap replicates (default 200; 0: none)"
    )
    dr.add_argument("--seed", type=int, default=0, metavar="S", help="random seed of the bootstrap (default 0)")
    dr.add_argument("--json", action="store_true", help="print as JSON")
    scope_args(dr)
    warehouse_arg(dr)
    dr.set_defaults(run=_analyze_drivers)

    su = analyses.add_parser(
        "survival",
        help="how long customers stay: Kaplan-Meier by a dimension, RMST, log-rank and the Cox model",
        description="Kaplan-Meier survival by a dimension with 95% bands, median tenure (or 'not reached'), "
        "restricted mean survival time to the horizon with a bootstrap interval, the log-rank test with "
        "Holm-adjusted pairs, and the Cox model of churn (hazard ratios, concordance, proportional-hazards check). "
        "Customers already there when the data begin count from then (left truncation). Works on a warehouse "
        "that holds only customers.",
    )
    su.add_argument("--by", choices=SURVIVAL_DIMENSIONS, help="split the curves (default: everyone)")
    su.add_argument(
        "--horizon", type=_at_least(1), default=36, metavar="MONTHS", help="RMST horizon in months (default 36)"
    )
    su.add_argument(
        "--as-of", type=_day, metavar="YYYY-MM-DD", help="censor active customers here (default: the latest event)"
    )
    su.add_argument(
        "--bootstrap", type=_at_least(0), default=200, metavar="B", help="bootstrap replicates for RMST (default 200)"
    )
    su.add_argument("--no-cox", action="store_true", help="skip the Cox model")
    su.add_argument("--json", action="store_true", help="print as JSON")
    scope_args(su)
    warehouse_arg(su)
    su.set_defaults(run=_analyze_survival)
    va = analyses.add_parser(
        "value",
        help="lifetime value, customer equity and value at risk by segment",
        description="A new customer's discounted margin over the horizon from their group's survival curve, "
        "the residual value of active customers (customer equity) and the margin expected to be lost to churn "
        "in the next 12 months, with bootstrap 95% intervals. Survival past the last tenure with 50 customers at risk "
        "follows a stated parametric tail, and such figures are flagged as extrapolated.",
    )
    va.add_argument("--by", choices=VALUE_DIMENSIONS, default="segment", help="group by (default segment)")
    money_args(va)
    va.add_argument(
        "--tail", choices=["weibull", "sbg"], default="weibull", help="survival past the data (default weibull)"
    )
    va.add_argument(
        "--as-of",
        type=_day,
        metavar="YYYY-MM-DD",
        help="value customers as of this day (default: the end of the latest complete quarter in scope, as the headlines are)",
    )
    va.add_argument(
        "--bootstrap", type=_at_least(0), default=200, metavar="B", help="bootstrap replicates (default 200)"
    )
    va.add_argument("--json", action="store_true", help="print as JSON")
    scope_args(va)
    warehouse_arg(va)
    va.set_defaults(run=_analyze_value)
    im = analyses.add_parser(
        "impact",
        help="the value case: lifetime value kept by fixing each moment of truth, by segment",
        description="For each moment (journey stage x contact reason): how much a contact that did not meet "
        "expectations lowers the customer's next relationship answer (compared with met contacts of customers "
        "in the same segment and plan), how much that raises churn (a Cox model, corrected for the noise in one "
        "answer), and the discounted margin a fix would keep for a year of contacts, with bootstrap intervals "
        "over customers. Observational: see the assumptions printed with the result.",
    )
    im.add_argument(
        "--moment", type=_moment_arg, metavar="STAGE:REASON", help="only this moment, e.g. pay:billing_dispute"
    )
    im.add_argument(
        "--improve",
        type=float,
        default=1.0,
        metavar="FRACTION",
        help="share of not-met contacts the fix turns into met ones (default 1: fixed fully)",
    )
    im.add_argument("--cost", type=float, metavar="AMOUNT", help="one-off cost of the fix: gives net value and payback")
    money_args(im)
    im.add_argument("--confidence", type=float, default=0.90, metavar="C", help="interval level (default 0.90)")
    im.add_argument(
        "--bootstrap", type=_at_least(0), default=200, metavar="B", help="bootstrap resamples (default 200)"
    )
    im.add_argument("--json", action="store_true", help="print as JSON")
    scope_args(im)
    warehouse_arg(im)
    im.set_defaults(run=_analyze_impact)
    bm = analyses.add_parser(
        "benchmarks",
        help="iconic-firm benchmarks: the self-assessment against published profiles, stances, partners, ramp-up",
        description="The self-assessment against the iconic, all-respondent and poor-performer profiles (published "
        "figures with their sources) and the distance to iconic; the stance each journey stage shows "
        "(satisfaction-led, efficiency-led, both or neither) against what the self-assessment says; every handler "
        "against a common standard; and the first weeks of each partner that went live inside the scope.",
    )
    defaults = _standard_defaults()
    for flag, target, metavar, words in STANDARD_OPTIONS:
        bm.add_argument(
            flag, type=float, default=getattr(defaults, target), metavar=metavar, help=f"{words} (default %(default)s)"
        )
    bm.add_argument(
        "--in-house",
        default=defaults.in_house,
        metavar="NAME",
        help="the in-house team's handled_by (default %(default)s)",
    )
    bm.add_argument(
        "--kpi",
        choices=["fcr", "csat", "asa_seconds", "escalation_rate"],
        default="fcr",
        help="what a new partner's ramp-up is judged on (default fcr)",
    )
    bm.add_argument("--json", action="store_true", help="print as JSON")
    scope_args(bm)
    warehouse_arg(bm)
    bm.set_defaults(run=_analyze_benchmarks)

    sp = sub.add_parser(
        "brief",
        help="write the executive PDF brief (2-5 pages) for a scope",
        description="A PDF for leadership: data freshness and quality, the headline numbers with their change "
        "against the previous period and 95% intervals, the top moments of truth to act on, charts, and methods "
        "and sources. It covers the latest complete quarter in scope against the one before, or --period.",
    )
    sp.add_argument("--out", required=True, metavar="FILE.pdf", help="where to write the PDF")
    sp.add_argument(
        "--period",
        metavar="PERIOD",
        help="the quarter (2025-Q3) or month (2025-07) to report on (default: the latest complete quarter in scope); "
        "not with --start/--end",
    )
    sp.add_argument("--title", metavar="TEXT", help="the brief's title (default: Customer experience brief)")
    sp.add_argument("--paper", choices=["a4", "letter"], default="a4", help="paper size (default a4)")
    sp.add_argument(
        "--without-value-case",
        action="store_true",
        help="leave the value case's money at stake out of the top actions (it is the slowest part at scale)",
    )
    sp.add_argument("--json", action="store_true", help="print the headline numbers as JSON")
    scope_args(sp)
    warehouse_arg(sp)
    sp.set_defaults(run=_brief)

    sp = sub.add_parser("demo", help="generate demo data and ingest it through the validated path")
    sp.add_argument("--customers", type=_at_least(100), default=20_000, metavar="N", help="at least 100")
    sp.add_argument("--months", type=_at_least(12), default=36, metavar="M", help="at least 12")
    sp.add_argument("--seed", type=int, default=7, metavar="S")
    sp.add_argument("--force", action="store_true", help="rebuild even if the warehouse already exists")
    warehouse_arg(sp, reads=False)
    sp.set_defaults(run=_demo)
    return p


# --- commands --------------------------------------------------------------------------------------


def _ingest(args: argparse.Namespace) -> int:
    from analytics.data.ingest import ingest

    result = ingest(
        args.table,
        args.file,
        warehouse_path=args.warehouse,
        mapping=args.mapping,
        max_quarantine_share=args.max_quarantine_share,
        progress=None if args.json else _progress(),
    )
    if args.json:
        print(json.dumps(result.to_dict(), indent=2, default=str))
    else:
        print(result.message if result.ok else f"rejected: {result.message}")
        for check in result.failed_checks:
            if check.message == result.message:
                continue
            column = f" [{check.column}]" if check.column else ""
            print(f"  - {check.rule}{column}: {check.message}")
    return EXIT_OK if result.ok else EXIT_FAILED


def _status(args: argparse.Namespace) -> int:
    from analytics.data import catalog, warehouse
    from analytics.report import views

    wh = warehouse.open(args.warehouse, engine=args.engine)
    summary = catalog.table_summary(wh)
    history = catalog.ingest_history(wh, limit=args.last)
    if args.json:
        print(
            json.dumps(
                {
                    "warehouse": str(wh.root),
                    "data_version": wh.data_version,
                    "tables": _records(summary),
                    "last_ingests": _records(history.drop(columns=["message"])),
                },
                indent=2,
                default=str,
            )
        )
        return EXIT_OK
    print(f"warehouse {wh.root}  (data version {wh.data_version})\n")
    print(views.text(summary, ["table", "rows", "version", "updated_at", "latest_event_at"]))
    print("\nLast ingests:")
    if history.empty:
        print("  none yet")
    else:
        print(views.text(history, views.INGEST_HISTORY))
    return EXIT_OK


def _quality(args: argparse.Namespace) -> int:
    from analytics.data import quality, warehouse

    wh = warehouse.open(args.warehouse, engine=args.engine)
    tables = [args.table] if args.table else [t for t in schema.TABLES if wh.has(t)]
    if not tables or (args.table and not wh.has(args.table)):
        what = f"no {args.table} table" if args.table else "nothing"
        message = f"{what} is stored in {wh.root} yet: ingest a file first (`iconic ingest TABLE FILE`)"
        print(json.dumps({}) if args.json else message)
        return EXIT_OK
    report: dict[str, Any] = {}
    failed = False
    for table in tables:
        if not args.json:
            _err(f"checking {table} …")
        result = quality.check_stored(wh, table)
        failed = failed or any(not c.success and c.policy != "warn" for c in result.checks)
        report[table] = [c.to_dict() for c in result.checks]
    if args.json:
        print(json.dumps(report, indent=2, default=str))
    else:
        for table, checks in report.items():
            bad = [c for c in checks if not c["success"]]
            print(f"{table}: {len(checks) - len(bad)}/{len(checks)} checks pass")
            for c in bad:
                print(f"  - {'warning: ' if c['policy'] == 'warn' else ''}{c['message']}")
    return EXIT_FAILED if failed else EXIT_OK


def _analyze_advocacy(args: argparse.Namespace) -> int:
    from analytics.analyses import advocacy, nonresponse
    from analytics.analyses import headlines as headline
    from analytics.data import filters, periods
    from analytics.report import narrative, views
    from analytics.report.columns import spec

    wh, scope = _open_scope(args)
    if args.weighted and not nonresponse.available(wh):
        _err(
            "error: --weighted needs survey invitations, and this warehouse has none; `iconic ingest invitations FILE`"
        )
        return EXIT_USAGE
    try:
        kind = advocacy.responses_for(wh, args.by, args.responses)
        groups = advocacy.nps_by(wh, scope, by=args.by, kind=kind)
        weighted = nonresponse.weighted_nps_by(wh, scope, by=args.by, kind=kind) if args.weighted else None
        rates = nonresponse.response_rates(wh, scope, by=args.by, kind=kind) if args.weighted else None
    except ValueError as exc:
        _err(f"error: {exc}")
        return EXIT_USAGE
    overall = advocacy.nps(wh, scope, kind=kind)
    headlines = {
        "relationship": headline.relationship_nps(wh, scope),
        "transactional": headline.post_contact_nps(wh, scope),
    }
    span = periods.scope_period(wh, scope)
    period = span.to_dict() if span else None
    emptied = filters.emptied_by(wh, scope, kind=kind) if overall.n == 0 else None
    note = _no_responses(advocacy.RESPONSE_WORDS[kind], emptied) if overall.n == 0 else ""
    grid = advocacy.value_advocacy_grid(wh, scope)
    economics = advocacy.advocacy_economics(wh, scope)
    if args.json:
        fields = ["group", "n", "promoters", "passives", "detractors", "score", "low", "high", "design_effect"]
        fields += ["effective_n", "diff", "diff_low", "diff_high", "test", "p_value", "p_adjusted", "significant"]
        fields += ["small_n"]
        out = {
            "scope": _scope_dict(scope),
            "headline": {k: h.to_dict() for k, h in headlines.items()},
            "nps": {**overall.to_dict(), "responses": kind, "period": period},
            "by": args.by,
            "groups": [{**g, "responses": kind, "period": period} for g in _records(groups[fields])],
            "churn": {
                "measure": f"churn events per {advocacy.CHURN_PER} customer-months at risk, by the state each "
                "customer was in (their latest relationship answer so far, or no answer yet); exact Poisson intervals",
                "by_advocacy": _records(economics),
                "value_advocacy": _records(grid),
            },
            "note": note,
        }
        if weighted is not None and rates is not None:
            out["weighted"] = {
                "cells": list(nonresponse.WEIGHT_CELLS[kind]),
                "groups": _records(weighted),
                "response_rates": _records(rates),
            }
        print(json.dumps(out, indent=2, default=str))
        return EXIT_OK
    print(f"scope: {scope.describe()}")
    for h in headlines.values():
        print(narrative.headline_sentence(h))
    quarterly = advocacy.nps_trend(wh, scope, kind="relationship", period="quarter")
    print(narrative.trend_sentence(advocacy.long_run(quarterly, kind="relationship", period="quarter")))
    monthly = advocacy.nps_trend(wh, scope, kind="transactional", period="month")
    print(narrative.trend_sentence(advocacy.long_run(monthly, kind="transactional", period="month")))
    words = advocacy.RESPONSE_WORDS[kind]
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


def _no_responses(words: str, emptied: str | None) -> str:
    return f"No {words} responses in this scope" + (f": {emptied} leaves none." if emptied else ".")


#: The priority list's fields in the JSON of ``analyze moments`` and ``analyze impact``.
PRIORITY_FIELDS = (
    "rank", "journey_stage", "contact_reason", "moment", "action", "volume", "met_rate", "n", "n_met", "nps_met",
    "n_not_met", "nps_not_met", "swing", "swing_low", "swing_high", "swing_p", "ltr_slope", "ltr_slope_low",
    "ltr_slope_high", "at_stake", "answers_needed", "value", "value_low", "value_high", "money", "tier", "sentence",
)  # fmt: skip


def _analyze_moments(args: argparse.Namespace) -> int:
    from analytics.analyses import moments, priorities
    from analytics.data import filters

    wh, scope = _open_scope(args)
    if args.max_transfers < 0:
        _err("error: --max-transfers cannot be negative")
        return EXIT_USAGE
    rule = moments.MetRule(max_transfers=args.max_transfers, wait_targets={} if args.any_wait else moments.WAIT_TARGETS)
    actions = moments.ActionRule()
    if args.by is not None:
        return _split_moments(args, wh, scope, rule)
    say = None if args.json or args.without_value_case else _progress()
    if say:
        say("the moment map and the value case's money per moment")
    plist = priorities.priority_list(wh, scope, rule=rule, actions=actions, money=not args.without_value_case)
    table = plist.table
    emptied = filters.emptied_by(wh, scope, rows="interactions") if table.empty else None
    note = ("No contacts in this scope" + (f": {emptied} leaves none." if emptied else ".")) if table.empty else ""
    if args.json:
        out = {
            "scope": _scope_dict(scope),
            "met_rule": rule.describe(),
            "action_rule": actions.describe(),
            "ranking": plist.ranking,
            "value_case": plist.case is not None,
            "priorities": [{k: r[k] for k in PRIORITY_FIELDS} for r in plist.records()],
            "what_to_do": [s.replace("**", "") for s in plist.top(5)["sentence"]] if not table.empty else [],
            "note": note,
        }
        print(json.dumps(out, indent=2, default=str))
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
    from analytics.data import filters
    from analytics.report import views

    table = moments.moment_map(wh, scope, by=args.by, rule=rule)
    emptied = filters.emptied_by(wh, scope, rows="interactions") if table.empty else None
    note = ("No contacts in this scope" + (f": {emptied} leaves none." if emptied else ".")) if table.empty else ""
    split_note = (
        f"Split by {args.by}: not ranked and without money. The priority list (without --by) ranks the moments."
    )
    if args.json:
        fields = [*moments.MOMENT, args.by, "volume", "met_rate", "n", "n_met", "nps_met", "n_not_met", "nps_not_met"]
        fields += ["swing", "swing_low", "swing_high", "swing_p", "ltr_slope", "ltr_slope_low", "ltr_slope_high"]
        fields += ["at_stake", "action", "answers_needed"]
        out = {
            "scope": _scope_dict(scope),
            "met_rule": rule.describe(),
            "action_rule": moments.ActionRule().describe(),
            "moments": _records(table[fields]),
            "note": note or split_note,
        }
        print(json.dumps(out, indent=2, default=str))
        return EXIT_OK
    print(f"scope: {scope.describe()}")
    print(rule.describe())
    if table.empty:
        print(f"\n{note}")
        return EXIT_OK
    print(split_note)
    print("\n" + views.text(table, ["journey_stage", "contact_reason", args.by, *views.MOMENT_SPLIT]))
    return EXIT_OK


def _analyze_survival(args: argparse.Namespace) -> int:
    from analytics.analyses import survival
    from analytics.report import views
    from analytics.report.columns import COX_ALIASES, SURVIVAL_ALIASES, fmt

    wh, scope = _open_scope(args)
    say = _progress()
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
            "scope": _scope_dict(scope),
            "window": report.window.to_dict() if report.window else None,
            "by": args.by,
            "horizon": args.horizon,
            "note": report.note,
            "groups": survival.group_records(report, months=args.horizon),
            "logrank": report.logrank.to_dict() if report.logrank else None,
            "cox": cox.to_dict() if cox else None,
        }
        print(json.dumps(out, indent=2, default=str))
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


def _analyze_value(args: argparse.Namespace) -> int:
    from analytics import names
    from analytics.analyses import headlines, value
    from analytics.errors import UsageError
    from analytics.report import kpis, views
    from analytics.report.columns import SURVIVAL_ALIASES

    wh, scope = _open_scope(args)
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
            "scope": _scope_dict(scope),
            "assumptions": assumptions.to_dict(),
            "as_of": total.as_of.isoformat() if total.as_of else None,
            "groups": _records(table),
            "total": total.to_dict(),
            "headline": [k.to_dict() for k in kpis.equity_kpis(headlines.Equity(total, None))],
        }
        print(json.dumps(out, indent=2, default=str))
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


def money_args(p: argparse.ArgumentParser) -> None:
    """The money side of lifetime value, shared by `analyze value` and `analyze impact`."""
    p.add_argument(
        "--margin-rate", type=float, default=0.30, metavar="R", help="share of revenue that is margin (default 0.30)"
    )
    p.add_argument("--discount", type=float, default=0.10, metavar="R", help="annual discount rate (default 0.10)")
    p.add_argument(
        "--horizon", type=_at_least(1), default=60, metavar="MONTHS", help="value horizon in months (default 60)"
    )


def _moment_arg(text: str) -> tuple[str, str]:
    stage, sep, reason = text.partition(":")
    if not sep or not stage.strip() or not reason.strip():
        raise argparse.ArgumentTypeError(f"a moment is STAGE:REASON, e.g. pay:billing_dispute, not {text!r}")
    return stage.strip(), reason.strip()


def _analyze_impact(args: argparse.Namespace) -> int:
    from analytics.analyses import impact, priorities, value
    from analytics.errors import UsageError
    from analytics.report import views
    from analytics.report.columns import IMPACT_ALIASES

    wh, scope = _open_scope(args)
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
    progress = None if args.json else _progress()
    plist = None
    if args.moment is None:
        # The whole case is ranked as every surface ranks it: by the priority list.
        plist = priorities.priority_list(wh, scope, assumptions=assumptions, progress=progress)
        case = plist.case if plist.case is not None else impact.value_case(wh, scope, assumptions=assumptions)
    else:
        case = impact.value_case(wh, scope, assumptions=assumptions, moment=args.moment, progress=progress)
    ranked = plist.valued() if plist is not None and plist.case is not None else case.moments
    if args.json:
        out = {
            "scope": _scope_dict(scope),
            "ranking": plist.ranking if plist is not None else None,
            "impacts": _records(case.impacts[list(impact.IMPACT_COLUMNS)]),
            "moments": _records(ranked),
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
        print(json.dumps(out, indent=2, default=str))
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


def _analyze_segments(args: argparse.Namespace) -> int:
    from analytics.analyses import segmentation
    from analytics.report import views

    if args.k is not None and args.k < 2:
        _err("error: --k must be at least 2")
        return EXIT_USAGE
    wh, scope = _open_scope(args)
    say = None if args.json else _progress()
    if say:
        say(f"building customer features ({scope.describe()})")
    features = segmentation.customer_features(wh, scope)
    if say:
        say(f"clustering {len(features):,} customers")
    try:
        seg = segmentation.segment_customers(features, method=args.method, k=args.k, random_state=args.seed)
    except ValueError as exc:
        _err(f"error: {exc}")
        return EXIT_USAGE
    if seg.is_empty:
        if args.save:
            _err(f"error: nothing saved: {seg.note}")
            return EXIT_USAGE
        if args.json:
            empty: dict[str, Any] = {
                "scope": _scope_dict(scope),
                "method": seg.method,
                "k": 0,
                "segments": [],
                "note": seg.note,
            }
            print(json.dumps(empty, indent=2))
        else:
            print(seg.note)
        return EXIT_OK
    version = segmentation.save_assignments(wh, seg) if args.save else None
    columns = ["segment", "customers", "share", "revenue_share", "nps", "nps_low", "nps_high", "nps_n", "nps_diff"]
    columns += [*segmentation.DESCRIBED, "membership", "named_for"]
    if args.json:
        out = {
            "scope": _scope_dict(scope),
            "method": seg.method,
            "k": seg.k,
            "silhouette": seg.silhouette,
            "silhouette_by_k": {str(k): v for k, v in seg.silhouette_by_k.items()},
            "bic_by_k": {str(k): v for k, v in seg.bic_by_k.items()},
            "stability": None if math.isnan(seg.stability) else seg.stability,
            "loose": seg.is_loose,
            "structure": seg.structure_note,
            "thin": seg.thin_note,
            "saved_version": version,
            "segments": _records(seg.profiles[columns]),
        }
        print(json.dumps(out, indent=2, default=str))
        return EXIT_OK
    chosen = "fixed" if args.k else "by BIC" if seg.method == "gmm" else "by silhouette"
    scores = ", ".join(f"k={k}: {v:.3f}" for k, v in seg.silhouette_by_k.items())
    print(f"{seg.k} segments of {len(features):,} customers ({seg.method}, k {chosen}; silhouette {scores})")
    print(seg.structure_note)
    if seg.thin_note:
        print(seg.thin_note)
    print()
    shown = [c for c in views.SEGMENTS if c != "named_for"] + (["membership"] if seg.method == "gmm" else [])
    print(views.text(seg.profiles.rename(columns={"segment": "segment_name"}), shown))
    if version is not None:
        print(f"\nsaved to {segmentation.SEGMENT_TABLE} (version {version}); use --by behaviour_segment")
    return EXIT_OK


def _analyze_drivers(args: argparse.Namespace) -> int:
    from analytics import names
    from analytics.analyses import drivers
    from analytics.data import filters
    from analytics.errors import UsageError
    from analytics.report import views
    from analytics.report.columns import fmt_interval

    wh, scope = _open_scope(args)
    moment = _moment(wh, args.moment) if args.moment else None
    try:
        result = drivers.driver_analysis(
            wh,
            scope,
            outcome=args.outcome,
            drivers=args.driver or None,
            moment=moment,
            method=args.method,
            missing=args.missing,
            bootstrap=args.bootstrap,
            random_state=args.seed,
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    note = result.note
    if result.n == 0 and not scope.is_all:
        emptied = filters.emptied_by(wh, scope, kind="transactional")
        if emptied:
            note = f"{note} {emptied[0].upper()}{emptied[1:]} leaves none."
    if args.json:
        out = {"scope": _scope_dict(scope), **result.to_dict(), "note": note}
        fields = ["attribute", "label", "kind", "importance", "low", "high", "share", "share_low", "share_high"]
        fields += ["performance", "top2", "performance_scaled", "n", "action"]
        out["drivers"] = [{k: d[k] for k in fields} for d in out["drivers"]]
        print(json.dumps(out, indent=2, default=str))
        return EXIT_OK
    where = f" at {args.moment}" if moment else ""
    print(f"scope: {scope.describe()}")
    print(
        f"What drives {names.phrase(args.outcome)}{where} (post-contact responses; {result.method.upper()}, "
        f"{result.missing})"
    )
    if result.is_empty:
        print(note)
        return EXIT_OK
    ci = (
        f" (95% CI {result.r2_low:.3f} to {result.r2_high:.3f})"
        if result.r2_low is not None and result.r2_high is not None
        else ""
    )
    print(f"R² {result.r2:.3f}{ci} from {result.n:,} responses by {result.customers:,} customers\n")

    t = result.table.sort_values("share", ascending=False)
    print(views.text(t.rename(columns={"action": "driver_action"}), views.DRIVERS))
    print("\nShare of the explained variance by kind (95% bootstrap intervals, customers resampled):")
    for row in result.split.itertuples(index=False):
        share = fmt_interval("importance_share_ci", row.share, row.share_low, row.share_high)
        print(f"  {names.name(row.kind):<12} {share}")
    if note:
        print(f"\n{note}")
    return EXIT_OK


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


def _analyze_benchmarks(args: argparse.Namespace) -> int:
    from analytics.analyses import benchmarks
    from analytics.data import filters
    from analytics.report import views

    wh, scope = _open_scope(args)
    targets = {target: getattr(args, flag[2:].replace("-", "_")) for flag, target, _, _ in STANDARD_OPTIONS}
    standard = benchmarks.Standard(**targets, in_house=args.in_house)
    result = benchmarks.report(wh, scope, standard=standard, kpi=args.kpi)
    emptied = filters.emptied_by(wh, scope, rows="interactions") if result.stages.empty else None
    note = (
        ("No contacts in this scope" + (f": {emptied} leaves none." if emptied else ".")) if result.stages.empty else ""
    )
    if args.json:
        print(json.dumps({"scope": _scope_dict(scope), **result.to_dict(), "note": note}, indent=2, default=str))
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


def _moment(wh: Any, text: str) -> tuple[str | None, str | None]:
    """``STAGE:REASON`` as a moment; ``*`` or nothing on a side means any. A stage or reason the
    warehouse has never seen is refused, naming those it has."""
    from analytics.errors import UsageError

    stage, sep, reason = text.partition(":")
    if not sep:
        raise UsageError(f"--moment {text!r} is not STAGE:REASON, e.g. pay:billing_dispute")
    contacts = wh.table("interactions")
    picked: list[str | None] = []
    for option, value, column in (("stage", stage, "journey_stage"), ("reason", reason, "contact_reason")):
        value = value.strip()
        if value in ("", "*"):
            picked.append(None)
            continue
        known = sorted(map(str, contacts.select(column).distinct().execute()[column].dropna()))
        if value not in known:
            raise UsageError(
                f"--moment {option} {value!r} is not in the warehouse; it has: {', '.join(known) or 'none yet'}"
            )
        picked.append(value)
    return picked[0], picked[1]


def _app(args: argparse.Namespace) -> int:
    app = Path(__file__).resolve().parents[2] / "app.py"
    env = dict(os.environ)
    root = config.warehouse_path(args.warehouse)  # refuses a path no command could use, before serving
    if args.warehouse:
        env["ICONIC_WAREHOUSE"] = str(root.resolve())
    if args.engine:
        env["ICONIC_ENGINE"] = args.engine
    cmd = [
        sys.executable, "-m", "analytics.ui.serve", "run", str(app),
        "--server.address", args.host, "--server.port", str(args.port),
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
        # A served app does not edit itself: no file watcher (it floods inotify on a busy machine).
        "--server.fileWatcherType", "none", "--server.runOnSave", "false",
    ]  # fmt: skip
    _err(f"serving the dashboard on http://{args.host}:{args.port}")
    sys.stdout.flush()
    sys.stderr.flush()
    # Become the server rather than start it as a child: a signal sent to `iconic app` (Ctrl-C, a
    # service manager's SIGTERM) then reaches the server itself, and nothing is left orphaned.
    os.execve(sys.executable, cmd, env)


def _warm(args: argparse.Namespace) -> int:
    import asyncio

    from analytics.errors import UsageError
    from analytics.ui.load import warm

    try:
        visits = asyncio.run(warm(args.url, queries=tuple(args.query or ("",)), deadline_s=args.deadline))
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot reach the dashboard at {args.url}: {exc}") from None
    for v in visits:
        state = "; ".join(v.errors) if v.errors else "ready" if v.complete else "still computing"
        print(f"{v.page:28} {v.query or 'all data':16} {v.seconds:7.1f} s  {state}")
    failed = [v for v in visits if v.errors or not v.complete]
    return 1 if failed else 0


def _brief(args: argparse.Namespace) -> int:
    from analytics.errors import UsageError
    from analytics.report import brief, kpis
    from analytics.report.pdf import page_count, render_pdf

    if args.period and (args.start or args.end):
        raise UsageError("give either --period or --start/--end, not both")
    wh, scope = _open_scope(args)
    say = None if args.json else _progress()
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
            "scope": _scope_dict(scope),
            "period": content.period.to_dict() if content.period else None,
            "previous": content.previous.to_dict() if content.previous else None,
            "summary": content.summary,
            "kpis": [k.to_dict() for k in content.kpis],
            "ranking": content.priorities.ranking,
            "actions": _records(content.actions[list(PRIORITY_FIELDS)]),
            "value_case": content.value_case,
        }
        print(json.dumps(out_json, indent=2, default=str))
        return EXIT_OK
    print(f"wrote {out} ({pages} pages): {content.period_line}")
    for line in content.summary:
        print("  " + line)
    for line in kpis.describe_kpis(content.kpis):
        print("  " + line)
    if content.status.warning:
        print(f"warning: {content.status.warning}")
    return EXIT_OK


def _demo(args: argparse.Namespace) -> int:
    from analytics import demo

    root = config.warehouse_path(args.warehouse)
    if root.exists() and any(root.iterdir()) and not args.force:
        _err(f"demo warehouse already at {root}; use --force to rebuild it")
        return EXIT_OK
    results = demo.build(root, customers=args.customers, months=args.months, seed=args.seed, progress=_progress())
    rejected = [r for r in results if not r.ok]
    for r in results:
        print(f"{r.table:<13} {r.status:<9} {r.rows_committed:>10,} rows  {r.rows_quarantined:>6,} quarantined")
    return EXIT_FAILED if rejected else EXIT_OK


# --- scope -------------------------------------------------------------------------------------------


def _at_least(least: int) -> Any:
    def whole(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if value < least:
            raise argparse.ArgumentTypeError(f"must be at least {least}, got {value}")
        return value

    return whole


def _day(text: str) -> Any:
    from datetime import date

    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (use YYYY-MM-DD)") from None


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


def _open_scope(args: argparse.Namespace) -> tuple[Any, Any]:
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


def _scope_dict(scope: Any) -> dict[str, Any]:
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


# --- output helpers ---------------------------------------------------------------------------------


def _err(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _progress() -> Any:
    start = time.monotonic()

    def say(message: str) -> None:
        _err(f"[{time.monotonic() - start:6.1f}s] {message}")

    return say


def _records(frame: Any) -> list[dict[str, Any]]:
    return json.loads(frame.to_json(orient="records", date_format="iso"))


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
