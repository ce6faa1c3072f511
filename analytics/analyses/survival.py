"""How long customers stay, and what shortens it: the survival table, Kaplan-Meier, the log-rank
test and Cox proportional hazards. The one module that imports lifelines.

The survival table (``survival_table``) has one row per customer. Time is tenure in months (elapsed
days / 30.4375) from signup to churn, or to the as-of date for a customer still active then.

**Left truncation.** The data only sees customers who were still customers when observation began:
someone who signed up three years before the first recorded contact and left two years ago is not in
it. Counting the long-standing customers from signup as if they had been watched all along would
overstate survival, because their early leavers are missing. So each of them enters the risk set at
the tenure they had when the window opened (``entry``; lifelines' ``entry`` and ``entry_col``), and is
counted only from then on, in Kaplan-Meier, the log-rank test and Cox alike.

Kaplan-Meier curves carry 95% pointwise bands (Greenwood variance on the log(-log) scale), computed
here in numpy so that bootstrap replicates are cheap; they equal lifelines' estimate, which the
tests check. The restricted mean survival time (RMST) to a horizon is the area under the curve, with a
percentile bootstrap over customers (Poisson weights). The log-rank test is computed here with delayed entry (lifelines'
own test has no entry), and equals lifelines' where nobody enters late.

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
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import ibis
import numpy as np
import pandas as pd
from ibis import _
from lifelines.utils import concordance_index
from scipy import stats

from analytics import config, names
from analytics.analyses import advocacy
from analytics.data import filters, periods
from analytics.data.filters import ALL_DATA, Filters
from analytics.data.memo import Memo
from analytics.data.warehouse import Warehouse, epoch_seconds, sample_note, sampled_share
from analytics.errors import IconicError
from analytics.stats import inference
from analytics.stats.nps import DETRACTOR_MAX, PROMOTER_MIN
from analytics.stats.units import MONTH_DAYS, MONTH_SECONDS

#: Experience measures count contacts in this many days before a customer's end (churn or as-of).
EXPERIENCE_DAYS = 90
NO_ANSWER = "no answer"
NPS_CATEGORIES = ("promoter", "passive", "detractor", NO_ANSWER)
#: What a Kaplan-Meier split or a Cox covariate can be: columns of the survival table.
DIMENSIONS = ("segment", "region", "plan", "nps_category", "behaviour_segment")
EXPERIENCE = ("unresolved_90d", "escalations_90d")
#: The default Cox covariates: who the customer is, what they last said, and how they were served.
COX_COVARIATES = ("segment", "region", "plan", "nps_category", *EXPERIENCE)
#: Survival is reported at these months by default.
AT_MONTHS = (12, 24, 36)
#: A log hazard ratio beyond this (a ratio past e^15) is a separated group, not an estimate.
MAX_LOG_HR = 15.0
#: Concordance is estimated on this many customers at most (a fixed random sample).
CONCORDANCE_SAMPLE = 50_000
#: Proportional hazards count as failed below this p-value of the Schoenfeld test.
PH_ALPHA = 0.01
TABLE_COLUMNS = (
    "customer_id", "segment", "region", "plan", "monthly_revenue", "signup_at", "end_at",
    "duration", "event", "entry", "ltr", "nps_category", *EXPERIENCE,
)  # fmt: skip


class SurvivalError(IconicError, ValueError):
    """A survival analysis was asked for something the data cannot give (say, an unknown column)."""


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


def _stamp(moment: datetime) -> ibis.Scalar:
    return ibis.literal(pd.Timestamp(moment).tz_convert("UTC"), type="timestamp('UTC')")


def _months(later: ibis.Value, earlier: ibis.Value) -> ibis.Value:
    return (epoch_seconds(later) - epoch_seconds(earlier)) / MONTH_SECONDS


def survival_rows(wh: Warehouse, f: Filters, window: Window) -> ibis.Table:
    """The survival table as an Ibis expression (see ``survival_table`` for its columns)."""
    as_of = _stamp(window.as_of)
    c = filters.customers(wh, f)
    c = c.filter(c.signup_at < as_of)
    if window.start is not None:
        opens = _stamp(window.start)
        c = c.filter(c.churned_at.isnull() | (c.churned_at >= opens))
    event = c.churned_at.notnull() & (c.churned_at < as_of)
    end = ibis.ifelse(event, c.churned_at, as_of)
    entry = (
        ibis.greatest(_months(opens, c.signup_at), ibis.literal(0.0)) if window.start is not None else ibis.literal(0.0)
    )
    rows = c.select(
        "customer_id", "segment", "region", "plan", "monthly_revenue", "signup_at",
        end_at=end, duration=_months(end, c.signup_at), event=event, entry=entry,
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


#: The last few survival tables, spell frames and Cox models built, per warehouse version and
#: arguments: a page asks for curves, the Cox model, value and a what-if of the same customers, and
#: at a million customers each build takes seconds. Sessions asking at once share one build.
_BUILT: Memo[Any] = Memo(entries=8)


def recall(kind: str, wh: Warehouse, key: tuple[Any, ...], build: Callable[[], Any]) -> Any:
    """``build()``, or what it returned for the same warehouse version, ``kind`` and ``key``: a small
    cache of the slow pieces (tables, spells, models) that several calls in one process share."""
    # The cap on rows a local step takes in changes what a model is fitted on: it is part of the key.
    return _BUILT.get((kind, str(wh.root), wh.data_version, config.local_rows(), *key), build)


def _remembered(kind: str, wh: Warehouse, key: tuple[Any, ...], build: Callable[[], pd.DataFrame]) -> pd.DataFrame:
    """``recall`` for a frame, as a shallow copy, so a caller adding columns does not change what
    the next caller gets."""
    frame: pd.DataFrame = recall(kind, wh, key, build)
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
        "customer_id", "responded_at", "ltr", start=_months(answers.responded_at, answers.signup_at)
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


def _require(table: pd.DataFrame, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise SurvivalError(
            f"the survival table has no column {', '.join(repr(c) for c in missing)};"
            f" it has {', '.join(map(str, table.columns))}"
        )


def groups_of(table: pd.DataFrame, by: str | None) -> list[tuple[str, pd.DataFrame]]:
    """``(label, rows)`` per level of ``by`` (or one group "all customers"), largest first, with the
    NPS categories in their natural order."""
    if by is None:
        return [("all customers", table)] if len(table) else []
    _require(table, [by])
    labels = table[by].fillna("unknown").astype(str)
    order = list(NPS_CATEGORIES) if by == "nps_category" else labels.value_counts().index.tolist()
    present = set(labels)
    return [(level, table[labels == level]) for level in order if level in present]


# --- Kaplan-Meier --------------------------------------------------------------------------------


def survival_curves(table: pd.DataFrame, *, by: str | None = None, confidence: float = 0.95) -> pd.DataFrame:
    """Kaplan-Meier curves with pointwise bands: ``group``, ``month``, ``survival``, ``low``,
    ``high``, ``at_risk``, one row per event time after a first row at month 0 (survival 1)."""
    frames = [KaplanMeierData.of(rows).estimate(confidence).assign(group=label) for label, rows in groups_of(table, by)]
    columns = ["group", "month", "survival", "low", "high", "at_risk"]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=object if c == "group" else float) for c in columns})
    return pd.concat(frames, ignore_index=True)[columns]


def step_function(times: np.ndarray, survival: np.ndarray, at: np.ndarray) -> np.ndarray:
    """A right-continuous step survival function (``survival[i]`` from ``times[i]``) read at ``at``."""
    at = np.asarray(at, float)
    if times.size == 0:  # nobody has left: survival stays at 1
        return np.ones_like(at)
    idx = np.searchsorted(times, at, side="right") - 1
    return np.where(idx >= 0, survival[np.clip(idx, 0, None)], 1.0)


class KaplanMeierData:
    """One group's durations, events and entries, sorted once, for Kaplan-Meier under many sets of
    case weights (bootstrap replicates). With unit weights it equals lifelines' estimate.

    The risk set at time t is everyone with ``entry < t <= duration`` (lifelines' convention; at
    t = 0, those entering at 0). ``counts`` says how many customers each row stands for
    (``binned`` collapses customers with the same tenure to the day into one row).
    """

    def __init__(
        self, duration: np.ndarray, event: np.ndarray, entry: np.ndarray, counts: np.ndarray | None = None
    ) -> None:
        self.duration = np.asarray(duration, float)
        self.event = np.asarray(event, bool)
        self.entry = np.asarray(entry, float)
        self.counts = np.ones(self.duration.size) if counts is None else np.asarray(counts, float)
        self.times = np.unique(self.duration[self.event])
        self._death_slot = np.searchsorted(self.times, self.duration[self.event])
        self._by_end = np.argsort(self.duration, kind="stable")
        self._by_entry = np.argsort(self.entry, kind="stable")
        self._ended = np.searchsorted(self.duration[self._by_end], self.times, side="left")
        self._entered = _entered_by(self.entry[self._by_entry], self.times)

    def __len__(self) -> int:
        return self.duration.size

    def resample(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """One bootstrap replicate of the curve: each customer drawn Poisson(1) times (Hanley &
        MacGibbon 2006), so a row standing for k customers is drawn Poisson(k) times."""
        return self.curve(rng.poisson(self.counts))

    def curve(self, weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(times, survival)`` at the distinct event times, under case ``weights`` (default: the
        row counts)."""
        w = self.counts if weights is None else np.asarray(weights, float)
        deaths = np.bincount(self._death_slot, weights=w[self.event], minlength=self.times.size)
        at_risk = _cumsum0(w[self._by_entry])[self._entered] - _cumsum0(w[self._by_end])[self._ended]
        with np.errstate(divide="ignore", invalid="ignore"):
            factor = np.where(at_risk > 0, 1.0 - deaths / at_risk, 1.0)
        return self.times, np.cumprod(factor)

    def estimate(self, confidence: float = 0.95) -> pd.DataFrame:
        """The unweighted curve with its pointwise band: ``month``, ``survival``, ``low``, ``high``,
        ``at_risk``, a row at month 0 and one per event time.

        The band is Greenwood's variance on the log(-log S) scale (Kalbfleisch & Prentice 2002), as
        lifelines computes it: it stays within [0, 1]. Where the risk set empties, the curve drops
        to 0 and stays there (lifelines refuses such data).
        """
        w = self.counts
        deaths = np.bincount(self._death_slot, weights=w[self.event], minlength=self.times.size)
        at_risk = _cumsum0(w[self._by_entry])[self._entered] - _cumsum0(w[self._by_end])[self._ended]
        with np.errstate(divide="ignore", invalid="ignore"):
            survival = np.cumprod(np.where(at_risk > 0, 1.0 - deaths / at_risk, 1.0))
            greenwood = np.cumsum(np.where(at_risk > deaths, deaths / (at_risk * (at_risk - deaths)), 0.0))
            z = stats.norm.ppf(0.5 + confidence / 2)
            log_s = np.log(survival)
            spread = z * np.sqrt(greenwood) / log_s
            low = np.exp(-np.exp(np.log(-log_s) - spread))
            high = np.exp(-np.exp(np.log(-log_s) + spread))
        low = np.where(survival >= 1, 1.0, np.where(survival <= 0, 0.0, low))
        high = np.where(survival >= 1, 1.0, np.where(survival <= 0, 0.0, high))
        return pd.DataFrame(
            {
                "month": np.concatenate([[0.0], self.times]),
                "survival": np.concatenate([[1.0], survival]),
                "low": np.concatenate([[1.0], low]),
                "high": np.concatenate([[1.0], high]),
                "at_risk": np.concatenate([[float(w[self.entry <= 0].sum())], at_risk]),
            }
        )

    @classmethod
    def of(cls, rows: pd.DataFrame) -> KaplanMeierData:
        return cls(rows["duration"].to_numpy(float), rows["event"].to_numpy(bool), rows["entry"].to_numpy(float))

    @classmethod
    def binned(cls, rows: pd.DataFrame) -> KaplanMeierData:
        """Customers with the same entry, tenure and outcome to the day, as one row with a count: what
        bootstrap replicates run on, so that their cost follows the days of tenure seen, not the
        number of customers. Curves differ from the exact ones only within a day."""
        day = 1 / MONTH_DAYS
        keys = pd.DataFrame(
            {
                "duration": np.round(rows["duration"].to_numpy(float) / day),
                "entry": np.round(rows["entry"].to_numpy(float) / day),
                "event": rows["event"].to_numpy(bool),
            }
        )
        cells = keys.value_counts(sort=False).reset_index(name="count")
        return cls(
            cells["duration"].to_numpy(float) * day,
            cells["event"].to_numpy(bool),
            np.minimum(cells["entry"].to_numpy(float), cells["duration"].to_numpy(float)) * day,
            cells["count"].to_numpy(float),
        )


