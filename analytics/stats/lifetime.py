"""Lifetime value arithmetic on a survival curve: discounting, what a new customer is worth, and
what the customers still there are worth and stand to lose.

``survival`` is any function of tenure in months returning S(t), such as a Kaplan-Meier curve
joined to a tail from ``analytics.stats.tails``. Margin is earned at the end of each month a
customer is still there and discounted by ``discount`` (``discount_factors``):

- a new customer is worth ``sum_{t=1..H} S(t) discount_t`` months of margin;
- a current customer of tenure ``a`` is worth the same sum with ``S(a + t) / S(a)``: survival from
  here, given they have lasted so far (residual value); **equity** is its sum over customers;
- **value at risk** is the margin current customers would bring in the next months if none left,
  less what they are expected to bring: the margin lost to churn (not discounted).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

#: S(t) at an array of tenures, in months.
SurvivalCurve = Callable[[np.ndarray], np.ndarray]


def discount_factors(monthly_discount: float, months: int) -> np.ndarray:
    """``(1 + monthly_discount)^-t`` for t = 1..``months``."""
    return (1 + monthly_discount) ** -np.arange(1, months + 1, dtype=float)


def discounted_lifetime(survival: SurvivalCurve, discount: np.ndarray) -> float:
    """A new customer's discounted months of margin over the months ``discount`` covers."""
    return float(np.sum(survival(np.arange(1, discount.size + 1, dtype=float)) * discount))


def equity_and_value_at_risk(
    survival: SurvivalCurve, discount: np.ndarray, *, tenure: np.ndarray, margin: np.ndarray, at_risk_months: int
) -> tuple[float, float]:
    """The residual value of current customers over the months ``discount`` covers (equity), and
    the margin they are expected to lose to churn in the next ``at_risk_months`` (value at risk).

    ``tenure``: each group of current customers' tenure, in months; ``margin``: their total
    monthly margin."""
    if tenure.size == 0:
        return 0.0, 0.0
    horizon = discount.size
    stay = _staying(survival, tenure, np.arange(1, max(horizon, at_risk_months) + 1, dtype=float))
    equity = float(margin @ (stay[:, :horizon] @ discount))
    at_risk = float(margin @ (1.0 - stay[:, :at_risk_months]).sum(axis=1))
    return equity, at_risk


def tail_share(
    survival: SurvivalCurve,
    discount: np.ndarray,
    *,
    tenure: np.ndarray,
    margin: np.ndarray,
    since: float,
    equity: float,
) -> float:
    """The share of ``equity`` (as ``equity_and_value_at_risk`` gives it) earned at tenures past
    ``since``: where a tail takes over from the observed curve."""
    if tenure.size == 0 or equity <= 0:
        return 0.0
    months = np.arange(1, discount.size + 1, dtype=float)
    stay = _staying(survival, tenure, months)
    beyond = float(margin @ ((stay * (tenure[:, None] + months[None, :] > since)) @ discount))
    return beyond / equity


def _staying(survival: SurvivalCurve, tenure: np.ndarray, months: np.ndarray) -> np.ndarray:
    """``S(tenure + t) / S(tenure)``: one row per tenure, one column per t in ``months`` (0 where
    S(tenure) is 0)."""
    now = survival(tenure)
    ahead = survival(tenure[:, None] + months[None, :])
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(np.where(now[:, None] > 0, ahead / now[:, None], 0.0))
