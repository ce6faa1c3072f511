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
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import optimize, special

from analytics.analyses import survival
from analytics.data.filters import ALL_DATA, Filters
from analytics.data.warehouse import Warehouse
from analytics.stats.survival import KaplanMeierData, SurvivalError, groups_of, require_columns, step_function
from analytics.stats.units import MONTH_DAYS

Tail = Literal["weibull", "sbg"]
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
    tail: Tail = "weibull"
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


# --- The shifted-beta-geometric model ------------------------------------------------------------


def sbg_survival(alpha: float, beta: float, periods: int) -> np.ndarray:
    """S(0..periods) of the shifted-beta-geometric model (Fader & Hardie 2007, eq. 5-7): each
    customer churns at each renewal with their own probability, beta(alpha, beta) across customers."""
    t = np.arange(1, periods + 1, dtype=float)
    ratio = np.concatenate([[1.0], (beta + t - 1) / (alpha + beta + t - 1)])
    return np.cumprod(ratio)


def fit_sbg(
    survivors: Sequence[float] | np.ndarray, *, start: tuple[float, float] | None = None, tolerance: float = 1e-9
) -> tuple[float, float]:
    """Maximum-likelihood ``(alpha, beta)`` from the number (or share) alive at renewals 0, 1, ...

    The likelihood (Fader & Hardie 2007, eq. 8) counts those lost at each renewal and those still
    there at the last; it depends only on the shares, so a survival curve read at renewals will do.
    ``start`` (say, the fit a bootstrap replicate resamples) skips the coarse grid search.
    """
    alive = np.asarray(survivors, float)
    if alive.size < 3 or alive[0] <= 0:
        raise SurvivalError("the shifted-beta-geometric model needs the share alive at two renewals at least")
    share = alive / alive[0]
    lost = -np.diff(share)
    periods = alive.size - 1

    t = np.arange(1, periods + 1)

    def negative_log_likelihood(params: np.ndarray) -> np.ndarray:
        """For one (log alpha, log beta) pair, or a grid of them along the first axis."""
        a, b = np.exp(params[..., 0])[..., None], np.exp(params[..., 1])[..., None]
        log_p = special.betaln(a + 1, b + t - 1) - special.betaln(a, b)  # P(churn at renewal t)
        log_s = special.betaln(a, b + periods) - special.betaln(a, b)  # P(still there after the last)
        return -(np.sum(lost * log_p, axis=-1) + share[-1] * log_s[..., 0])

    # The likelihood can be flat along a ridge (a cohort that barely churns sends beta off to
    # infinity), so the search starts from the best point of a coarse grid and stays within it.
    if start is None:
        grid = np.stack(np.meshgrid(np.linspace(-6, 8, 29), np.linspace(-6, 8, 29)), axis=-1).reshape(-1, 2)
        x0 = grid[np.argmin(negative_log_likelihood(grid))]
    else:
        x0 = np.log(start)

    def objective(params: np.ndarray) -> float:
        value = float(negative_log_likelihood(params))
        return value if math.isfinite(value) else 1e300

    result = optimize.minimize(
        objective,
        x0=x0,
        method="Nelder-Mead",
        # A replicate on a ridge would crawl along it for ever; near the optimum its projection hardly moves.
        options={"xatol": tolerance, "fatol": tolerance * 1e-4, "maxiter": 600 if start is None else 120},
    )
    a, b = np.exp(result.x)
    return float(a), float(b)


def sbg_discounted_lifetime(alpha: float, beta: float, discount: float, *, periods: int = 10_000) -> float:
    """Discounted expected lifetime of a new customer, in renewal periods, counting the period they
    join (Fader & Hardie 2010): ``sum_{t>=0} S(t) / (1 + discount)^t``."""
    s = sbg_survival(alpha, beta, periods)
    return float(np.sum(s * (1 + discount) ** -np.arange(periods + 1, dtype=float)))


# --- Survival with a tail ------------------------------------------------------------------------