def _entered_by(sorted_entry: np.ndarray, times: np.ndarray) -> np.ndarray:
    """How many rows have entered the risk set at each time: entry < t, as in lifelines and the Cox
    fit (a stretch that starts at t is not at risk of ending at t), except at t = 0, where customers
    who enter at 0 are at risk (a churn at the moment of signup counts)."""
    strict = np.searchsorted(sorted_entry, times, side="left")
    return np.where(times > 0, strict, np.searchsorted(sorted_entry, times, side="right"))


def _cumsum0(values: np.ndarray) -> np.ndarray:
    return np.concatenate([np.zeros((1, *values.shape[1:])), np.cumsum(values, axis=0)])


def rmst_of(times: np.ndarray, survival: np.ndarray, horizon: float) -> float:
    """Area under a step survival curve from 0 to ``horizon``."""
    knots = np.concatenate([[0.0], times[times < horizon], [horizon]])
    levels = np.concatenate([[1.0], survival[times < horizon]])
    return float(np.sum(levels * np.diff(knots)))


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


def _logrank(duration: np.ndarray, event: np.ndarray, entry: np.ndarray, group: np.ndarray) -> tuple[float, int]:
    """The K-group log-rank chi-square and its degrees of freedom (Mantel 1966; hypergeometric
    variance), with the risk set of Kaplan-Meier (``entry < t <= duration``)."""
    levels, g = np.unique(group, return_inverse=True)
    k = levels.size
    died = event.astype(bool)
    times = np.unique(duration[died])
    if k < 2 or times.size == 0:
        return math.nan, max(k - 1, 0)
    at_risk = np.empty((times.size, k))
    deaths = np.empty((times.size, k))
    for j in range(k):
        mine = g == j
        d, e = np.sort(duration[mine]), np.sort(entry[mine])
        at_risk[:, j] = _entered_by(e, times) - np.searchsorted(d, times, side="left")
        deaths[:, j] = np.bincount(np.searchsorted(times, duration[mine & died]), minlength=times.size)[: times.size]
    n = at_risk.sum(axis=1)
    d = deaths.sum(axis=1)
    keep = n > 0
    n, d, at_risk, deaths = n[keep], d[keep], at_risk[keep], deaths[keep]
    share = at_risk / n[:, None]
    observed_minus_expected = (deaths - d[:, None] * share).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = np.where(n > 1, d * (n - d) / (n - 1), 0.0)
    v = np.einsum("t,tj,tk->jk", spread, share, -share) + np.diag((spread[:, None] * share).sum(axis=0))
    u, v = observed_minus_expected[:-1], v[:-1, :-1]
    try:
        statistic = float(u @ np.linalg.solve(v, u))
    except np.linalg.LinAlgError:
        statistic = float(u @ np.linalg.pinv(v) @ u)
    return statistic, k - 1


