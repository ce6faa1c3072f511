"""How long customers stay, and what shortens it: the survival table and the spells queried from
the warehouse, and the reports the pages and the command show (Kaplan-Meier by a dimension, the Cox
model of churn, what-ifs, the churn rate). The estimators themselves are in
``analytics.stats.survival`` (Kaplan-Meier, RMST, log-rank) and ``analytics.stats.cox``.

The survival table (``survival_table``) has one row per customer. Time is tenure in months (elapsed
days / 30.4375) from signup to churn, or to the as-of date for a customer still active then.

**Left truncation.** The data only sees customers who were still customers when observation began:
someone who signed up three years before the first recorded contact and left two years ago is not in
it. Counting the long-standing customers from signup as if they had been watched all along would
overstate survival, because their early leavers are missing. So each of them enters the risk set at
the tenure they had when the window opened (``entry``; lifelines' ``entry`` and ``entry_col``), and is
counted only from then on, in Kaplan-Meier, the log-rank test and Cox alike.

Cox models report hazard ratios with Wald intervals and Harrell's concordance, and check
proportional hazards with the scaled Schoenfeld residual test (Grambsch & Therneau 1994, rank time
transform). Where a categorical covariate fails it, the fit is repeated stratified by that covariate,
which lets each level have its own baseline hazard and drops the assumption for it.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import ibis
import numpy as np
import pandas as pd
from ibis import _

from analytics import names
from analytics.analyses import advocacy
from analytics.data import filters, memo
from analytics.data.filters import ALL_DATA, Filters
from analytics.data.warehouse import Warehouse, epoch_seconds, sample_note, sampled_share
from analytics.stats import inference
from analytics.stats.cox import (
    PH_ALPHA,
    CoxFit,
    concordance,
    design,
    fit_design,
    model_matrix,
    no_ph_check,
    ph_check,
    survival_from,
    wald_table,
    without_churnless_levels,
)
from analytics.stats.nps import DETRACTOR_MAX, PROMOTER_MIN
from analytics.stats.survival import (
    AT_MONTHS,
    SurvivalError,
    chi_square_p,
    groups_of,
    logrank_test,
    require_columns,
    step_function,
    survival_curves,
    survival_summary,
)
from analytics.stats.units import MONTH_SECONDS

#: Experience measures count contacts in this many days before a customer's end (churn or as-of).
EXPERIENCE_DAYS = 90
NO_ANSWER = "no answer"
NPS_CATEGORIES = ("promoter", "passive", "detractor", NO_ANSWER)
#: What a Kaplan-Meier split or a Cox covariate can be: columns of the survival table.
DIMENSIONS = ("segment", "region", "plan", "nps_category", "behaviour_segment")
EXPERIENCE = ("unresolved_90d", "escalations_90d")
#: The default Cox covariates: who the customer is, what they last said, and how they were served.
COX_COVARIATES = ("segment", "region", "plan", "nps_category", *EXPERIENCE)
TABLE_COLUMNS = (
    "customer_id", "segment", "region", "plan", "monthly_revenue", "signup_at", "end_at",
    "duration", "event", "entry", "ltr", "nps_category", *EXPERIENCE,
)  # fmt: skip


@dataclass(frozen=True)
class Window:
    """The observation window: customers are watched from ``start`` (None: from signup, no left
    truncation) to ``as_of`` (exclusive; the end of the as-of day)."""

    start: datetime | None
    as_of: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": self.start.date().isoformat() if self.start else None,
            "as_of": (self.as_of - timedelta(microseconds=1)).date().isoformat(),
            "description": self.describe(),
        }

    def describe(self) -> str:
        end = (self.as_of - timedelta(microseconds=1)).date().isoformat()
        if self.start is None:
            return f"customers followed from signup to {end}"
        return f"customers watched from {self.start.date().isoformat()} to {end}; earlier tenure is left-truncated"


def _end_of(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=pd.Timestamp(0, tz="UTC").tzinfo)


def _latest_event(wh: Warehouse) -> datetime | None:
    """The latest signup, churn, contact or response in the warehouse (UTC)."""
    parts = [
        wh.table(table).aggregate(last=_[column].max())
        for table, column in (
            ("customers", "signup_at"),
            ("customers", "churned_at"),
            ("interactions", "started_at"),
            ("surveys", "responded_at"),
        )
    ]
    union = parts[0].union(parts[1]).union(parts[2]).union(parts[3])
    value = union.aggregate(last=union["last"].max()).execute()["last"].iloc[0]
    return None if pd.isna(value) else pd.Timestamp(value).to_pydatetime()


def observation_window(
    wh: Warehouse, f: Filters = ALL_DATA, *, as_of: date | None = None, window_start: date | None = None
) -> Window | None:
    """The window a survival analysis watches, or None for a warehouse with no customers.

    - ``as_of`` defaults to the day of the latest event in the data (signup, churn, contact or
      response), and never runs past the scope's end date.
    - The window opens on ``window_start``, else the scope's start date, else the first day with a
      contact or response. A warehouse holding only customers has no such day, and then everyone is
      followed from signup (no left truncation) unless ``window_start`` says otherwise.
    """
    latest = _latest_event(wh)
    if latest is None:
        return None
    end_day = as_of or latest.date()
    if f.end and f.end < end_day:
        end_day = f.end
    opens = window_start or f.start or filters.data_span(wh)[0]
    start = datetime.combine(opens, time(), tzinfo=latest.tzinfo) if opens else None
    window = Window(start, _end_of(end_day))
    if start is not None and start >= window.as_of:
        if window_start is None:  # a scope that starts after the data end: nobody to watch
            return None
        raise SurvivalError(f"the window opens on {opens} but the as-of date is {end_day}: nothing can be watched")
    return window


def stamp(moment: datetime) -> ibis.Scalar:
    """An instant as an Ibis UTC timestamp literal."""
    return ibis.literal(pd.Timestamp(moment).tz_convert("UTC"), type="timestamp('UTC')")


def months_between(later: ibis.Value, earlier: ibis.Value) -> ibis.Value:
    """Months (of ``MONTH_DAYS`` days) from ``earlier`` to ``later``, as an Ibis expression."""
    return (epoch_seconds(later) - epoch_seconds(earlier)) / MONTH_SECONDS


def survival_rows(wh: Warehouse, f: Filters, window: Window) -> ibis.Table:
    """The survival table as an Ibis expression (see ``survival_table`` for its columns)."""
    as_of = stamp(window.as_of)
    c = filters.customers(wh, f)
    c = c.filter(c.signup_at < as_of)
    if window.start is not None:
        opens = stamp(window.start)
        c = c.filter(c.churned_at.isnull() | (c.churned_at >= opens))
    event = c.churned_at.notnull() & (c.churned_at < as_of)
    end = ibis.ifelse(event, c.churned_at, as_of)
    entry = (
        ibis.greatest(months_between(opens, c.signup_at), ibis.literal(0.0))
        if window.start is not None
        else ibis.literal(0.0)
    )
    rows = c.select(
        "customer_id", "segment", "region", "plan", "monthly_revenue", "signup_at",
        end_at=end, duration=months_between(end, c.signup_at), event=event, entry=entry,
    )  # fmt: skip

    answers = wh.table("surveys").filter(_.interaction_id.isnull()).select("customer_id", "responded_at", "ltr")
    answers = answers.join(rows.select("customer_id", "end_at"), "customer_id")
    answers = answers.filter(answers.responded_at < answers.end_at)
    latest = answers.group_by("customer_id").aggregate(ltr=answers.ltr.argmax(answers.responded_at))

    contacts = wh.table("interactions").select("customer_id", "started_at", "is_resolved", "is_escalated")
    contacts = contacts.join(rows.select("customer_id", "end_at"), "customer_id")
    recent = contacts.filter(
        contacts.started_at < contacts.end_at,
        contacts.started_at >= contacts.end_at - ibis.interval(days=EXPERIENCE_DAYS),
    )
    experience = recent.group_by("customer_id").aggregate(
        unresolved_90d=(recent.is_resolved == False).sum(),  # noqa: E712 - an Ibis comparison
        escalations_90d=(recent.is_escalated == True).sum(),  # noqa: E712
    )
    out = rows.left_join(latest, "customer_id").left_join(experience, "customer_id")
    category = ibis.cases(
        (out.ltr >= PROMOTER_MIN, "promoter"),
        (out.ltr <= DETRACTOR_MAX, "detractor"),
        (out.ltr.notnull(), "passive"),
        else_=NO_ANSWER,
    )
    return out.select(
        *TABLE_COLUMNS[:10],
        ltr=out.ltr,
        nps_category=category,
        unresolved_90d=out.unresolved_90d.fill_null(0).cast("int64"),
        escalations_90d=out.escalations_90d.fill_null(0).cast("int64"),
    )


def _remembered(kind: str, wh: Warehouse, key: tuple[Any, ...], build: Callable[[], pd.DataFrame]) -> pd.DataFrame:
    """A frame kept by ``memo.derived`` (a page asks for curves, the Cox model, value and a what-if of
    the same customers), as a shallow copy, so a caller adding columns does not change what the next
    caller gets."""
    frame = memo.derived(wh, (kind, *key), build)
    copy = frame.copy(deep=False)
    copy.attrs = dict(frame.attrs)
    return copy


def survival_table(
    wh: Warehouse,
    f: Filters = ALL_DATA,
    *,
    as_of: date | None = None,
    window_start: date | None = None,
) -> pd.DataFrame:
    """One row per customer in scope who had signed up by the as-of date.

    Columns: ``customer_id``, ``segment``, ``region``, ``plan``, ``monthly_revenue``, ``signup_at``,
    ``end_at`` (churn, or the end of the as-of day), ``duration`` (months from signup to ``end_at``),
    ``event`` (churned by the as-of date), ``entry`` (months of tenure when the window opened, 0 for
    later signups), ``ltr`` (the latest relationship-survey answer before ``end_at``, or missing),
    ``nps_category`` (promoter, passive, detractor or "no answer"), ``unresolved_90d`` and
    ``escalations_90d`` (contacts left unresolved, and escalated, in the 90 days before ``end_at``),
    and ``behaviour_segment`` when segments have been saved. Customers who churned before the window
    opened are not in it: the data could not have seen them.

    The frame is pulled into memory: Kaplan-Meier and Cox fit on it locally. ``attrs["window"]`` is
    the ``Window`` it was built for.
    """
    return _remembered("table", wh, (f, as_of, window_start), lambda: _build_table(wh, f, as_of, window_start))


def _build_table(wh: Warehouse, f: Filters, as_of: date | None, window_start: date | None) -> pd.DataFrame:
    window = observation_window(wh, f, as_of=as_of, window_start=window_start)
    if window is None:
        table = _empty_table()
        table.attrs["window"] = None
        return table
    rows = wh.kept_table(("survival_rows", f, window), lambda: survival_rows(wh, f, window))
    if wh.has("customer_segments"):
        rows = advocacy.with_behaviour_segment(wh, rows)
    # Local step: Kaplan-Meier, Cox and lifetime value fit in numpy on one row per customer.
    table = rows.order_by("customer_id").to_pyarrow().to_pandas()
    table["event"] = table["event"].astype(bool)
    table["ltr"] = table["ltr"].astype("Float64")
    table.attrs["window"] = window
    return table


def spell_rows(wh: Warehouse, f: Filters, window: Window, *, answered_only: bool = False) -> ibis.Table:
    """``nps_spells`` as an Ibis expression; with ``answered_only``, only the spells after an answer
    and without the experience counts (``answer_spells``)."""
    rows = wh.kept_table(("survival_rows", f, window), lambda: survival_rows(wh, f, window))
    who = rows.select(
        "customer_id",
        "segment",
        "region",
        "plan",
        "monthly_revenue",
        "signup_at",
        "end_at",
        "duration",
        "event",
        "entry",
    )
    answers = wh.table("surveys").filter(_.interaction_id.isnull()).select("customer_id", "responded_at", "ltr")
    answers = answers.join(who.select("customer_id", "signup_at", "end_at"), "customer_id")
    answers = answers.filter(answers.responded_at >= answers.signup_at, answers.responded_at < answers.end_at)
    answers = answers.select(
        "customer_id", "responded_at", "ltr", start=months_between(answers.responded_at, answers.signup_at)
    )
    following = answers.start.lead().over(group_by=answers.customer_id, order_by=[answers.responded_at, answers.ltr])
    category = ibis.cases(
        (answers.ltr >= PROMOTER_MIN, "promoter"), (answers.ltr <= DETRACTOR_MAX, "detractor"), else_="passive"
    )
    after = answers.select(
        "customer_id", "start", next_start=following, nps_category=category, ltr=answers.ltr.cast("float64")
    )
    first = answers.group_by("customer_id").aggregate(next_start=answers.start.min())
    before = (
        who.select("customer_id")
        .left_join(first, "customer_id")
        .select(
            "customer_id",
            start=ibis.literal(0.0),
            next_start=_.next_start,
            nps_category=ibis.literal(NO_ANSWER),
            ltr=ibis.null("float64"),
        )
    )
    spells = (after if answered_only else before.union(after)).join(who, "customer_id")
    stop = ibis.least(spells.next_start.fill_null(spells.duration), spells.duration)
    last = spells.next_start.isnull()
    spells = spells.select(
        "customer_id", "segment", "region", "plan", "monthly_revenue", "nps_category", "ltr",
        entry=ibis.greatest(spells.start, spells.entry), duration=stop, event=spells.event & last,
        stop_at=spells.signup_at + (stop * MONTH_SECONDS).round().cast("int64").as_interval("s"),
    )  # fmt: skip
    spells = spells.filter((spells.duration > spells.entry) | (spells.event & (spells.duration == spells.entry)))
    if answered_only:
        return spells.drop("stop_at")
    contacts = wh.table("interactions").select("customer_id", "started_at", "is_resolved", "is_escalated")
    joined = spells.select("customer_id", "entry", "stop_at").join(contacts, "customer_id")
    recent = joined.filter(
        joined.started_at < joined.stop_at, joined.started_at >= joined.stop_at - ibis.interval(days=EXPERIENCE_DAYS)
    )
    experience = recent.group_by("customer_id", "entry").aggregate(
        unresolved_90d=(recent.is_resolved == False).sum(),  # noqa: E712 - an Ibis comparison
        escalations_90d=(recent.is_escalated == True).sum(),  # noqa: E712
    )
    out = spells.left_join(experience, ["customer_id", "entry"])
    return out.select(
        "customer_id", "segment", "region", "plan", "monthly_revenue", "nps_category", "ltr", "entry", "duration",
        "event", unresolved_90d=out.unresolved_90d.fill_null(0).cast("int64"),
        escalations_90d=out.escalations_90d.fill_null(0).cast("int64"),
    )  # fmt: skip


def nps_spells(
    wh: Warehouse,
    f: Filters = ALL_DATA,
    *,
    as_of: date | None = None,
    window_start: date | None = None,
) -> pd.DataFrame:
    """The survival table split at each relationship-survey answer, for models where what a customer
    last said changes over their lifetime: one row per customer and state, at risk on
    ``(entry, duration]`` months of tenure.

    Columns: ``customer_id``, ``segment``, ``region``, ``plan``, ``monthly_revenue``, ``nps_category`` (the latest answer
    so far, or "no answer" before the first), ``ltr`` (that answer's score, missing before the
    first), ``entry``, ``duration``, ``event`` (the customer
    churned at the end of this spell), ``unresolved_90d`` and ``escalations_90d`` (in the 90 days
    before the spell ends), and ``behaviour_segment`` when segments have been saved.

    Why not the survival table's ``nps_category``: that is the latest answer before the end, so a
    customer who left early had little time to answer and shows "no answer". Used as a fixed
    covariate it makes silence look deadly (a hazard ratio near 4 on the demo, whose churn does not
    depend on answering at all). Each spell counts time in the state the customer was in then.
    """
    return _remembered("spells", wh, (f, as_of, window_start), lambda: _build_spells(wh, f, as_of, window_start))


def answer_spells(
    wh: Warehouse,
    f: Filters = ALL_DATA,
    *,
    as_of: date | None = None,
    window_start: date | None = None,
) -> pd.DataFrame:
    """The spells of ``nps_spells`` that follow a relationship answer, without the experience counts:
    what a model of churn on the answers themselves needs, at a fraction of the cost."""

    def build() -> pd.DataFrame:
        window = observation_window(wh, f, as_of=as_of, window_start=window_start)
        if window is None:
            return _empty_table().drop(columns=["signup_at", "end_at", *EXPERIENCE])
        # Cox fits locally (numpy); past ``config.local_rows()`` spells, whole customers are sampled.
        local = wh.local(spell_rows(wh, f, window, answered_only=True).order_by("customer_id", "entry"))
        spells = local.to_pandas()
        spells.attrs["sampled"] = sampled_share(local)
        spells["event"] = spells["event"].astype(bool)
        spells["ltr"] = spells["ltr"].astype(float)
        return spells

    return _remembered("answer spells", wh, (f, as_of, window_start), build)


def _build_spells(wh: Warehouse, f: Filters, as_of: date | None, window_start: date | None) -> pd.DataFrame:
    window = observation_window(wh, f, as_of=as_of, window_start=window_start)
    if window is None:
        return _empty_table().drop(columns=["signup_at", "end_at"])
    rows = spell_rows(wh, f, window)
    if wh.has("customer_segments"):
        rows = advocacy.with_behaviour_segment(wh, rows)
    # Cox fits locally (numpy); past ``config.local_rows()`` spells, whole customers are sampled.
    local = wh.local(rows.order_by("customer_id", "entry"))
    spells = local.to_pandas()
    spells["event"] = spells["event"].astype(bool)
    spells.attrs["window"] = window
    spells.attrs["sampled"] = sampled_share(local)
    return spells


def _empty_table() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in TABLE_COLUMNS})
    for c in ("monthly_revenue", "duration", "entry"):
        frame[c] = frame[c].astype(float)
    frame["event"] = frame["event"].astype(bool)
    frame["ltr"] = frame["ltr"].astype("Float64")
    for c in EXPERIENCE:
        frame[c] = frame[c].astype("int64")
    return frame


# --- The log-rank test across a table's groups ---------------------------------------------------


@dataclass(frozen=True)
class LogRank:
    """The log-rank test across groups, with delayed entry, and each pair's Holm-adjusted test."""

    statistic: float
    df: int
    p_value: float
    pairwise: pd.DataFrame  # group_a, group_b, chi_square, p_value, p_adjusted

    def to_dict(self) -> dict[str, Any]:
        return {
            "statistic": _num(self.statistic),
            "df": self.df,
            "p_value": _num(self.p_value),
            "pairwise": self.pairwise.to_dict(orient="records"),
        }


