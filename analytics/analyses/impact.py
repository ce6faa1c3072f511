"""The value case: what fixing a moment of truth is worth, in lifetime value, with its uncertainty.

The chain, for every moment (journey stage x contact reason) and segment:

1. **Experience -> attitude.** Each contact with a verdict (``moments.MetRule``) is followed to the
   customer's next relationship answer (within ``within_days``). The shift is the mean next LTR
   after a met contact minus after a not-met one, within each segment x plan cell, averaged over the
   cells with the not-met contacts' mix as weights (so the comparison is between like customers,
   and the result is the effect on the customers a fix would reach). The shift in promoter and
   detractor shares is computed the same way and shown; the money goes through the 0-10 answer,
   which loses less than three categories do.
2. **Attitude -> survival.** A Cox model on the relationship-answer spells (``survival.nps_spells``)
   gives the log hazard ratio per LTR point, adjusted for segment and plan. One answer is a noisy
   reading of attitude, so that coefficient is diluted (regression dilution). Correlations between
   the same customer's answers at increasing lags fall geometrically, ``r(lag) = reliability *
   persistence^lag``, a quasi-simplex model (Heise 1969, *Am. Sociol. Rev.* 34: 93-101), which
   gives the reliability of one answer and how fast a change in attitude fades. The coefficient is
   divided by the reliability and by how much attitude has faded, on average, by the time of a
   churn in a spell (``fade``): that is the effect of attitude now on the hazard now.
3. **Survival -> value.** Each segment x plan churns at its rate per month at risk. A fixed contact
   lowers the log hazard by the corrected shift, fading month by month with the persistence, and
   the customer's monthly margin over the horizon is discounted (``value.ValueAssumptions``).
4. **Value of change** = not-met contacts in a year at the scope's rate x improvement fraction x
   value kept per fixed contact. With a cost, the net value and the payback period.

Every step is re-estimated on Poisson-weighted resamples of customers (one set of weights for
all steps); the Cox coefficient is drawn from its sampling distribution in each resample rather
than refitted. The estimate is observational: it assumes that, within a segment and plan, whether
a contact met expectations is unrelated to anything else that moves attitude.

The arithmetic on arrays is in ``analytics.stats``: the quasi-simplex fit in ``reliability``, the
margin kept and the payback in ``payback``, the resampling weights, sums and intervals in
``resampling``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import ibis
import numpy as np
import pandas as pd
from ibis import _

from analytics.analyses import moments, survival
from analytics.analyses.moments import MOMENT, MetRule
from analytics.analyses.value import ValueAssumptions
from analytics.data import filters, memo
from analytics.data.filters import ALL_DATA, Filters
from analytics.data.warehouse import Warehouse, epoch_seconds
from analytics.errors import IconicError
from analytics.stats.nps import DETRACTOR_MAX, MIN_N, PROMOTER_MIN
from analytics.stats.payback import payback_months, value_per_contact, value_per_contact_by_month
from analytics.stats.reliability import MIN_PAIRS, pearson_r, quasi_simplex
from analytics.stats.resampling import percentile_interval, poisson_weights, replicate_interval, resampled_sums
from analytics.stats.units import MONTH_DAYS, MONTH_SECONDS

#: A contact's attitude is read from the customer's next relationship answer within this many days.
WITHIN_DAYS = 240
#: Answer pairs are grouped into lags of this many months for the reliability fit.
LAG_MONTHS = 3.0
#: Longest lag between two answers used for the reliability fit.
MAX_LAG_MONTHS = 36.0
#: A reliability below this is too weak a reading to correct by (the correction would blow up).
MIN_RELIABILITY = 0.2
PAIR_COLUMNS = ("lag", "n", "sx", "sy", "sxx", "syy", "sxy")
#: Payback is looked for within this many months.
PAYBACK_MONTHS = 120
IMPACT_COLUMNS = (
    "journey_stage",
    "contact_reason",
    "segment",
    "customers_affected",
    "contacts_per_year",
    "value",
    "value_low",
    "value_high",
)


class ImpactError(IconicError, ValueError):
    """A value case that cannot be asked for (a bad moment, fraction or cost)."""


@dataclass(frozen=True)
class ImpactAssumptions:
    """What the value case assumes beyond the data.

    ``improve``: the share of not-met contacts a fix turns into met ones (1 = fixed fully).
    ``cost``: the one-off cost of the fix, for net value (first year) and payback (``None``: not given).
    ``value``: margin, discount and horizon. ``confidence``: of the intervals. ``bootstrap``:
    resamples. ``within_days``: how long after a contact its next relationship answer may come.
    """

    improve: float = 1.0
    cost: float | None = None
    value: ValueAssumptions = field(default_factory=ValueAssumptions)
    confidence: float = 0.90
    bootstrap: int = 200
    within_days: int = WITHIN_DAYS
    random_state: int = 0

    def __post_init__(self) -> None:
        if not 0 < self.improve <= 1:
            raise ImpactError(f"the improvement fraction must be in (0, 1], not {self.improve}")
        if self.cost is not None and not (math.isfinite(self.cost) and self.cost >= 0):
            raise ImpactError(f"the cost to fix must be a non-negative amount, not {self.cost}")
        if not 0.5 <= self.confidence < 1:
            raise ImpactError(f"the confidence must be in [0.5, 1), not {self.confidence}")
        if self.bootstrap < 0 or self.within_days < 1:
            raise ImpactError("the bootstrap needs a non-negative count and the answer window at least a day")

    def describe(self) -> list[str]:
        """The assumptions in plain words, for the page, the JSON and the brief."""
        who = (
            "every contact that did not meet expectations into one that does"
            if self.improve == 1
            else f"{self.improve:.0%} of the contacts that did not meet expectations into ones that do"
        )
        return [
            f"A fix turns {who}.",
            "Value is the lifetime margin kept by fixing a year of contacts at the scope's rate: "
            + self.value.describe().split("; survival past")[0]
            + ".",
            "The effect of a contact on attitude is read from the customer's next relationship answer"
            f" (within {self.within_days} days), comparing met with not-met contacts of customers in the same"
            " segment and plan, weighted to the not-met contacts' mix.",
            "Attitude moves churn as a Cox model of the relationship answers says (adjusted for segment and plan),"
            " corrected for the noise in a single answer; the change fades as fast as answers show attitude does.",
            "Each segment and plan churns at its observed rate per month at risk over the whole horizon.",
            f"Intervals are {self.confidence:.0%} bootstrap intervals over customers ({self.bootstrap} resamples).",
            "This is observational: within a segment and plan, whether a contact met expectations is taken to be"
            " unrelated to anything else that moves attitude.",
        ]


@dataclass(frozen=True)
class AttitudeLink:
    """Step 2: how attitude, read as a 0-10 answer, moves churn.

    ``beta``: the Cox log hazard ratio per LTR point (adjusted for segment and plan) and ``beta_se``.
    ``reliability``: of one answer as a reading of attitude; ``persistence``: the share of a change
    in attitude left a month later; ``fade``: the mean persistence^(months since the answer) at the
    churns in answered spells. ``lags``: the correlations the reliability comes from. ``effect``:
    the corrected log hazard ratio per LTR point, ``beta / (reliability * fade)``. ``note`` says
    when a correction could not be estimated.
    """

    beta: float
    beta_se: float
    reliability: float
    persistence: float
    fade: float
    lags: pd.DataFrame
    answers: int
    events: int
    note: str = ""

    @property
    def effect(self) -> float:
        return self.beta / (self.reliability * self.fade)

    def to_dict(self) -> dict[str, Any]:
        return {
            "log_hr_per_ltr_point": self.beta,
            "log_hr_per_ltr_point_se": self.beta_se,
            "reliability": self.reliability,
            "monthly_persistence": self.persistence,
            "fade_at_churn": self.fade,
            "corrected_log_hr_per_ltr_point": self.effect,
            "answered_spells": self.answers,
            "churns_in_answered_spells": self.events,
            "lags": self.lags.to_dict(orient="records"),
            "note": self.note,
        }


@dataclass(frozen=True)
class ValueCase:
    """The value case of a scope.

    ``impacts``: one row per moment and segment (``IMPACT_COLUMNS`` plus ``contacts_not_met``,
    ``net_value``). ``moments``: one row per moment, over all segments, with the chain's steps
    (answers after met and not-met contacts, LTR and NPS shift with intervals, log hazard shift at
    the contact, value with interval, net value and payback). ``link``: step 2, or ``None`` when the
    scope cannot support it. ``months``: the scope's span of contacts. ``notes``: what was left out
    and why.
    """

    impacts: pd.DataFrame
    moments: pd.DataFrame
    link: AttitudeLink | None
    assumptions: ImpactAssumptions
    months: float
    notes: list[str]
    rule: MetRule
    #: Each estimated moment's value in the estimate (column 0) and in every resample: rows keyed by
    #: (journey_stage, contact_reason). Totals and their intervals come from here.
    replicates: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    #: Seconds spent in each step of the chain.
    timings: dict[str, float] = field(default_factory=dict, repr=False)

    @property
    def empty(self) -> bool:
        return self.moments.empty

    def total(self, improve: dict[tuple[str, str], float] | None = None) -> tuple[float, float, float]:
        """The value of fixing every estimated moment, with its interval from the same resamples.

        ``improve`` sets each moment's improvement fraction in place of the assumed one (the value
        is proportional to it); moments left out keep the assumed fraction."""
        if self.replicates.empty:
            return 0.0, 0.0, 0.0
        scale = np.array(
            [(improve or {}).get(k, self.assumptions.improve) / self.assumptions.improve for k in self.replicates.index]
        )
        sums = scale @ self.replicates.to_numpy()
        low, high = replicate_interval(sums, confidence=self.assumptions.confidence)
        return float(sums[0]), float(low), float(high)

    def statements(self) -> list[str]:
        return self.assumptions.describe() + [self.rule.describe()] + self.notes

    def moment_impacts(self, moment: tuple[str, str], *, improve: float | None = None) -> pd.DataFrame:
        """``impacts`` of one moment by segment, at the improvement fraction ``improve`` (default: the
        assumed one). Values are proportional to it, so this needs no second pass over the data; the
        intervals are those of the same resamples as every other moment's."""
        rows = self.impacts[
            (self.impacts["journey_stage"] == moment[0]) & (self.impacts["contact_reason"] == moment[1])
        ].reset_index(drop=True)
        scale = (self.assumptions.improve if improve is None else improve) / self.assumptions.improve
        return rows.assign(**{c: rows[c] * scale for c in ("value", "value_low", "value_high")})


