"""The global sidebar filters. ``app.py`` draws them once per run; pages read ``current()``.

The scope lives in the URL as well as in the session (``?dates=2024-01-01&dates=2024-03-31&channel=voice``):
every filter widget is bound to a query parameter named after its key, so a view can be shared as a
link and survives a reload. A page's own choices (``choice``) are bound the same way, under the label
the choice shows, e.g. ``&by=Plan`` on the Advocacy page or ``&split=Handled+by`` on Moments of truth.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, TypeVar

import streamlit as st

from analytics import names
from analytics.analyses import value
from analytics.data.filters import Filters
from analytics.stats import tails
from analytics.ui import cached

_KEY = "iconic_filters"
T = TypeVar("T")


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
        picked: Any = st.sidebar.date_input(
            "Date range",
            value=(opts.first_date, opts.last_date),
            min_value=opts.first_date,
            max_value=opts.last_date,
            key="dates",
            bind="query-params",
            help="Contacts and responses dated in the range; customers who were customers at some time in it.",
        )
        if isinstance(picked, tuple) and len(picked) == 2:
            start, end = picked
    channel_help = (
        "Post-contact responses about contacts in the channel; relationship responses from customers whose "
        "contacts were mainly in it."
    )
    picked_values = {}
    for key, label, options, help_text in (
        ("segment", "Segment", opts.segments, None),
        ("region", "Region", opts.regions, None),
        ("channel", "Channel", opts.channels, channel_help),
    ):
        _link_by_code(key, options, names.name, many=True)
        picked_values[key] = st.sidebar.multiselect(
            label,
            options,
            key=key,
            bind="query-params",
            format_func=names.name,
            placeholder=f"All {label.lower()}s",
            help=help_text,
        )
    chosen = Filters(
        start=start if start and start != opts.first_date else None,
        end=end if end and end != opts.last_date else None,
        segments=tuple(picked_values["segment"]),
        regions=tuple(picked_values["region"]),
        channels=tuple(picked_values["channel"]),
    )
    st.session_state[_KEY] = chosen
    return chosen


def current() -> Filters:
    """The filters chosen in the sidebar this run (all data when a page runs on its own)."""
    value = st.session_state.get(_KEY)
    return value if isinstance(value, Filters) else Filters()


def choice(label: str, options: Sequence[T], *, key: str, **kwargs: Any) -> T:
    """A selectbox whose choice is kept in the URL, under its ``key``, by the name it shows; a link
    may give the code instead (``?by=channel`` as well as ``?by=Channel``)."""
    _link_by_code(key, options, kwargs.get("format_func", str))
    picked: T = st.selectbox(label, options, key=key, bind="query-params", **kwargs)
    return picked


def _link_by_code(key: str, options: Sequence[Any], shown: Callable[[Any], str], *, many: bool = False) -> None:
    """Let a link give an option by its code, or by its name in another case (``?by=channel`` as
    well as ``?by=Channel``). A widget bound to the URL is seeded only from the names it shows, so an
    option given otherwise is put in the widget's state before it is drawn, on the run that opens
    the link."""
    if key not in st.query_params or key in st.session_state:
        return
    given = st.query_params.get_all(key)
    if all(v in {shown(o) for o in options} for v in given):
        return  # names bind by themselves
    by_text = {str(o).casefold(): o for o in options} | {shown(o).casefold(): o for o in options}
    picked = [by_text[v.casefold()] for v in given if v.casefold() in by_text]
    if picked:
        st.session_state[key] = picked if many else picked[0]


def money_assumptions(*, tail: bool = False) -> value.ValueAssumptions:
    """The lifetime-value money controls the Churn and Value case pages share (the same keys, so a
    choice made on one page holds on the other): margin, discount, horizon and, with ``tail``, what
    survival does beyond the data. Draw inside the page's expander."""
    cols = st.columns(4 if tail else 3)
    margin = cols[0].slider("Margin, % of revenue", 5, 100, 30, step=5, key="margin") / 100
    discount = cols[1].slider("Discount rate, % a year", 0, 30, 10, key="discount") / 100
    horizon = cols[2].select_slider(
        "Value horizon, months", options=[12, 24, 36, 60, 120], value=60, key="value_horizon"
    )
    beyond: tails.Tail = "weibull"
    if tail:
        beyond = cols[3].selectbox(
            "Beyond the data",
            ["weibull", "sbg"],
            key="tail",
            format_func=lambda t: {"weibull": "Weibull tail", "sbg": "Yearly renewals (shifted-beta-geometric)"}[t],
        )
    return value.ValueAssumptions(
        margin_rate=margin, annual_discount=discount, horizon_months=int(horizon), tail=beyond
    )
