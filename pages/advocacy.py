"""Advocacy: NPS with honest intervals, by dimension, over time, and where it meets value."""

import streamlit as st

from analytics import advocacy, charts, schema, segmentation
from analytics.ui import cached, filters

st.title("Advocacy")
if cached.warehouse() is None:
    st.info("No warehouse yet: run `make demo`, or bring your own files on the **Data quality** page.")
    st.stop()

scope = filters.current()
headline = cached.nps(scope)
st.caption(f"Scope: {scope.describe()} · latest relationship answer per customer · 95% adjusted-Wald interval")
cols = st.columns([1, 1.6, 1, 1.4])
cols[0].metric("NPS", f"{headline.score:+.1f}")
cols[1].metric("95% interval", f"{headline.low:+.1f} … {headline.high:+.1f}")
cols[2].metric("Responses", f"{headline.n:,}")
cols[3].metric("Promoters / detractors", f"{headline.promoters:,} / {headline.detractors:,}")
points = st.column_config.NumberColumn(format="%+.1f")
share = st.column_config.NumberColumn(format="percent")

st.subheader("NPS by dimension")
wh = cached.warehouse()
saved_segments = wh is not None and wh.has(schema.SEGMENT_TABLE)
dimensions = [
    d for d in advocacy.CUSTOMER_DIMENSIONS + advocacy.CONTACT_DIMENSIONS if saved_segments or d != "behaviour_segment"
]
dimension = st.selectbox("Cut by", dimensions, key="advocacy_by")
groups = cached.nps_by(scope, by=dimension)
st.altair_chart(charts.nps_by_group(groups, title=f"NPS by {dimension}"), width="stretch")
st.caption("Each group against all the others; p-values Holm-adjusted. Groups under 30 responses are marked small.")
st.dataframe(
    groups,
    hide_index=True,
    column_config={c: points for c in ("score", "low", "high", "diff", "diff_low", "diff_high")}
    | {
        "se": st.column_config.NumberColumn(format="%.2f"),
        "p_value": st.column_config.NumberColumn(format="%.4f"),
        "p_adjusted": st.column_config.NumberColumn(format="%.4f"),
    },  # fmt: skip
)

by_quarter = cached.nps_by_period(scope, by=dimension, period="quarter")
st.altair_chart(charts.nps_by_group_over_time(by_quarter, title=f"NPS by {dimension} and quarter"), width="stretch")
st.caption("Bands are 95% intervals; hollow points have fewer than 30 responses.")

st.subheader("Trend")
trend = cached.nps_trend(scope)
st.altair_chart(charts.nps_trend(trend, title="Post-contact NPS by month"), width="stretch")

st.subheader("Customer segments")
st.caption(
    "k-means on standardised tenure, plan, contacts per month, self-service and voice share, escalations, "
    "revenue and latest likelihood to recommend, for the customers in scope."
)
k_choice = st.selectbox("Number of segments", ["best silhouette (3-7)", 3, 4, 5, 6, 7], key="segments_k")
k = None if isinstance(k_choice, str) else int(k_choice)
with st.spinner("Clustering customers…"):
    seg = cached.segments(scope, k=k)
scores = ", ".join(f"k={c}: {v:.2f}" for c, v in seg.silhouette_by_k.items())
st.write(f"**{seg.k} segments** (silhouette {scores})")
st.altair_chart(charts.segment_map(seg.profiles), width="stretch")
profile_columns = ["segment", "customers", "share", "revenue_share", "nps", "nps_low", "nps_high", "nps_n"]
st.dataframe(
    seg.profiles[profile_columns + list(segmentation.FEATURES)],
    hide_index=True,
    column_config={"share": share, "revenue_share": share} | {c: points for c in ("nps", "nps_low", "nps_high")},
)
st.caption(
    "Saving replaces any saved segments. Only the customers in the current scope get one; others have none, "
    "so cuts by behaviour_segment leave them out."
)
if st.button("Save these segments as the behaviour_segment dimension", key="save_segments"):
    version = segmentation.save_assignments(wh, seg)
    cached.refresh()
    st.success(f"Saved {len(seg.assignments):,} customers' segments (version {version}); cut NPS by behaviour_segment.")

st.subheader("Value × advocacy")
grid = cached.value_advocacy_grid(scope)
st.altair_chart(charts.value_advocacy_heatmap(grid), width="stretch")
st.dataframe(
    grid,
    hide_index=True,
    column_config={c: share for c in ("revenue_share", "churn_rate", "churn_low", "churn_high")},
)
st.subheader("Are advocates worth more?")
money = st.column_config.NumberColumn(format="%.2f")
st.dataframe(
    cached.advocacy_economics(scope),
    hide_index=True,
    column_config={c: share for c in ("churn_rate", "churn_low", "churn_high")}
    | {c: money for c in ("monthly_revenue", "monthly_revenue_low", "monthly_revenue_high")}
    | {
        c: st.column_config.NumberColumn(format="%.3f")
        for c in ("contacts_per_month", "contacts_per_month_low", "contacts_per_month_high")
    },
)
st.caption(
    "Means and rates per customer with 95% intervals. These are raw comparisons: plan, tenure and segment "
    "differ between the groups and are not held fixed."
)
