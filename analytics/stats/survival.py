"""Kaplan-Meier with delayed entry, its bands, the restricted mean survival time and the log-rank
test: arrays and frames of ``duration``, ``event`` and ``entry`` in, estimates out.

Each row is at risk on ``(entry, duration]`` months: ``entry`` is the tenure a customer had when
the data began to watch them (left truncation; lifelines' ``entry`` and ``entry_col``), 0 for
those watched from signup. They are counted only from then on, in Kaplan-Meier and the log-rank
test alike.

Kaplan-Meier curves carry 95% pointwise bands (Greenwood variance on the log(-log) scale), computed
here in numpy so that bootstrap replicates are cheap; they equal lifelines' estimate, which the
tests check. The restricted mean survival time (RMST) to a horizon is the area under the curve, with a
percentile bootstrap over customers (Poisson weights). The log-rank test is computed here with delayed
entry (lifelines' own test has no entry), and equals lifelines' where nobody enters late.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from analytics.errors import IconicError
from analytics.stats.units import MONTH_DAYS


class SurvivalError(IconicError, ValueError):
    """A survival analysis was asked for something the data cannot give (say, an unknown column)."""


#: Survival is reported at these months by default.
AT_MONTHS = (12, 24, 36)


def require_columns(table: pd.DataFrame, columns: Sequence[str]) -> None:
    """Raise ``SurvivalError`` naming the ``columns`` that ``table`` lacks, and the ones it has."""
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise SurvivalError(
            f"the survival table has no column {', '.join(repr(c) for c in missing)};"
            f" it has {', '.join(map(str, table.columns))}"
        )


def groups_of(
    table: pd.DataFrame, by: str | None, *, order: Sequence[str] | None = None
) -> list[tuple[str, pd.DataFrame]]:
    """``(label, rows)`` per level of ``by`` (or one group "all customers"), largest first, or the
    levels of ``order`` that are present, in that order (a missing value reads "unknown")."""
    if by is None:
        return [("all customers", table)] if len(table) else []
    require_columns(table, [by])
    labels = table[by].fillna("unknown").astype(str)
    levels = list(order) if order is not None else labels.value_counts().index.tolist()
    present = set(labels)
    return [(level, table[labels == level]) for level in levels if level in present]


def survival_curves(
    table: pd.DataFrame, *, by: str | None = None, order: Sequence[str] | None = None, confidence: float = 0.95
) -> pd.DataFrame:
    """Kaplan-Meier curves with pointwise bands per group of ``by`` (``groups_of``, with ``order``):
    ``group``, ``month``, ``survival``, ``low``, ``high``, ``at_risk``, one row per event time after a
    first row at month 0 (survival 1). ``table`` needs ``duration``, ``event`` and ``entry``."""
    groups = groups_of(table, by, order=order)
    frames = [KaplanMeierData.of(rows).estimate(confidence).assign(group=label) for label, rows in groups]
    columns = ["group", "month", "survival", "low", "high", "at_risk"]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=object if c == "group" else float) for c in columns})
    return pd.concat(frames, ignore_index=True)[columns]


def step_function(times: np.ndarray, survival: np.ndarray, at: np.ndarray) -> np.ndarray:
    """A right-continuous step survival function (``survival[i]`` from ``times[i]``) read at ``at``."""
    at = np.asarray(at, float)
    if times.size == 0:  # nobody has left: survival stays at 1
        return np.ones_like(at)
    idx = np.searchsorted(times, at, side="right") - 1
    return np.where(idx >= 0, survival[np.clip(idx, 0, None)], 1.0)


class KaplanMeierData:
    """One group's durations, events and entries, sorted once, for Kaplan-Meier under many sets of
    case weights (bootstrap replicates). With unit weights it equals lifelines' estimate.

    The risk set at time t is everyone with ``entry < t <= duration`` (lifelines' convention; at
    t = 0, those entering at 0). ``counts`` says how many customers each row stands for
    (``binned`` collapses customers with the same tenure to the day into one row).
    """

    def __init__(
        self, duration: np.ndarray, event: np.ndarray, entry: np.ndarray, counts: np.ndarray | None = None
    ) -> None:
        self.duration = np.asarray(duration, float)
        self.event = np.asarray(event, bool)
        self.entry = np.asarray(entry, float)
        self.counts = np.ones(self.duration.size) if counts is None else np.asarray(counts, float)
        self.times = np.unique(self.duration[self.event])
        self._death_slot = np.searchsorted(self.times, self.duration[self.event])
        self._by_end = np.argsort(self.duration, kind="stable")
        self._by_entry = np.argsort(self.entry, kind="stable")
        self._ended = np.searchsorted(self.duration[self._by_end], self.times, side="left")
        self._entered = _entered_by(self.entry[self._by_entry], self.times)

    def __len__(self) -> int:
        return self.duration.size

    def resample(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """One bootstrap replicate of the curve: each customer drawn Poisson(1) times (Hanley &
        MacGibbon 2006), so a row standing for k customers is drawn Poisson(k) times."""
        return self.curve(rng.poisson(self.counts))

    def curve(self, weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(times, survival)`` at the distinct event times, under case ``weights`` (default: the
        row counts)."""
        deaths, at_risk = self._tally(self.counts if weights is None else np.asarray(weights, float))
        with np.errstate(divide="ignore", invalid="ignore"):
            factor = np.where(at_risk > 0, 1.0 - deaths / at_risk, 1.0)
        return self.times, np.cumprod(factor)

    def estimate(self, confidence: float = 0.95) -> pd.DataFrame:
        """The unweighted curve with its pointwise band: ``month``, ``survival``, ``low``, ``high``,
        ``at_risk``, a row at month 0 and one per event time.

        The band is Greenwood's variance on the log(-log S) scale (Kalbfleisch & Prentice 2002), as
        lifelines computes it: it stays within [0, 1]. Where the risk set empties, the curve drops
        to 0 and stays there (lifelines refuses such data).
        """
        w = self.counts
        deaths, at_risk = self._tally(w)
        with np.errstate(divide="ignore", invalid="ignore"):
            survival = np.cumprod(np.where(at_risk > 0, 1.0 - deaths / at_risk, 1.0))
            greenwood = np.cumsum(np.where(at_risk > deaths, deaths / (at_risk * (at_risk - deaths)), 0.0))
            z = stats.norm.ppf(0.5 + confidence / 2)
            log_s = np.log(survival)
            spread = z * np.sqrt(greenwood) / log_s
            low = np.exp(-np.exp(np.log(-log_s) - spread))
            high = np.exp(-np.exp(np.log(-log_s) + spread))
        low = np.where(survival >= 1, 1.0, np.where(survival <= 0, 0.0, low))
        high = np.where(survival >= 1, 1.0, np.where(survival <= 0, 0.0, high))
        return pd.DataFrame(
            {
                "month": np.concatenate([[0.0], self.times]),
                "survival": np.concatenate([[1.0], survival]),
                "low": np.concatenate([[1.0], low]),
                "high": np.concatenate([[1.0], high]),
                "at_risk": np.concatenate([[float(w[self.entry <= 0].sum())], at_risk]),
            }
        )

    def _tally(self, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Weighted deaths, and the weighted risk set, at each event time."""
        deaths = np.bincount(self._death_slot, weights=weights[self.event], minlength=self.times.size)
        at_risk = (
            running_sums(weights[self._by_entry])[self._entered] - running_sums(weights[self._by_end])[self._ended]
        )
        return deaths, at_risk

    @classmethod
    def of(cls, rows: pd.DataFrame) -> KaplanMeierData:
        return cls(rows["duration"].to_numpy(float), rows["event"].to_numpy(bool), rows["entry"].to_numpy(float))

    @classmethod
    def binned(cls, rows: pd.DataFrame) -> KaplanMeierData:
        """Customers with the same entry, tenure and outcome to the day, as one row with a count: what
        bootstrap replicates run on, so that their cost follows the days of tenure seen, not the
        number of customers. Curves differ from the exact ones only within a day."""
        day = 1 / MONTH_DAYS
        keys = pd.DataFrame(
            {
                "duration": np.round(rows["duration"].to_numpy(float) / day),
                "entry": np.round(rows["entry"].to_numpy(float) / day),
                "event": rows["event"].to_numpy(bool),
            }
        )
        cells = keys.value_counts(sort=False).reset_index(name="count")
        return cls(
            cells["duration"].to_numpy(float) * day,
            cells["event"].to_numpy(bool),
            np.minimum(cells["entry"].to_numpy(float), cells["duration"].to_numpy(float)) * day,
            cells["count"].to_numpy(float),
        )


def _entered_by(sorted_entry: np.ndarray, times: np.ndarray) -> np.ndarray:
    """How many rows have entered the risk set at each time: entry < t, as in lifelines and the Cox
    fit (a stretch that starts at t is not at risk of ending at t), except at t = 0, where customers
    who enter at 0 are at risk (a churn at the moment of signup counts)."""
    strict = np.searchsorted(sorted_entry, times, side="left")
    return np.where(times > 0, strict, np.searchsorted(sorted_entry, times, side="right"))


def running_sums(values: np.ndarray) -> np.ndarray:
    """Running sums of ``values`` down the first axis, after a row of zeros (the sum of none): entry
    ``k`` is the sum of the first ``k`` rows, so a range of sorted rows sums by one subtraction."""
    return np.concatenate([np.zeros((1, *values.shape[1:])), np.cumsum(values, axis=0)])


def rmst_of(times: np.ndarray, survival: np.ndarray, horizon: float) -> float:
    """Area under a step survival curve from 0 to ``horizon``."""
    knots = np.concatenate([[0.0], times[times < horizon], [horizon]])
    levels = np.concatenate([[1.0], survival[times < horizon]])
    return float(np.sum(levels * np.diff(knots)))


def logrank_test(duration: np.ndarray, event: np.ndarray, entry: np.ndarray, group: np.ndarray) -> tuple[float, int]:
    """The K-group log-rank chi-square and its degrees of freedom (Mantel 1966; hypergeometric
    variance), with the risk set of Kaplan-Meier (``entry < t <= duration``)."""
    levels, g = np.unique(group, return_inverse=True)
    k = levels.size
    died = event.astype(bool)
    times = np.unique(duration[died])
    if k < 2 or times.size == 0:
        return math.nan, max(k - 1, 0)
    at_risk = np.empty((times.size, k))
    deaths = np.empty((times.size, k))
    for j in range(k):
        mine = g == j
        d, e = np.sort(duration[mine]), np.sort(entry[mine])
        at_risk[:, j] = _entered_by(e, times) - np.searchsorted(d, times, side="left")
        deaths[:, j] = np.bincount(np.searchsorted(times, duration[mine & died]), minlength=times.size)[: times.size]
    n = at_risk.sum(axis=1)
    d = deaths.sum(axis=1)
    keep = n > 0
    n, d, at_risk, deaths = n[keep], d[keep], at_risk[keep], deaths[keep]
    share = at_risk / n[:, None]
    observed_minus_expected = (deaths - d[:, None] * share).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = np.where(n > 1, d * (n - d) / (n - 1), 0.0)
    v = np.einsum("t,tj,tk->jk", spread, share, -share) + np.diag((spread[:, None] * share).sum(axis=0))
    u, v = observed_minus_expected[:-1], v[:-1, :-1]
    try:
        statistic = float(u @ np.linalg.solve(v, u))
    except np.linalg.LinAlgError:
        statistic = float(u @ np.linalg.pinv(v) @ u)
    return statistic, k - 1


def chi_square_p(statistic: float, df: int) -> float:
    """The upper tail of a chi-square with ``df`` degrees of freedom at ``statistic``; NaN without a test."""
    return float(stats.chi2.sf(statistic, df)) if df > 0 and math.isfinite(statistic) else math.nan


def survival_summary(
    table: pd.DataFrame,
    *,
    by: str | None = None,
    order: Sequence[str] | None = None,
    horizon: float = 36.0,
    at: Sequence[float] = AT_MONTHS,
    bootstrap: int = 200,
    confidence: float = 0.95,
    random_state: int = 0,
) -> pd.DataFrame:
    """Per group of ``by`` (``groups_of``, with ``order``): ``group``, ``n``, ``events``, ``followed`` (the longest tenure observed),
    ``median`` (months; NaN when the curve never falls to one half: "not reached") with
    ``median_low`` and ``median_high``, ``rmst`` to ``horizon`` months with a percentile-bootstrap
    interval (``rmst_low``, ``rmst_high``; customers resampled within the group, on tenure to the
    day), and ``s<m>``, ``s<m>_low``, ``s<m>_high`` for each month in ``at`` (Kaplan-Meier with its
    band). RMST and ``s<m>`` are NaN past the longest tenure observed.
    """
    rng = np.random.default_rng(random_state)
    out = [
        _group_summary(label, rows, horizon=horizon, at=at, bootstrap=bootstrap, confidence=confidence, rng=rng)
        for label, rows in groups_of(table, by, order=order)
    ]
    columns = [
        "group",
        "n",
        "events",
        "followed",
        "median",
        "median_low",
        "median_high",
        "rmst",
        "rmst_low",
        "rmst_high",
    ]
    columns += [f"s{m:g}{s}" for m in at for s in ("", "_low", "_high")]
    return pd.DataFrame(out, columns=columns)


def _group_summary(
    label: str,
    rows: pd.DataFrame,
    *,
    horizon: float,
    at: Sequence[float],
    bootstrap: int,
    confidence: float,
    rng: np.random.Generator,
) -> dict[str, Any]:
    """One group's row of ``survival_summary``; its bootstrap replicates draw from ``rng``."""
    tail = (1 - confidence) / 2
    data = KaplanMeierData.of(rows)
    curve = data.estimate(confidence)
    times, surv = curve["month"].to_numpy(), curve["survival"].to_numpy()
    followed = float(rows["duration"].max())
    row: dict[str, Any] = {
        "group": label,
        "n": len(rows),
        "events": int(rows["event"].sum()),
        "followed": followed,
        "median": _first_at_or_below(curve["month"], curve["survival"]),
        "median_low": _first_at_or_below(curve["month"], curve["low"]),
        "median_high": _first_at_or_below(curve["month"], curve["high"]),
        "rmst": rmst_of(times[1:], surv[1:], horizon) if horizon <= followed else math.nan,
    }
    cells = KaplanMeierData.binned(rows) if bootstrap else data
    reps = [rmst_of(*cells.resample(rng), horizon) for _ in range(bootstrap)]
    low, high = np.quantile(reps, [tail, 1 - tail]) if reps and math.isfinite(row["rmst"]) else (math.nan,) * 2
    row["rmst_low"], row["rmst_high"] = float(min(low, row["rmst"])), float(max(high, row["rmst"]))
    for m in at:
        inside = m <= followed
        step = curve[curve["month"] <= m].iloc[-1]
        row[f"s{m:g}"] = float(step["survival"]) if inside else math.nan
        row[f"s{m:g}_low"] = float(step["low"]) if inside else math.nan
        row[f"s{m:g}_high"] = float(step["high"]) if inside else math.nan
    return row


def _first_at_or_below(months: pd.Series, values: pd.Series, level: float = 0.5) -> float:
    """The first month a curve is at or below ``level`` (the median, for 0.5; for a band's bounds,
    the median's interval as Brookmeyer & Crowley 1982 read it); NaN if it never gets there."""
    below = months[values <= level]
    return float(below.iloc[0]) if len(below) else math.nan