def _num(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def _order_of(by: str | None) -> Sequence[str] | None:
    """The NPS categories in their natural order; the levels of other splits come largest first."""
    return NPS_CATEGORIES if by == "nps_category" else None


def logrank(table: pd.DataFrame, *, by: str) -> LogRank:
    """Log-rank test of equal survival across the levels of ``by`` (``logrank_test``), and pairwise
    tests with Holm's adjustment (``inference.adjust_p_values``). NaN where fewer than two groups
    have anyone at risk."""
    require_columns(table, ["duration", "event", "entry", by])
    groups = groups_of(table, by, order=_order_of(by))
    labels = table[by].fillna("unknown").astype(str).to_numpy()
    arrays = (table["duration"].to_numpy(float), table["event"].to_numpy(bool), table["entry"].to_numpy(float))
    statistic, df = logrank_test(*arrays, labels)
    pairs = []
    group_names = [g for g, _rows in groups]
    for i, a in enumerate(group_names):
        for b in group_names[i + 1 :]:
            mask = (labels == a) | (labels == b)
            duration, event, entry = (x[mask] for x in arrays)
            s, _df = logrank_test(duration, event, entry, labels[mask])
            pairs.append({"group_a": a, "group_b": b, "chi_square": s, "p_value": chi_square_p(s, 1)})
    pairwise = pd.DataFrame(pairs, columns=["group_a", "group_b", "chi_square", "p_value"])
    finite = pairwise["p_value"].notna()
    pairwise["p_adjusted"] = np.nan
    if finite.any():
        pairwise.loc[finite, "p_adjusted"] = inference.adjust_p_values(pairwise.loc[finite, "p_value"].tolist())
    return LogRank(statistic, df, chi_square_p(statistic, df), pairwise)


# --- Cox -----------------------------------------------------------------------------------------


@dataclass
class CoxResult:
    """A fitted Cox model: ``hazard_ratios`` (``covariate``, ``term``, ``level``, ``reference``,
    ``label``, ``hazard_ratio``, ``hazard_ratio_low``, ``hazard_ratio_high``, ``p_value``), ``concordance``, ``n`` (rows), ``customers``,
    ``events``, the proportional-hazards check (``ph_check``: ``covariate``, ``statistic``,
    ``p_value``, ``fails``), a plain ``warning`` when it fails, and ``stratified``: the same model
    stratified by the failing categorical covariates (None when nothing categorical failed)."""

    hazard_ratios: pd.DataFrame
    concordance: float
    n: int
    customers: int
    events: int
    covariates: tuple[str, ...]
    strata: tuple[str, ...]
    references: dict[str, str]
    ph_check: pd.DataFrame
    warning: str | None = None
    stratified: CoxResult | None = None
    note: str = ""
    fit_: CoxFit | None = field(default=None, repr=False)
    levels_: dict[str, tuple[str, str]] = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "customers": self.customers,
            "events": self.events,
            "concordance": _num(self.concordance),
            "covariates": list(self.covariates),
            "strata": list(self.strata),
            "references": self.references,
            "hazard_ratios": _records(self.hazard_ratios),
            "ph_check": _records(self.ph_check),
            "warning": self.warning,
            "note": self.note,
            "stratified": self.stratified.to_dict() if self.stratified else None,
        }


