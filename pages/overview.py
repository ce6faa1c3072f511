"""Overview: the headline numbers, what changed, and the first three things to fix, with money."""

import streamlit as st

from analytics import kpis, narrative
from analytics.ui import cached, export, filters, onboarding, tables

st.title("Overview")
wh = cached.warehouse()
if wh is None:
    onboarding.no_warehouse()
    st.stop()

scope = filters.current()
reporting = cached.reporting_period(scope)
against = f" against {reporting.previous.label}" if reporting.previous else ""
period = f"**{reporting.period.label}**{against}" if reporting.period else "the whole scope"
st.caption(f"Scope: {scope.describe()}. Headlines report on {period}, the latest complete quarter in scope.")

with st.spinner("Headline numbers and the priority list…"):
    relationship = cached.relationship_nps(scope)
    post_contact = cached.post_contact_nps(scope)
    churn = cached.churn_rate(scope)
    equity = cached.equity(scope)
    plist = cached.priority_list(scope)

for sentence in narrative.summary(relationship, post_contact, churn, plist):
    st.markdown(sentence)

tiles = [
    kpis.nps_kpi("relationship_nps", relationship),
    kpis.nps_kpi("post_contact_nps", post_contact),
    kpis.churn_kpi(churn),
    *kpis.equity_kpis(equity),
]
# Two rows (advocacy and churn, then money), so that every label reads whole.
columns = [*st.columns(3), *st.columns(3)[:2]]
for column, k in zip(columns, tiles, strict=True):
    colour = "off" if not k.significant else "normal" if k.better == "up" else "inverse"
    column.metric(
        k.label,
        k.value,
        delta=None if k.change == "—" else k.signed_change,
        delta_color=colour,
        help=k.counts,
        border=True,
    )
    column.caption(f"{k.period}; 95% CI {k.interval}." + (f" Change {k.change_note}." if k.change_note else ""))

st.subheader("What to fix first")
top = plist.top(3)
if top.empty:
    st.info(narrative.what_matters(plist))
else:
    st.caption(plist.ranking)
    tables.show(
        top,
        ["rank", "action", "moment", "met_rate", "swing_ci", "value_ci", "money"],
        name="priorities_top",
        scope=scope,
    )
    onboarding.link("pages/moments.py", "The whole priority list", ":material/bolt:")

export.brief_button(scope, plist=plist)

st.divider()
freshness = cached.table_summary(scope)
latest = freshness["latest_event_at"].dropna()
last = cached.ingest_history(limit=1)
data_line = f"Data up to {latest.max():%Y-%m-%d}" if not latest.empty else "No dated data yet"
if not last.empty:
    data_line += f"; last loaded {last.iloc[0]['started_at']:%Y-%m-%d %H:%M} UTC ({last.iloc[0]['status']})"
st.caption(f"{data_line}. Tables, versions and every ingest are on the Data quality page.")
