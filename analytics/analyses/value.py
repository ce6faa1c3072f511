"""What customers are worth: lifetime value from survival, customer equity and value at risk.

A customer's **lifetime value** is the discounted margin they are expected to bring over a horizon:

    CLV = m * sum_{t=1..H} S(t) / (1 + d)^t

with ``m`` the monthly margin (monthly revenue x margin rate), ``S`` the survival curve of their
group (Kaplan-Meier, with left truncation), ``d`` the monthly discount rate and margin earned at the
end of each month the customer is still there. A **current** customer of tenure ``a`` is worth the
same sum with ``S(a + t) / S(a)``: survival from here, given they have lasted so far (residual
value). **Customer equity** is the residual value of every active customer, and **value at risk**
is the margin they would bring in the next 12 months if none left, less what they are expected to
bring: the margin lost to churn (not discounted; it is a one-year figure).

The data follow customers for a limited time. Past the last tenure at which at least 50 customers
were at risk (``MIN_AT_RISK``: the far end of a Kaplan-Meier curve rests on a handful), survival is
extended with a stated parametric tail, and every result says how much it relies on one:

- ``weibull`` (default): cumulative hazard ``(t / scale)^shape`` fitted by least squares to the
  Kaplan-Meier curve's log cumulative hazard over the second half of the tenure it covers (a
  Weibull plot), joined to the curve there.
- ``sbg``: the shifted-beta-geometric model of Fader & Hardie (2007) for contracts that renew
  every ``renewal_months``: fitted by maximum likelihood to the curve at each renewal, and
  interpolated geometrically within a renewal period.

Intervals are percentile bootstraps over customers (Poisson weights), refitting the curve and its
tail in every replicate; equity and value at risk apply each replicate's curve to the known active
customers.

The tails and the curve they extend are in ``analytics.stats.tails``, the discounting and the sums
in ``analytics.stats.lifetime``, and the bootstrap helpers in ``analytics.stats.resampling``; this
module groups the customers, picks where each group's tail takes over and runs the bootstrap.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from analytics.analyses import survival
from analytics.data.filters import ALL_DATA, Filters
from analytics.data.warehouse import Warehouse
from analytics.stats import lifetime, resampling, tails
from analytics.stats.survival import KaplanMeierData, SurvivalError, groups_of, require_columns
from analytics.stats.units import MONTH_DAYS

#: Months of "value at risk": the margin expected to be lost to churn in this many months.
AT_RISK_MONTHS = 12
#: What value can be split by (customer attributes that do not change with what they say).
DIMENSIONS = ("segment", "region", "plan", "behaviour_segment")


@dataclass(frozen=True)
class ValueAssumptions:
    """The money side of lifetime value. Defaults: 30% of revenue is margin, a 10% annual discount
    rate (Fader & Hardie's worked examples use 10%), a five-year horizon and a Weibull tail."""

    margin_rate: float = 0.30
    annual_discount: float = 0.10
    horizon_months: int = 60
    tail: tails.Tail = "weibull"
    renewal_months: int = 12

    def __post_init__(self) -> None:
        if not 0 < self.margin_rate <= 1:
            raise ValueError(f"the margin rate must be in (0, 1], not {self.margin_rate}")
        if not 0 <= self.annual_discount < 1:
            raise ValueError(f"the annual discount rate must be in [0, 1), not {self.annual_discount}")
        if self.horizon_months < 1:
            raise ValueError(f"the horizon must be at least one month, not {self.horizon_months}")
        if self.tail not in ("weibull", "sbg"):
            raise ValueError(f"the tail must be 'weibull' or 'sbg', not {self.tail!r}")

    @property
    def monthly_discount(self) -> float:
        return (1 + self.annual_discount) ** (1 / 12) - 1

    def describe(self) -> str:
        tail = (
            "a Weibull tail fitted to the second half of the observed curve"
            if self.tail == "weibull"
            else f"a shifted-beta-geometric tail over {self.renewal_months}-month renewals"
        )
        return (
            f"margin {self.margin_rate:.0%} of monthly revenue, discounted at {self.annual_discount:.0%} a year,"
            f" over {self.horizon_months} months; survival past the last tenure with {MIN_AT_RISK} customers at risk follows {tail}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "monthly_discount": self.monthly_discount, "description": self.describe()}


@dataclass(frozen=True)
class _Group:
    label: str
    km: KaplanMeierData
    cells: KaplanMeierData  # the same customers to the day, for bootstrap replicates
    followed: float
    anchor: float  # where the tail takes over: the last tenure with enough customers at risk
    margin: np.ndarray  # monthly margin of every customer in the group
    active_tenure: np.ndarray  # whole days of tenure of the active customers, as months, unique
    active_margin: np.ndarray  # their total monthly margin per unique tenure
    active: int

    def values(self, curve: tails.ExtendedCurve, discount: np.ndarray) -> tuple[float, float, float]:
        """On ``curve``: a new customer's value per unit of monthly margin, the active customers'
        equity, and their value at risk."""
        per_margin = lifetime.discounted_lifetime(curve, discount)
        equity, at_risk = lifetime.equity_and_value_at_risk(
            curve, discount, tenure=self.active_tenure, margin=self.active_margin, at_risk_months=AT_RISK_MONTHS
        )
        return per_margin, equity, at_risk

    def tail_share(self, curve: tails.ExtendedCurve, discount: np.ndarray, equity: float) -> float:
        """The share of ``equity`` from months past where the tail takes over (``_anchor``)."""
        return lifetime.tail_share(
            curve, discount, tenure=self.active_tenure, margin=self.active_margin, since=self.anchor, equity=equity
        )


#: The tail takes over after the last tenure at which at least this many customers were at risk: the
#: far end of a Kaplan-Meier curve rests on a handful of customers and would anchor the tail on noise.
MIN_AT_RISK = 50


def _anchor(rows: pd.DataFrame) -> float:
    """The last event time with at least ``MIN_AT_RISK`` at risk (the longest tenure seen if the
    group is too small ever to have that many)."""
    curve = KaplanMeierData.of(rows).estimate()
    enough = curve.loc[curve["at_risk"] >= MIN_AT_RISK, "month"]
    followed = float(rows["duration"].max())
    return float(enough.iloc[-1]) if len(enough) and enough.iloc[-1] > 0 else followed


def _groups(table: pd.DataFrame, by: str | None, assumptions: ValueAssumptions) -> list[_Group]:
    out = []
    for label, rows in groups_of(table, by):
        margin = rows["monthly_revenue"].to_numpy(float) * assumptions.margin_rate
        active = ~rows["event"].to_numpy(bool)
        days = np.round(rows["duration"].to_numpy(float)[active] * MONTH_DAYS)
        tenure, slot = np.unique(days, return_inverse=True)
        out.append(
            _Group(
                label=label,
                km=KaplanMeierData.of(rows),
                cells=KaplanMeierData.binned(rows),
                followed=float(rows["duration"].max()),
                anchor=_anchor(rows),
                margin=margin,
                active_tenure=tenure / MONTH_DAYS,
                active_margin=np.bincount(slot, weights=margin[active], minlength=tenure.size),
                active=int(active.sum()),
            )
        )
    return out


VALUE_COLUMNS = (
    "group", "n", "active", "events", "followed", "monthly_margin", "clv", "clv_low", "clv_high",
    "residual_per_active", "equity", "equity_low", "equity_high", "value_at_risk", "value_at_risk_low",
    "value_at_risk_high", "extrapolated", "tail_share", "tail",
)  # fmt: skip


def lifetime_value(
    table: pd.DataFrame,
    *,
    by: str | None = "segment",
    assumptions: ValueAssumptions = ValueAssumptions(),
    bootstrap: int = 200,
    confidence: float = 0.95,
    random_state: int = 0,
) -> pd.DataFrame:
    """Lifetime value, equity and value at risk per group of a survival table
    (``survival.survival_table``; needs ``duration``, ``event``, ``entry`` and
    ``monthly_revenue``).

    Columns: ``group``, ``n``, ``active`` (customers still there at the as-of date), ``events``,
    ``followed`` (longest observed tenure, months), ``monthly_margin`` (mean per customer), ``clv``
    with ``clv_low``/``clv_high`` (a new customer's discounted margin over the horizon),
    ``residual_per_active`` (mean residual value of an active customer), ``equity`` (their total)
    and ``value_at_risk`` (margin expected to be lost to churn in the next 12 months), each with an
    interval, ``extrapolated`` (a new customer's value needs the tail: the horizon runs past the
    last tenure with ``MIN_AT_RISK`` customers at risk), ``tail_share`` (the share of equity from months past it, where only the
    tail speaks) and ``tail`` (what the tail is).
    """
    rows, _ = _valued(
        table, by=by, assumptions=assumptions, bootstrap=bootstrap, confidence=confidence, random_state=random_state
    )
    return rows


def _valued(
    table: pd.DataFrame,
    *,
    by: str | None,
    assumptions: ValueAssumptions,
    bootstrap: int,
    confidence: float,
    random_state: int,
) -> tuple[pd.DataFrame, np.ndarray]:
    """``lifetime_value``'s rows, and the replicates of equity and value at risk summed over the
    groups (``bootstrap`` x 2). Groups hold different customers and each is resampled on its own, so
    replicate b of the sum is the sum of each group's replicate b: a bootstrap stratified by group."""
    require_columns(table, ["duration", "event", "entry", "monthly_revenue"])
    rng = np.random.default_rng(random_state)
    discount = lifetime.discount_factors(assumptions.monthly_discount, assumptions.horizon_months)
    rows = []
    summed = np.zeros((bootstrap, 2))
    for group in _groups(table, by, assumptions):
        row, replicates = _group_value(
            group, assumptions=assumptions, discount=discount, bootstrap=bootstrap, confidence=confidence, rng=rng
        )
        rows.append(row)
        if bootstrap:
            summed += replicates[:, 1:]
    return pd.DataFrame(rows, columns=list(VALUE_COLUMNS)), summed


def _group_value(
    group: _Group,
    *,
    assumptions: ValueAssumptions,
    discount: np.ndarray,
    bootstrap: int,
    confidence: float,
    rng: np.random.Generator,
) -> tuple[dict[str, Any], np.ndarray]:
    """One group's row of ``lifetime_value``, and its ``bootstrap`` replicates of CLV, equity and
    value at risk (one row each)."""
    times, surv = group.km.curve()
    curve = tails.extend(times, surv, group.anchor, tail=assumptions.tail, renewal_months=assumptions.renewal_months)
    per_margin, equity, at_risk = group.values(curve, discount)
    mean_margin = float(group.margin.mean())
    replicates = np.array(
        [_replicate(group, curve, assumptions=assumptions, discount=discount, rng=rng) for _ in range(bootstrap)]
    )
    clv = per_margin * mean_margin
    (clv_low, clv_high), (equity_low, equity_high), (at_risk_low, at_risk_high) = resampling.percentile_bounds(
        replicates, (clv, equity, at_risk), confidence=confidence
    )
    row = {
        "group": group.label,
        "n": len(group.km),
        "active": group.active,
        "events": int(group.km.event.sum()),
        "followed": group.followed,
        "monthly_margin": mean_margin,
        "clv": clv,
        "clv_low": clv_low,
        "clv_high": clv_high,
        "residual_per_active": equity / group.active if group.active else math.nan,
        "equity": equity,
        "equity_low": equity_low,
        "equity_high": equity_high,
        "value_at_risk": at_risk,
        "value_at_risk_low": at_risk_low,
        "value_at_risk_high": at_risk_high,
        "extrapolated": bool(assumptions.horizon_months > group.anchor),
        "tail_share": group.tail_share(curve, discount, equity),
        "tail": curve.describe(),
    }
    return row, replicates


def _replicate(
    group: _Group,
    curve: tails.ExtendedCurve,
    *,
    assumptions: ValueAssumptions,
    discount: np.ndarray,
    rng: np.random.Generator,
) -> tuple[float, float, float]:
    """One bootstrap replicate of a group's CLV, equity and value at risk: the curve and its tail
    refitted on Poisson-weighted customers (starting from ``curve``'s fit), and the mean margin
    resampled."""
    times, surv = group.cells.resample(rng)
    resampled = tails.extend(
        times, surv, group.anchor, tail=assumptions.tail, renewal_months=assumptions.renewal_months, near=curve
    )
    per_margin, equity, at_risk = group.values(resampled, discount)
    return per_margin * resampling.resampled_mean(group.margin, rng), equity, at_risk


def customer_value(
    wh: Warehouse,
    f: Filters = ALL_DATA,
    *,
    by: str | None = "segment",
    assumptions: ValueAssumptions = ValueAssumptions(),
    as_of: date | None = None,
    bootstrap: int = 200,
    random_state: int = 0,
) -> pd.DataFrame:
    """``lifetime_value`` of the scope's customers (``survival.survival_table``), by ``by``."""
    if by is not None and by not in DIMENSIONS:
        raise SurvivalError(f"value can be split by {', '.join(DIMENSIONS)}, not {by!r}")
    table = survival.survival_table(wh, f, as_of=as_of)
    if table.empty:
        return pd.DataFrame({c: pd.Series(dtype=object if c in ("group", "tail") else float) for c in VALUE_COLUMNS})
    if by is not None and by not in table.columns:
        raise SurvivalError(f"there is no {by!r} to split by: save customer segments first")
    return lifetime_value(table, by=by, assumptions=assumptions, bootstrap=bootstrap, random_state=random_state)


#: The headline values every customer on their segment's own survival curve: segments differ in how
#: long customers stay and in what they pay, and one curve over all of them would value an
#: enterprise customer's revenue at a consumer's survival.
HEADLINE_BY = "segment"


@dataclass(frozen=True)
class ScopeValue:
    """Customer equity and value at risk of a scope: the one figure every surface shows under those
    labels (``scope_value``).

    ``groups``: the per-segment rows it sums (``lifetime_value``). ``as_of``: the day customers are
    valued at (the end of it). Intervals are ``confidence`` bootstrap intervals of the sums; all
    figures are NaN, and ``customers`` 0, for a scope without customers.
    """

    customers: int
    active: int
    equity: float
    equity_low: float
    equity_high: float
    value_at_risk: float
    value_at_risk_low: float
    value_at_risk_high: float
    as_of: date | None
    assumptions: ValueAssumptions
    confidence: float
    groups: pd.DataFrame

    @property
    def is_empty(self) -> bool:
        return self.customers == 0

    def to_dict(self) -> dict[str, Any]:
        def number(x: float) -> float | None:
            return None if not math.isfinite(x) else float(x)

        return {
            "customers": self.customers,
            "active": self.active,
            **{
                k: number(getattr(self, k))
                for k in ("equity", "equity_low", "equity_high", "value_at_risk", "value_at_risk_low")
                + ("value_at_risk_high",)
            },
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "valued_by": HEADLINE_BY,
            "confidence": self.confidence,
            "assumptions": self.assumptions.to_dict(),
        }


def scope_value(
    wh: Warehouse,
    f: Filters = ALL_DATA,
    *,
    assumptions: ValueAssumptions = ValueAssumptions(),
    as_of: date | None = None,
    bootstrap: int = 200,
    confidence: float = 0.95,
    random_state: int = 0,
) -> ScopeValue:
    """Customer equity and value at risk of the scope's customers as of ``as_of`` (default: as
    ``survival.observation_window`` sets it), each segment valued on its own curve and summed.

    The interval of each sum comes from summing the segments' bootstrap replicates (a bootstrap
    stratified by segment), not from adding their bounds, which would overstate the spread.
    """
    table = survival.survival_table(wh, f, as_of=as_of)
    window = survival.observation_window(wh, f, as_of=as_of)
    day = (window.as_of - pd.Timedelta(microseconds=1)).date() if window is not None else None
    if table.empty:
        nan = math.nan
        empty = pd.DataFrame({c: pd.Series(dtype=object if c in ("group", "tail") else float) for c in VALUE_COLUMNS})
        return ScopeValue(0, 0, nan, nan, nan, nan, nan, nan, day, assumptions, confidence, empty)
    by = HEADLINE_BY if HEADLINE_BY in table.columns else None
    rows, summed = _valued(
        table, by=by, assumptions=assumptions, bootstrap=bootstrap, confidence=confidence, random_state=random_state
    )
    equity, at_risk = float(rows["equity"].sum()), float(rows["value_at_risk"].sum())
    (e_low, e_high), (r_low, r_high) = (
        resampling.percentile_bounds(summed, (equity, at_risk), confidence=confidence)
        if bootstrap
        else [(math.nan,) * 2] * 2
    )
    return ScopeValue(
        customers=int(rows["n"].sum()),
        active=int(rows["active"].sum()),
        equity=equity,
        equity_low=e_low,
        equity_high=e_high,
        value_at_risk=at_risk,
        value_at_risk_low=r_low,
        value_at_risk_high=r_high,
        as_of=day,
        assumptions=assumptions,
        confidence=confidence,
        groups=rows,
    )


def totals(table: pd.DataFrame) -> dict[str, float | int]:
    """Customers, active customers, customer equity and value at risk summed over the groups of
    ``lifetime_value`` (the groups do not overlap, so the sums are the scope's totals)."""
    return {
        "customers": int(table["n"].sum()),
        "active": int(table["active"].sum()),
        "equity": float(table["equity"].sum()),
        "value_at_risk": float(table["value_at_risk"].sum()),
    }


def tenure_and_value(report: survival.SurvivalReport, values: pd.DataFrame | None) -> pd.DataFrame:
    """A survival report's summary with each group's lifetime value beside it (``clv``,
    ``clv_low``, ``clv_high``; missing for groups ``values`` does not have, such as NPS
    categories, which a customer moves between, and for all while ``values`` is None)."""
    clv = values[["group", "clv", "clv_low", "clv_high"]] if values is not None and not values.empty else None
    if clv is None:
        return report.summary.assign(clv=math.nan, clv_low=math.nan, clv_high=math.nan)
    return report.summary.merge(clv, on="group", how="left")