def logrank(table: pd.DataFrame, *, by: str) -> LogRank:
    """Log-rank test of equal survival across the levels of ``by``, and pairwise tests with Holm's
    adjustment. NaN where fewer than two groups have anyone at risk."""
    _require(table, ["duration", "event", "entry", by])
    groups = groups_of(table, by)
    labels = table[by].fillna("unknown").astype(str).to_numpy()
    arrays = (table["duration"].to_numpy(float), table["event"].to_numpy(bool), table["entry"].to_numpy(float))
    statistic, df = _logrank(*arrays, labels)
    pairs = []
    group_names = [g for g, _rows in groups]
    for i, a in enumerate(group_names):
        for b in group_names[i + 1 :]:
            mask = (labels == a) | (labels == b)
            duration, event, entry = (x[mask] for x in arrays)
            s, _df = _logrank(duration, event, entry, labels[mask])
            pairs.append({"group_a": a, "group_b": b, "chi_square": s, "p_value": _chi2(s, 1)})
    pairwise = pd.DataFrame(pairs, columns=["group_a", "group_b", "chi_square", "p_value"])
    finite = pairwise["p_value"].notna()
    pairwise["p_adjusted"] = np.nan
    if finite.any():
        pairwise.loc[finite, "p_adjusted"] = advocacy.adjust_p_values(pairwise.loc[finite, "p_value"].tolist())
    return LogRank(statistic, df, _chi2(statistic, df), pairwise)


def _chi2(statistic: float, df: int) -> float:
    return float(stats.chi2.sf(statistic, df)) if df > 0 and math.isfinite(statistic) else math.nan


# --- Summaries -----------------------------------------------------------------------------------


def survival_summary(
    table: pd.DataFrame,
    *,
    by: str | None = None,
    horizon: float = 36.0,
    at: Sequence[float] = AT_MONTHS,
    bootstrap: int = 200,
    confidence: float = 0.95,
    random_state: int = 0,
) -> pd.DataFrame:
    """Per group: ``group``, ``n``, ``events``, ``followed`` (the longest tenure observed),
    ``median`` (months; NaN when the curve never falls to one half: "not reached") with
    ``median_low`` and ``median_high``, ``rmst`` to ``horizon`` months with a percentile-bootstrap
    interval (``rmst_low``, ``rmst_high``; customers resampled within the group, on tenure to the
    day), and ``s<m>``, ``s<m>_low``, ``s<m>_high`` for each month in ``at`` (Kaplan-Meier with its
    band). RMST and ``s<m>`` are NaN past the longest tenure observed.
    """
    rng = np.random.default_rng(random_state)
    out = []
    tail = (1 - confidence) / 2
    for label, rows in groups_of(table, by):
        data = KaplanMeierData.of(rows)
        curve = data.estimate(confidence)
        times, surv = curve["month"].to_numpy(), curve["survival"].to_numpy()
        followed = float(rows["duration"].max())
        row: dict[str, Any] = {
            "group": label,
            "n": len(rows),
            "events": int(rows["event"].sum()),
            "followed": followed,
            "median": _first_at_or_below(curve["month"], curve["survival"]),
            "median_low": _first_at_or_below(curve["month"], curve["low"]),
            "median_high": _first_at_or_below(curve["month"], curve["high"]),
            "rmst": rmst_of(times[1:], surv[1:], horizon) if horizon <= followed else math.nan,
        }
        cells = KaplanMeierData.binned(rows) if bootstrap else data
        reps = [rmst_of(*cells.resample(rng), horizon) for _ in range(bootstrap)]
        low, high = np.quantile(reps, [tail, 1 - tail]) if reps and math.isfinite(row["rmst"]) else (math.nan,) * 2
        row["rmst_low"], row["rmst_high"] = float(min(low, row["rmst"])), float(max(high, row["rmst"]))
        for m in at:
            inside = m <= followed
            step = curve[curve["month"] <= m].iloc[-1]
            row[f"s{m:g}"] = float(step["survival"]) if inside else math.nan
            row[f"s{m:g}_low"] = float(step["low"]) if inside else math.nan
            row[f"s{m:g}_high"] = float(step["high"]) if inside else math.nan
        out.append(row)
    columns = [
        "group",
        "n",
        "events",
        "followed",
        "median",
        "median_low",
        "median_high",
        "rmst",
        "rmst_low",
        "rmst_high",
    ]
    columns += [f"s{m:g}{s}" for m in at for s in ("", "_low", "_high")]
    return pd.DataFrame(out, columns=columns)


