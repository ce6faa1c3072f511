"""Advocacy: NPS with honest intervals, by dimension, over time, where it meets value, and customer segments."""

import streamlit as st

from analytics.analyses import advocacy, nonresponse, segmentation
from analytics.report import charts, kpis, narrative, views
from analytics.report.columns import fmt, spec
from analytics.ui import background, cached, draw, filters, onboarding, tables

METHODS = """
- **NPS** is the share of promoters (9-10) minus the share of detractors (0-6), in points. Its interval is
  the adjusted Wald interval for the three-way split of answers (Rocks 2016).
- **Relationship NPS** counts each customer's latest answer in the period; **post-contact NPS** counts every
  answer after a contact. Post-contact customers often answer several times, and one customer's answers are
  alike, so their intervals and tests treat the customer, not the answer, as the unit (a variance with
  customers as clusters). Where that matters, the number of *effective* responses is shown beside the count.
- **Differences** between a group and the rest use a z test with at least 100 answers on each side.
  Smaller groups get an exact permutation test, which keeps false alarms at 5% or below; under 30 answers a
  difference has no interval. Many groups at once are corrected by Holm's method.
- **Churn by advocacy** is counted per 100 customer-months at risk. Each month a customer is a customer is
  counted in the state they were in then: their latest answer so far, or "no answer" before their first.
  Comparing who ever churned would flatter those who answered, because answering needs still being a
  customer. Rates have exact Poisson intervals; a value-by-advocacy cell is compared with the rest of its
  revenue tier by an exact test, and gets a suggested action only where the difference is significant.
- **Weighted NPS** (when invitations are loaded) lets each answer stand for the invitations of its cell
  that got no answer, so channels or handlers that answer less count as much as they should. Its interval
  comes from the spread of the answers within each cell, with customers as clusters.
- **Segments** are found from behaviour and value, then described by attitude; see the note under them.
"""

wh, scope = onboarding.open_page(
    "Advocacy",
    rules=("relationship responses", "post-contact responses"),
    needs=("customers", "surveys"),
    why="Advocacy needs survey responses and the customers who gave them",
)

# Value × advocacy (churn per month at risk for every customer in scope) is the slow part at scale:
# it runs in the background while the rest of the page is drawn.
value_jobs = (
    background.Job.of(cached.value_advocacy_grid, scope),
    background.Job.of(cached.advocacy_economics, scope),
)
background.start(*value_jobs)
relationship = cached.relationship_nps(scope)
post_contact = cached.post_contact_nps(scope)
if relationship.estimate.n == 0 and post_contact.estimate.n == 0:
    emptied = cached.emptied_by(scope)
    st.info("No responses in this scope" + (f": {emptied} leaves none." if emptied else "."))
    st.stop()
summary = st.container()

cols = st.columns(2)
for col, h, key in zip(cols, (relationship, post_contact), ("relationship_nps", "post_contact_nps"), strict=True):
    tile = kpis.nps_kpi(key, h)
    label = tile.label + (f" · {tile.period}" if h.period else "")
    est = h.estimate
    if est.n == 0:
        col.metric(label, "—", help=h.note)
        continue
    significant = bool(tile.significant)
    col.metric(
        label, tile.value, delta=tile.badge, delta_color=tile.badge_colour, help=spec("nps_ci").help, border=True
    )
    detail = f"95% CI {fmt('score', est.low)} to {fmt('score', est.high)} · {narrative.responses_phrase(est)}"
    if h.change:
        verdict = "significant" if significant else "not significant"
        if h.change.test == "exact":
            detail += f" · change tested exactly, p = {fmt('p_value', h.change.p_value)} ({verdict})"
        else:
            detail += f" · change 95% CI {fmt('diff', h.change.low)} to {fmt('diff', h.change.high)} ({verdict})"
    col.caption(detail + (f" · {h.note}" if h.note else ""))

with st.expander("Methods: how each number is estimated"):
    st.markdown(METHODS)

st.subheader("NPS by dimension")
saved = cached.saved_segments()
dimensions = [
    d
    for d in advocacy.CUSTOMER_DIMENSIONS + advocacy.CONTACT_DIMENSIONS
    if saved is not None or d != "behaviour_segment"
]
dimension = filters.choice("Cut by", dimensions, key="by", format_func=lambda d: spec(d).label)
label = spec(dimension).label
kind = advocacy.responses_for(wh, dimension)
span = cached.scope_period(scope)
counted = f"{advocacy.RESPONSE_WORDS[kind]} responses" + (f", {span.label}" if span else "")
if kind == "relationship":
    counted += " (each customer's latest)"
