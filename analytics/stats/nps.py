"""Net Promoter Score arithmetic: who counts as a promoter or a detractor on the 0-10 scale, and
the NPS of counts with honest uncertainty.

NPS = % promoters (LTR 9-10) minus % detractors (LTR 0-6). Its standard error treats each response as
a trinomial draw scored +1, 0 or -1 (Rocks, B. 2016, "Interval estimation for the Net Promoter Score",
The American Statistician 70(4)): with promoter share p and detractor share d the variance per response
is ``p + d - (p - d)^2``. Treating promoters and detractors as two independent proportions, a common
mistake, understates it.

Post-contact (transactional) responses come several to a customer, and one customer's answers are
alike. Their intervals and tests use a variance with customers as clusters
(``analytics.stats.inference``), and report the design effect: that variance over the one that treats
every response as independent. Differences with fewer than ``EXACT_BELOW`` responses on a side are
tested exactly (a permutation test), where the normal approximation lets false differences through.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from analytics.stats import inference

#: Answers of 9 or 10 to "how likely are you to recommend us" are promoters (Reichheld, 2003).
PROMOTER_MIN = 9
#: Answers from 0 to 6 are detractors; 7 and 8 are passives.
DETRACTOR_MAX = 6

Method = Literal["adjusted_wald", "wald"]

#: Groups with fewer responses are flagged as small (still shown, never hidden), and a difference
#: involving them has no interval.
MIN_N = 30
#: Below this many responses on either side, a difference is tested exactly, not by the normal
#: approximation: against 2,000 others at a nominal 5%, the z test flags 21% of groups of 5 and 7-9%
#: of groups of 20 that do not differ at all.
EXACT_BELOW = 100


@dataclass(frozen=True)
class NPSEstimate:
    """An NPS in points (-100 to 100) with its interval and the counts behind it.

    With no responses there is no estimate: ``score``, ``low``, ``high`` and ``se`` are ``None`` and
    ``n`` is 0.
    """

    score: float | None
    low: float | None
    high: float | None
    n: int
    promoters: int
    passives: int
    detractors: int
    se: float | None
    method: Method = "adjusted_wald"
    confidence: float = 0.95
    #: Variance allowing for repeat answers by one customer over the variance if every answer were
    #: independent (1 for one answer per customer). The interval is widened by its square root
    #: when above 1.
    design_effect: float = 1.0
    #: Customers behind the answers when they are clustered (post-contact), else ``None``.
    customers: int | None = None

    @property
    def effective_n(self) -> float:
        """Responses worth as much as this many independent ones: ``n / design_effect``."""
        return self.n / max(self.design_effect, 1.0)

    def to_dict(self) -> dict[str, object]:
        """The estimate as plain JSON-ready values (``None`` where there is no estimate)."""
        return {
            "score": self.score,
            "low": self.low,
            "high": self.high,
            "n": self.n,
            "promoters": self.promoters,
            "passives": self.passives,
            "detractors": self.detractors,
            "method": self.method,
            "confidence": self.confidence,
            "design_effect": self.design_effect,
            "effective_n": self.effective_n,
            "customers": self.customers,
        }


@dataclass(frozen=True)
class NPSDifference:
    """The difference of two NPS values (first minus second), in points.

    ``test`` is ``normal`` (z test, ``z`` set) or ``exact`` (permutation test, ``z`` NaN). ``low``
    and ``high`` are NaN where a side has fewer than ``MIN_N`` responses.
    """

    diff: float
    se: float
    z: float
    p_value: float
    low: float
    high: float
    test: Literal["normal", "exact"] = "normal"


def _critical(confidence: float, df: np.ndarray | float | None) -> np.ndarray | float:
    """The two-sided critical value: normal, or Student's t with ``df`` degrees of freedom where the
    answers are clustered (``df`` = customers - 1, at least 1): with few customers the normal value
    makes clustered intervals too narrow (91% coverage at five customers, measured)."""
    z = inference.critical_z(confidence)
    if df is None:
        return z
    dfs = np.asarray(df, dtype=float)
    out = np.where(np.isfinite(dfs), stats.t.ppf(0.5 + confidence / 2, np.fmax(dfs, 1.0)), z)
    return float(out) if out.ndim == 0 else out


def _variance(promoters: float, detractors: float, n: float) -> float:
    p, d = promoters / n, detractors / n
    return p + d - (p - d) ** 2


def nps_estimate(
    promoters: int,
    passives: int,
    detractors: int,
    *,
    method: Method = "adjusted_wald",
    confidence: float = 0.95,
    design_effect: float = 1.0,
    customers: int | None = None,
) -> NPSEstimate:
    """NPS with a confidence interval from counts (Rocks 2016).

    ``wald``: score ± z·SE. ``adjusted_wald`` (default, better for small n): add 3/4 to the promoter
    and detractor counts and 3 to n, then apply the Wald formula. It is defined even at n = 1. The
    reported ``score`` is always the plain NPS of the counts; the interval is clipped to [-100, 100].
    Because the adjusted interval is centred on the adjusted estimate, it contains the plain score
    for every split of two or more responses, but not for a single promoter (score 100, interval
    up to 98.5) or a single detractor. An interval that leaves out its own estimate only confuses,
    so there the interval is widened to reach the score; such groups are flagged as small anyway.

    With no responses there is nothing to estimate, and the result says so with ``None`` for the
    score, interval and standard error (the adjusted interval of zero responses, -80 to +80, says
    nothing about anyone).

    ``design_effect`` (from ``cluster_design_effect``) widens the interval of responses that are not
    independent: the standard error is multiplied by its square root when it is above 1. With
    ``customers`` (the clusters behind clustered answers) the interval uses Student's t with
    ``customers - 1`` degrees of freedom.

    Raises
    ------
    ValueError
        For negative counts or an unknown method.
    """
    n = promoters + passives + detractors
    if n == 0 and min(promoters, passives, detractors) == 0:
        nps_estimates(np.zeros(0), np.zeros(0), np.zeros(0), method=method, confidence=confidence)  # checks options
        return NPSEstimate(None, None, None, 0, 0, 0, 0, None, method=method, confidence=confidence)
    row = nps_estimates(
        np.array([promoters]),
        np.array([passives]),
        np.array([detractors]),
        method=method,
        confidence=confidence,
        design_effect=np.array([design_effect]),
        df=None if customers is None else np.array([customers - 1.0]),
    ).iloc[0]
    return NPSEstimate(
        score=float(row["score"]),
        low=float(row["low"]),
        high=float(row["high"]),
        n=n,
        promoters=promoters,
        passives=passives,
        detractors=detractors,
        se=float(row["se"]),
        method=method,
        confidence=confidence,
        design_effect=float(design_effect),
        customers=customers,
    )


def nps_estimates(
    promoters: np.ndarray,
    passives: np.ndarray,
    detractors: np.ndarray,
    *,
    method: Method = "adjusted_wald",
    confidence: float = 0.95,
    design_effect: np.ndarray | float = 1.0,
    df: np.ndarray | float | None = None,
) -> pd.DataFrame:
    """``nps_estimate`` for many groups at once: columns ``score``, ``low``, ``high``, ``se`` (points).

    Same formulas, vectorised; ``df`` (customers - 1 per group, for clustered answers) switches the
    critical value to Student's t. Groups without responses get NaN for all four.
    """
    if method not in ("adjusted_wald", "wald"):
        raise ValueError(f"unknown method {method!r}; use 'adjusted_wald' or 'wald'")
    p, m, d = (np.asarray(a, dtype=float) for a in (promoters, passives, detractors))
    if (np.minimum(np.minimum(p, m), d) < 0).any():
        raise ValueError("counts must be non-negative")
    n = p + m + d
    extra = 0.75 if method == "adjusted_wald" else 0.0
    cp, cd, cn = p + extra, d + extra, n + 4 * extra
    with np.errstate(invalid="ignore", divide="ignore"):
        centre = (cp - cd) / cn
        se = np.sqrt((cp / cn + cd / cn - centre**2) / cn) * np.sqrt(np.fmax(np.asarray(design_effect, float), 1.0))
        score = np.where(n > 0, 100 * (p - d) / n, np.nan)
    half = _critical(confidence, df) * se
    none = n == 0
    with np.errstate(invalid="ignore"):
        low = np.fmin(np.maximum(-100.0, 100 * (centre - half)), score)
        high = np.fmax(np.minimum(100.0, 100 * (centre + half)), score)
    return pd.DataFrame(
        {
            "score": score,
            "low": np.where(none, np.nan, low),
            "high": np.where(none, np.nan, high),
            "se": np.where(none, np.nan, 100 * se),
        }
    )


def nps_from_scores(ltr: Sequence[int] | np.ndarray, **kwargs: object) -> NPSEstimate:
    """NPS of raw 0-10 likelihood-to-recommend scores (see ``nps_estimate`` for the options)."""
    scores = np.asarray(ltr)
    if scores.size and (scores.min() < 0 or scores.max() > 10):
        raise ValueError("likelihood-to-recommend scores must be between 0 and 10")
    promoters = int((scores >= PROMOTER_MIN).sum())
    detractors = int((scores <= DETRACTOR_MAX).sum())
    return nps_estimate(promoters, scores.size - promoters - detractors, detractors, **kwargs)  # type: ignore[arg-type]


def nps_difference(
    a: NPSEstimate,
    b: NPSEstimate,
    *,
    confidence: float = 0.95,
    variance: float | None = None,
    df: float | None = None,
) -> NPSDifference:
    """Two-sided z test of NPS(a) - NPS(b) (Rocks 2016).

    Uses the plain counts: ``z = (NPS_a - NPS_b) / sqrt(var_a / n_a + var_b / n_b)`` for independent
    samples, or ``variance`` (of the difference of the two shares, e.g. with customers as clusters,
    ``inference.cluster_difference_variance``) when given. The interval is clipped to the possible
    range, -200 to +200 points. With ``df`` (fewest customers on a side - 1, for clustered
    answers) the p-value and interval use Student's t. The approximation needs enough responses on
    both sides: ``compare`` chooses the test that holds at the samples' sizes.
    """
    if a.n == 0 or b.n == 0:
        raise ValueError("both samples need at least one response")
    diff = (a.promoters - a.detractors) / a.n - (b.promoters - b.detractors) / b.n
    independent = _variance(a.promoters, a.detractors, a.n) / a.n + _variance(b.promoters, b.detractors, b.n) / b.n
    se = math.sqrt(independent if variance is None or not math.isfinite(variance) else max(variance, 0.0))
    z = diff / se if se > 0 else (0.0 if diff == 0 else math.copysign(math.inf, diff))
    if df is None or not math.isfinite(df):
        p_value = math.erfc(abs(z) / math.sqrt(2))
    else:
        p_value = float(2 * stats.t.sf(abs(z), max(df, 1.0)))
    half = float(_critical(confidence, df)) * se
    low, high = max(-200.0, 100 * (diff - half)), min(200.0, 100 * (diff + half))
    return NPSDifference(100 * diff, 100 * se, z, p_value, low, high)


def compare(
    a: NPSEstimate,
    b: NPSEstimate,
    *,
    min_n: int | None = None,
    confidence: float = 0.95,
    variance: float | None = None,
    df: float | None = None,
) -> NPSDifference:
    """NPS(a) - NPS(b) with the test that holds at the samples' sizes.

    With at least ``EXACT_BELOW`` responses on both sides, the z test of ``nps_difference`` (with
    ``variance`` if given). Below that, the exact permutation test (``inference.exact_nps_p_value``);
    when ``variance`` says the responses are clustered, the counts are first divided by the design
    effect of the difference (a first-order Rao-Scott correction), so repeat answers do not pass
    for independent evidence. The interval is given only with at least ``min_n`` (default
    ``MIN_N``) responses on each side (``comparable``).
    """
    d = nps_difference(a, b, confidence=confidence, variance=variance, df=df)
    if min(a.n, b.n) >= EXACT_BELOW:
        return d
    deff = 1.0
    if variance is not None and math.isfinite(variance):
        independent = _variance(a.promoters, a.detractors, a.n) / a.n + _variance(b.promoters, b.detractors, b.n) / b.n
        deff = max(1.0, variance / independent) if independent > 0 else 1.0
    p_value = inference.exact_nps_p_value(_deflated(a, deff), _deflated(b, deff))
    low, high = (d.low, d.high) if comparable(a, b, min_n=min_n) else (math.nan, math.nan)
    return dataclasses.replace(d, z=math.nan, p_value=p_value, low=low, high=high, test="exact")


def _deflated(e: NPSEstimate, deff: float) -> tuple[int, int, int]:
    """Counts worth as much as ``e``'s when its responses have design effect ``deff``."""
    counts = np.array([e.promoters, e.passives, e.detractors], dtype=float)
    if deff <= 1.0:
        return (e.promoters, e.passives, e.detractors)
    scaled = np.round(counts / deff).astype(int)
    if scaled.sum() == 0:
        scaled[int(np.argmax(counts))] = 1
    return (int(scaled[0]), int(scaled[1]), int(scaled[2]))