def _first_at_or_below(months: pd.Series, values: pd.Series, level: float = 0.5) -> float:
    """The first month a curve is at or below ``level`` (the median, for 0.5; for a band's bounds,
    the median's interval as Brookmeyer & Crowley 1982 read it); NaN if it never gets there."""
    below = months[values <= level]
    return float(below.iloc[0]) if len(below) else math.nan


# --- Cox -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CoxFit:
    """What the partial-likelihood fit learned: coefficients on the model's terms, their covariance,
    the covariate means used for centring, and the Breslow baseline cumulative hazard per stratum
    (at the centred covariates)."""

    terms: tuple[str, ...]
    beta: np.ndarray
    variance: np.ndarray
    mean: np.ndarray
    log_likelihood: float
    baseline: dict[str, tuple[np.ndarray, np.ndarray]]

    def cumulative_hazard(self, x: np.ndarray, at: np.ndarray, stratum: str = "") -> np.ndarray:
        """H(t | x) for each row of ``x`` (rows) at each time in ``at`` (columns)."""
        times, cumhaz = self.baseline[stratum]
        h0 = np.concatenate([[0.0], cumhaz])[np.searchsorted(times, at, side="right")]
        return np.exp((np.atleast_2d(x) - self.mean) @ self.beta)[:, None] * h0[None, :]


