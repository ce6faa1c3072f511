"""What a page shows when there is no warehouse yet: build the demo here, or bring a file."""

from __future__ import annotations

import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from analytics import config, demo
from analytics.data import filters as scopes
from analytics.data.filters import Filters
from analytics.data.warehouse import Warehouse
from analytics.ui import cached
from analytics.ui import filters as ui_filters


def no_warehouse() -> None:
    """Say there is no warehouse, offer to build the demo from the page, and point to the upload."""
    root = config.warehouse_path()
    st.info(
        f"No warehouse at `{root}` yet. Build the demo world here (the same as `make demo` or `iconic demo`), "
        "or bring your own files on the **Data quality** page."
    )
    cols = st.columns([1, 1, 2])
    customers = cols[0].number_input(
        "Demo customers",
        min_value=200,
        max_value=1_000_000,
        value=20_000,
        step=1_000,
        key="demo_customers",
        help="20,000 customers over 36 months build in about 10 seconds.",
    )
    try:
        cols[1].page_link("pages/data_quality.py", label="Bring your own files", icon=":material/upload:")
    except StreamlitPageNotFoundError:  # the page runs on its own, outside the app's navigation
        cols[1].markdown("Or open **Data quality** to bring your own files.")
    if st.button("Build the demo warehouse", type="primary", key="build_demo"):
        with st.status(f"Building the demo: {int(customers):,} customers …", expanded=True) as status:
            results = demo.build(root, customers=int(customers), progress=status.write)
            rejected = [r for r in results if not r.ok]
            if rejected:
                status.update(label="The demo build had rejected batches", state="error")
                for r in rejected:
                    st.error(f"{r.table}: {r.message}")
                return
            status.update(label="Demo warehouse built", state="complete")
        cached.refresh()
        st.rerun()


def link(page: str, label: str, icon: str) -> None:
    """A link to another page of the app; plain words when the page runs on its own, outside the
    app's navigation (``AppTest.from_file``, ``streamlit run pages/x.py``)."""
    try:
        st.page_link(page, label=label, icon=icon)
    except StreamlitPageNotFoundError:
        st.markdown(
            f"{label}: see the **{page.removeprefix('pages/').removesuffix('.py').replace('_', ' ').capitalize()}** page."
        )


def open_page(title: str, *, rules: tuple[str, ...], needs: tuple[str, ...], why: str) -> tuple[Warehouse, Filters]:
    """The start every analysis page shares: its title, the warehouse (or the offer to build the demo),
    the scope with the rules for the rows the page counts, and a plain stop when a table it ``needs``
    is not there yet (``why`` says what the page needs them for)."""
    st.title(title)
    wh = cached.warehouse()
    if wh is None:
        no_warehouse()
        st.stop()
    scope = ui_filters.current()
    said = scopes.scope_rules(scope)
    st.caption(f"Scope: {scope.describe()}. " + " ".join(said[r] for r in rules))
    missing = [t for t in needs if not wh.has(t)]
    if missing:
        st.info(
            f"{why}, and the warehouse has no {' and no '.join(missing)} yet. Bring them in on the **Data quality** "
            "page."
        )
        st.stop()
    return wh, scope
