"""Iconic benchmarks: how far from the firms that lead on CX, and whether satisfaction is traded for efficiency."""

import streamlit as st

from analytics import names
from analytics.analyses import benchmarks
from analytics.report import charts, views
from analytics.report.columns import spec
from analytics.ui import cached, draw, filters, onboarding, tables

wh, scope = onboarding.open_page(
    "Iconic benchmarks",
    rules=("contacts", "post-contact responses"),
    needs=("interactions", "surveys"),
    why="The benchmarks set your contacts and the answers about them beside the published figures",
)

items = cached.assessment_items()
distances = benchmarks.distance_to_profiles(items)
# The stage table is the journey-stage cut of the quadrant below: computed once, read by both.
stages = benchmarks.stage_stances(
    # Named in full, so the quadrant's default choice below is the same cached call.
    cached.satisfaction_efficiency(scope, by="journey_stage", efficiency=benchmarks.EFFICIENCY[0]),
    dict(zip(items["question_id"], items["answer"], strict=True)),
)
standard_box = st.container()
with st.expander("The common standard every handler is held to"):
    cols = st.columns(6)
    standard = benchmarks.Standard(
        min_csat=cols[0].number_input("CSAT 4-5 at least", 0.0, 1.0, 0.40, 0.05, key="std_csat"),
        min_nps=cols[1].number_input("NPS at least", -100.0, 100.0, 0.0, 5.0, key="std_nps"),
        max_asa_seconds=cols[2].number_input("Speed of answer at most (s)", 0.0, 3600.0, 240.0, 30.0, key="std_asa"),
        min_fcr=cols[3].number_input("First-contact resolution at least", 0.0, 1.0, 0.70, 0.05, key="std_fcr"),
        max_escalation=cols[4].number_input("Escalated at most", 0.0, 1.0, 0.15, 0.05, key="std_escalation"),
        max_cost_ratio=cols[5].number_input("Cost at most × in-house", 0.0, 10.0, 1.5, 0.1, key="std_cost"),
    )
    st.caption(standard.describe())
scorecard = cached.partner_scorecard(scope, standard=standard)
share = benchmarks.standard_share(scorecard)
ramp = cached.partner_ramp(scope, standard=standard)
for line in benchmarks.summary(distances, stages, scorecard, share, ramp):
    standard_box.markdown(f"- {line}")

st.header("How far from iconic")
by_profile = distances.set_index("profile")
cols = st.columns(3)
for col, profile in zip(cols, by_profile.index, strict=True):
    row = by_profile.loc[profile]
    col.metric(
        f"Distance to {profile} ({int(row['items'])} questions)",
        "—" if row["distance"] != row["distance"] else f"{row['distance']:.0f} points",
        help=f"Over {int(row['items'])} questions. {benchmarks.DISTANCE_METHOD}",
    )
draw.chart(charts.profile_bars, items)
tables.show(
    items,
    [*views.PROFILE_ITEMS, "note", "context", "source"],
    name="self_assessment",
    scope=scope,
)
st.caption(
    "Shares of surveyed executives who said yes (MIT Technology Review Insights, 2017, through a vendor's 2018 "
    'summary: a secondary source, as each row says). Relative figures ("2x as likely") are shown as published, '
    "never as shares; the stage pattern is qualitative. The distances compare your answers with each profile's "
    "shares; see the help on each."
)

with st.expander("Your self-assessment: change an answer"), st.form("assessment"):
    stored = {r.question_id: r.answer for r in items.itertuples(index=False)}
    chosen = {}
    for q in benchmarks.QUESTIONS:
        options = ["not answered", *q.answers]
        current = stored.get(q.question_id)
        picked = st.selectbox(
            q.text,
            options,
            index=options.index(current) if current in options else 0,
            key=f"answer_{q.question_id}",
            format_func=names.name,
        )
        if picked != "not answered":
            chosen[q.question_id] = picked
    st.caption(
        "Saved answers go through the same checks as any file brought in (`iconic ingest assessment FILE` or the "
        "Data quality page) and replace the stored answer to each question; an answer cannot be taken back here."
    )
    if st.form_submit_button("Save answers", type="primary"):
        result = benchmarks.save_assessment(chosen, warehouse_path=wh.root)
        if result.ok:
            cached.refresh()
            st.success(f"Saved {result.rows_committed} answers.")
            st.rerun()
        else:
            st.error(result.message)

st.header("Satisfaction against efficiency")
cols = st.columns(2)
with cols[0]:
    unit = filters.choice("Compare", list(benchmarks.UNITS), key="unit", format_func=lambda u: spec(u).label)
with cols[1]:
    efficiency = filters.choice(
        "Efficiency measure", list(benchmarks.EFFICIENCY), key="efficiency", format_func=lambda e: spec(e).label
    )