groups = cached.nps_by(scope, by=dimension)
with summary:
    for sentence in narrative.advocacy_summary(relationship, post_contact, groups, dimension):
        st.markdown(sentence)
if groups.empty:
    emptied = cached.emptied_by(scope, kind=kind)
    st.info(f"No {counted.split(',')[0]} in this scope" + (f": {emptied} leaves none." if emptied else "."))
else:
    draw.chart(charts.nps_by_group, groups, title=f"NPS by {label.lower()}: {counted}", by=dimension)
    st.caption(
        "Each group against all the others. Intervals are 95% for each group on its own; significance allows "
        "for testing every group (Holm), so an interval can leave out zero without the difference counting as "
        "significant. Under 100 responses on a side the difference is tested exactly; under 30 it has no "
        "interval. Post-contact intervals and tests allow for customers who answered several times; the "
        "effective responses say what those answers are worth as independent ones."
    )
    if dimension == "behaviour_segment" and saved is not None:
        st.caption(
            f"The saved segments cover {saved.customers:,} customers; responses of customers without a segment "
            "are left out of this cut."
        )
    tables.show(
        groups,
        ["group", "n", *(["effective_n"] if kind == "transactional" else []), "nps_ci", "diff_ci", "test"]
        + ["p_adjusted", "significant", "small_n"],
        name=f"nps_by_{dimension}",
        scope=scope,
        group=dimension,
    )
    if nonresponse.available(wh) and dimension in nonresponse.DIMENSIONS:
        cells = " and ".join(spec(c).label.lower() for c in nonresponse.WEIGHT_CELLS[kind])
        weighted = st.toggle(
            "Weight to everyone invited",
            key="weighted",
            help=f"Each answer counts for the invitations of its {cells} that it stands for, so groups that "
            "answer less are not under-represented.",
        )
        if weighted:
            table = cached.weighted_nps_by(scope, by=dimension, kind=kind)
            tables.show(
                table,
                views.WEIGHTED_NPS_BY,
                name=f"weighted_nps_by_{dimension}",
                scope=scope,
                group=dimension,
            )
            st.caption(
                f"Weighted within {cells}: right if, within each of those, the customers who answer feel like "
                "those who do not. Effective responses allow for the weights, for cells that differ in spread and, for post-contact "
                "surveys, for customers answering several times."
            )
        # A toggle, not an expander: a closed expander still runs what is inside it.
        if st.toggle(f"Response rates by {label.lower()}", key="response_rates"):
            tables.show(
                cached.response_rates(scope, by=dimension, kind=kind),
                views.RESPONSE_RATES,
                name=f"response_rates_by_{dimension}",
                scope=scope,
                group=dimension,
            )
    by_quarter = cached.nps_by_period(scope, by=dimension, period="quarter", top=6)
    title = f"NPS by {label.lower()} and quarter"
    if by_quarter["group"].eq(advocacy.OTHER).any():
        title += " (the six largest; the rest pooled as other)"
    draw.chart(charts.nps_by_group_over_time, by_quarter, title=title, by=dimension)
    st.caption("Bands are 95% intervals; hollow points have fewer than 30 responses.")

st.subheader("Trend")
quarterly = cached.nps_trend(scope, kind="relationship", period="quarter")
monthly = cached.nps_trend(scope, kind="transactional")
for frame, kind, period in ((quarterly, "relationship", "quarter"), (monthly, "transactional", "month")):
    st.markdown(narrative.trend_sentence(advocacy.long_run(frame, kind=kind, period=period)))
trend_cols = st.columns(2)
draw.chart(charts.nps_trend, quarterly, title="Relationship NPS by quarter", place=trend_cols[0])
draw.chart(charts.nps_trend, monthly, title="Post-contact NPS by month", place=trend_cols[1])
st.caption(
    "Relationship NPS counts each customer's latest answer in the quarter; post-contact NPS counts every "
    "response. Bands are 95% intervals. Periods with fewer than 30 answers (between relationship waves, say) are "
    "hollow points left off the line and its band: their ups and downs are mostly noise. Diamonds mark a "
    "significant change from the period before (Holm)."
)

st.subheader("Value × advocacy")
# Churn per month at risk for every customer in scope: the slow part of this page at scale.
grid, economics = background.ready(*value_jobs)
if grid is None:
    background.waiting("value × advocacy", cached.value_advocacy_grid, scope)
elif economics is None:
    background.waiting("value × advocacy", cached.advocacy_economics, scope)
