"""The columns every demo table shares: ids, and timestamps in the window that ends at ``WINDOW_END``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analytics.stats.units import MONTH_SECONDS

#: The demo world ends here: a fixed date keeps builds reproducible and never in the future.
WINDOW_END = pd.Timestamp("2026-06-30 23:59:59", tz="UTC")


def ids(prefix: str, n: int, start: int = 1) -> pa.Array:
    numbers = pa.array(np.arange(start, start + n)).cast(pa.string())
    return pc.binary_join_element_wise(prefix, pc.utf8_lpad(numbers, 8, "0"), "")


def timestamps(start_us: int, months: np.ndarray) -> pa.Array:
    return pa.array(start_us + (months * MONTH_SECONDS * 1e6).astype(np.int64), pa.timestamp("us", tz="UTC"))