MOMENT_COLUMNS = (
    "journey_stage",
    "contact_reason",
    "contacts_not_met",
    "contacts_per_year",
    "customers_affected",
    "answers_met",
    "answers_not_met",
    "ltr_shift",
    "ltr_shift_low",
    "ltr_shift_high",
    "nps_shift",
    "months_to_answer",
    "log_hr_shift",
    "value",
    "value_low",
    "value_high",
    "net_value",
    "payback_months",
    "status",
)


# --- data --------------------------------------------------------------------------------------------


def _verdicts(wh: Warehouse, f: Filters, rule: MetRule) -> ibis.Table:
    """Contacts in scope with a verdict, and their customer's segment, plan and revenue."""
    c = moments.contacts(wh, f, rule).filter(_.met.notnull())
    c = c.select("customer_id", "started_at", *MOMENT, "met")
    who = wh.table("customers").select("customer_id", "segment", "plan", "monthly_revenue")
    return c.join(who, "customer_id")


def _volume_rows(c: ibis.Table) -> ibis.Table:
    """Per moment, segment, plan and verdict: contacts, their customers' revenue, and customers
    (each customer has one segment and plan, so customers add up over plans)."""
    return c.group_by([*MOMENT, "segment", "plan", "met"]).aggregate(
        contacts=_.count(), revenue=_.monthly_revenue.sum(), customers=_.customer_id.nunique()
    )


