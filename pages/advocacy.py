"""Advocacy: NPS with honest intervals, by dimension, over time, and where it meets value."""

import streamlit as st

from analytics import advocacy, charts
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
dimension = st.selectbox("Cut by", advocacy.CUSTOMER_DIMENSIONS + advocacy.CONTACT_DIMENSIONS, key="advocacy_by")
groups = cached.nps_by(scope, by=dimension)
st.altair_chart(charts.nps_by_group(groups, title=f"NPS by {dimension}"), use_container_width=True)
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

st.subheader("Trend")
trend = cached.nps_trend(scope)
st.altair_chart(charts.nps_trend(trend, title="Post-contact NPS by month"), use_container_width=True)

st.subheader("Value × advocacy")
grid = cached.value_advocacy_grid(scope)
st.altair_chart(charts.value_advocacy_heatmap(grid), use_container_width=True)
st.dataframe(grid, hide_index=True, column_config={"revenue_share": share, "churn_rate": share})
st.subheader("Are advocates worth more?")
st.dataframe(
    cached.advocacy_economics(scope),
    hide_index=True,
    column_config={"churn_rate": share, "monthly_revenue": st.column_config.NumberColumn(format="%.2f")},
)
