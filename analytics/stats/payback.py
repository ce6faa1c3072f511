"""What a lower churn hazard keeps, month by month, and when that pays back a one-off cost.

A fix lowers a customer's log hazard of churning by ``-shift`` (``shift`` < 0 lowers it), and the
drop fades by ``persistence`` a month. Against customers churning at a constant ``hazard`` a month,
the margin kept in month t is ``S_fixed(t) - S(t)`` months of margin, discounted like any other.
"""

from __future__ import annotations

import numpy as np


def value_per_contact(
    hazard: np.ndarray, shift: float, persistence: float, *, monthly_discount: float, horizon_months: int
) -> np.ndarray:
    """Discounted months of margin kept per fixed contact, per unit of monthly margin, over
    ``horizon_months``, for customers churning at ``hazard`` per month (an array)."""
    months = np.arange(1, horizon_months + 1, dtype=float)
    discount = (1 + monthly_discount) ** -months
    fading = _fading(shift, persistence, months)
    h = np.asarray(hazard, dtype=float)[:, None]
    kept = np.exp(-h * months) * np.expm1(-h * fading)
    return np.asarray(kept @ discount)


def value_per_contact_by_month(
    hazard: float, shift: float, persistence: float, *, monthly_discount: float, horizon_months: int, months: int
) -> np.ndarray:
    """The discounted margin kept per fixed contact in each of the ``months`` after it (per unit of
    monthly margin); nothing past ``horizon_months``."""
    month = np.arange(1, months + 1, dtype=float)
    discount = (1 + monthly_discount) ** -month
    fading = _fading(shift, persistence, month)
    kept = np.exp(-hazard * month) * np.expm1(-hazard * fading) * discount
    kept[horizon_months:] = 0.0
    return kept


def _fading(shift: float, persistence: float, months: np.ndarray) -> np.ndarray:
    """``sum_{s<=t} (e^(shift * persistence^s) - 1)``: how much lower the cumulative hazard runs
    by each month, per unit of hazard."""
    return np.asarray(np.cumsum(np.expm1(shift * persistence**months)))


def payback_months(monthly_flow: np.ndarray, cost: float) -> float | None:
    """Months until the margin kept since a fix went live adds up to its one-off ``cost``.

    ``monthly_flow[t]``: the margin kept, t+1 months later, thanks to one month's fixed contacts;
    every month after the fix brings another such month of contacts. ``None`` if the cost is not
    reached within the flow's length."""
    if cost <= 0:
        return 0.0
    cumulative = np.cumsum(np.convolve(np.ones(monthly_flow.size), monthly_flow)[: monthly_flow.size])
    reached = np.flatnonzero(cumulative >= cost)
    return float(reached[0] + 1) if reached.size else None
