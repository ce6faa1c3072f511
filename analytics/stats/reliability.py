"""How noisy one answer is, and how fast what it measures fades: the quasi-simplex model.

Correlations between the same customer's answers at increasing lags fall geometrically,
``r(lag) = reliability * persistence^lag`` (Heise 1969, *Am. Sociol. Rev.* 34: 93-101): the
intercept is the reliability of one answer as a reading of the attitude behind it, and the slope
how much of a change in that attitude is left a month later.
"""

from __future__ import annotations

import math

import numpy as np

#: A lag needs this many answer pairs to enter the reliability fit.
MIN_PAIRS = 100


def quasi_simplex(lag_months: np.ndarray, r: np.ndarray, n: np.ndarray) -> tuple[float, float] | None:
    """Reliability and monthly persistence from answer correlations at several lags:
    ``log r = log(reliability) + lag * log(persistence)``, least squares weighted by pairs.
    ``None`` with fewer than two usable lags. Reliability is capped at 1 and persistence at 1."""
    ok = np.isfinite(r) & (r > 0) & (n >= MIN_PAIRS)
    if np.unique(lag_months[ok]).size < 2:
        return None
    x, y, w = lag_months[ok], np.log(r[ok]), n[ok].astype(float)
    design = np.column_stack([np.ones_like(x), x]) * np.sqrt(w)[:, None]
    (intercept, slope), *_ = np.linalg.lstsq(design, y * np.sqrt(w), rcond=None)
    return float(min(1.0, math.exp(intercept))), float(min(1.0, math.exp(slope)))


def pearson_r(sums: np.ndarray) -> np.ndarray:
    """Pearson r per row of summed ``[n, sx, sy, sxx, syy, sxy]``."""
    n, sx, sy, sxx, syy, sxy = sums.T
    with np.errstate(divide="ignore", invalid="ignore"):
        cov = sxy - sx * sy / n
        vx, vy = sxx - sx * sx / n, syy - sy * sy / n
        return np.asarray(cov / np.sqrt(vx * vy))
