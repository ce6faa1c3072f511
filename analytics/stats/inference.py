"""Inference behind the advocacy numbers, kept apart from the warehouse: pure numpy and scipy.

- ``exact_nps_p_value``: a permutation test of two NPS values that holds at any size, for groups too
  small for the normal approximation.
- ``cluster_variance`` and ``cluster_difference_variance``: the variance of an NPS, and of a
  difference of two, when one customer gives several responses (linearisation of the ratio
  estimator with customers as clusters; Cochran 1977, *Sampling Techniques*, 6.11; the same
  sandwich a cluster-robust regression of the score on group indicators gives).
- ``poisson_interval`` and ``rate_ratio_test``: exact intervals for event rates per time at risk
  (Garwood 1936) and the conditional binomial test of two rates (Przyborowski and Wilenski 1940).
- ``kish_effective_n``: the effective sample size of a weighted estimate (Kish 1965).
- ``cluster_slope_variance``: the variance of a least-squares slope with customers as clusters (the
  sandwich estimator; Liang and Zeger 1986).
- ``clustered_share``: a share of answers with its effective sample size when one customer gives
  several (the design effect of customers as clusters).
- ``welch_p_value``: Welch's two-sample t test of two means (Welch 1947).
- ``weighted_trend``: the precision-weighted straight line through estimates over time.
- ``wilson_interval``: the Wilson (1927) score interval of proportions.
- ``adjust_p_values``: Holm's and Benjamini-Hochberg's corrections for many comparisons.

Scores are the trinomial NPS scores of each response: +1 promoter, 0 passive, -1 detractor.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Literal

import numpy as np
import pandas as pd
from scipy import special, stats


def exact_nps_p_value(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    """Two-sided permutation p-value for "NPS of ``a`` equals NPS of ``b``", from (promoters,
    passives, detractors) counts.

    Every way the pooled answers could have been split into samples of these sizes is enumerated:
    given the pooled counts, the smaller sample's counts are a multivariate hypergeometric draw. The
    draws are ordered by the *studentised* difference of the two NPS values, the difference over its
    standard error (each side's adjusted-Wald variance, which stays positive at the extremes). With
    that ordering the test is exact when the two samples come from one distribution, and still holds
    its level when only the NPS values are equal and the mixes differ (Chung and Romano 2013,
    *Annals of Statistics* 41(2)); ordering by the raw difference tests "same mix" instead, and flags
    a polarised small group against a middling large one with the same NPS up to 17% of the time.
    The cost is quadratic in the smaller sample's size, so this is meant for small groups.
    """
    if min(*a, *b) < 0:
        raise ValueError("counts must be non-negative")
    small, large = (a, b) if sum(a) <= sum(b) else (b, a)
    n, rest = sum(small), sum(large)
    if n == 0 or rest == 0:
        raise ValueError("both samples need at least one response")
    pooled_p, pooled_m, pooled_d = (x + y for x, y in zip(small, large, strict=True))
    total = pooled_p + pooled_m + pooled_d
    p = np.arange(0, min(n, pooled_p) + 1)[:, None]
    d = np.arange(0, min(n, pooled_d) + 1)[None, :]
    m = n - p - d
    possible = (m >= 0) & (m <= pooled_m)
    log_prob = (
        _log_comb(pooled_p, p)
        + _log_comb(pooled_d, d)
        + _log_comb(pooled_m, np.clip(m, 0, pooled_m))
        - _log_comb(total, n)
    )
    prob = np.where(possible, np.exp(log_prob), 0.0)
    statistic = _studentised(p, d, n, pooled_p - p, pooled_d - d, rest)
    observed = _studentised(np.array(small[0]), np.array(small[2]), n, np.array(large[0]), np.array(large[2]), rest)
    extreme = possible & (statistic >= observed - 1e-9)
    return float(min(1.0, prob[extreme].sum()))


def _studentised(p: np.ndarray, d: np.ndarray, n: int, q: np.ndarray, e: np.ndarray, k: int) -> np.ndarray:
    """|NPS(p, d of n) - NPS(q, e of k)| over the root of the two adjusted-Wald variances."""

    def variance(x: np.ndarray, y: np.ndarray, size: int) -> np.ndarray:
        sx, sy = (x + 0.75) / (size + 3), (y + 0.75) / (size + 3)
        out: np.ndarray = (sx + sy - (sx - sy) ** 2) / (size + 3)
        return out

    diff = (p - d) / n - (q - e) / k
    out: np.ndarray = np.abs(diff) / np.sqrt(variance(p, d, n) + variance(q, e, k))
    return out


def _log_comb(n: float, k: np.ndarray | int) -> np.ndarray:
    return special.gammaln(n + 1) - special.gammaln(k + 1) - special.gammaln(n - k + 1)


def cluster_variance(
    n: np.ndarray, total: np.ndarray, clusters: np.ndarray, suu: np.ndarray, suv: np.ndarray, svv: np.ndarray
) -> np.ndarray:
    """Variance of the mean score (NPS as a share, -1 to 1) allowing for repeat responses.

    Per group: ``n`` responses with score sum ``total`` from ``clusters`` customers; with ``u`` a
    customer's score sum and ``v`` their number of responses in the group, ``suu = sum u^2``,
    ``suv = sum u v`` and ``svv = sum v^2``. The linearised variance of the ratio ``r = total / n`` is
    ``C / (C - 1) * sum (u - r v)^2 / n^2``. A group from one customer has no between-customer
    variation to measure: NaN.
    """
    n, total, clusters = (np.asarray(x, dtype=float) for x in (n, total, clusters))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = total / n
        spread = np.asarray(suu, float) - 2 * r * np.asarray(suv, float) + r**2 * np.asarray(svv, float)
        out: np.ndarray = np.where(clusters > 1, clusters / (clusters - 1) * spread / n**2, np.nan)
    return out


def cluster_slope_variance(clusters: np.ndarray, meat: np.ndarray, centred: np.ndarray) -> np.ndarray:
    """Variance of a least-squares slope when one customer gives several answers, per group: the
    sandwich ``C / (C - 1) * meat / Sxx^2`` (Liang and Zeger 1986), with ``C`` the customers,
    ``centred`` = ``Sxx``, the sum of squared deviations of ``x`` from its mean, and ``meat`` the sum
    over customers of the square of their sum of ``(x - xbar) * residual``. NaN for one customer."""
    with np.errstate(invalid="ignore", divide="ignore"):
        c = np.asarray(clusters, dtype=float)
        out: np.ndarray = np.where(
            c > 1, c / (c - 1) * np.asarray(meat, dtype=float) / np.asarray(centred, dtype=float) ** 2, np.nan
        )
    return out


def clustered_share(
    n: np.ndarray, successes: np.ndarray, clusters: np.ndarray, suu: np.ndarray, suv: np.ndarray, svv: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The share ``successes / n`` per group (NaN with no answers) and its effective number of
    answers: ``n`` over the design effect, the clustered variance of the share (``cluster_variance``,
    with ``u`` a customer's successes and ``v`` their answers) over the independent one
    ``p (1 - p) / n``. A design effect below 1, or one that cannot be measured (a share of 0 or 1,
    answers from one customer), counts as 1, so the effective number never exceeds ``n``.
    """
    clustered = cluster_variance(n, successes, clusters, suu, suv, svv)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(n > 0, successes / n, np.nan)
        independent = p * (1 - p) / n
        deff = np.where((independent > 0) & np.isfinite(clustered), clustered / independent, 1.0)
    effective: np.ndarray = n / np.fmax(deff, 1.0)
    return p, effective


@dataclass(frozen=True)
class PairMoments:
    """Per-customer sums behind the clustered variance of NPS(group) - NPS(other).

    Over the customers with responses in the group: ``u``/``v`` are each customer's score sum and
    count in the group, ``T``/``M`` the same over the *pool* the other sample comes from; fields are
    sums of products (``uT`` = sum of u * T, ...). ``pool_*`` are sums over every customer in the pool.
    ``shared`` counts the group's customers who also answered in the pool. ``in_pool`` says whether
    the group's own responses are part of the pool (comparison with the rest) or not (comparison with
    a baseline group), in which case the other sample is the pool itself.
    """

    n: np.ndarray
    total: np.ndarray
    clusters: np.ndarray
    uu: np.ndarray
    uv: np.ndarray
    vv: np.ndarray
    uT: np.ndarray  # noqa: N815 - the notation of the docstring
    uM: np.ndarray  # noqa: N815
    vT: np.ndarray  # noqa: N815
    vM: np.ndarray  # noqa: N815
    TT: np.ndarray
    TM: np.ndarray
    MM: np.ndarray
    shared: np.ndarray
    pool_total: float
    pool_n: float
    pool_clusters: float
    pool_TT: float  # noqa: N815
    pool_TM: float  # noqa: N815
    pool_MM: float  # noqa: N815
    in_pool: bool


def cluster_difference_variance(m: PairMoments) -> np.ndarray:
    """Variance of NPS(group) - NPS(other) (as shares) with customers as clusters, for every group.

    Each customer ``i`` contributes ``z_i = a_i / n_g - c_i / n_o`` with ``a_i = u_i - r_g v_i`` in the
    group and ``c_i = U_i - r_o V_i`` in the other sample; the variance is ``C / (C - 1) * sum z_i^2``
    over the ``C`` customers in either. A customer in both makes ``a`` and ``c`` correlate, which the
    cross term carries. ``U``/``V`` are the pool's sums less the group's own when the group is part of
    the pool (the rest), and the pool's sums when it is not (a baseline group).
    """
    f = {k: np.asarray(getattr(m, k), dtype=float) for k in ("n", "total", "clusters", "uu", "uv", "vv")}
    uT, uM, vT, vM = (np.asarray(x, float) for x in (m.uT, m.uM, m.vT, m.vM))
    TT, TM, MM = (np.asarray(x, float) for x in (m.TT, m.TM, m.MM))
    uu, uv, vv, n_g = f["uu"], f["uv"], f["vv"], f["n"]
    if m.in_pool:  # U = T - u and V = M - v for the group's customers
        UU, UV, VV = TT - 2 * uT + uu, TM - uM - vT + uv, MM - 2 * vM + vv
        uU, uV, vU, vV = uT - uu, uM - uv, vT - uv, vM - vv
        n_o = m.pool_n - n_g
        total_o = m.pool_total - f["total"]
        clusters = m.pool_clusters + 0 * n_g
    else:
        UU, UV, VV = TT, TM, MM
        uU, uV, vU, vV = uT, uM, vT, vM
        n_o = m.pool_n + 0 * n_g
        total_o = m.pool_total + 0 * n_g
        clusters = f["clusters"] + m.pool_clusters - np.asarray(m.shared, float)
    with np.errstate(invalid="ignore", divide="ignore"):
        r_g, r_o = f["total"] / n_g, total_o / n_o
        aa = uu - 2 * r_g * uv + r_g**2 * vv
        ac = uU - r_o * uV - r_g * vU + r_g * r_o * vV
        cc_in = UU - 2 * r_o * UV + r_o**2 * VV
        # The pool's customers outside the group keep the pool's sums as they are.
        cc_out = (m.pool_TT - TT) - 2 * r_o * (m.pool_TM - TM) + r_o**2 * (m.pool_MM - MM)
        spread = aa / n_g**2 - 2 * ac / (n_g * n_o) + (cc_in + cc_out) / n_o**2
        out: np.ndarray = np.where(clusters > 1, clusters / (clusters - 1) * spread, np.nan)
    return out


def poisson_interval(
    events: np.ndarray, exposure: np.ndarray, *, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Garwood) interval for the rate ``events / exposure``, element-wise; NaN without exposure."""
    k, t = np.asarray(events, dtype=float), np.asarray(exposure, dtype=float)
    alpha = 1 - confidence
    with np.errstate(invalid="ignore", divide="ignore"):
        low = np.where(k > 0, stats.chi2.ppf(alpha / 2, 2 * k) / 2, 0.0) / t
        high = stats.chi2.ppf(1 - alpha / 2, 2 * k + 2) / 2 / t
    bad = ~(t > 0)
    return np.where(bad, np.nan, low), np.where(bad, np.nan, high)


@dataclass(frozen=True)
class RateRatio:
    """Rate of a group over the rate of another, with its exact interval and two-sided p-value."""

    ratio: float
    low: float
    high: float
    p_value: float


def rate_ratio_test(
    events_a: int, exposure_a: float, events_b: int, exposure_b: float, *, confidence: float = 0.95
) -> RateRatio:
    """Compare two Poisson rates exactly: given the total events, ``a``'s events are binomial with
    probability ``exposure_a / (exposure_a + exposure_b)`` when the rates are equal. The p-value is
    that binomial test's; the ratio's interval comes from the Clopper-Pearson interval of the
    binomial share. NaN throughout when there are no events at all or no exposure on a side; the
    ratio and its upper bound are NaN (no finite value) when ``b`` has no events.
    """
    if exposure_a <= 0 or exposure_b <= 0 or events_a + events_b == 0:
        return RateRatio(float("nan"), float("nan"), float("nan"), float("nan"))
    share = exposure_a / (exposure_a + exposure_b)
    test = stats.binomtest(int(events_a), int(events_a + events_b), share)
    ci = test.proportion_ci(confidence_level=confidence, method="exact")
    scale = exposure_b / exposure_a

    def ratio(q: float) -> float:
        return float("nan") if q >= 1 else q / (1 - q) * scale

    rate_b = events_b / exposure_b
    point = float("nan") if rate_b == 0 else (events_a / exposure_a) / rate_b
    return RateRatio(point, ratio(ci.low), ratio(ci.high), float(test.pvalue))


def welch_p_value(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sided p-value of Welch's t test that ``a`` and ``b`` have the same mean (Welch 1947); 1
    where it is undefined (fewer than two values on a side, no spread on either)."""
    if a.size < 2 or b.size < 2 or (np.ptp(a) == 0 and np.ptp(b) == 0):
        return 1.0
    with warnings.catch_warnings():
        # Near-constant samples (a scope of one channel) only warn of precision; a caller that also
        # asks for a large enough difference keeps such a p-value from deciding anything alone.
        warnings.simplefilter("ignore", RuntimeWarning)
        p = float(stats.ttest_ind(a, b, equal_var=False).pvalue)
    return 1.0 if math.isnan(p) else p


def kish_effective_n(weights: np.ndarray) -> float:
    """Kish's effective sample size of weights ``w``: ``(sum w)^2 / sum w^2`` (n when all are equal)."""
    w = np.asarray(weights, dtype=float)
    square = float((w**2).sum())
    return float(w.sum() ** 2 / square) if square > 0 else 0.0


@dataclass(frozen=True)
class Trend:
    """A straight-line trend through estimates made at several times: ``slope`` per unit of time
    with its interval and p-value, over ``periods`` estimates."""

    slope: float
    low: float
    high: float
    p_value: float
    periods: int
    #: How much more the estimates scatter about the line than their own errors allow (1 = as
    #: expected); the slope's variance is widened by this factor when it is above 1.
    dispersion: float


def weighted_trend(t: np.ndarray, y: np.ndarray, se: np.ndarray, *, confidence: float = 0.95) -> Trend:
    """The inverse-variance weighted least-squares slope of ``y`` (each with standard error ``se``)
    on ``t``.

    Real period-to-period swings beyond sampling error would make a slope read from the standard
    errors alone too sure of itself, so its variance is multiplied by the residual dispersion
    (the weighted residual sum of squares over its degrees of freedom) when that exceeds 1, and the
    interval uses Student's t on ``periods - 2`` degrees of freedom: the multiplicative
    overdispersion model of meta-regression (Thompson and Sharp 1999, Statistics in Medicine
    18:2693). NaN throughout with fewer than three usable estimates.
    """
    t, y, se = (np.asarray(a, dtype=float) for a in (t, y, se))
    keep = np.isfinite(t) & np.isfinite(y) & np.isfinite(se) & (se > 0)
    t, y, se = t[keep], y[keep], se[keep]
    k = len(t)
    if k < 3 or np.ptp(t) == 0:
        nan = float("nan")
        return Trend(nan, nan, nan, nan, k, nan)
    w = 1 / se**2
    t_bar, y_bar = np.average(t, weights=w), np.average(y, weights=w)
    sxx = float(np.sum(w * (t - t_bar) ** 2))
    slope = float(np.sum(w * (t - t_bar) * (y - y_bar)) / sxx)
    residuals = y - (y_bar + slope * (t - t_bar))
    dispersion = float(np.sum(w * residuals**2) / (k - 2))
    se_slope = math.sqrt(max(dispersion, 1.0) / sxx)
    quantile = float(stats.t.ppf(0.5 + confidence / 2, k - 2))
    p = float(2 * stats.t.sf(abs(slope) / se_slope, k - 2))
    return Trend(slope, slope - quantile * se_slope, slope + quantile * se_slope, p, k, dispersion)


Correction = Literal["holm", "bh"]


def critical_z(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def wilson_interval(
    successes: np.ndarray | pd.Series, n: np.ndarray | pd.Series, *, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for proportions ``successes / n``, element-wise (Wilson 1927).

    Stays inside [0, 1] and is sensible at 0 or n successes, unlike the Wald interval. Returns NaN
    where ``n`` is 0.
    """
    k, m = np.asarray(successes, dtype=float), np.asarray(n, dtype=float)
    z = critical_z(confidence)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / m
        centre = (p + z**2 / (2 * m)) / (1 + z**2 / m)
        half = z * np.sqrt(p * (1 - p) / m + z**2 / (4 * m**2)) / (1 + z**2 / m)
        # The interval always holds p; at 0 or n successes rounding can leave a bound a hair past it.
        low, high = np.fmin(centre - half, p), np.fmax(centre + half, p)
    return np.clip(low, 0.0, 1.0), np.clip(high, 0.0, 1.0)


def adjust_p_values(p_values: Sequence[float], *, method: Correction = "holm") -> np.ndarray:
    """Adjust p-values for many comparisons: Holm's step-down (family-wise error) or
    Benjamini-Hochberg (false discovery rate). Returns adjusted values in the input order.
    """
    p = np.asarray(p_values, dtype=float)
    m = p.size
    if m == 0:
        return p
    order = np.argsort(p)
    ranked = p[order]
    if method == "holm":
        adjusted = np.maximum.accumulate((m - np.arange(m)) * ranked)
    elif method == "bh":
        adjusted = np.minimum.accumulate(m / np.arange(m, 0, -1) * ranked[::-1])[::-1]
    else:
        raise ValueError(f"unknown correction {method!r}; use 'holm' or 'bh'")
    out = np.empty(m)
    out[order] = np.minimum(adjusted, 1.0)
    return out
