"""The dashboard's "Download brief (PDF)" button: the executive brief of the scope, on the Overview.

The brief takes a few seconds, so it is written when asked for, not on every run; the PDF is then
offered for saving and kept for the session while the scope and the data stay the same.
"""

from __future__ import annotations

import streamlit as st

from analytics.analyses.priorities import PriorityList
from analytics.data.filters import Filters
from analytics.errors import IconicError
from analytics.report import brief
from analytics.report.pdf import render_pdf
from analytics.ui import cached

_KEY = "brief_pdf"


@st.cache_data(show_spinner=False, max_entries=8)
def _pdf(root: str, data_version: str, scope: Filters, _plist: PriorityList | None = None) -> tuple[bytes, str]:
    wh = cached.warehouse()
    if wh is None:
        raise IconicError(f"no warehouse at {root}")
    # The page's own priority list (default rules, this scope), so the brief names the same first item.
    content = brief.brief_content(wh, scope, plist=_plist)
    return render_pdf(content), brief.file_name(scope, content.period)


def brief_button(scope: Filters, *, plist: PriorityList | None = None) -> None:
    """Draw the button; once clicked, offer the PDF of ``scope`` for saving beside it. ``plist`` is the
    priority list the page shows for ``scope`` under the default rules, reused by the brief."""
    wh = cached.warehouse()
    if wh is None:
        return
    cols = st.columns([1, 1, 3])
    if cols[0].button(
        "Download brief (PDF)",
        key="brief",
        help="A 2-5 page PDF for leadership with the sidebar's filters: the latest complete quarter in scope against "
        "the one before, headline numbers with intervals, top actions, charts, methods and sources.",
    ):
        try:
            with st.spinner("Writing the brief…"):
                pdf, name = _pdf(str(wh.root), wh.data_version, scope, plist)
        except IconicError as exc:
            st.error(f"The brief could not be written: {exc}")
            return
        st.session_state[_KEY] = (scope, wh.data_version, pdf, name)
    held = st.session_state.get(_KEY)
    if held and held[0] == scope and held[1] == wh.data_version:
        cols[1].download_button(
            "Save the brief",
            data=held[2],
            file_name=held[3],
            mime="application/pdf",
            key="brief_download",
            type="primary",
            icon=":material/download:",
        )