def _answer_rows(wh: Warehouse, c: ibis.Table, within_days: int) -> ibis.Table:
    """Per moment, customer and verdict, what the next relationship answers after the contacts said.

    An answer is a contact's next one when the contact falls after the customer's previous answer and
    before this one (ties in time are broken by the survey id, so each contact has at most one)."""
    s = wh.table("surveys").filter(_.interaction_id.isnull() & _.ltr.notnull())
    previous = s.responded_at.lag().over(group_by=s.customer_id, order_by=[s.responded_at, s.survey_id])
    answers = s.select(answer_customer=s.customer_id, responded_at=s.responded_at, previous_at=previous, ltr=s.ltr)
    pairs = c.join(
        answers,
        [
            c.customer_id == answers.answer_customer,
            answers.responded_at > c.started_at,
            answers.previous_at.isnull() | (answers.previous_at <= c.started_at),
            answers.responded_at <= c.started_at + ibis.interval(days=within_days),
        ],
    )
    ltr = pairs.ltr.cast("float64")
    t = pairs.select(
        *MOMENT,
        "customer_id",
        "segment",
        "plan",
        "met",
        ltr=ltr,
        gap=(epoch_seconds(pairs.responded_at) - epoch_seconds(pairs.started_at)) / MONTH_SECONDS,
        promoter=ibis.ifelse(ltr >= PROMOTER_MIN, 1, 0),
        detractor=ibis.ifelse(ltr <= DETRACTOR_MAX, 1, 0),
    )
    return t.group_by([*MOMENT, "customer_id", "segment", "plan", "met"]).aggregate(
        answers=_.count(),
        ltr_sum=_.ltr.sum(),
        promoters=_.promoter.sum(),
        detractors=_.detractor.sum(),
        gap_sum=_.gap.sum(),
    )


def _pair_rows(wh: Warehouse, f: Filters) -> ibis.Table:
    """Pairs of one customer's relationship answers, binned by lag, with their cross-products."""
    a = filters.surveys(wh, f, kind="relationship").filter(_.ltr.notnull()).select("customer_id", "responded_at", "ltr")
    b = a.select(customer_b=a.customer_id, later_at=a.responded_at, ltr_b=a.ltr)
    p = a.join(b, [a.customer_id == b.customer_b, b.later_at > a.responded_at])
    lag = (epoch_seconds(p.later_at) - epoch_seconds(p.responded_at)) / MONTH_SECONDS
    p = p.select(
        "customer_id", lag=(lag / LAG_MONTHS).round().cast("int64"), x=p.ltr.cast("float64"), y=p.ltr_b.cast("float64")
    )
    p = p.filter((p.lag >= 1) & (p.lag * LAG_MONTHS <= MAX_LAG_MONTHS))
    return p.group_by("customer_id", "lag").aggregate(
        n=_.count(), sx=_.x.sum(), sy=_.y.sum(), sxx=(_.x * _.x).sum(), syy=(_.y * _.y).sum(), sxy=(_.x * _.y).sum()
    )


def known_moments(wh: Warehouse) -> list[tuple[str, str]]:
    """Every journey stage x contact reason in the interactions, most frequent first."""
    t = wh.table("interactions")
    counts = t.group_by(list(MOMENT)).aggregate(n=_.count()).order_by([ibis.desc("n"), *MOMENT]).to_pandas()
    return [(str(s), str(r)) for s, r in zip(counts["journey_stage"], counts["contact_reason"], strict=True)]