@dataclass(frozen=True)
class ExtendedCurve:
    """A Kaplan-Meier curve, used up to ``followed`` months (in ``lifetime_value``, the last tenure
    with at least ``MIN_AT_RISK`` customers at risk), extended past it by a parametric tail
    (``tail``, with ``parameters``)."""

    times: np.ndarray
    survival: np.ndarray
    followed: float
    tail: Tail
    parameters: dict[str, float]
    note: str = ""

    def __call__(self, at: np.ndarray) -> np.ndarray:
        at = np.asarray(at, float)
        observed = step_function(self.times, self.survival, np.minimum(at, self.followed))
        beyond = at > self.followed
        if not beyond.any():
            return observed
        anchor = float(step_function(self.times, self.survival, np.array([self.followed]))[0])
        return np.where(beyond, anchor * self._conditional(at, self.followed), observed)

    def _conditional(self, at: np.ndarray, since: float) -> np.ndarray:
        """S(at) / S(since) under the tail."""
        p = self.parameters
        if self.tail == "weibull":
            cumulative = lambda t: (np.maximum(t, 0.0) / p["scale"]) ** p["shape"]  # noqa: E731
            return np.exp(-(cumulative(at) - cumulative(np.asarray(since))))
        period = p["renewal_months"]
        a, b = p["alpha"], p["beta"]

        # log S of the sBG model at a real number of renewals, interpolated log-linearly inside one.
        def log_s(t: np.ndarray) -> np.ndarray:
            k = np.floor(t / period)
            whole = special.betaln(a, b + k) - special.betaln(a, b)
            step = special.betaln(a, b + k + 1) - special.betaln(a, b) - whole
            return whole + (t / period - k) * step

        return np.exp(log_s(at) - log_s(np.asarray(since, float)))

    def describe(self) -> str:
        followed = f"{self.followed:.0f} month{'' if round(self.followed) == 1 else 's'}"
        if self.tail == "weibull":
            return (
                f"Weibull tail past {followed}: shape {self.parameters['shape']:.2f},"
                f" scale {self.parameters['scale']:.0f} months" + (f" ({self.note})" if self.note else "")
            )
        return (
            f"shifted-beta-geometric tail past {followed}: alpha {self.parameters['alpha']:.3f},"
            f" beta {self.parameters['beta']:.3f} per {self.parameters['renewal_months']:.0f}-month renewal"
        )


def extend(
    times: np.ndarray,
    surv: np.ndarray,
    followed: float,
    *,
    tail: Tail = "weibull",
    renewal_months: int = 12,
    near: ExtendedCurve | None = None,
) -> ExtendedCurve:
    """Fit ``tail`` to a Kaplan-Meier curve (see the module docstring). Where the
    shifted-beta-geometric model cannot be fitted (fewer than two renewals observed, or nobody
    left), the Weibull tail stands in and says why. ``near`` (the curve a bootstrap replicate
    resamples) starts the shifted-beta-geometric search from its fit, to a looser tolerance."""
    note = ""
    if tail == "sbg":
        renewals = np.arange(0, followed + 1e-9, renewal_months)
        alive = step_function(times, surv, renewals)
        if renewals.size >= 3 and alive[-1] > 0:
            if near is not None and near.tail == "sbg":
                a, b = fit_sbg(alive, start=(near.parameters["alpha"], near.parameters["beta"]), tolerance=1e-5)
            else:
                a, b = fit_sbg(alive)
            parameters = {"alpha": a, "beta": b, "renewal_months": float(renewal_months)}
            return ExtendedCurve(times, surv, followed, "sbg", parameters)
        note = f"the shifted-beta-geometric tail needs two {renewal_months}-month renewals with customers left"
    return ExtendedCurve(times, surv, followed, "weibull", _weibull_tail(times, surv, followed), note)


def _weibull_tail(times: np.ndarray, surv: np.ndarray, followed: float) -> dict[str, float]:
    """Weibull shape and scale from a least-squares line through log(-log S) against log t over the
    second half of the observed tenure; an exponential tail at the overall rate when there are too
    few points for a line, or the line's shape is implausible (outside 0.2 to 5)."""
    usable = (times >= followed / 2) & (surv > 0) & (surv < 1)
    if usable.sum() >= 3 and np.ptp(np.log(times[usable])) > 0:
        shape, intercept = np.polyfit(np.log(times[usable]), np.log(-np.log(surv[usable])), 1)
        # A shape far from 1 on a handful of late steps is noise, not a tail worth extrapolating.
        if 0.2 <= shape <= 5 and abs(intercept / shape) < 700:
            return {"shape": float(shape), "scale": float(math.exp(-intercept / shape))}
    last = float(step_function(times, surv, np.array([followed]))[0]) if followed > 0 else 1.0
    rate = -math.log(max(last, 1e-12)) / followed if followed > 0 else 0.0
    return {"shape": 1.0, "scale": 1.0 / rate if rate > 0 else 1e12}


# --- Lifetime value --------------------------------------------------------------------------------


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


def _discount_factors(assumptions: ValueAssumptions, months: int) -> np.ndarray:
    return (1 + assumptions.monthly_discount) ** -np.arange(1, months + 1, dtype=float)


def _values(
    curve: ExtendedCurve, group: _Group, a: ValueAssumptions, discount: np.ndarray
) -> tuple[float, float, float]:
    """A new customer's value per unit of monthly margin, the active customers' equity, and their
    value at risk."""
    per_margin = float(np.sum(curve(np.arange(1, a.horizon_months + 1, dtype=float)) * discount))
    if group.active_tenure.size == 0:
        return per_margin, 0.0, 0.0
    months = np.arange(1, max(a.horizon_months, AT_RISK_MONTHS) + 1, dtype=float)
    now = curve(group.active_tenure)
    ahead = curve(group.active_tenure[:, None] + months[None, :])
    with np.errstate(divide="ignore", invalid="ignore"):
        stay = np.where(now[:, None] > 0, ahead / now[:, None], 0.0)
    equity = float(group.active_margin @ (stay[:, : a.horizon_months] @ discount))
    at_risk = float(group.active_margin @ (1.0 - stay[:, :AT_RISK_MONTHS]).sum(axis=1))
    return per_margin, equity, at_risk


