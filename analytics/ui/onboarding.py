"""What a page shows when there is no warehouse yet: build the demo here, or bring a file."""

from __future__ import annotations

import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from analytics import config, demo
from analytics.ui import cached


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