HAZARD_COLUMNS = (
    "covariate", "term", "level", "reference", "label", "hazard_ratio", "hazard_ratio_low", "hazard_ratio_high",
    "p_value",
)  # fmt: skip
#: How covariates read on screen.
COVARIATE_LABELS = {
    "segment": "Segment",
    "region": "Region",
    "plan": "Plan",
    "nps_category": "Last said",
    "behaviour_segment": "Behaviour segment",
    "unresolved_90d": "Unresolved contacts in 90 days (each)",
    "escalations_90d": "Escalations in 90 days (each)",
    "ltr": "Likelihood to recommend (per point)",
}


#: The covariates inside a sentence ("adjusted for segment, region and unresolved contacts in 90 days").
COVARIATE_WORDS = {
    "segment": "segment",
    "region": "region",
    "plan": "plan",
    "nps_category": "last relationship answer",
    "behaviour_segment": "behaviour segment",
    "unresolved_90d": "unresolved contacts in the last 90 days",
    "escalations_90d": "escalations in the last 90 days",
    "ltr": "likelihood to recommend",
}


def _listed(items: Iterable[str]) -> str:
    """ "a, b and c"."""
    words = list(items)
    return ", ".join(words[:-1]) + f" and {words[-1]}" if len(words) > 1 else "".join(words)