def _span_months(wh: Warehouse, f: Filters) -> float:
    """Months of contacts the scope covers: its date range, clipped to the interactions' span (at
    least a day). Zero when the scope holds no contacts."""
    t = filters.interactions(wh, f)
    if int(t.count().to_pyarrow().as_py()) == 0:
        return 0.0
    everything = wh.table("interactions")
    row = everything.aggregate(first=everything.started_at.min(), last=everything.started_at.max()).to_pandas().iloc[0]
    first, last = pd.Timestamp(row["first"]), pd.Timestamp(row["last"])
    if f.start is not None:
        first = max(first, pd.Timestamp(f.start, tz="UTC"))
    if f.end is not None:
        last = min(last, pd.Timestamp(f.end, tz="UTC") + pd.Timedelta(days=1))
    return max(1.0 / MONTH_DAYS, (last - first).total_seconds() / MONTH_SECONDS)


# --- the case ------------------------------------------------------------------------------------------


def value_case(
    wh: Warehouse,
    f: Filters = ALL_DATA,
    *,
    assumptions: ImpactAssumptions = ImpactAssumptions(),
    rule: MetRule | None = None,
    moment: tuple[str, str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> ValueCase:
    """The value of fixing each moment of truth in scope (or only ``moment``), by segment.

    ``progress`` is told as each step of the chain finishes."""
    rule = rule or MetRule()
    a = assumptions
    notes: list[str] = []
    clock = _Clock(progress)
    c = _verdicts(wh, f, rule)
    if moment is not None:
        c = c.filter((c.journey_stage == moment[0]) & (c.contact_reason == moment[1]))
    # Local step: the customer bootstrap runs in numpy on rows already summed per cell and per
    # customer x moment (the engine does the contact-level work).
    volume = _volume_rows(c).order_by([*MOMENT, "segment", "plan", "met"]).to_pyarrow().to_pandas()
    months = _span_months(wh, f)
    if volume.empty or months <= 0:
        if moment is not None:
            notes.append(f"no contacts with a verdict for {moment[0]}:{moment[1]} in scope")
        return _empty_case(a, rule, months, notes)
    answered = _answer_rows(wh, c, a.within_days).order_by([*MOMENT, "customer_id", "met"]).to_pyarrow().to_pandas()
    clock.lap("experience: contacts and next answers")

    # Shared by every call on this scope (a page asking about one moment after all of them).
    link, link_data = memo.derived(wh, ("attitude link", f), lambda: _attitude_link(wh, f))
    if link is None:
        notes.append(link_data.get("note", "the attitude-to-churn link could not be estimated in this scope"))
    elif link.note:
        notes.append(link.note)
    clock.lap("attitude: answer pairs, spells and Cox")
    table = survival.survival_table(wh, f)
    # Sorted, so that the resampling weights do not depend on the order the engine returns rows in.
    ids = _customer_index(table["customer_id"], answered["customer_id"], link_data["pairs"]["customer_id"])
    rng = np.random.default_rng(a.random_state)
    weights = np.vstack([np.ones((1, ids.size), np.uint8), poisson_weights(rng, (a.bootstrap, ids.size))])

    hazards = _hazards(table, ids, weights)
    clock.lap("survival: churn rates per segment and plan, resampled")
    betas = [link.beta] + list(rng.normal(link.beta, link.beta_se, a.bootstrap)) if link else []
    links = _links(link, link_data, ids, weights, betas) if link else []
    clock.lap("attitude: reliability and fading, resampled")
    resamples = _Resamples(ids, weights, hazards, links, a, per_year=12.0 / months)
    moment_rows, impact_rows, totals = [], [], {}
    by_moment = dict(iter(answered.groupby(list(MOMENT), sort=False)))
    for key, contacts in volume.groupby(list(MOMENT), sort=False):
        moment_answers = by_moment.get(key, answered.iloc[0:0])
        row, segment_rows, replicated = _moment_value(_Moment.of(key, contacts, moment_answers), resamples=resamples)
        moment_rows.append(row)
        impact_rows.extend(segment_rows)
        if replicated is not None:
            totals[key] = replicated
    impacts = pd.DataFrame(impact_rows, columns=[*IMPACT_COLUMNS, "contacts_not_met", "net_value"])
    table_m = pd.DataFrame(moment_rows, columns=list(MOMENT_COLUMNS))
    table_m = table_m.sort_values("value", ascending=False, na_position="last", kind="stable").reset_index(drop=True)
    order = {k: i for i, k in enumerate(zip(table_m.journey_stage, table_m.contact_reason, strict=True))}
    impacts = impacts.assign(_o=[order[k] for k in zip(impacts.journey_stage, impacts.contact_reason, strict=True)])
    impacts = impacts.sort_values(["_o", "value"], ascending=[True, False], kind="stable").drop(columns="_o")
    too_few = table_m[table_m.status == "too few answers"]
    if len(too_few):
        notes.append(
            f"{len(too_few)} moment(s) have fewer than {MIN_N} answers after met or after not-met contacts and get no value"
        )
    replicates = pd.DataFrame.from_dict(totals, orient="index") if totals else pd.DataFrame()
    clock.lap("value: shifts and margin kept per moment, resampled")
    return ValueCase(impacts.reset_index(drop=True), table_m, link, a, months, notes, rule, replicates, clock.laps)


class _Clock:
    """Seconds spent in each step, for the benchmark's split."""

    def __init__(self, progress: Callable[[str], None] | None = None) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()
        self._progress = progress

    def lap(self, step: str) -> None:
        now = time.perf_counter()
        self.laps[step] = self.laps.get(step, 0.0) + now - self._last
        self._last = now
        if self._progress is not None:
            self._progress(f"done: {step}")


def _empty_case(a: ImpactAssumptions, rule: MetRule, months: float, notes: list[str]) -> ValueCase:
    impacts = pd.DataFrame(
        {
            c: pd.Series(dtype=object if c in ("journey_stage", "contact_reason", "segment") else float)
            for c in [*IMPACT_COLUMNS, "contacts_not_met", "net_value"]
        }
    )
    table = pd.DataFrame(
        {
            c: pd.Series(dtype=object if c in ("journey_stage", "contact_reason", "status") else float)
            for c in MOMENT_COLUMNS
        }
    )
    return ValueCase(impacts, table, None, a, months, notes or ["no contacts with a verdict in scope"], rule)


def _lag_table(pairs: pd.DataFrame) -> pd.DataFrame:
    stats = pairs.groupby("lag")[["n", "sx", "sy", "sxx", "syy", "sxy"]].sum()
    return pd.DataFrame(
        {
            "lag_months": stats.index.to_numpy() * LAG_MONTHS,
            "pairs": stats["n"].to_numpy(),
            "r": pearson_r(stats.to_numpy(float)),
        }
    )


def _reading(wh: Warehouse, f: Filters) -> tuple[pd.DataFrame, pd.DataFrame, tuple[float, float], str] | None:
    """Answer pairs, their lag table and the quasi-simplex fit, from the widest source that supports
    it: the scope's customers' answers at any date, else the whole warehouse. ``None`` if neither
    does. A date range limits which contacts are valued, not how attitude is read."""
    sources = [
        (Filters(segments=f.segments, regions=f.regions, channels=f.channels), ""),
        (
            ALL_DATA,
            "too few of the scope's customers answered more than once to tell how noisy one answer is and how fast"
            " attitude fades: both come from every customer in the warehouse",
        ),
    ]
    for scope, note in sources:
        # Local step: the quasi-simplex fit, on cross-products already summed per customer and lag.
        pairs = _pair_rows(wh, scope).order_by(["customer_id", "lag"]).to_pyarrow().to_pandas()
        lags = _lag_table(pairs)
        fitted = quasi_simplex(lags["lag_months"].to_numpy(), lags["r"].to_numpy(), lags["pairs"].to_numpy())
        if fitted is not None and fitted[0] >= MIN_RELIABILITY:
            return pairs, lags, fitted, note
        if scope == ALL_DATA:
            break
    return None


def _attitude_link(wh: Warehouse, f: Filters) -> tuple[AttitudeLink | None, dict[str, Any]]:
    """Step 2 on the full data; the pieces the bootstrap needs come back in the dict."""
    data: dict[str, Any] = {"pairs": _empty_pairs()}
    answered = survival.answer_spells(wh, f).copy()
    if answered.empty or not answered["event"].any():
        data["note"] = "no churn after a relationship answer in scope: the attitude-to-churn link cannot be estimated"
        return None, data
    reading = _reading(wh, f)
    if reading is None:
        data["note"] = (
            f"too few customers answered more than once (at least {MIN_PAIRS} pairs at two lags) to tell how noisy"
            " one answer is: without that the attitude-to-churn link would be understated, so no value is given"
        )
        return None, data
    pairs, lags, (reliability, persistence), note = reading
    data["pairs"] = pairs
    covariates = [c for c in ("segment", "plan") if answered[c].nunique() > 1]
    fit = survival.fit_cox(answered, covariates=["ltr", *covariates], check=False)
    row = fit.hazard_ratios[fit.hazard_ratios["covariate"] == "ltr"]
    if row.empty or fit.fit_ is None:
        data["note"] = "the Cox model of churn on the relationship answers could not be fitted in this scope"
        return None, data
    position = list(fit.fit_.terms).index("ltr")
    beta = float(np.log(row["hazard_ratio"].iloc[0]))
    beta_se = float(math.sqrt(fit.fit_.variance[position, position]))
    events = answered[answered["event"]]
    since = (events["duration"] - events["entry"]).to_numpy(float)
    data.update(since=since)
    fade = float(np.mean(persistence**since)) if since.size else 1.0
    link = AttitudeLink(beta, beta_se, reliability, persistence, fade, lags, len(answered), int(events.shape[0]), note)
    return link, data


def _empty_pairs() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="int64" if c in ("lag", "n") else float) for c in PAIR_COLUMNS}).assign(
        customer_id=pd.Series(dtype=object)
    )


