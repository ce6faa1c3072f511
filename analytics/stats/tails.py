"""Parametric survival past the observed window: the tails a lifetime value is extended with.

``extend`` fits one to a Kaplan-Meier curve past the tenure it is followed to, and the
``ExtendedCurve`` it returns reads the curve up to there and the tail beyond:

- ``weibull``: cumulative hazard ``(t / scale)^shape`` fitted by least squares to the curve's log
  cumulative hazard over the second half of the tenure it covers (a Weibull plot, ``weibull_tail``),
  joined to the curve there; an exponential tail at the overall rate where no line can be trusted.
- ``sbg``: the shifted-beta-geometric model of Fader & Hardie (2007) for contracts that renew every
  period: ``fit_sbg`` by maximum likelihood from the share alive at each renewal, ``sbg_survival``
  at whole renewals, ``sbg_conditional`` between them (interpolated geometrically within a renewal
  period), and ``sbg_discounted_lifetime``.

Each ``*_conditional`` gives ``S(at) / S(since)`` under its tail: survival from ``since`` on, for
joining the tail to the observed curve there.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import optimize, special

from analytics.stats.survival import SurvivalError, step_function

#: The parametric tails a curve can be extended with.
Tail = Literal["weibull", "sbg"]


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


def sbg_conditional(at: np.ndarray, since: float, *, alpha: float, beta: float, renewal_months: float) -> np.ndarray:
    """S(at) / S(since) of the shifted-beta-geometric model with renewals every ``renewal_months``,
    at a real number of months: log S is interpolated linearly inside a renewal period."""

    def log_s(t: np.ndarray) -> np.ndarray:
        k = np.floor(t / renewal_months)
        whole = special.betaln(alpha, beta + k) - special.betaln(alpha, beta)
        step = special.betaln(alpha, beta + k + 1) - special.betaln(alpha, beta) - whole
        return whole + (t / renewal_months - k) * step

    return np.exp(log_s(at) - log_s(np.asarray(since, float)))


def weibull_conditional(at: np.ndarray, since: float, *, shape: float, scale: float) -> np.ndarray:
    """S(at) / S(since) under the cumulative hazard ``(t / scale)^shape``."""

    def cumulative(t: np.ndarray) -> np.ndarray:
        return np.asarray((np.maximum(t, 0.0) / scale) ** shape)

    return np.exp(-(cumulative(at) - cumulative(np.asarray(since))))


def weibull_tail(times: np.ndarray, surv: np.ndarray, followed: float) -> dict[str, float]:
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


@dataclass(frozen=True)
class ExtendedCurve:
    """A Kaplan-Meier curve (``survival`` from each of ``times``), used up to ``followed`` months
    and extended past it by a parametric tail (``tail``, with ``parameters``). Called with months,
    it gives S at each."""

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
            return weibull_conditional(at, since, shape=p["shape"], scale=p["scale"])
        return sbg_conditional(at, since, alpha=p["alpha"], beta=p["beta"], renewal_months=p["renewal_months"])

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
    """Fit ``tail`` to a Kaplan-Meier curve past ``followed`` months (see the module docstring).
    Where the shifted-beta-geometric model cannot be fitted (fewer than two renewals observed, or
    nobody left), the Weibull tail stands in and says why. ``near`` (the curve a bootstrap
    replicate resamples) starts the shifted-beta-geometric search from its fit, to a looser
    tolerance."""
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
    return ExtendedCurve(times, surv, followed, "weibull", weibull_tail(times, surv, followed), note)