def _term_label(covariate: str, level: str) -> str:
    name = COVARIATE_LABELS.get(covariate, names.phrase(covariate))
    return f"{name}: {names.name(level)}" if level else name


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in row.items()}
        for row in frame.to_dict(orient="records")
    ]


def fit_cox(
    table: pd.DataFrame,
    *,
    covariates: Sequence[str] = COX_COVARIATES,
    strata: Sequence[str] = (),
    references: Mapping[str, str] | None = None,
    confidence: float = 0.95,
    check: bool = True,
    initial: Mapping[str, float] | None = None,
) -> CoxResult:
    """Cox proportional hazards on a survival table or on ``nps_spells`` (any frame with
    ``duration``, ``event``, ``entry`` and the covariates): each row is at risk on
    ``(entry, duration]``, which is left truncation for the survival table and a time-varying
    covariate for spells. Efron ties, Wald intervals (``analytics.stats.cox``).

    Categorical covariates are coded against a reference level (``design``); covariates with a single
    level are dropped, and so are the rows of levels nobody churned in (said in the note). Rows of
    zero length (churned the moment they signed up) cannot be at risk and are left out. ``strata``
    gives a baseline hazard per level instead of a coefficient. With ``check``, proportional hazards
    are tested per covariate (``schoenfeld_test``), and a categorical covariate that fails at
    ``PH_ALPHA`` gets a plain warning and a stratified refit (started from this fit's coefficients,
    ``initial``).
    """
    covariates = tuple(c for c in covariates if c not in strata)
    require_columns(table, ["duration", "event", "entry", *covariates, *strata])
    rows, left_out = without_churnless_levels(table[table["duration"] > table["entry"]], covariates)
    notes = [_left_out_note(covariate, levels, n) for covariate, levels, n in left_out]
    informative = tuple(c for c in covariates if rows[c].nunique(dropna=False) > 1)
    x, used, terms = design(rows, informative, references=references)
    events = int(rows["event"].sum())
    customers = int(rows["customer_id"].nunique()) if "customer_id" in rows else len(rows)
    counts = (len(rows), customers, events, informative, tuple(strata), used)
    if events == 0 or not terms:
        return _no_model(
            *counts, " ".join([*notes, "No churns to model." if events == 0 else "Nothing varies to model."])
        )
    try:
        fit = fit_design(rows, x, strata=strata, initial=initial)
    except SurvivalError as exc:
        return _no_model(*counts, " ".join([*notes, str(exc)]))
    wald = wald_table(fit, confidence=confidence)
    # A term with no stable estimate is left out of the table, and said.
    if unstable := [_term_label(*terms[t]) for t in wald.loc[~wald["stable"], "term"]]:
        notes.append(f"{', '.join(unstable)}: no stable estimate (too few churns either side).")
    result = CoxResult(
        hazard_ratios=_hazard_table(wald, terms, used),
        concordance=concordance(rows, x.to_numpy(float) @ fit.beta),
        n=len(rows),
        customers=customers,
        events=events,
        covariates=informative,
        strata=tuple(strata),
        references=used,
        ph_check=ph_check(fit, rows, x, terms) if check and not strata else no_ph_check(),
        note=" ".join(notes),
        fit_=fit,
        levels_=terms,
    )
    failing = result.ph_check.loc[result.ph_check["fails"], "covariate"].tolist()
    categorical = [c for c in failing if c in used]
    if failing:
        result.warning = _ph_warning(failing, categorical)
    if categorical:
        result.stratified = fit_cox(
            table,
            covariates=[c for c in informative if c not in categorical],
            strata=(*strata, *categorical),
            references=references,
            confidence=confidence,
            check=False,
            initial=dict(zip(fit.terms, fit.beta, strict=True)),
        )
    return result