def _customer_index(*columns: pd.Series) -> pd.Index:
    """Every customer in ``columns``, in sorted order, so that resampling weights do not depend on the
    order the engine returns rows in. The first column (the survival table) comes sorted already."""
    first = pd.Index(columns[0])
    if not first.is_monotonic_increasing:
        first = first.sort_values()
    extra = pd.Index(pd.unique(pd.concat(columns[1:]))) if len(columns) > 1 else pd.Index([])
    extra = extra[~extra.isin(first)]
    return first.append(extra.sort_values()) if len(extra) else first


def _codes(values: pd.Series, ids: pd.Index) -> np.ndarray:
    return np.asarray(ids.get_indexer(values))


def _hazards(table: pd.DataFrame, ids: pd.Index, weights: np.ndarray) -> dict[tuple[str, str], np.ndarray]:
    """Churns per month at risk per segment and plan, one value per resample."""
    if table.empty:
        return {}
    exposure = (table["duration"] - table["entry"]).clip(lower=0).to_numpy(float)
    event = table["event"].to_numpy(float)
    who = _codes(table["customer_id"], ids)
    cell, cells = pd.factorize(pd.MultiIndex.from_frame(table[["segment", "plan"]]))
    months = np.empty((weights.shape[0], len(cells)))
    churns = np.empty_like(months)
    for b in range(weights.shape[0]):
        w = weights[b, who]
        months[b] = np.bincount(cell, weights=w * exposure, minlength=len(cells))
        churns[b] = np.bincount(cell, weights=w * event, minlength=len(cells))
    with np.errstate(divide="ignore", invalid="ignore"):
        rates = np.where(months > 0, churns / months, 0.0)
    return {(str(s), str(p)): rates[:, c] for c, (s, p) in enumerate(cells)}


