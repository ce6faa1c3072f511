"""Cox proportional hazards with delayed entry and time-varying covariates: the partial-likelihood
fit, its design matrix, Harrell's concordance, the proportional-hazards check, and survival from
today under a fitted model. The one module that imports lifelines.

Rows are at risk on ``(start, stop]`` (counting-process form): for a survival table that is left
truncation, for spells a covariate that changes over a customer's lifetime. Hazard ratios come with
Wald intervals, and proportional hazards are checked with the scaled Schoenfeld residual test
(Grambsch & Therneau 1994, rank time transform).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from lifelines.utils import concordance_index
from scipy import stats

from analytics.stats.survival import SurvivalError, chi_square_p, require_columns, running_sums

#: A log hazard ratio beyond this (a ratio past e^15) is a separated group, not an estimate.
MAX_LOG_HR = 15.0
#: Concordance is estimated on this many customers at most (a fixed random sample).
CONCORDANCE_SAMPLE = 50_000
#: Proportional hazards count as failed below this p-value of the Schoenfeld test.
PH_ALPHA = 0.01


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
        s0 = running_sums(r_start)[self.began] - running_sums(r_stop)[self.ended]
        s1 = (
            running_sums(self.x_by_start * r_start[:, None])[self.began]
            - running_sums(self.x_by_stop * r_stop[:, None])[self.ended]
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
        running = running_sums(np.bincount(group, weights=1.0 / den, minlength=n_times))
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

    names = tuple(terms or (f"x{k}" for k in range(x.shape[1])))
    # Newton starts at 0, or where a related fit ended (a stratified refit of the same terms).
    start_at = np.array([float((initial or {}).get(t, 0.0)) for t in names])
    beta, ll, info = _newton(total, start_at, tolerance=tolerance, max_steps=max_steps)
    baseline = {}
    for name, stratum in zip([str(v) for v in levels], strata_, strict=True):
        baseline[name] = (stratum.times, np.cumsum(stratum.terms(beta)[3]))
    return CoxFit(
        terms=names,
        beta=beta,
        variance=np.linalg.inv(info),
        mean=mean,
        log_likelihood=ll,
        baseline=baseline,
    )


def _newton(
    total: Callable[[np.ndarray], tuple[float, np.ndarray, np.ndarray]],
    beta: np.ndarray,
    *,
    tolerance: float,
    max_steps: int,
) -> tuple[np.ndarray, float, np.ndarray]:
    """Newton-Raphson on a log-likelihood from ``beta``: ``total(beta)`` gives its value, score and
    information. A step that lowers the likelihood is halved. Returns the maximiser, the
    log-likelihood there and the information."""
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
            return beta, ll, info
    raise SurvivalError("the Cox model did not converge; drop a covariate with few events")


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
    require_columns(table, covariates)
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


def without_churnless_levels(
    rows: pd.DataFrame, covariates: Sequence[str]
) -> tuple[pd.DataFrame, list[tuple[str, list[str], int]]]:
    """``rows`` without the category levels nobody churned in: such a level's hazard ratio is zero
    with an infinite interval, and it would stall the fit. A covariate none of whose levels saw a
    churn keeps them all. Returns the rows kept and, per covariate that lost levels,
    ``(covariate, levels, rows left out)``."""
    left_out = []
    for cov in covariates:
        column = rows[cov]
        if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
            continue
        labels = column.fillna("unknown").astype(str)
        churned = rows["event"].groupby(labels).sum()
        empty = sorted(churned.index[churned == 0])
        if empty and len(empty) < len(churned):
            rows = rows[~labels.isin(empty)]
            left_out.append((cov, empty, int(labels.isin(empty).sum())))
    return rows, left_out


def fit_design(
    rows: pd.DataFrame,
    x: pd.DataFrame,
    *,
    strata: Sequence[str] = (),
    initial: Mapping[str, float] | None = None,
) -> CoxFit:
    """``cox_partial_likelihood`` of ``rows`` (``entry``, ``duration``, ``event``) on the design ``x``
    (``design``), with a baseline hazard per combination of the levels of the ``strata`` columns."""
    stratum = None
    if strata:
        parts = [rows[c].fillna("unknown").astype(str) for c in strata]
        stratum = parts[0].str.cat(parts[1:], sep=" / ").to_numpy() if len(parts) > 1 else parts[0].to_numpy()
    return cox_partial_likelihood(
        x.to_numpy(float),
        rows["entry"].to_numpy(float),
        rows["duration"].to_numpy(float),
        rows["event"].to_numpy(float).astype(bool),
        strata=stratum,
        terms=list(x.columns),
        initial=initial,
    )


def wald_table(fit: CoxFit, *, confidence: float = 0.95) -> pd.DataFrame:
    """Per term of ``fit``: ``term``, ``stable``, ``hazard_ratio``, ``hazard_ratio_low``,
    ``hazard_ratio_high`` (Wald interval) and ``p_value`` (Wald test).

    A coefficient running off to infinity (a group nobody in the other levels resembles, a log
    hazard ratio past ``MAX_LOG_HR``) or with no usable variance is not an estimate: it is not
    ``stable``, and its ratio reads 1 with no interval or p-value."""
    with np.errstate(invalid="ignore"):
        se = np.sqrt(np.diag(fit.variance))
    stable = (np.abs(fit.beta) <= MAX_LOG_HR) & np.isfinite(se) & (se < MAX_LOG_HR)
    se = np.where(stable, se, np.nan)
    beta = np.where(stable, fit.beta, 0.0)
    z = stats.norm.ppf(0.5 + confidence / 2)
    return pd.DataFrame(
        {
            "term": list(fit.terms),
            "stable": stable,
            "hazard_ratio": np.exp(beta),
            "hazard_ratio_low": np.exp(beta - z * se),
            "hazard_ratio_high": np.exp(beta + z * se),
            "p_value": 2 * stats.norm.sf(np.abs(beta / se)),
        }
    )


def concordance(rows: pd.DataFrame, risk: np.ndarray) -> float:
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


def no_ph_check() -> pd.DataFrame:
    """The proportional-hazards check of a model that was not checked: no rows."""
    return pd.DataFrame(
        {
            "covariate": pd.Series(dtype=object),
            "statistic": pd.Series(dtype=float),
            "p_value": pd.Series(dtype=float),
            "fails": pd.Series(dtype=bool),
        }
    )


def ph_check(fit: CoxFit, rows: pd.DataFrame, x: pd.DataFrame, terms: Mapping[str, tuple[str, str]]) -> pd.DataFrame:
    """The proportional-hazards check of a fit of ``rows`` on the design ``x``: per covariate
    (``terms`` maps each term to its covariate and level), ``covariate``, ``statistic`` and
    ``p_value``, those of its term with the smallest p-value in ``schoenfeld_test``, and ``fails``
    (below ``PH_ALPHA``: a covariate fails if any of its levels does)."""
    event = rows["event"].to_numpy(float).astype(bool)
    if event.sum() < 2:
        return no_ph_check()
    duration, entry = rows["duration"].to_numpy(float), rows["entry"].to_numpy(float)
    statistic = schoenfeld_test(x.to_numpy(float), duration, event, entry, beta=fit.beta, variance=fit.variance)
    by_term = pd.DataFrame(
        {
            "covariate": [terms[t][0] for t in fit.terms],
            "statistic": statistic,
            "p_value": [chi_square_p(float(v), 1) for v in statistic],
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

    died = np.flatnonzero(event)
    died = died[np.argsort(duration[died], kind="stable")]
    t = duration[died]
    entered = np.searchsorted(entry[by_entry], t, side="left")
    left = np.searchsorted(duration[by_end], t, side="left")
    s0 = running_sums(risk[by_entry])[entered] - running_sums(risk[by_end])[left]
    weighted = x * risk[:, None]
    s1 = running_sums(weighted[by_entry])[entered] - running_sums(weighted[by_end])[left]
    residuals = x[died] - s1 / s0[:, None]
    d = died.size
    scaled = d * residuals @ variance
    g = np.arange(1, d + 1, dtype=float)
    g -= g.mean()
    return (g @ scaled) ** 2 / (d * np.diag(variance) * (g**2).sum())


def model_matrix(frame: pd.DataFrame, fit: CoxFit, levels: Mapping[str, tuple[str, str]]) -> np.ndarray:
    """Rows of ``frame`` coded on a fitted model's terms (0/1 per level, numbers as they are)."""
    columns = []
    for term in fit.terms:
        covariate, level = levels[term]
        column = frame[covariate]
        columns.append(column.astype(float) if not level else (column.astype(str) == level).astype(float))
    return np.column_stack(columns) if columns else np.zeros((len(frame), 0))