def _hazard_table(wald: pd.DataFrame, terms: Mapping[str, tuple[str, str]], used: Mapping[str, str]) -> pd.DataFrame:
    """The stable rows of ``wald_table`` with what each term is: ``HAZARD_COLUMNS``."""
    described = pd.DataFrame(
        {
            "covariate": [terms[t][0] for t in wald["term"]],
            "term": wald["term"],
            "level": [terms[t][1] for t in wald["term"]],
            "reference": [used.get(terms[t][0], "") for t in wald["term"]],
            "label": [_term_label(*terms[t]) for t in wald["term"]],
        }
    )
    table = pd.concat([described, wald.drop(columns=["term", "stable"])], axis=1)
    return table[wald["stable"].to_numpy()].reset_index(drop=True)


def _words(covariate: str) -> str:
    return COVARIATE_WORDS.get(covariate, names.phrase(covariate))


def _left_out_note(covariate: str, levels: Sequence[str], rows: int) -> str:
    return f"Left out: {', '.join(_term_label(covariate, level) for level in levels)} ({rows:,} rows, no churns)."


def _ph_warning(failing: Sequence[str], categorical: Sequence[str]) -> str:
    """What a failed proportional-hazards check means, and what the stratified fit does about it."""
    warning = (
        f"The effect of {_listed(_words(c) for c in failing)} changes with tenure "
        f"(proportional-hazards test p < {PH_ALPHA}), so its hazard ratio averages an effect that is not constant."
    )
    if categorical:
        warning += f" The stratified fit gives each {' and '.join(names.phrase(c) for c in categorical)} its own baseline instead."
    return warning