def _links(
    link: AttitudeLink, data: dict[str, Any], ids: pd.Index, weights: np.ndarray, betas: list[float]
) -> list[tuple[float, float]]:
    """(corrected log HR per LTR point, persistence) per resample."""
    pairs = data["pairs"]
    who = _codes(pairs["customer_id"], ids)
    lag = pairs["lag"].to_numpy()
    lag_values, lag_index = np.unique(lag, return_inverse=True)
    stats = pairs[["n", "sx", "sy", "sxx", "syy", "sxy"]].to_numpy(float)
    out = []
    for b, (weight, beta) in enumerate(zip(weights, betas, strict=True)):
        if b == 0:
            out.append((link.effect, link.persistence))
            continue
        w = weight[who]
        summed = np.column_stack(
            [np.bincount(lag_index, weights=stats[:, j] * w, minlength=lag_values.size) for j in range(6)]
        )
        fitted = quasi_simplex(lag_values * LAG_MONTHS, pearson_r(summed), summed[:, 0])
        reliability, persistence = (
            fitted if fitted is not None and fitted[0] >= MIN_RELIABILITY else (link.reliability, link.persistence)
        )
        fade = float(np.mean(persistence ** data["since"])) if data["since"].size else 1.0
        out.append((beta / (reliability * fade), persistence))
    return out


#: What one answer row sums, per customer and verdict (``_answer_rows``), for the attitude shift.
ANSWER_SUMS = ("answers", "ltr_sum", "promoters", "detractors", "gap_sum")


@dataclass(frozen=True)
class _Resamples:
    """What every moment's value is computed from, in the estimate (index 0) and in each resample.

    ``customers``: every customer, in the order of the columns of ``weights`` (one row per resample,
    the estimate's unit weights first). ``hazards``: churns per month at risk per segment and plan
    (``_hazards``). ``links``: the corrected log hazard ratio per LTR point and the monthly
    persistence (``_links``); empty when the scope has no attitude link. ``per_year``: turns the
    scope's contacts into a year's.
    """

    customers: pd.Index
    weights: np.ndarray
    hazards: dict[tuple[str, str], np.ndarray]
    links: list[tuple[float, float]]
    assumptions: ImpactAssumptions
    per_year: float


@dataclass(frozen=True)
class _Moment:
    """One moment's rows: ``contacts`` per segment, plan and verdict (``_volume_rows``), ``answers``
    per customer and verdict (``_answer_rows``), and its not-met contacts, also counted by segment."""

    key: tuple[str, str]
    contacts: pd.DataFrame
    answers: pd.DataFrame
    not_met: pd.DataFrame
    contacts_not_met: pd.Series
    customers_affected: pd.Series

    @classmethod
    def of(cls, key: tuple[str, str], contacts: pd.DataFrame, answers: pd.DataFrame) -> _Moment:
        not_met = contacts[~contacts["met"].to_numpy(bool)]
        by_segment = not_met.groupby("segment")
        return cls(key, contacts, answers, not_met, by_segment["contacts"].sum(), by_segment["customers"].sum())

    @property
    def key_columns(self) -> dict[str, str]:
        return {"journey_stage": self.key[0], "contact_reason": self.key[1]}

    def answers_by_verdict(self) -> tuple[int, int]:
        """Answers after met contacts, and after not-met ones."""
        met = self.answers["met"].to_numpy(bool)
        return int(self.answers.loc[met, "answers"].sum()), int(self.answers.loc[~met, "answers"].sum())


