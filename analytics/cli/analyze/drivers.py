"""``iconic analyze drivers``: which attribute ratings drive an outcome after a contact."""

from __future__ import annotations

import argparse
from typing import Any

from analytics.cli.options import Commands, bootstrap_option, command
from analytics.cli.output import EXIT_OK, print_json
from analytics.cli.scope import open_scope, scope_dict


def register(analyses: Commands) -> None:
    with command(analyses, "drivers", _analyze_drivers, scope=True) as p:
        p.add_argument(
            "--outcome", choices=["ltr", "csat", "effort"], default="ltr", help="what to explain (default ltr)"
        )
        p.add_argument(
            "--moment",
            metavar="STAGE:REASON",
            help="only contacts at this journey stage and contact reason, e.g. pay:billing_dispute ('*' for any)",
        )
        p.add_argument(
            "--method", choices=["lmg", "johnson"], default="lmg", help="default lmg (exact up to 15 drivers)"
        )
        p.add_argument(
            "--missing",
            choices=["listwise", "pairwise"],
            default="listwise",
            help="how missing ratings count (default listwise)",
        )
        p.add_argument(
            "--driver",
            action="append",
            default=[],
            metavar="NAME",
            help="analyse this driver (repeat; default: every rating); contact measures such as wait_seconds, "
            "transfers or is_resolved count as operational drivers",
        )
        bootstrap_option(p, "bootstrap replicates (default %(default)s; 0: none)")
        p.add_argument("--seed", type=int, default=0, metavar="S", help="random seed of the bootstrap (default 0)")


def _analyze_drivers(args: argparse.Namespace) -> int:
    """which attribute ratings drive LTR, CSAT or effort after a contact (relative importance)

    Relative importance of the attribute ratings for an outcome among post-contact responses: the exact LMG
    (Shapley) decomposition of R² or Johnson's relative weights, with 95% intervals from a bootstrap that resamples
    customers; performance (mean, top-2-box), the tactile vs emotive split of the explained variance, and an action
    per driver (Fix, Delight, Maintain, Right-size).
    """
    from analytics import names
    from analytics.analyses import drivers
    from analytics.data import filters
    from analytics.errors import UsageError
    from analytics.report import views
    from analytics.report.columns import fmt_interval

    wh, scope = open_scope(args)
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
        out = {"scope": scope_dict(scope), **result.to_dict(), "note": note}
        fields = ["attribute", "label", "kind", "importance", "low", "high", "share", "share_low", "share_high"]
        fields += ["performance", "top2", "performance_scaled", "n", "action"]
        out["drivers"] = [{k: d[k] for k in fields} for d in out["drivers"]]
        print_json(out)
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
