"""Overview: the headline numbers, what changed, and the first three things to fix, with money."""

import streamlit as st

from analytics.report import kpis, narrative, views
from analytics.ui import background, cached, export, filters, onboarding, tables

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

slow = (
    background.Job.of(cached.priority_list, scope, money=False),
    background.Job.of(cached.equity, scope),
    background.Job.of(cached.priority_list, scope),
)
background.start(*slow)
with st.spinner("Headline numbers and the priority list…"):
    relationship = cached.relationship_nps(scope)
    post_contact = cached.post_contact_nps(scope)
    churn = cached.churn_rate(scope)
    # The slow parts at scale (the moment map, equity's bootstrap, the value case's money) are shown
    # when ready, the list first without its money; the tiles above do not wait for them.
    listed, equity, valued = background.ready(*slow)
    plist = valued if valued is not None else listed

if plist is None:
    st.markdown(narrative.what_changed(relationship, post_contact, churn))
else:
    for sentence in narrative.summary(relationship, post_contact, churn, plist):
        st.markdown(sentence)

tiles = [
    kpis.nps_kpi("relationship_nps", relationship),
    kpis.nps_kpi("post_contact_nps", post_contact),
    kpis.churn_kpi(churn),
    *(kpis.equity_kpis(equity) if equity is not None else []),
]
# Two rows (advocacy and churn, then money), so that every label reads whole.
columns = [*st.columns(3), *st.columns(3)[:2]]
if equity is None:
    with columns[3]:
        background.waiting("customer equity and value at risk", cached.equity, scope)
for column, k in zip(columns, tiles, strict=False):
    column.metric(
        k.label,
        k.value,
        delta=k.badge,
        delta_color=k.badge_colour,
        help=k.counts,
        border=True,
    )
    if k.value == "—":  # no figure: say why instead of an empty interval
        column.caption(k.counts)
        continue
    note = k.change_note.rstrip(".")
    if note.startswith("vs "):
        note = f"Change {note}"
    column.caption(f"{k.period}; 95% CI {k.interval}." + (f" {note[:1].upper()}{note[1:]}." if note else ""))

st.subheader("What to fix first")
if plist is None:
    background.waiting("the priority list", cached.priority_list, scope, money=False)
else:
    if valued is None:
        background.waiting("the value case's money", cached.priority_list, scope)
    top = plist.top(3)
    if top.empty:
        st.info(narrative.what_matters(plist))
    else:
        st.caption(plist.ranking)
        tables.show(top, views.PRIORITIES_TOP, name="priorities_top", scope=scope)
        onboarding.link("pages/moments.py", "The whole priority list", ":material/bolt:")

export.brief_button(scope, plist=valued)

st.divider()
freshness = cached.table_summary(scope)
latest = freshness["latest_event_at"].dropna()
last = cached.ingest_history(limit=1)
data_line = f"Data up to {latest.max():%Y-%m-%d}" if not latest.empty else "No dated data yet"
if not last.empty:
    data_line += f"; last loaded {last.iloc[0]['started_at']:%Y-%m-%d %H:%M} UTC ({last.iloc[0]['status']})"
st.caption(f"{data_line}. Tables, versions and every ingest are on the Data quality page.")
