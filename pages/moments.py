"""Moments of truth: which interactions move attitude, how well they are delivered, and what to do."""

import streamlit as st

from analytics import charts, moments
from analytics.ui import cached, filters, onboarding, tables
from analytics.ui.columns import spec

wh, scope = onboarding.open_page(
    "Moments of truth",
    rules=("contacts", "post-contact responses"),
    needs=("interactions", "surveys"),
    why="Moments of truth need contacts and the post-contact answers about them",
)

with st.expander("When does a contact meet expectations?"):
    resolved = st.checkbox("Resolved", value=True, key="met_resolved")
    limit = st.checkbox("At most this many transfers", value=True, key="met_transfers_on")
    transfers = st.number_input(
        "Transfers", min_value=0, max_value=10, value=1, key="met_transfers", disabled=not limit
    )
    waits = st.checkbox("Waited no longer than the channel's target", value=True, key="met_wait_on")
    targets = {}
    if waits:
        cols = st.columns(len(moments.WAIT_TARGETS))
        for col, (channel, seconds) in zip(cols, moments.WAIT_TARGETS.items(), strict=True):
            targets[channel] = float(
                col.number_input(f"{channel} (s)", min_value=0, value=int(seconds), step=30, key=f"wait_{channel}")
            )
rule = moments.MetRule(resolved=resolved, max_transfers=int(transfers) if limit else None, wait_targets=targets)

split = filters.choice(
    "Split each moment by",
    ["none", *moments.SPLITS],
    key="split",
    format_func=lambda d: "nothing" if d == "none" else spec(d).label,
)
by = None if split == "none" else split
table = cached.moment_map(scope, by=by, rule=rule)
if table.empty:
    emptied = cached.emptied_by(scope, rows="interactions")
    st.info("No contacts in this scope" + (f": {emptied} leaves none." if emptied else "."))
    st.stop()

st.caption(rule.describe())
lines = moments.what_to_do(table)
if lines:
    st.subheader("What to do")
    for line in lines:
        st.markdown(f"- {line}")

st.altair_chart(charts.moment_bubbles(table), width="stretch")
st.caption(
    "Each circle is a kind of contact (journey stage and reason), sized by volume. Up is a bigger swing in NPS "
    "between contacts that met expectations and those that did not, with its 95% interval; right is a higher "
    "share met. Fix: big, significant swing delivered below 80%. Delight: big swing, delivered well, to customers "
    "worth more than the median. Maintain: the same to others. Right-size: small or uncertain swing, so serve it "
    "more cheaply. Under 30 responses on either side: too few to judge."
)
key = [c for c in ("journey_stage", "contact_reason", by) if c]
tables.show(
    table,
    [*key, "volume", "met_rate", "nps_met_ci", "nps_not_met_ci", "swing_ci", "ltr_slope_ci", "at_stake", "action"],
    name="moments" + (f"_by_{by}" if by else ""),
    scope=scope,
)

st.subheader("Contact reasons")
reasons = cached.pareto(scope)
st.altair_chart(charts.pareto(reasons), width="stretch")
tables.show(
    reasons,
    ["contact_reason", "volume", "volume_share", "cumulative_share", "vital_few", "escalation_rate", "repeat_rate"]
    + ["cost_per_contact", "cost"],
    name="contact_reasons",
    scope=scope,
)
st.caption(
    "The vital few make up the first 80% of contacts. A repeat is another contact from the same customer for the "
    "same reason within 7 days."
)
