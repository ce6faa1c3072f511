"""Overview: what the warehouse holds in scope and in all, how fresh it is, and how the last ingest went."""

import streamlit as st

from analytics import filters as scopes
from analytics import narrative
from analytics.ui import cached, export, filters, onboarding, tables

st.title("Overview")
wh = cached.warehouse()
if wh is None:
    onboarding.no_warehouse()
    st.stop()

scope = filters.current()
summary = cached.table_summary(scope)
history = cached.ingest_history(limit=1)
last = None if history.empty else history.iloc[0].to_dict()

st.caption(f"Warehouse `{wh.root}` · data version `{wh.data_version}` · scope: {scope.describe()}")
for sentence in narrative.overview_summary(summary, last):
    st.markdown(sentence)
export.brief_button(scope)

st.subheader("Tables")
tables.show(
    summary,
    ["table", "rows", "rows_in_scope", "version", "updated_at", "latest_event_at"],
    name="tables",
    scope=scope,
)
with st.expander("What the scope keeps"):
    for kind, rule in scopes.scope_rules(scope).items():
        st.markdown(f"- **{kind.capitalize()}**: {rule}")

st.subheader("Last ingest")
if last is None:
    st.write("Nothing ingested yet.")
else:
    show = st.success if last["status"] == "committed" else st.info if last["status"] == "unchanged" else st.error
    show(f"**{last['table_name']}** · {last['status']} · {last['started_at']:%Y-%m-%d %H:%M} UTC — {last['message']}")