def _no_model(
    n: int,
    customers: int,
    events: int,
    covariates: tuple[str, ...],
    strata: tuple[str, ...],
    used: dict[str, str],
    note: str,
) -> CoxResult:
    empty = pd.DataFrame(columns=list(HAZARD_COLUMNS))
    return CoxResult(empty, math.nan, n, customers, events, covariates, strata, used, no_ph_check(), note=note)


# --- What the pages and the command ask for ------------------------------------------------------


@dataclass(frozen=True)
class SurvivalReport:
    """Kaplan-Meier by a dimension: ``summary`` (``survival_summary``), ``curves``
    (``survival_curves``), the ``logrank`` test (None with fewer than two groups), the observation
    ``window`` and a ``note`` saying what the curves count."""

    by: str | None
    horizon: float
    summary: pd.DataFrame
    curves: pd.DataFrame
    logrank: LogRank | None
    window: Window | None
    note: str

    @property
    def is_empty(self) -> bool:
        return self.summary.empty


def survival_report(
    wh: Warehouse,
    f: Filters = ALL_DATA,
    *,
    by: str | None = None,
    horizon: float = 36.0,
    at: Sequence[float] = AT_MONTHS,
    as_of: date | None = None,
    window_start: date | None = None,
    bootstrap: int = 200,
    random_state: int = 0,
    resolution: float | None = None,
) -> SurvivalReport:
    """Kaplan-Meier by ``by`` (one of ``DIMENSIONS``, or None for everyone) over the scope.

    By ``nps_category`` the curves are built from ``nps_spells``: each stretch of tenure counts in
    the category the customer was in then (Simon & Makuch 1984), so "no answer" is not made to look
    short-lived by customers who left before they were first asked. With ``resolution`` (months)
    the curves are ``thinned_curves`` for a screen or a page; the summary is always exact.
    """
    if by is not None and by not in DIMENSIONS:
        raise SurvivalError(f"survival can be split by {', '.join(DIMENSIONS)}, not {by!r}")
    spells = by == "nps_category"
    table = (nps_spells if spells else survival_table)(wh, f, as_of=as_of, window_start=window_start)
    window = table.attrs.get("window")
    if by is not None and by not in table.columns:
        if not table.empty:
            raise SurvivalError(f"there is no {by!r} to split by: save customer segments first")
        table = table.assign(**{by: pd.Series(dtype=object)})
    summary = survival_summary(
        table, by=by, order=_order_of(by), horizon=horizon, at=at, bootstrap=bootstrap, random_state=random_state
    )
    test = logrank(table, by=by) if by is not None and len(summary) > 1 else None
    if spells:
        note = (
            "Each stretch of tenure counts in the NPS category of the customer's latest relationship answer"
            " at the time; n counts stretches, not customers."
        )
    else:
        note = "Tenure from signup; customers who were already customers when the window opened count from then."
    curves = survival_curves(table, by=by, order=_order_of(by))
    if resolution is not None:
        curves = thinned_curves(curves, resolution=resolution)
    return SurvivalReport(by, horizon, summary, curves, test, window, note)


#: Months between the steps a dashboard chart of survival keeps: under a pixel across 120 months of
#: tenure on the widest screen, and a few thousand rows per group where a million customers give
#: about 250,000 steps.
SCREEN_RESOLUTION = 0.05