table = cached.satisfaction_efficiency(scope, by=unit, efficiency=efficiency)
if table.empty:
    emptied = cached.emptied_by(scope, rows="interactions")
    st.info("No contacts in this scope" + (f": {emptied} leaves none." if emptied else "."))
    st.stop()
draw.chart(charts.stance_quadrant, table, by=unit, efficiency=efficiency)
st.caption(benchmarks.StanceRule().describe(efficiency) + " Dashed lines: the scope as a whole.")
tables.show(
    table,
    [unit, "volume", "cost_per_contact", "handle_seconds", "automation_rate_ci", "containment_rate_ci", "n"]
    + ["contact_nps_ci", "nps_diff_ci", "csat_ci", "satisfaction", "efficiency", "stance"],
    name=f"satisfaction_efficiency_by_{unit}",
    scope=scope,
)

st.subheader("What you say comes first, and what your data shows")
for line in benchmarks.said_against_shown(stages):
    st.markdown(f"- {line}")
tables.show(
    stages,
    views.STAGES,
    name="stance_by_stage",
    scope=scope,
)
st.caption(
    "The survey groups the journey into discovery (learn), purchase (buy, pay), delivery (get) and customer "
    "service (use, support). Published pattern, qualitative, with no per-stage figures: iconic firms put "
    "satisfaction first at every stage; most firms weigh the two equally except in customer service, where "
    "satisfaction leads; low performers mostly put efficiency first. Stances use cost per contact."
)

st.header("Channel mix")
mix_by = filters.choice("Split by", list(benchmarks.MIX_BY), key="mix_by", format_func=lambda b: spec(b).label)
mix = cached.channel_mix(scope, by=mix_by)
draw.chart(charts.channel_mix, mix, by=mix_by)
tables.show(
    mix, [mix_by, "handling", "volume", "volume_share_ci", "live_share"], name=f"channel_mix_by_{mix_by}", scope=scope
)
outcomes = cached.automation_outcomes(scope)
tables.show(
    outcomes,
    ["handling", "volume", "repeat_rate_ci", "n", "contact_nps_ci", "csat_ci"],
    name="automation_outcomes",
    scope=scope,
)
st.caption(
    "Automation then a person: a contact that began with automation and was transferred. A repeat is another "
    "contact from the same customer for the same reason within 7 days. NPS and CSAT come from the answers "
    "after each contact; customers answer automated contacts less often, so those rows stand on fewer answers."
)

st.header("Partners against a common standard")
cols = st.columns(2)
cols[0].metric(
    "Partners meeting the standard",
    f"{share.meeting} of {share.judged}" if share.judged else "too few to judge" if share.partners else "—",
    help=f"Handlers other than the in-house team that meet every criterion of the standard above, of those with "
    f"at least {standard.min_responses} post-contact responses to judge ({share.judged} of {share.partners}).",
)
cols[1].metric(
    "Iconic firms able to hold partners to one (published)",
    f"~{share.published_iconic:g}%" if share.published_iconic is not None else "—",
    help=f"{share.source}. All respondents: {share.published_all:g}%.",
)
st.caption(share.note)
tables.show(
    scorecard,
    views.SCORECARD,
    name="partner_scorecard",
    scope=scope,
)

st.header("A new partner's first weeks")
if ramp.empty:
    st.info("No handler went live inside this scope: every one has contacts from the scope's first weeks.")
    st.stop()
cols = st.columns(2)
with cols[0]:
    handler = filters.choice(
        "Partner", list(dict.fromkeys(ramp["handled_by"])), key="ramp_partner", format_func=names.name
    )
with cols[1]:
    kpi = filters.choice("Judged on", list(benchmarks.RAMP_KPIS), key="ramp_kpi", format_func=lambda k: spec(k).label)
weeks = cached.partner_ramp(scope, kpi=kpi, standard=standard)
weeks = weeks[weeks["handled_by"] == handler]
sentence = benchmarks.ramp_sentence(weeks, kpi=kpi)
if sentence:
    st.markdown(sentence)
draw.chart(charts.partner_ramp, weeks, kpi=kpi, judged=kpi, first_days=benchmarks.FIRST_DAYS)
st.caption(
    f"Weeks since go-live; the grey line marks day {benchmarks.FIRST_DAYS}. Reaching target means meeting it two "
    "weeks running. A surge week (triangle) ran more than 15% above the mean of the four weeks before, a stress "
    f"event to watch in the first 90 days. In-house figures are for the same weeks."
)
tables.show(
    weeks,
    ["week", "week_start", "volume", "surge", "fcr_ci", "in_house_fcr", "csat_ci", "asa_seconds", "meets_target"],
    name=f"ramp_{handler}",
    scope=scope,
)
