"""The columns every demo table shares: ids, and timestamps in the window that ends at ``WINDOW_END``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analytics.stats.units import MONTH_SECONDS

#: The demo world ends here: a fixed date keeps builds reproducible and never in the future.
WINDOW_END = pd.Timestamp("2026-06-30 23:59:59", tz="UTC")


def window_start_us(months: int) -> int:
    """The start of a window of ``months`` months that ends at ``WINDOW_END``, in microseconds since the epoch."""
    return int((WINDOW_END.value // 1000) - months * MONTH_SECONDS * 1e6)


def ids(prefix: str, n: int, start: int = 1) -> pa.Array:
    numbers = pa.array(np.arange(start, start + n)).cast(pa.string())
    return pc.binary_join_element_wise(prefix, pc.utf8_lpad(numbers, 8, "0"), "")


def timestamps(start_us: int, months: np.ndarray) -> pa.Array:
    return pa.array(start_us + (months * MONTH_SECONDS * 1e6).astype(np.int64), pa.timestamp("us", tz="UTC"))


@dataclass(frozen=True)
class Keys:
    """What the tables are keyed and dated by: every customer's and contact's id, in the order the
    generator drew them, and the window's start (microseconds since the epoch) that times count from."""

    customer_ids: pa.Array
    interaction_ids: pa.Array
    start_us: int

    def customers(self, positions: np.ndarray) -> pa.Array:
        """The ids of the customers at ``positions``."""
        return self.customer_ids.take(pa.array(positions))

    def interactions(self, positions: np.ndarray) -> pa.Array:
        """The ids of the contacts at ``positions``."""
        return self.interaction_ids.take(pa.array(positions))

    def timestamps(self, months: np.ndarray) -> pa.Array:
        """``months`` into the window as UTC timestamps."""
        return timestamps(self.start_us, months)