def thinned_curves(curves: pd.DataFrame, *, resolution: float = SCREEN_RESOLUTION) -> pd.DataFrame:
    """Kaplan-Meier curves (``survival_curves``) thinned for drawing: in each group, the first row
    and the last step in each ``resolution``-month bin, bands included. Drawn as steps, each drop
    moves by less than ``resolution`` months; every level the curve reaches at a bin's end is kept."""
    if curves.empty:
        return curves
    ordered = curves.sort_values(["group", "month"], kind="stable")
    bins = np.floor(ordered["month"].to_numpy(float) / resolution)
    last_in_bin = ~pd.DataFrame({"group": ordered["group"], "bin": bins}).duplicated(keep="last")
    first = ordered.groupby("group", sort=False).cumcount() == 0
    return ordered[last_in_bin | first].reset_index(drop=True)


def group_records(report: SurvivalReport, *, months: float | None = None) -> list[dict[str, Any]]:
    """Each group of a report as a plain record: ``group``, ``n``, ``events``, ``median`` (None: not
    reached), ``rmst``, ``rmst_low``, ``rmst_high`` and ``survival``, S at each whole month up to
    ``months`` (default: the report's horizon; None past the longest observed tenure)."""
    last = int(months if months is not None else report.horizon)
    out = []
    for row in report.summary.itertuples(index=False):
        curve = report.curves[report.curves["group"] == row.group]
        at = np.arange(0, last + 1, dtype=float)
        values = step_function(curve["month"].to_numpy(float), curve["survival"].to_numpy(float), at)
        out.append(
            {
                "group": row.group,
                "n": int(row.n),
                "events": int(row.events),
                "median": _num(row.median),
                "rmst": _num(row.rmst),
                "rmst_low": _num(row.rmst_low),
                "rmst_high": _num(row.rmst_high),
                "survival": {
                    int(m): (float(v) if m <= row.followed else None) for m, v in zip(at, values, strict=True)
                },
            }
        )
    return out


def hazard_ratios(
    wh: Warehouse,
    f: Filters = ALL_DATA,
    *,
    covariates: Sequence[str] = COX_COVARIATES,
    references: Mapping[str, str] | None = None,
    as_of: date | None = None,
    window_start: date | None = None,
) -> CoxResult:
    """The Cox model of churn over the scope, fitted on ``nps_spells`` (what the customer last said
    is a time-varying covariate; left truncation respected), with the proportional-hazards check."""
    key = (f, tuple(covariates), tuple(sorted((references or {}).items())), as_of, window_start)

    def fit() -> CoxResult:
        spells = nps_spells(wh, f, as_of=as_of, window_start=window_start)
        present = [c for c in covariates if c in spells.columns]
        fitted = fit_cox(spells, covariates=present, references={**DEFAULT_REFERENCES, **(references or {})})
        if sampled := sample_note(spells.attrs.get("sampled", 1.0), "spells"):
            fitted = dataclasses.replace(fitted, note=f"{fitted.note} {sampled}".strip())
        return fitted

    # A what-if uses the very model the page shows, without fitting it again.
    return memo.derived(wh, ("cox", *key), fit)


#: Reference levels, where the data have them: the ones a strategist compares against.
DEFAULT_REFERENCES = {"nps_category": "passive"}


@dataclass(frozen=True)
class WhatIf:
    """How survival and margin over the next ``horizon_months`` change for ``customers`` active
    customers when a covariate moves, through a fitted Cox model. ``curve`` has ``month``,
    ``before`` and ``after`` (their mean survival from today)."""

    description: str
    customers: int
    horizon_months: int
    churners_before: float
    churners_after: float
    margin_before: float
    margin_after: float
    curve: pd.DataFrame
    note: str

    @property
    def margin_kept(self) -> float:
        return self.margin_after - self.margin_before

    def to_dict(self) -> dict[str, Any]:
        return {
            "description": self.description,
            "customers": self.customers,
            "horizon_months": self.horizon_months,
            "churners_before": self.churners_before,
            "churners_after": self.churners_after,
            "margin_before": self.margin_before,
            "margin_after": self.margin_after,
            "margin_kept": self.margin_kept,
            "note": self.note,
        }


