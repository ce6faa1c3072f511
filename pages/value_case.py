"""Value case: what fixing each moment of truth is worth in lifetime margin, and how sure we are."""

import streamlit as st

from analytics.analyses import impact
from analytics.analyses.moments import moment_name
from analytics.report import charts, views
from analytics.report.columns import IMPACT_ALIASES, fmt
from analytics.ui import background, cached, draw, filters, onboarding, tables

wh, scope = onboarding.open_page(
    "Value case",
    rules=("contacts", "relationship responses", "customers"),
    needs=("customers", "interactions", "surveys"),
    why="The value case follows contacts to the customer's next relationship answer and on to churn",
)

with st.expander("Money assumptions"):
    money = filters.money_assumptions()
assumptions = impact.ImpactAssumptions(value=money)
with st.spinner("Following contacts to attitude, churn and margin, with bootstrap intervals…"):
    plist = background.soon(cached.priority_list, scope, assumptions=assumptions)
if plist is None:  # a minute at a million customers, the first time for this scope and data
    background.waiting("the value case", cached.priority_list, scope, assumptions=assumptions)
    st.stop()
case = plist.case
if case is None or case.empty:
    notes = case.notes if case is not None else ["no contacts in this scope"]
    st.info("No value case in this scope: " + "; ".join(notes) + ".")
    st.stop()

ranked = plist.valued()
estimated = ranked[ranked["status"] == "ok"]
if estimated.empty:
    # Never a total of $0 over moments that could not be valued: say why none could.
    words = {"too few answers": "too few answers on a side", "all met": "every contact met, nothing to fix"}
    counts = ranked["status"].value_counts()
    why = "; ".join(f"{n} with {words.get(str(status), str(status))}" for status, n in counts.items())
    st.info(
        "No moment can be valued in this scope: each needs relationship answers after both met and missed "
        f"contacts, and missed contacts to fix ({why}). Widen the date range or the filters."
    )
    tables.show(
        ranked, ["journey_stage", "contact_reason", "status"], name="value_case", scope=scope, aliases=IMPACT_ALIASES
    )
    st.stop()
with st.expander("Improvement per moment: the share of missed contacts a fix would turn into met ones"):
    st.caption("100% fixes every missed contact. The value is proportional to the improvement.")
    slider_cols = st.columns(3)
    improve = {}
    for i, row in enumerate(estimated.itertuples(index=False)):
        key = (row.journey_stage, row.contact_reason)
        improve[key] = (
            slider_cols[i % 3].slider(
                moment_name(row._asdict(), in_sentence=False),
                0,
                100,
                100,
                step=5,
                key=f"improve_{row.journey_stage}_{row.contact_reason}",
            )
            / 100
        )
shown = ranked.copy()
scale = [improve.get((s, r), 1.0) for s, r in zip(shown["journey_stage"], shown["contact_reason"], strict=True)]
for column in ("value", "value_low", "value_high", "contacts_per_year"):
    shown[column] = shown[column] * scale
total, low, high = case.total(improve)
m = st.columns(2)
m[0].metric("Margin kept a year, all moments", fmt("value", total), border=True)
m[1].metric(f"{case.assumptions.confidence:.0%} interval", f"{fmt('value', low)} to {fmt('value', high)}", border=True)
first = plist.worth_most()
if first is not None:
    st.markdown(
        f"Worth most: **{first['moment']}**, {fmt('value', first['value'])} a year "
        f"({case.assumptions.confidence:.0%} interval {fmt('value', first['value_low'])} to "
        f"{fmt('value', first['value_high'])}), at a full fix."
    )
else:
    st.markdown("No moment's money is certain: every interval holds zero, so none can be called worth most.")
st.caption(
    f"{plist.ranking} Each figure is the discounted lifetime margin kept by fixing a year of missed contacts at the "
    f"scope's rate ({case.months:.0f} months of contacts in scope). An interval that holds zero means the data "
    "cannot tell the moment's value from none."
)
draw.chart(charts.value_case, shown)
tables.show(
    shown,
    views.VALUE_CASE,
    name="value_case",
    scope=scope,
    aliases=IMPACT_ALIASES,
)

st.subheader("One moment, by segment")
options = [(r.journey_stage, r.contact_reason) for r in estimated.itertuples(index=False)]
if options:
    c = st.columns([2, 1])
    picked = c[0].selectbox(
        "Moment",
        options,
        format_func=lambda k: moment_name({"journey_stage": k[0], "contact_reason": k[1]}, in_sentence=False),
        key="moment",
    )
    cost = c[1].number_input("One-off cost to fix (optional)", min_value=0.0, value=0.0, step=10_000.0, key="cost")
    fraction = max(improve.get(picked, 1.0), 0.01)
    by_segment = case.moment_impacts(picked, improve=fraction)
    if cost:
        # The payback needs the month-by-month margin kept, which only this moment's own pass gives.
        detail = cached.value_case(
            scope,
            assumptions=impact.ImpactAssumptions(improve=fraction, cost=cost, value=assumptions.value),
            moment=picked,
        )
        row = detail.moments.iloc[0]
        payback = row["payback_months"]
        st.markdown(
            f"Net of the cost, the first year of fixed contacts keeps **{fmt('net_value', row['net_value'])}**; "
            + (
                f"the kept margin repays the cost after **{payback:.0f} months**."
                if payback == payback and payback is not None
                else f"the kept margin does not repay the cost within {impact.PAYBACK_MONTHS} months."
            )
        )
    tables.show(
        by_segment,
        ["segment", "customers_affected", "contacts_per_year", "value_ci"],
        name="value_case_by_segment",
        scope=scope,
    )
else:
    st.info("No moment has enough answers on both sides to be valued in this scope.")

with st.expander("How the money is reckoned: the chain, step by step"):
    tables.show(ranked, views.VALUE_CASE_CHAIN, name="value_case_chain", scope=scope)
    if case.link is not None:
        link = case.link
        st.markdown(
            f"- **Attitude to churn:** each LTR point lowers the churn hazard by a log hazard ratio of "
            f"{link.beta:.3f} (Cox, adjusted for segment and plan, {link.answers:,} answered stretches, "
            f"{link.events:,} churns).\n"
            f"- **One answer is a noisy reading:** the same customer's answers correlate as reliability × "
            f"persistence^months, with reliability {link.reliability:.2f} and {link.persistence:.3f} of a change left "
            f"a month later; by a churn, {link.fade:.2f} of attitude at the answer is left on average. Corrected, one "
            f"LTR point is worth {link.effect:.3f} in log hazard."
        )
for line in case.statements():
    st.markdown(f"- {line}")