elif grid.empty:
    st.info("No customers in this scope.")
else:
    for sentence in narrative.value_sentences(grid, economics):
        st.markdown(sentence)
    draw.chart(charts.value_advocacy_heatmap, grid)
    tables.show(grid, views.VALUE_ADVOCACY, name="value_advocacy", scope=scope)
    st.caption(
        "Customers are placed by their latest relationship answer in scope. Churn is counted per 100 customer-months "
        "at risk, each month in the state the customer was in then (their latest answer so far, or no answer yet): "
        "a customer has to still be there to answer, so the share who ever churned would flatter everyone who "
        "answered. Each answered cell "
        "is compared with the other answers in its tier (exact test, Holm-adjusted); an action is suggested only "
        "where that difference is significant."
    )
    st.subheader("Are advocates worth more?")
    tables.show(economics, views.ADVOCACY_ECONOMICS, name="advocacy_economics", scope=scope)
    st.caption(
        "Means per customer with 95% intervals; churn per 100 customer-months at risk after the answer, with an "
        "exact interval. These are raw comparisons: plan, tenure and segment differ between the groups and are "
        'not held fixed. "No answer" is the time before a customer\'s first answer, much of it early in their '
        "tenure, so it is not like for like with the answered states."
    )

st.subheader("Customer segments")
st.caption(
    "Customers clustered on how they get in touch (voice, chat, email and web shares, contacts per month) and "
    "what they are worth (revenue), for the customers in scope; plan and attitude are left out, and each "
    "segment's NPS is then measured from those who answered. Fitted when asked for, then kept for everyone "
    "until the data changes."
)
message = st.session_state.pop("segments_saved", None)
if message:
    st.success(message)
method = st.selectbox(
    "Method",
    ["kmeans", "gmm"],
    key="segments_method",
    format_func=lambda m: {"kmeans": "k-means", "gmm": "Gaussian mixture (soft membership)"}[m],
)
k_choice = st.selectbox(
    "Number of segments",
    ["best (3-7)", 3, 4, 5, 6, 7],
    key="segments_k",
    help="Best: the highest silhouette for k-means, the lowest BIC for the Gaussian mixture.",
)
k = None if isinstance(k_choice, str) else int(k_choice)
if st.button("Find segments", key="find_segments"):
    st.session_state["segments_requested"] = True
if st.session_state.get("segments_requested"):
    with st.spinner("Clustering customers…"):
        try:
            seg = cached.segments(scope, method=method, k=k)
        except ValueError as exc:  # more segments than the scope's customers can fill
            st.info(f"{str(exc)[:1].upper()}{str(exc)[1:]}.")
            st.stop()
    if seg.is_empty:
        st.info(seg.note)
    else:
        scores = ", ".join(f"k={c}: {v:.2f}" for c, v in seg.silhouette_by_k.items())
        chosen = "fixed" if k else "by BIC" if method == "gmm" else "by silhouette"
        st.write(f"**{seg.k} segments** (k {chosen}; silhouette {scores})")
        if seg.is_loose:
            st.warning(seg.structure_note)
        else:
            st.caption(seg.structure_note)
        if seg.thin_note:
            st.warning(seg.thin_note)
        draw.chart(charts.segment_map, seg.profiles)
        shown = [*views.SEGMENTS, *segmentation.DESCRIBED] + (["membership"] if method == "gmm" else [])
        tables.show(seg.profiles.rename(columns={"segment": "segment_name"}), shown, name="segments", scope=scope)
        st.caption(
            "A segment is named only by differences from the other customers that are significant after Holm's "
            "correction (Welch t tests for revenue, contacts and channel shares; the NPS difference test where "
            "both sides have 30 answers or more) and large enough to matter."
        )
        confirmed = True
        if saved is not None:
            when = f", saved {saved.saved_at:%Y-%m-%d %H:%M} UTC" if saved.saved_at else ""
            st.caption(
                f"Saved segments exist ({saved.segments} segments covering {saved.customers:,} customers{when}). "
                "Saving replaces them for everyone; only the customers in the current scope get a segment."
            )
            confirmed = st.checkbox("Replace the saved segments", key="confirm_replace")
        if st.button(
            "Save these segments as the behaviour segment dimension", key="save_segments", disabled=not confirmed
        ):
            segmentation.save_assignments(wh, seg)
            cached.refresh()
            st.session_state["segments_saved"] = (
                f"Saved {len(seg.assignments):,} customers' segments. “Behaviour segment” is now a choice under "
                "**Cut by** above."
            )
            st.rerun()
