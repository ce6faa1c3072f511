"""Iconic dashboard entry point: global filters in the sidebar, pages routed with st.navigation."""

import streamlit as st

from analytics.ui import background, filters

# What a page may wait for its slow results is counted from here (analytics.ui.background).
background.run_started()

pages = [
    st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
    st.Page("pages/moments.py", title="Moments of truth", icon=":material/bolt:"),
    st.Page("pages/advocacy.py", title="Advocacy", icon=":material/campaign:"),
    st.Page("pages/churn.py", title="Churn & lifetime value", icon=":material/timeline:"),
    st.Page("pages/value_case.py", title="Value case", icon=":material/savings:"),
    st.Page("pages/benchmarks.py", title="Iconic benchmarks", icon=":material/workspace_premium:"),
    st.Page("pages/data_quality.py", title="Data quality", icon=":material/fact_check:"),
]
navigation = st.navigation(pages)
# The browser tab names the page, so several open tabs can be told apart.
st.set_page_config(page_title=f"{navigation.title} · Iconic", page_icon="◆", layout="wide")
filters.sidebar()
navigation.run()
