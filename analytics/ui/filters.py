"""The global sidebar filters. ``app.py`` draws them once per run; pages read ``current()``."""

from __future__ import annotations

from datetime import date

import streamlit as st

from analytics.filters import Filters
from analytics.ui import cached

_KEY = "iconic_filters"


def sidebar() -> Filters:
    """Draw the date range, segment, region and channel filters in the sidebar and return them."""
    wh = cached.warehouse()
    if wh is None:
        st.session_state[_KEY] = Filters()
        return Filters()
    opts = cached.filter_options()
    st.sidebar.header("Filters")
    start: date | None = None
    end: date | None = None
    if opts.first_date and opts.last_date:
        picked = st.sidebar.date_input(
            "Date range",
            value=(opts.first_date, opts.last_date),
            min_value=opts.first_date,
            max_value=opts.last_date,
            key="filter_dates",
        )
        if isinstance(picked, tuple) and len(picked) == 2:
            start, end = picked
    segments = st.sidebar.multiselect("Segment", opts.segments, key="filter_segments", placeholder="All segments")
    regions = st.sidebar.multiselect("Region", opts.regions, key="filter_regions", placeholder="All regions")
    channels = st.sidebar.multiselect("Channel", opts.channels, key="filter_channels", placeholder="All channels")
    chosen = Filters(
        start=start if start != opts.first_date else None,
        end=end if end != opts.last_date else None,
        segments=tuple(segments),
        regions=tuple(regions),
        channels=tuple(channels),
    )
    st.session_state[_KEY] = chosen
    return chosen


def current() -> Filters:
    """The filters chosen in the sidebar this run (all data when a page runs on its own)."""
    value = st.session_state.get(_KEY)
    return value if isinstance(value, Filters) else Filters()