class _Stratum:
    """One stratum's rows with everything that does not depend on the coefficients worked out
    once: the order of deaths, tie groups, and where each event time falls among starts and stops."""

    def __init__(self, x: np.ndarray, start: np.ndarray, stop: np.ndarray, event: np.ndarray) -> None:
        self.x, self.start, self.stop = x, start, stop
        died = np.flatnonzero(event)
        self.order = died[np.argsort(stop[died], kind="stable")]
        t_death = stop[self.order]
        self.times, self.group, self.ties = np.unique(t_death, return_inverse=True, return_counts=True)
        self.f = (np.arange(self.order.size) - np.searchsorted(t_death, self.times)[self.group]) / self.ties[self.group]
        self.by_start, self.by_stop = np.argsort(start, kind="stable"), np.argsort(stop, kind="stable")
        self.began = np.searchsorted(start[self.by_start], self.times, side="left")
        self.ended = np.searchsorted(stop[self.by_stop], self.times, side="left")
        self.at_stop = np.searchsorted(self.times, stop, side="right")
        self.at_start = np.searchsorted(self.times, start, side="right")
        self.x_died = x[self.order]
        self.x_by_start, self.x_by_stop = x[self.by_start], x[self.by_stop]

    def risk_sums(self, r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Sums over the risk set (start < t <= stop) at each event time of the risk scores ``r`` and
        of ``r * x``."""
        r_start, r_stop = r[self.by_start], r[self.by_stop]
        s0 = _cumsum0(r_start)[self.began] - _cumsum0(r_stop)[self.ended]
        s1 = (
            _cumsum0(self.x_by_start * r_start[:, None])[self.began]
            - _cumsum0(self.x_by_stop * r_stop[:, None])[self.ended]
        )
        return s0, s1

    def terms(self, beta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
        """Log partial likelihood, score and information (Efron's ties), and the Breslow baseline
        hazard increment at each event time.

        Each step is O(n p^2): the second-moment sum over risk sets is turned around into one
        weight per row (the sum, over the event times at which the row is at risk, of 1 / risk-set
        total), so ``X' diag(w) X`` replaces a p x p matrix per event time.
        """
        p = self.x.shape[1]
        if self.order.size == 0:
            return 0.0, np.zeros(p), np.zeros((p, p)), np.zeros(0)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            # A trial step too far makes risk scores overflow; its likelihood is then not finite,
            # and the step is halved (cox_partial_likelihood).
            return self._terms(beta)

    def _terms(self, beta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
        p = self.x.shape[1]
        eta = self.x @ beta
        r = np.exp(eta)
        s0, s1 = self.risk_sums(r)
        group, f, n_times = self.group, self.f, self.times.size
        r_died = r[self.order]
        d0 = np.bincount(group, weights=r_died, minlength=n_times)
        rx_died = self.x_died * r_died[:, None]
        d1 = np.stack([np.bincount(group, weights=rx_died[:, k], minlength=n_times) for k in range(p)], axis=1)
        den = s0[group] - f * d0[group]
        mean = (s1[group] - f[:, None] * d1[group]) / den[:, None]
        log_likelihood = float(eta[self.order].sum() - np.log(den).sum())
        score = self.x_died.sum(axis=0) - mean.sum(axis=0)
        running = _cumsum0(np.bincount(group, weights=1.0 / den, minlength=n_times))
        weight = running[self.at_stop] - running[self.at_start]
        weight[self.order] -= np.bincount(group, weights=f / den, minlength=n_times)[group]
        information = (self.x * (r * weight)[:, None]).T @ self.x - mean.T @ mean
        return log_likelihood, score, information, self.ties / s0


def cox_partial_likelihood(
    x: np.ndarray,
    start: np.ndarray,
    stop: np.ndarray,
    event: np.ndarray,
    *,
    strata: np.ndarray | None = None,
    terms: Sequence[str] | None = None,
    initial: Mapping[str, float] | None = None,
    tolerance: float = 1e-9,
    max_steps: int = 50,
) -> CoxFit:
    """Fit Cox proportional hazards by Newton-Raphson on the partial likelihood with Efron's
    handling of ties (R's ``coxph`` default), for rows at risk on ``(start, stop]``: delayed entry
    and time-varying covariates in counting-process form. A step that lowers the likelihood is
    halved. ``initial`` gives starting values by term name.

    lifelines fits the same model, but with an entry column it falls back to a loop over event
    times that is quadratic in the data (16 s for 20,000 customers here); this is linear.
    """
    x = np.asarray(x, float)
    mean = x.mean(axis=0) if len(x) else np.zeros(x.shape[1])
    xc = x - mean
    codes, levels = (
        pd.factorize(np.asarray(strata, dtype=object)) if strata is not None else (np.zeros(len(x), int), [""])
    )
    parts = [np.flatnonzero(codes == k) for k in range(len(levels))]

    strata_ = [_Stratum(xc[rows], start[rows], stop[rows], event[rows]) for rows in parts]

    def total(beta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        ll, u, info = 0.0, np.zeros(x.shape[1]), np.zeros((x.shape[1], x.shape[1]))
        for stratum in strata_:
            a, b, c, _h = stratum.terms(beta)
            ll, u, info = ll + a, u + b, info + c
        return ll, u, info

    names_ = list(terms or (f"x{k}" for k in range(x.shape[1])))
    # Newton starts at 0, or where a related fit ended (a stratified refit of the same terms).
    beta = np.array([float((initial or {}).get(t, 0.0)) for t in names_])
    ll, score, info = total(beta)
    for _step in range(max_steps):
        try:
            step = np.linalg.solve(info, score)
        except np.linalg.LinAlgError as exc:
            raise SurvivalError("the Cox model cannot be fitted: a covariate is constant or collinear") from exc
        for _halving in range(30):
            new_ll, new_score, new_info = total(beta + step)
            if math.isfinite(new_ll) and new_ll >= ll - 1e-12:
                break
            step /= 2
        else:
            raise SurvivalError("the Cox model did not converge; drop a covariate with few events")
        # Converged when the likelihood stops moving (R's criterion): a coefficient heading to
        # infinity (a group with no churns) must not keep the loop going.
        beta, converged = beta + step, abs(new_ll - ll) < tolerance * max(1.0, abs(ll))
        ll, score, info = new_ll, new_score, new_info
        if converged:
            break
    else:
        raise SurvivalError("the Cox model did not converge; drop a covariate with few events")
    baseline = {}
    for name, stratum in zip([str(v) for v in levels], strata_, strict=True):
        baseline[name] = (stratum.times, np.cumsum(stratum.terms(beta)[3]))
    return CoxFit(
        terms=tuple(terms or (f"x{k}" for k in range(x.shape[1]))),
        beta=beta,
        variance=np.linalg.inv(info),
        mean=mean,
        log_likelihood=ll,
        baseline=baseline,
    )


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


def design(
    table: pd.DataFrame,
    covariates: Sequence[str],
    *,
    references: Mapping[str, str] | None = None,
) -> tuple[pd.DataFrame, dict[str, str], dict[str, tuple[str, str]]]:
    """The model matrix for Cox: one 0/1 column per non-reference level of each categorical
    covariate, numeric covariates as they are.

    The reference level is ``references[covariate]`` if given, else the most common level. Returns
    the matrix, the references used, and ``term -> (covariate, level)``.
    """
    _require(table, covariates)
    frame = pd.DataFrame(index=table.index)
    used: dict[str, str] = {}
    terms: dict[str, tuple[str, str]] = {}
    for cov in covariates:
        column = table[cov]
        if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
            frame[cov] = column.astype(float)
            terms[cov] = (cov, "")
            continue
        labels = column.fillna("unknown").astype(str)
        counts = labels.value_counts()
        reference = (references or {}).get(cov)
        if reference is None or reference not in counts.index:
            reference = sorted(counts.index, key=lambda level: (-counts[level], level))[0] if len(counts) else ""
        used[cov] = reference
        for level in sorted(counts.index):
            if level != reference:
                term = f"{cov}[{level}]"
                frame[term] = (labels == level).astype(float)
                terms[term] = (cov, level)
    return frame, used, terms


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
    covariate for spells. Efron ties, Wald intervals.

    Categorical covariates are coded against a reference level (``design``); covariates with a single
    level are dropped. Rows of zero length (churned the moment they signed up) cannot be at risk
    and are left out. ``strata`` gives a baseline hazard per level instead of a coefficient. With
    ``check``, proportional hazards are tested per covariate (``schoenfeld_test``), and a
    categorical covariate that fails at ``PH_ALPHA`` gets a plain warning and a stratified refit
    (started from this fit's coefficients, ``initial``).
    """
    covariates = tuple(c for c in covariates if c not in strata)
    _require(table, ["duration", "event", "entry", *covariates, *strata])
    rows = table[table["duration"] > table["entry"]]
    rows, notes = _without_churnless_levels(rows, covariates)
    informative = tuple(c for c in covariates if rows[c].nunique(dropna=False) > 1)
    x, used, terms = design(rows, informative, references=references)
    events = int(rows["event"].sum())
    customers = int(rows["customer_id"].nunique()) if "customer_id" in rows else len(rows)
    if events == 0 or not terms:
        note = " ".join([*notes, "No churns to model." if events == 0 else "Nothing varies to model."])
        return _no_model(len(rows), customers, events, informative, tuple(strata), used, note)
    duration, entry, event = (rows[c].to_numpy(float) for c in ("duration", "entry", "event"))
    stratum = None
    if strata:
        parts = [rows[c].fillna("unknown").astype(str) for c in strata]
        stratum = parts[0].str.cat(parts[1:], sep=" / ").to_numpy() if len(parts) > 1 else parts[0].to_numpy()
    try:
        fit = cox_partial_likelihood(
            x.to_numpy(float),
            entry,
            duration,
            event.astype(bool),
            strata=stratum,
            terms=list(terms),
            initial=initial,
        )
    except SurvivalError as exc:
        return _no_model(len(rows), customers, events, informative, tuple(strata), used, " ".join([*notes, str(exc)]))
    with np.errstate(invalid="ignore"):
        se = np.sqrt(np.diag(fit.variance))
    # A coefficient running off to infinity (a group nobody in the other levels resembles) or with no
    # usable variance is not an estimate: it is left out of the table, and said.
    stable = (np.abs(fit.beta) <= MAX_LOG_HR) & np.isfinite(se) & (se < MAX_LOG_HR)
    wild = [t for t, ok in zip(fit.terms, stable, strict=True) if not ok]
    if wild:
        notes.append(
            f"{', '.join(_term_label(*terms[t]) for t in wild)}: no stable estimate (too few churns either side)."
        )
    se = np.where(stable, se, np.nan)
    beta = np.where(stable, fit.beta, 0.0)  # the unstable rows are dropped below
    z = stats.norm.ppf(0.5 + confidence / 2)
    ratios = pd.DataFrame(
        {
            "covariate": [terms[t][0] for t in fit.terms],
            "stable": stable,
            "term": list(fit.terms),
            "level": [terms[t][1] for t in fit.terms],
            "reference": [used.get(terms[t][0], "") for t in fit.terms],
            "label": [_term_label(*terms[t]) for t in fit.terms],
            "hazard_ratio": np.exp(beta),
            "hazard_ratio_low": np.exp(beta - z * se),
            "hazard_ratio_high": np.exp(beta + z * se),
            "p_value": 2 * stats.norm.sf(np.abs(beta / se)),
        }
    )
    ph = _ph_check(fit, x, duration, event.astype(bool), entry, terms) if check and not strata else _no_check()
    result = CoxResult(
        hazard_ratios=ratios[ratios.pop("stable")].reset_index(drop=True),
        concordance=_concordance(rows, x.to_numpy(float) @ fit.beta),
        n=len(rows),
        customers=customers,
        events=events,
        covariates=informative,
        strata=tuple(strata),
        references=used,
        ph_check=ph,
        note=" ".join(notes),
        fit_=fit,
        levels_=terms,
    )
    failing = ph.loc[ph["fails"], "covariate"].tolist()
    if failing:
        categorical = [c for c in failing if c in used]
        result.warning = (
            f"The effect of {_listed(COVARIATE_WORDS.get(c, names.phrase(c)) for c in failing)} changes with tenure "
            f"(proportional-hazards test p < {PH_ALPHA}),"
            " so its hazard ratio averages an effect that is not constant."
            + (
                f" The stratified fit gives each {' and '.join(names.phrase(c) for c in categorical)} its own baseline"
                " instead."
                if categorical
                else ""
            )
        )
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


def _concordance(rows: pd.DataFrame, risk: np.ndarray) -> float:
    """Harrell's C over each customer's last row (its churn or censoring, and its latest covariates);
    on a fixed random sample of ``CONCORDANCE_SAMPLE`` customers when there are more, since the
    count of comparable pairs grows with the square of the customers."""
    last = np.ones(len(rows), bool)
    if "customer_id" in rows:
        last = ~rows["customer_id"].duplicated(keep="last").to_numpy()
    keep = np.flatnonzero(last)
    if keep.size > CONCORDANCE_SAMPLE:
        keep = np.sort(np.random.default_rng(0).choice(keep, CONCORDANCE_SAMPLE, replace=False))
    event = rows["event"].to_numpy(bool)[keep]
    if not event.any() or keep.size < 2:
        return math.nan
    try:
        return float(concordance_index(rows["duration"].to_numpy(float)[keep], -risk[keep], event))
    except ZeroDivisionError:  # no comparable pairs
        return math.nan


def _no_check() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "covariate": pd.Series(dtype=object),
            "statistic": pd.Series(dtype=float),
            "p_value": pd.Series(dtype=float),
            "fails": pd.Series(dtype=bool),
        }
    )


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
    return CoxResult(empty, math.nan, n, customers, events, covariates, strata, used, _no_check(), note=note)


def _without_churnless_levels(rows: pd.DataFrame, covariates: Sequence[str]) -> tuple[pd.DataFrame, list[str]]:
    """Rows of category levels nobody churned in are left out, and said: such a level's hazard ratio
    is zero with an infinite interval, and it would stall the fit."""
    notes = []
    for cov in covariates:
        column = rows[cov]
        if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
            continue
        labels = column.fillna("unknown").astype(str)
        churned = rows["event"].groupby(labels).sum()
        empty = sorted(churned.index[churned == 0])
        if empty and len(empty) < len(churned):
            rows = rows[~labels.isin(empty)]
            notes.append(
                f"Left out: {', '.join(_term_label(cov, level) for level in empty)}"
                f" ({int(labels.isin(empty).sum()):,} rows, no churns)."
            )
    return rows, notes


def _ph_check(
    fit: CoxFit,
    x: pd.DataFrame,
    duration: np.ndarray,
    event: np.ndarray,
    entry: np.ndarray,
    terms: Mapping[str, tuple[str, str]],
) -> pd.DataFrame:
    """Per covariate, the smallest p-value of its terms in ``schoenfeld_test`` (a covariate fails if
    any of its levels does)."""
    if event.sum() < 2:
        return _no_check()
    statistic = schoenfeld_test(x.to_numpy(float), duration, event, entry, beta=fit.beta, variance=fit.variance)
    by_term = pd.DataFrame(
        {
            "covariate": [terms[t][0] for t in fit.terms],
            "statistic": statistic,
            "p_value": [_chi2(float(v), 1) for v in statistic],
        }
    )
    worst = by_term.sort_values("p_value").groupby("covariate", sort=False).head(1)
    worst = worst.assign(fails=worst["p_value"] < PH_ALPHA)
    return worst.sort_values("covariate").reset_index(drop=True)


def schoenfeld_test(
    x: np.ndarray,
    duration: np.ndarray,
    event: np.ndarray,
    entry: np.ndarray,
    *,
    beta: np.ndarray,
    variance: np.ndarray,
) -> np.ndarray:
    """Per-term chi-square (1 df) of the Grambsch & Therneau (1994) test of proportional hazards,
    with the rank of event time as the time transform: the approximation lifelines'
    ``proportional_hazard_test`` uses, computed here because lifelines has no residuals for delayed
    entry. The risk set at an event time t is ``entry < t <= duration``; equals lifelines where
    nobody enters late and no event times tie.

    The Schoenfeld residual of an event at t is ``x - xbar(t)``, the covariates less their
    risk-weighted mean over the risk set; scaled by ``d * variance`` (d events) and correlated
    with the rank of t.
    """
    risk = np.exp((x - x.mean(axis=0)) @ beta)
    by_end = np.argsort(duration, kind="stable")
    by_entry = np.argsort(entry, kind="stable")

    def cum(order: np.ndarray, v: np.ndarray) -> np.ndarray:  # running sums, with 0 for "none yet"
        return np.concatenate([np.zeros((1, *v.shape[1:])), np.cumsum(v[order], axis=0)])

    died = np.flatnonzero(event)
    died = died[np.argsort(duration[died], kind="stable")]
    t = duration[died]
    entered = np.searchsorted(entry[by_entry], t, side="left")
    left = np.searchsorted(duration[by_end], t, side="left")
    s0 = cum(by_entry, risk)[entered] - cum(by_end, risk)[left]
    weighted = x * risk[:, None]
    s1 = cum(by_entry, weighted)[entered] - cum(by_end, weighted)[left]
    residuals = x[died] - s1 / s0[:, None]
    d = died.size
    scaled = d * residuals @ variance
    g = np.arange(1, d + 1, dtype=float)
    g -= g.mean()
    return (g @ scaled) ** 2 / (d * np.diag(variance) * (g**2).sum())


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
    summary = survival_summary(table, by=by, horizon=horizon, at=at, bootstrap=bootstrap, random_state=random_state)
    test = logrank(table, by=by) if by is not None and len(summary) > 1 else None
    if spells:
        note = (
            "Each stretch of tenure counts in the NPS category of the customer's latest relationship answer"
            " at the time; n counts stretches, not customers."
        )
    else:
        note = "Tenure from signup; customers who were already customers when the window opened count from then."
    curves = survival_curves(table, by=by)
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
    result: CoxResult = recall("cox", wh, key, fit)
    return result


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


def model_matrix(frame: pd.DataFrame, fit: CoxFit, levels: Mapping[str, tuple[str, str]]) -> np.ndarray:
    """Rows of ``frame`` coded on a fitted model's terms (0/1 per level, numbers as they are)."""
    columns = []
    for term in fit.terms:
        covariate, level = levels[term]
        column = frame[covariate]
        columns.append(column.astype(float) if not level else (column.astype(str) == level).astype(float))
    return np.column_stack(columns) if columns else np.zeros((len(frame), 0))


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
    model's (unstratified) baseline; past the last event time the baseline's cumulative hazard
    continues at its average slope over the last observed year. The changed value is held for the
    whole horizon. No interval is given: the numbers carry the model's uncertainty unmeasured. Margin is monthly revenue x ``margin_rate``,
    discounted monthly. An association, not proof: the model adjusts only for what is in it.
    """
    if reduce_by is None and (from_level is None or to_level is None):
        raise SurvivalError("say what changes: from_level and to_level for a category, or reduce_by for a count")
    if reduce_by is not None and not 0 <= reduce_by <= 1:
        raise SurvivalError(f"reduce_by is a fraction between 0 and 1, not {reduce_by}")
    spells = nps_spells(wh, f, as_of=as_of)
    cox = hazard_ratios(wh, f, as_of=as_of)
    if covariate not in spells.columns:
        raise SurvivalError(f"{covariate!r} is not a covariate; the model has {', '.join(COX_COVARIATES)}")
    categorical = not pd.api.types.is_numeric_dtype(spells[covariate])
    if reduce_by is not None and categorical:
        raise SurvivalError(f"{covariate!r} is a category: move it with from_level and to_level")
    if reduce_by is None and not categorical:
        raise SurvivalError(f"{covariate!r} is a count: change it with reduce_by")
    last = ~spells["customer_id"].duplicated(keep="last").to_numpy()
    churned = spells.groupby("customer_id")["event"].transform("any").to_numpy()
    now = spells[last & ~churned]
    if reduce_by is None:
        now = now[now[covariate].astype(str) == from_level]
        changed = now.assign(**{covariate: to_level})
        what = COVARIATE_WORDS.get(covariate, names.phrase(covariate))
        description = (
            f"{len(now):,} active customers whose {what} is {names.phrase(from_level)} move to {names.phrase(to_level)}"
        )
    else:
        now = now[now[covariate] > 0]
        changed = now.assign(**{covariate: now[covariate] * (1 - reduce_by)})
        what = COVARIATE_WORDS.get(covariate, names.phrase(covariate))
        description = (
            f"{what[:1].upper()}{what[1:]} fall by {reduce_by:.0%} for the {len(now):,} active customers who had any"
        )
    fit = cox.fit_
    months = np.arange(0, horizon_months + 1, dtype=float)
    empty = pd.DataFrame({"month": months, "before": 1.0, "after": 1.0})
    if fit is None or covariate not in cox.covariates:
        note = f"Too few customers or churns in this scope to fit a model with {COVARIATE_LABELS.get(covariate, covariate).lower()} in it."
        return WhatIf(description, 0, horizon_months, 0.0, 0.0, 0.0, 0.0, empty, note)
    stable = set(cox.hazard_ratios["term"])
    if not any(cox.levels_[t][0] == covariate for t in stable):
        note = f"No stable estimate for {COVARIATE_LABELS.get(covariate, covariate).lower()} in this scope."
        return WhatIf(description, 0, horizon_months, 0.0, 0.0, 0.0, 0.0, empty, note)
    if now.empty:
        return WhatIf(description, 0, horizon_months, 0.0, 0.0, 0.0, 0.0, empty, "No active customers to move.")
    tenure = now["duration"].to_numpy(float)
    times, cumhaz = fit.baseline[""]
    slope = _late_slope(times, cumhaz)
    # Terms the model could not estimate (separated, see fit_cox) count as having no effect here.
    beta = np.where([t in stable for t in fit.terms], fit.beta, 0.0)

    def stay(x: np.ndarray) -> np.ndarray:
        h0 = _extended_cumhaz(times, cumhaz, slope, tenure[:, None] + months[None, :])
        risk = np.exp((x - fit.mean) @ beta)[:, None]
        return np.exp(-(h0 - h0[:, :1]) * risk)

    before = stay(model_matrix(now, fit, cox.levels_))
    after = stay(model_matrix(changed, fit, cox.levels_))
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
        note=(
            f"Cox model on {cox.customers:,} customers and {cox.events:,} churns, adjusted for"
            f" {_listed(COVARIATE_WORDS.get(c, names.phrase(c)) for c in cox.covariates if c != covariate)}. The change is held for the whole"
            f" {horizon_months} months (in reality a category moves at the next survey and a count rolls off),"
            " margin is discounted, and past the last churn seen the baseline hazard continues at its"
            " average over the last observed year. An association, not a proof of cause."
        ),
    )


def _late_slope(times: np.ndarray, cumhaz: np.ndarray) -> float:
    """Average increase of the baseline cumulative hazard per month over the last observed year."""
    if times.size < 2:
        return 0.0
    start = max(times[-1] - 12.0, times[0])
    before = float(np.interp(start, times, cumhaz))
    return (float(cumhaz[-1]) - before) / (times[-1] - start) if times[-1] > start else 0.0


def _extended_cumhaz(times: np.ndarray, cumhaz: np.ndarray, slope: float, at: np.ndarray) -> np.ndarray:
    if times.size == 0:
        return np.zeros_like(at)
    inside = np.concatenate([[0.0], cumhaz])[np.searchsorted(times, np.minimum(at, times[-1]), side="right")]
    return inside + slope * np.clip(at - times[-1], 0.0, None)


# --- Churn rate per customer-month at risk ------------------------------------------------------------

#: Churn rates are given per this many customer-months at risk, as on the Advocacy page.
CHURN_PER = advocacy.CHURN_PER


@dataclass(frozen=True)
class ChurnRate:
    """Churns per ``CHURN_PER`` customer-months at risk over one span of days, with its exact 95%
    interval (Garwood). ``rate``, ``low`` and ``high`` are None when nobody was at risk."""

    period: periods.Period | None
    customers: int
    churned: int
    months_at_risk: float
    rate: float | None
    low: float | None
    high: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": self.period.to_dict() if self.period else None,
            "customers": self.customers,
            "churned": self.churned,
            "months_at_risk": self.months_at_risk,
            "rate": self.rate,
            "low": self.low,
            "high": self.high,
            "per": CHURN_PER,
        }


@dataclass(frozen=True)
class ChurnHeadline:
    """The churn rate of the latest complete period in scope against the period before it.

    ``change`` compares the two rates as a ratio (current over previous) with an exact interval and
    p-value (``inference.rate_ratio_test``). ``note`` says why a part is missing."""

    current: ChurnRate
    previous: ChurnRate | None = None
    change: inference.RateRatio | None = None
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.current.to_dict(),
            "previous": self.previous.to_dict() if self.previous else None,
            "change": vars(self.change) if self.change else None,
            "note": self.note,
        }


def churn_rate(wh: Warehouse, f: Filters = ALL_DATA) -> ChurnRate:
    """Churns per ``CHURN_PER`` customer-months at risk over the scope's days
    (``periods.scope_period``: its date range, bounded by the data).

    Each customer in scope (``filters.customers``) is at risk from signup or the first day, whichever
    is later, until churn or the end of the last day. A churn counts when it falls inside those days.
    Dividing by time at risk, not by customers, keeps a quarter and a year comparable and does not
    count a customer who joined on the last day like one who was there throughout.
    """
    span = periods.scope_period(wh, f)
    if span is None or not wh.has("customers"):
        return ChurnRate(span, 0, 0, 0.0, None, None, None)
    first = _stamp(datetime.combine(span.start, time(), tzinfo=UTC))
    after = _stamp(datetime.combine(span.end + timedelta(days=1), time(), tzinfo=UTC))
    c = filters.customers(wh, f)
    c = c.filter(c.signup_at < after, c.churned_at.isnull() | (c.churned_at >= first))
    start = ibis.greatest(c.signup_at, first)
    end = ibis.least(c.churned_at.fill_null(after), after)
    months = _months(end, start).clip(lower=0.0)
    churned = (c.churned_at.notnull() & (c.churned_at < after)).cast("int64")
    sums = c.aggregate(customers=_.count(), churned=churned.sum(), months=months.sum()).execute().iloc[0]
    customers = int(sums["customers"])
    events = 0 if pd.isna(sums["churned"]) else int(sums["churned"])
    exposure = 0.0 if pd.isna(sums["months"]) else float(sums["months"])
    if exposure <= 0:
        return ChurnRate(span, customers, events, exposure, None, None, None)
    low, high = inference.poisson_interval(np.array([events]), np.array([exposure]))
    return ChurnRate(
        span,
        customers,
        events,
        exposure,
        CHURN_PER * events / exposure,
        float(CHURN_PER * low[0]),
        float(CHURN_PER * high[0]),
    )


def churn_headline(wh: Warehouse, f: Filters = ALL_DATA, *, unit: periods.Unit = "quarter") -> ChurnHeadline:
    """The churn rate (``churn_rate``) of the latest complete month or quarter in scope, against the
    one before it when that is complete too; with no complete period, the scope's whole span and no
    comparison. Complete means as in ``periods.is_complete``."""
    span = periods.scope_period(wh, f)
    if span is None:
        return ChurnHeadline(churn_rate(wh, f), note="No dated data in this warehouse.")
    latest = periods.latest_complete(wh, f, unit)
    if latest is None:
        note = f"No complete {unit} in this scope: the whole scope is counted, with nothing to compare it with."
        return ChurnHeadline(churn_rate(wh, f), note=note)
    # Each rate is labelled by its calendar period (``2026-Q2``), not by its range of days.
    current = dataclasses.replace(
        churn_rate(wh, dataclasses.replace(f, start=latest.start, end=latest.end)), period=latest
    )
    if current.rate is None:
        return ChurnHeadline(current, note="No customers at risk in this scope.")
    before = periods.previous(latest, unit)
    if before.start < span.start:
        return ChurnHeadline(current, note=f"No earlier complete {unit} in this scope to compare with.")
    previous = dataclasses.replace(
        churn_rate(wh, dataclasses.replace(f, start=before.start, end=before.end)), period=before
    )
    if previous.rate is None:
        return ChurnHeadline(current, previous, note=f"No customers at risk in {before.label} to compare with.")
    change = inference.rate_ratio_test(
        current.churned, current.months_at_risk, previous.churned, previous.months_at_risk
    )
    return ChurnHeadline(current, previous, change)
