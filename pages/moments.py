"""Moments of truth: which interactions move attitude, how well they are delivered, and what to do."""

import streamlit as st

from analytics.analyses import moments
from analytics.analyses.moments import moment_name
from analytics.report import charts, narrative, views
from analytics.report.columns import spec
from analytics.ui import background, cached, draw, filters, onboarding, tables

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

actions = moments.ActionRule()
split = filters.choice(
    "Split each moment by",
    ["none", *moments.SPLITS],
    key="split",
    format_func=lambda d: "Nothing" if d == "none" else spec(d).label,
)
by = None if split == "none" else split
with st.spinner("The moment map, and what fixing each moment is worth…"):
    # The value case's money is the slow part at scale: the list shows without it until it is ready.
    # The money runs in the background while the list is drawn; both read one moment map.
    money = background.Job.of(cached.priority_list, scope, rule=rule)
    background.start(money, background.Job.of(cached.pareto, scope))
    listed = cached.priority_list(scope, rule=rule, money=False)
    (valued,) = background.ready(money)
    plist = valued if valued is not None else listed
if plist.empty:
    emptied = cached.emptied_by(scope, rows="interactions")
    st.info("No contacts in this scope" + (f": {emptied} leaves none." if emptied else "."))
    st.stop()

st.caption(f"{rule.describe()} {actions.describe()}")
top = plist.top(5)
st.subheader("What to do")
if top.empty:
    # The section stays, with why it has nothing to say.
    st.info(narrative.what_to_do(plist))
for line in top["sentence"]:
    st.markdown(f"- {line}")

st.subheader("The priority list")
if valued is None:
    background.waiting("the value case's money", cached.priority_list, scope, rule=rule)
st.caption(plist.ranking)
tables.show(
    plist.table,
    [*views.PRIORITIES, *views.PRIORITIES_MONEY],
    name="priority_list",
    scope=scope,
)

table = plist.table if by is None else cached.moment_map(scope, by=by, rule=rule)
draw.chart(charts.moment_bubbles, table, materiality=actions.materiality)
st.caption(
    "Each circle is a kind of contact (journey stage and reason), sized by volume. Up is a bigger swing in NPS "
    "between contacts that met expectations and those that did not, with its 95% interval; right is a higher "
    f"share met. The colour is the action; the dashed line is the materiality threshold of {actions.materiality:g} "
    "points."
)
if by is not None:
    st.caption(
        f"Split by {spec(by).label.lower()}: each part is judged on its own answers, unranked and without money."
    )
    key = [c for c in ("journey_stage", "contact_reason", by) if c]
    tables.show(
        table,
        [*key, *views.MOMENT_SPLIT],
        name=f"moments_by_{by}",
        scope=scope,
    )

st.subheader("Contact reasons")
# Repeats within 7 days order every contact of a customer and reason: filled in when ready at scale.
reasons = background.soon(cached.pareto, scope)
if reasons is None:
    background.waiting("the contact-reason Pareto", cached.pareto, scope)
else:
    draw.chart(charts.pareto, reasons)
    tables.show(reasons, views.PARETO, name="contact_reasons", scope=scope)
st.caption(
    "The vital few make up the first 80% of contacts. A repeat is another contact from the same customer for the "
    "same reason within 7 days."
)

st.subheader("Inside a moment: what drives the rating")
moment_names = {"All contacts": None} | {
    moment_name(r._asdict(), in_sentence=False): (r.journey_stage, r.contact_reason)
    for r in plist.table.itertuples(index=False)
}
cols = st.columns([2, 1, 1])
picked = cols[0].selectbox("Moment", list(moment_names), key="moment")
outcome = cols[1].selectbox(
    "Outcome",
    ["ltr", "csat", "effort"],
    key="outcome",
    format_func=lambda o: {"ltr": "Likelihood to recommend", "csat": "CSAT", "effort": "Effort"}[o],
)
method = cols[2].selectbox(
    "Method",
    ["lmg", "johnson"],
    key="method",
    format_func=lambda m: {"lmg": "LMG (exact Shapley)", "johnson": "Johnson's weights"}[m],
)
# Exact Shapley values over every subset of ratings, resampled 200 times: run when asked for.
if not st.toggle("Analyse the drivers", key="drivers", help="Kept for everyone once computed for a choice."):
    st.caption("Each rating's share of the explained variance, with intervals, once analysed.")
    st.stop()
with st.spinner("Decomposing R² and resampling customers…"):
    result = cached.driver_analysis(scope, outcome=outcome, moment=moment_names[picked], method=method, bootstrap=200)
if result.is_empty:
    st.info(result.note or "Too few post-contact ratings in this scope to analyse.")
else:
    r2 = f"R² {result.r2:.2f} (95% CI {result.r2_low:.2f} to {result.r2_high:.2f})"
    st.caption(
        f"{r2} from {result.n:,} responses by {result.customers:,} customers. Intervals come from "
        f"{result.bootstrap} bootstrap resamples of customers, so a customer's repeat answers are not counted as "
        "independent evidence." + (f" {result.note}" if result.note else "")
    )
    left, right = st.columns(2)
    draw.chart(charts.driver_importance, result.table, place=left)
    draw.chart(charts.importance_performance, result.table, place=right)
    split = result.split.set_index("kind")
    if {"tactile", "emotive"} <= set(split.index):
        t, e = split.loc["tactile"], split.loc["emotive"]
        lead = "emotive" if e["share"] > t["share"] else "tactile"
        st.markdown(
            f"**{lead.capitalize()}-led.** Tactile attributes (speed, resolution, clarity) explain "
            f"{t['share']:.0%} ({t['share_low']:.0%} to {t['share_high']:.0%}) of what the ratings explain, emotive "
            f"ones (empathy, courtesy, feeling valued) {e['share']:.0%} ({e['share_low']:.0%} to "
            f"{e['share_high']:.0%})."
        )
    tables.show(
        result.table.sort_values("share", ascending=False).rename(columns={"action": "driver_action"}),
        views.DRIVERS,
        name="drivers" + (f"_{moment_names[picked][1]}" if moment_names[picked] else ""),
        scope=scope,
    )