def what_if(
    wh: Warehouse,
    f: Filters = ALL_DATA,
    *,
    covariate: str = "nps_category",
    from_level: str | None = "detractor",
    to_level: str | None = "passive",
    reduce_by: float | None = None,
    horizon_months: int = 12,
    margin_rate: float = 0.30,
    annual_discount: float = 0.10,
    as_of: date | None = None,
) -> WhatIf:
    """What the fitted Cox model (``hazard_ratios``) says would change for today's active customers
    if ``covariate`` moved: customers at ``from_level`` moved to ``to_level`` (a category), or a
    count cut by the fraction ``reduce_by`` (e.g. 0.3 for 30% fewer unresolved contacts).

    Each customer's survival from today is ``S(a + t) / S(a)`` at their tenure ``a`` under the
    model's (unstratified) baseline (``analytics.stats.cox.survival_from``); past the last event
    time the baseline's cumulative hazard continues at its average slope over the last observed
    year. The changed value is held for the whole horizon. No interval is given: the numbers carry
    the model's uncertainty unmeasured. Margin is monthly revenue x ``margin_rate``, discounted
    monthly. An association, not proof: the model adjusts only for what is in it.
    """
    if reduce_by is None and (from_level is None or to_level is None):
        raise SurvivalError("say what changes: from_level and to_level for a category, or reduce_by for a count")
    if reduce_by is not None and not 0 <= reduce_by <= 1:
        raise SurvivalError(f"reduce_by is a fraction between 0 and 1, not {reduce_by}")
    spells = nps_spells(wh, f, as_of=as_of)
    cox = hazard_ratios(wh, f, as_of=as_of)
    _check_change(spells, covariate, counted=reduce_by is not None)
    if reduce_by is None:
        now, changed, description = _moved(_active_now(spells), covariate, str(from_level), str(to_level))
    else:
        now, changed, description = _reduced(_active_now(spells), covariate, reduce_by)
    months = np.arange(0, horizon_months + 1, dtype=float)
    if (unmoved := _why_nothing_moves(cox, covariate, now)) is not None:
        empty = pd.DataFrame({"month": months, "before": 1.0, "after": 1.0})
        return WhatIf(description, 0, horizon_months, 0.0, 0.0, 0.0, 0.0, empty, unmoved)
    fit = cox.fit_
    assert fit is not None  # _why_nothing_moves says so when there is no model
    # Terms the model could not estimate (separated, see fit_cox) count as having no effect here.
    stable = set(cox.hazard_ratios["term"])
    beta = np.where([t in stable for t in fit.terms], fit.beta, 0.0)
    tenure = now["duration"].to_numpy(float)
    before = survival_from(fit, model_matrix(now, fit, cox.levels_), tenure, months, beta=beta)
    after = survival_from(fit, model_matrix(changed, fit, cox.levels_), tenure, months, beta=beta)
    margin = now["monthly_revenue"].to_numpy(float) * margin_rate
    discount = (1 + annual_discount) ** (-months[1:] / 12)
    return WhatIf(
        description=description,
        customers=len(now),
        horizon_months=horizon_months,
        churners_before=float((1 - before[:, -1]).sum()),
        churners_after=float((1 - after[:, -1]).sum()),
        margin_before=float(margin @ (before[:, 1:] @ discount)),
        margin_after=float(margin @ (after[:, 1:] @ discount)),
        curve=pd.DataFrame({"month": months, "before": before.mean(axis=0), "after": after.mean(axis=0)}),
        note=_what_if_note(cox, covariate, horizon_months),
    )


def _check_change(spells: pd.DataFrame, covariate: str, *, counted: bool) -> None:
    """A category moves from one level to another, a count is reduced: say so when asked otherwise."""
    if covariate not in spells.columns:
        raise SurvivalError(f"{covariate!r} is not a covariate; the model has {', '.join(COX_COVARIATES)}")
    categorical = not pd.api.types.is_numeric_dtype(spells[covariate])
    if counted and categorical:
        raise SurvivalError(f"{covariate!r} is a category: move it with from_level and to_level")
    if not counted and not categorical:
        raise SurvivalError(f"{covariate!r} is a count: change it with reduce_by")


def _active_now(spells: pd.DataFrame) -> pd.DataFrame:
    """The latest spell of each customer who has not churned."""
    last = ~spells["customer_id"].duplicated(keep="last").to_numpy()
    churned = spells.groupby("customer_id")["event"].transform("any").to_numpy()
    return spells[last & ~churned]


def _moved(now: pd.DataFrame, covariate: str, from_level: str, to_level: str) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """The active customers at ``from_level``, the same customers at ``to_level``, and the change in words."""
    now = now[now[covariate].astype(str) == from_level]
    description = (
        f"{len(now):,} active customers whose {_words(covariate)} is {names.phrase(from_level)}"
        f" move to {names.phrase(to_level)}"
    )
    return now, now.assign(**{covariate: to_level}), description


def _reduced(now: pd.DataFrame, covariate: str, reduce_by: float) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """The active customers with any of a count, the same customers with ``reduce_by`` less of it, and the change in words."""
    now = now[now[covariate] > 0]
    what = _words(covariate)
    description = (
        f"{what[:1].upper()}{what[1:]} fall by {reduce_by:.0%} for the {len(now):,} active customers who had any"
    )
    return now, now.assign(**{covariate: now[covariate] * (1 - reduce_by)}), description


def _why_nothing_moves(cox: CoxResult, covariate: str, now: pd.DataFrame) -> str | None:
    """Why a what-if of ``covariate`` has nobody to move, or None when it has."""
    label = COVARIATE_LABELS.get(covariate, covariate).lower()
    if cox.fit_ is None or covariate not in cox.covariates:
        return f"Too few customers or churns in this scope to fit a model with {label} in it."
    if not any(cox.levels_[t][0] == covariate for t in cox.hazard_ratios["term"]):
        return f"No stable estimate for {label} in this scope."
    if now.empty:
        return "No active customers to move."
    return None


def _what_if_note(cox: CoxResult, covariate: str, horizon_months: int) -> str:
    adjusted = _listed(_words(c) for c in cox.covariates if c != covariate)
    return (
        f"Cox model on {cox.customers:,} customers and {cox.events:,} churns, adjusted for {adjusted}."
        f" The change is held for the whole {horizon_months} months (in reality a category moves at the next"
        " survey and a count rolls off), margin is discounted, and past the last churn seen the baseline hazard"
        " continues at its average over the last observed year. An association, not a proof of cause."
    )
