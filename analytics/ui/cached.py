"""Cached calls for the pages: each wraps one public ``analytics`` function.

The warehouse handle is reopened at most every few seconds, so a new ingest shows up without a
restart. Results are cached on the handle's ``data_version`` plus the call's arguments, so a commit
invalidates exactly what it changed.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, ParamSpec, TypeVar

import pandas as pd
import streamlit as st

from analytics import advocacy, catalog, config, filters, segmentation
from analytics import warehouse as warehouse_mod
from analytics.errors import WarehouseError
from analytics.warehouse import Warehouse

P = ParamSpec("P")
R = TypeVar("R")


@st.cache_resource(ttl=5, show_spinner=False)
def _open(path: str) -> Warehouse | None:
    try:
        return warehouse_mod.open(path)
    except WarehouseError:
        return None


def warehouse() -> Warehouse | None:
    """The current warehouse, or ``None`` if none has been built yet."""
    return _open(str(config.warehouse_path().resolve()))


def refresh() -> None:
    """Drop cached handles and results, e.g. after an upload was ingested."""
    _open.clear()
    st.cache_data.clear()


def _on_warehouse(fn: Callable[..., R]) -> Callable[..., R]:
    """Cache ``fn(wh, *args)`` on (function, warehouse folder, data version, args)."""
    name = f"{fn.__module__}.{fn.__qualname__}"

    # Every wrapper shares this code, so the function's name must be part of the cache key.
    @st.cache_data(show_spinner=False, max_entries=128)
    def run(_wh: Warehouse, function: str, root: str, data_version: str, *args: Any, **kwargs: Any) -> R:
        return fn(_wh, *args, **kwargs)

    @wraps(fn)
    def call(*args: Any, **kwargs: Any) -> R:
        wh = warehouse()
        if wh is None:
            raise WarehouseError(f"no warehouse at {config.warehouse_path()}")
        return run(wh, name, str(wh.root), wh.data_version, *args, **kwargs)

    return call


table_summary: Callable[[], pd.DataFrame] = _on_warehouse(catalog.table_summary)
ingest_history: Callable[..., pd.DataFrame] = _on_warehouse(catalog.ingest_history)
batch_checks: Callable[[str], pd.DataFrame] = _on_warehouse(catalog.batch_checks)
quarantined_rows: Callable[..., pd.DataFrame] = _on_warehouse(catalog.quarantined_rows)
quarantine_counts: Callable[[], pd.DataFrame] = _on_warehouse(catalog.quarantine_counts)
reference_gaps: Callable[[], pd.DataFrame] = _on_warehouse(catalog.reference_gaps)
filter_options: Callable[[], filters.FilterOptions] = _on_warehouse(filters.options)
scope_counts: Callable[[filters.Filters], pd.DataFrame] = _on_warehouse(filters.scope_counts)
nps: Callable[[filters.Filters], advocacy.NPSEstimate] = _on_warehouse(advocacy.nps)
nps_by: Callable[..., pd.DataFrame] = _on_warehouse(advocacy.nps_by)
nps_trend: Callable[..., pd.DataFrame] = _on_warehouse(advocacy.nps_trend)
value_advocacy_grid: Callable[[filters.Filters], pd.DataFrame] = _on_warehouse(advocacy.value_advocacy_grid)
advocacy_economics: Callable[[filters.Filters], pd.DataFrame] = _on_warehouse(advocacy.advocacy_economics)
nps_by_period: Callable[..., pd.DataFrame] = _on_warehouse(advocacy.nps_by_period)
segments: Callable[..., segmentation.Segmentation] = _on_warehouse(segmentation.segment)