def _moment_value(
    moment: _Moment, *, resamples: _Resamples
) -> tuple[dict[str, Any], list[dict[str, Any]], np.ndarray | None]:
    """One moment's row (``MOMENT_COLUMNS``), its rows by segment, and its value in the estimate and
    every resample (``None`` when it is not valued)."""
    answers_met, answers_not_met = moment.answers_by_verdict()
    row: dict[str, Any] = {
        **moment.key_columns,
        "contacts_not_met": int(moment.contacts_not_met.sum()),
        "contacts_per_year": float(moment.contacts_not_met.sum() * resamples.per_year),
        "customers_affected": int(moment.customers_affected.sum()),
        "answers_met": answers_met,
        "answers_not_met": answers_not_met,
    }
    unknown = {c: float("nan") for c in MOMENT_COLUMNS if c not in row}
    cost = resamples.assumptions.cost
    if moment.contacts_not_met.sum() == 0:  # nothing to fix: worth nothing, and surely so
        zero = dict.fromkeys(("value", "value_low", "value_high"), 0.0)
        net = -cost if cost is not None else float("nan")
        return {**row, **unknown, **zero, "net_value": net, "payback_months": None, "status": "all met"}, [], None
    if min(answers_met, answers_not_met) < MIN_N or not resamples.links:
        status = "too few answers" if min(answers_met, answers_not_met) < MIN_N else "no attitude link"
        unvalued = [_segment_row(moment, s, per_year=resamples.per_year) for s in sorted(moment.contacts_not_met.index)]
        return {**row, **unknown, "payback_months": None, "status": status}, unvalued, None

    shifts = _attitude_shifts(moment, resamples=resamples)
    log_hazard_shifts = [_log_hazard_shift(s, link) for s, link in zip(shifts, resamples.links, strict=True)]
    margin = moment.not_met.groupby(["segment", "plan"])["revenue"].sum() * resamples.assumptions.value.margin_rate
    segments = list(moment.contacts_not_met.index)
    kept = _margin_kept(log_hazard_shifts, margin=margin, segments=segments, resamples=resamples)
    total = kept.sum(axis=1)
    confidence = resamples.assumptions.confidence
    value = float(total[0])
    value_low, value_high = replicate_interval(total, confidence=confidence)
    ltr_low, ltr_high = _shift_interval(np.array([shift[0] for shift in shifts]), confidence=confidence)
    row.update(
        ltr_shift=shifts[0][0],
        ltr_shift_low=ltr_low,
        ltr_shift_high=ltr_high,
        nps_shift=shifts[0][1],
        months_to_answer=shifts[0][2],
        log_hr_shift=log_hazard_shifts[0],
        value=value,
        value_low=float(value_low),
        value_high=float(value_high),
        net_value=value - cost if cost is not None else float("nan"),
        payback_months=_payback(log_hazard_shifts[0], margin=margin, resamples=resamples),
        status="ok",
    )
    return row, _segment_rows(moment, segments=segments, kept=kept, value=value, resamples=resamples), total


def _segment_rows(
    moment: _Moment, *, segments: list[str], kept: np.ndarray, value: float, resamples: _Resamples
) -> list[dict[str, Any]]:
    """The valued moment's rows by segment: ``kept`` (``_margin_kept``) per segment, and the net
    value, with the cost shared out in proportion to each segment's part of ``value``."""
    cost = resamples.assumptions.cost
    low, high = replicate_interval(kept, confidence=resamples.assumptions.confidence)
    rows = []
    for j, segment in enumerate(segments):
        segment_value = float(kept[0, j])
        share = segment_value / value if value else 0.0
        net = segment_value - cost * share if cost is not None else float("nan")
        rows.append(
            _segment_row(
                moment, segment, per_year=resamples.per_year, value=segment_value, low=low[j], high=high[j], net=net
            )
        )
    return rows


def _segment_row(
    moment: _Moment,
    segment: str,
    *,
    per_year: float,
    value: float = float("nan"),
    low: float = float("nan"),
    high: float = float("nan"),
    net: float = float("nan"),
) -> dict[str, Any]:
    """One row of ``ValueCase.impacts``: the moment in one segment, with its value if it has one."""
    contacts = moment.contacts_not_met.get(segment, 0)
    return {
        **moment.key_columns,
        "segment": segment,
        "customers_affected": int(moment.customers_affected.get(segment, 0)),
        "contacts_per_year": float(contacts * per_year),
        "value": value,
        "value_low": float(low),
        "value_high": float(high),
        "contacts_not_met": int(contacts),
        "net_value": net,
    }