def survival_from(
    fit: CoxFit, x: np.ndarray, tenure: np.ndarray, months: np.ndarray, *, beta: np.ndarray | None = None
) -> np.ndarray:
    """Each row's survival ``months`` on from its ``tenure`` given it has lasted so far,
    ``S(a + t) / S(a)`` (rows by months), with covariates ``x`` under the fit's unstratified
    baseline. Past the last event time the baseline's cumulative hazard continues at its average
    slope over the last observed year. ``beta`` replaces the fit's coefficients (say, with the
    unstable ones at 0)."""
    times, cumhaz = fit.baseline[""]
    h0 = _extended_cumhaz(times, cumhaz, _late_slope(times, cumhaz), tenure[:, None] + months[None, :])
    risk = np.exp((x - fit.mean) @ (fit.beta if beta is None else beta))[:, None]
    return np.exp(-(h0 - h0[:, :1]) * risk)


def _late_slope(times: np.ndarray, cumhaz: np.ndarray) -> float:
    """Average increase of the baseline cumulative hazard per month over the last observed year."""
    if times.size < 2:
        return 0.0
    start = max(times[-1] - 12.0, times[0])
    before = float(np.interp(start, times, cumhaz))
    return (float(cumhaz[-1]) - before) / (times[-1] - start) if times[-1] > start else 0.0


def _extended_cumhaz(times: np.ndarray, cumhaz: np.ndarray, slope: float, at: np.ndarray) -> np.ndarray:
    """The baseline cumulative hazard at ``at``, continued past the last event time at ``slope``."""
    if times.size == 0:
        return np.zeros_like(at)
    inside = np.concatenate([[0.0], cumhaz])[np.searchsorted(times, np.minimum(at, times[-1]), side="right")]
    return inside + slope * np.clip(at - times[-1], 0.0, None)