def comparable(a: NPSEstimate, b: NPSEstimate, *, min_n: int | None = None) -> bool:
    """Whether the interval of ``nps_difference`` can be trusted for ``a`` against ``b``: at least
    ``min_n`` (default ``MIN_N``) responses on each side. Below that a difference is shown without an
    interval (``compare`` still tests it exactly)."""
    least = MIN_N if min_n is None else min_n
    return a.n >= least and b.n >= least


def cluster_design_effect(counts: pd.DataFrame) -> np.ndarray:
    """Design effect per row of clustered counts: the variance with customers as clusters over the
    variance if every response were independent. 1 without the cluster columns or where the scores do
    not vary; ``n`` (all answers worth one) for one customer.

    ``counts`` has ``n``, ``promoters``, ``detractors`` and, when clustered, ``clusters``, ``suu``,
    ``suv`` and ``svv`` (``inference.cluster_variance``), as
    ``analytics.analyses.advocacy.nps_counts(..., clustered=True)`` gives them."""
    n = counts["n"].to_numpy(float)
    if "clusters" not in counts:
        return np.ones(len(counts))
    p, d = counts["promoters"].to_numpy(float), counts["detractors"].to_numpy(float)
    clustered = inference.cluster_variance(
        n, p - d, counts["clusters"].to_numpy(float), counts["suu"], counts["suv"], counts["svv"]
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        independent = (p / n + d / n - ((p - d) / n) ** 2) / n
        deff = np.where(independent > 0, clustered / independent, 1.0)
    one = counts["clusters"].to_numpy(float) == 1
    return np.where(one, np.maximum(n, 1.0), np.where(np.isfinite(deff), deff, 1.0))


def independent_difference_variance(a: NPSEstimate, b: NPSEstimate) -> float | None:
    """Variance of NPS(a) - NPS(b) (as shares) for two periods, each with its own design effect and
    no covariance between them, for a trend's many period-on-period changes: a customer answering
    in both makes them correlate positively, so leaving the covariance out overstates the variance
    (a conservative test; the headline's single change allows for it). ``None`` when neither has
    repeat answers (the plain formula applies)."""
    if a.design_effect == 1.0 and b.design_effect == 1.0:
        return None
    va = _variance(a.promoters, a.detractors, a.n) / a.n * max(a.design_effect, 1.0)
    vb = _variance(b.promoters, b.detractors, b.n) / b.n * max(b.design_effect, 1.0)
    return va + vb
