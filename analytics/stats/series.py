"""Values in time order, one per period: the mean of the periods before each, and the first period
from which a condition held for a run of periods."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd


def trailing_mean(values: pd.Series, window: int) -> pd.Series:
    """The mean of the ``window`` values before each one (the first few, of as many as there are;
    NaN for the first, which has none)."""
    out: pd.Series = values.shift(1).rolling(window, min_periods=1).mean()
    return out


def first_sustained(periods: np.ndarray, holds: np.ndarray, run: int) -> float:
    """The first of ``periods`` (integers, ascending, possibly with gaps) from which ``holds`` was true
    ``run`` consecutive periods running; NaN if it never was. A gap in ``periods`` breaks a run."""
    for i in range(len(periods) - run + 1):
        window = periods[i : i + run]
        if holds[i : i + run].all() and (window == np.arange(window[0], window[0] + run)).all():
            return float(periods[i])
    return math.nan