def _attitude_shifts(moment: _Moment, *, resamples: _Resamples) -> list[tuple[float, float, float]]:
    """Step 1 in the estimate and every resample: the moment's (LTR shift, NPS shift, mean months
    from a not-met contact to its answer), compared within segment x plan cells and weighted to the
    not-met contacts' mix."""
    cells = pd.MultiIndex.from_frame(moment.contacts[["segment", "plan"]].drop_duplicates())
    mix = moment.not_met.set_index(["segment", "plan"])["contacts"].reindex(cells, fill_value=0).to_numpy(float)
    answers = moment.answers
    cell = np.asarray(cells.get_indexer(pd.MultiIndex.from_frame(answers[["segment", "plan"]])))
    sums = answers[list(ANSWER_SUMS)].fillna(0).to_numpy(float)
    # Slots 0..cells-1 hold answers after not-met contacts, the next as many after met ones.
    slot = answers["met"].to_numpy(bool).astype(int) * len(cells) + cell
    who = _codes(answers["customer_id"], resamples.customers)
    resampled = resampled_sums(slot, who, sums, 2 * len(cells), resamples.weights)
    return [_attitude_shift(one.reshape(2, len(cells), len(ANSWER_SUMS)), mix) for one in resampled]


def _attitude_shift(sums: np.ndarray, mix: np.ndarray) -> tuple[float, float, float]:
    """``_attitude_shifts`` in one resample. ``sums[verdict, cell]``: ``ANSWER_SUMS`` after not-met
    (verdict 0) and met (1) contacts; ``mix``: not-met contacts per cell."""
    answers = sums[:, :, 0]
    comparable = (answers[0] > 0) & (answers[1] > 0) & (mix > 0)
    if not comparable.any():
        return float("nan"), float("nan"), float("nan")
    weight = mix[comparable] / mix[comparable].sum()
    mean = sums[:, comparable, 1:] / answers[:, comparable, None]
    not_met, met = mean[0], mean[1]
    ltr = float(weight @ (met[:, 0] - not_met[:, 0]))
    nps = float(weight @ ((met[:, 1] - met[:, 2]) - (not_met[:, 1] - not_met[:, 2]))) * 100
    months_to_answer = float(sums[0, comparable, 4].sum() / answers[0, comparable].sum())
    return ltr, nps, months_to_answer


def _log_hazard_shift(shift: tuple[float, float, float], link: tuple[float, float]) -> float:
    """Step 2: the change in log hazard at the contact. The LTR shift is read at the answer, months
    later, so it is scaled back up by the fading in between, then times the corrected effect of a
    point."""
    ltr, _nps, months_to_answer = shift
    effect, persistence = link
    return ltr * effect / persistence**months_to_answer if math.isfinite(ltr) else float("nan")


def _margin_kept(
    log_hazard_shifts: list[float], *, margin: pd.Series, segments: list[str], resamples: _Resamples
) -> np.ndarray:
    """Steps 3 and 4 in the estimate (row 0) and every resample: the margin kept by fixing a year of
    the moment's not-met contacts, one column per segment. ``margin``: the not-met contacts' monthly
    margin per segment and plan, each churning at its own rate."""
    assumptions = resamples.assumptions
    kept = np.zeros((len(resamples.weights), len(segments)))
    for b, (shift, (_effect, persistence)) in enumerate(zip(log_hazard_shifts, resamples.links, strict=True)):
        if not math.isfinite(shift):
            continue
        for (segment, plan), monthly_margin in margin.items():
            hazard = resamples.hazards.get((segment, plan))
            if hazard is None:
                continue
            per_contact = value_per_contact(
                np.array([hazard[b]]),
                shift,
                persistence,
                monthly_discount=assumptions.value.monthly_discount,
                horizon_months=assumptions.value.horizon_months,
            )[0]
            kept[b, segments.index(segment)] += monthly_margin * per_contact * resamples.per_year * assumptions.improve
    return kept


def _payback(log_hazard_shift: float, *, margin: pd.Series, resamples: _Resamples) -> float | None:
    """Months until the margin the fix keeps repays its cost, in the estimate (``None`` without a
    cost, or when it is not repaid within ``PAYBACK_MONTHS``)."""
    assumptions = resamples.assumptions
    if assumptions.cost is None or not math.isfinite(log_hazard_shift):
        return None
    _effect, persistence = resamples.links[0]
    flow = np.zeros(PAYBACK_MONTHS)
    for (segment, plan), monthly_margin in margin.items():
        hazard = resamples.hazards.get((segment, plan))
        if hazard is None:
            continue
        by_month = value_per_contact_by_month(
            float(hazard[0]),
            log_hazard_shift,
            persistence,
            monthly_discount=assumptions.value.monthly_discount,
            horizon_months=assumptions.value.horizon_months,
            months=PAYBACK_MONTHS,
        )
        flow += monthly_margin * assumptions.improve * resamples.per_year / 12 * by_month
    return payback_months(flow, assumptions.cost)


def _shift_interval(ltr_shifts: np.ndarray, *, confidence: float) -> tuple[float, float]:
    """The interval of the LTR shift from the resamples in which it could be compared (the
    estimate's own without resamples)."""
    resampled = ltr_shifts[1:][np.isfinite(ltr_shifts[1:])] if len(ltr_shifts) > 1 else ltr_shifts[:1]
    if not resampled.size:
        return float("nan"), float("nan")
    low, high = percentile_interval(resampled, confidence=confidence)
    return float(low), float(high)