def _tail_share(curve: ExtendedCurve, group: _Group, a: ValueAssumptions, discount: np.ndarray, equity: float) -> float:
    """The share of equity from months past where the tail takes over (``_anchor``)."""
    if group.active_tenure.size == 0 or equity <= 0:
        return 0.0
    months = np.arange(1, a.horizon_months + 1, dtype=float)
    at = group.active_tenure[:, None] + months[None, :]
    now = curve(group.active_tenure)
    with np.errstate(divide="ignore", invalid="ignore"):
        stay = np.where(now[:, None] > 0, curve(at) / now[:, None], 0.0)
    beyond = float(group.active_margin @ ((stay * (at > group.anchor)) @ discount))
    return beyond / equity


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
    rows, _ = _valued(table, by, assumptions, bootstrap, confidence, random_state)
    return rows


def _valued(
    table: pd.DataFrame,
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
    discount = _discount_factors(assumptions, assumptions.horizon_months)
    tail = (1 - confidence) / 2
    rows = []
    summed = np.zeros((bootstrap, 2))
    for group in _groups(table, by, assumptions):
        times, surv = group.km.curve()
        curve = extend(times, surv, group.anchor, tail=assumptions.tail, renewal_months=assumptions.renewal_months)
        per_margin, equity, at_risk = _values(curve, group, assumptions, discount)
        mean_margin = float(group.margin.mean())
        reps = []
        for _rep in range(bootstrap):
            t_b, s_b = group.cells.resample(rng)
            c_b = extend(
                t_b, s_b, group.anchor, tail=assumptions.tail, renewal_months=assumptions.renewal_months, near=curve
            )
            p_b, e_b, r_b = _values(c_b, group, assumptions, discount)
            reps.append((p_b * _resampled_mean(group.margin, rng), e_b, r_b))
        if bootstrap:
            summed += np.array(reps)[:, 1:]
        clv = per_margin * mean_margin
        bounds = _percentiles(np.array(reps), tail, (clv, equity, at_risk))
        rows.append(
            {
                "group": group.label,
                "n": len(group.km),
                "active": group.active,
                "events": int(group.km.event.sum()),
                "followed": group.followed,
                "monthly_margin": mean_margin,
                "clv": clv,
                "clv_low": bounds[0][0],
                "clv_high": bounds[0][1],
                "residual_per_active": equity / group.active if group.active else math.nan,
                "equity": equity,
                "equity_low": bounds[1][0],
                "equity_high": bounds[1][1],
                "value_at_risk": at_risk,
                "value_at_risk_low": bounds[2][0],
                "value_at_risk_high": bounds[2][1],
                "extrapolated": bool(assumptions.horizon_months > group.anchor),
                "tail_share": _tail_share(curve, group, assumptions, discount, equity),
                "tail": curve.describe(),
            }
        )
    return pd.DataFrame(rows, columns=list(VALUE_COLUMNS)), summed


#: Above this many customers a bootstrap replicate of the mean margin is drawn from its normal limit
#: (mean, standard error) instead of by reweighting every customer: the same distribution to within
#: a fraction of a percent, at a millionth of the cost.
EXACT_MEAN_BELOW = 20_000


def _resampled_mean(values: np.ndarray, rng: np.random.Generator) -> float:
    """One bootstrap replicate of the mean of ``values`` (Poisson weights, or their normal limit
    for large groups)."""
    if values.size >= EXACT_MEAN_BELOW:
        return float(rng.normal(values.mean(), values.std(ddof=1) / math.sqrt(values.size)))
    w = rng.poisson(1.0, values.size)
    return float(np.average(values, weights=w)) if w.any() else float(values.mean())


def _percentiles(reps: np.ndarray, tail: float, estimates: Sequence[float]) -> list[tuple[float, float]]:
    """Percentile interval per column, stretched to hold its estimate."""
    out = []
    for k, estimate in enumerate(estimates):
        if reps.size == 0:
            out.append((math.nan, math.nan))
            continue
        low, high = np.quantile(reps[:, k], [tail, 1 - tail])
        out.append((float(min(low, estimate)), float(max(high, estimate))))
    return out


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
    rows, summed = _valued(table, by, assumptions, bootstrap, confidence, random_state)
    equity, at_risk = float(rows["equity"].sum()), float(rows["value_at_risk"].sum())
    tail = (1 - confidence) / 2
    (e_low, e_high), (r_low, r_high) = (
        _percentiles(summed, tail, (equity, at_risk)) if bootstrap else [(math.nan,) * 2] * 2
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
