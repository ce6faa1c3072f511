"""Churn & lifetime value: how long customers stay, what shortens it, and what they are worth."""

import streamlit as st

from analytics import names
from analytics.analyses import survival, value
from analytics.report import charts, kpis, views
from analytics.report.columns import COX_ALIASES, SURVIVAL_ALIASES, fmt, spec
from analytics.ui import background, cached, draw, filters, onboarding, tables

wh, scope = onboarding.open_page(
    "Churn & lifetime value",
    rules=("customers",),
    needs=("customers",),
    why="Survival needs customers with signup and churn dates",
)

cols = st.columns([2, 1])
dimensions = [d for d in survival.DIMENSIONS if d != "behaviour_segment" or wh.has("customer_segments")]
with cols[0]:
    split = filters.choice(
        "Survival by",
        ["none", *dimensions],
        key="by",
        format_func=lambda d: "Everyone" if d == "none" else spec(d).label,
    )
by = None if split == "none" else split
horizon = cols[1].select_slider("Horizon for mean months (RMST)", options=[12, 24, 36, 48, 60], value=36, key="horizon")
with st.expander("Lifetime value assumptions"):
    assumptions = filters.money_assumptions(tail=True)

# The headline equity's bootstrap is the slow part at scale: it runs while the curves are drawn.
background.start(background.Job.of(cached.equity, scope, assumptions=assumptions))
with st.spinner("Kaplan-Meier curves and bootstrap intervals…"):
    # Thinned to what a screen can show: a million customers make about 250,000 Kaplan-Meier steps.
    report = cached.survival_report(scope, by=by, horizon=float(horizon), resolution=survival.SCREEN_RESOLUTION)
if report.is_empty:
    st.info("No customers in this scope.")
    st.stop()
if report.window is not None:
    st.caption(f"{report.window.describe().capitalize()}. {report.note}")

churn = kpis.churn_kpi(cached.churn_rate(scope))
if churn.value != "—":
    rate = st.columns([3, 5])
    rate[0].metric(
        f"{churn.label} · {churn.period}",
        churn.value,
        delta=churn.badge,
        delta_color=churn.badge_colour,
        help="Churns per 100 customer-months at risk: each customer counts the time they were a customer in "
        "the period, so joiners and leavers count for part of it.",
    )
    note = churn.change_note.rstrip(".")
    rate[1].caption(
        f"95% CI {churn.interval}. {churn.counts} "
        + (f"Change: {note}." if note.startswith("rate") or note.startswith("vs") else f"{note}.")
    )
draw.chart(charts.survival_curves, report.curves, by=by)
value_by = by if by in value.DIMENSIONS else "segment"
# The headline figures, as the Overview and the brief show them; the rows are valued on the same day.
# Their bootstraps are the slow part at scale: the curves show first, and the value fills in when ready.
equity = background.soon(cached.equity, scope, assumptions=assumptions)
values = (
    background.soon(cached.customer_value, scope, by=value_by, assumptions=assumptions, as_of=equity.as_of)
    if equity is not None
    else None
)
valued = values is not None and value_by == by
summary = value.tenure_and_value(report, values if valued else None)
shown = views.SURVIVAL
tables.show(
    summary,
    [*shown, "clv_ci"] if valued else shown,
    name="survival" + (f"_by_{by}" if by else ""),
    scope=scope,
    group=by,
    aliases=SURVIVAL_ALIASES,
)
if report.logrank is not None:
    lr = report.logrank
    st.caption(
        f"Log-rank test of equal survival across {spec(by).label.lower() if by else 'groups'}: "
        f"chi-square {lr.statistic:.1f} on {lr.df} df, p {fmt('p_value', lr.p_value)}. Pairs below are "
        "Holm-adjusted for the number of comparisons."
    )
    with st.expander("Pairwise log-rank tests"):
        tables.show(lr.pairwise, views.LOGRANK_PAIRS, name="logrank_pairs", scope=scope)

st.subheader("What shortens tenure")
# The Cox model fits on every stretch of tenure (1.7 M at a million customers): fitted when asked for,
# then kept for everyone until the data change. The what-if below uses the same model.
modelled = st.toggle(
    "Fit the Cox model",
    key="cox",
    help="A proportional-hazards model of churn on segment, region, plan, what the customer last said and "
    "recent unresolved contacts. It takes a while on a large warehouse; once fitted it is kept for everyone.",
)
cox = cached.hazard_ratios(scope) if modelled else None
if cox is None:
    st.caption("Hazard ratios for what shortens tenure, with the proportional-hazards check, once the model is fitted.")
elif cox.hazard_ratios.empty:
    st.info("Too few churns in this scope to fit a model. " + cox.note)
else:
    st.caption(
        f"Cox model on {cox.customers:,} customers and {cox.events:,} churns; concordance {cox.concordance:.2f} (0.5 is "
        "chance). What a customer last said counts as it was at each moment, not as it ended up, and customers "
        "already there when the data begin count from then."
    )
    if cox.note:
        st.caption(cox.note)
    draw.chart(charts.hazard_forest, cox.hazard_ratios)
    if cox.warning:
        st.warning(cox.warning)
        if cox.stratified is not None and not cox.stratified.hazard_ratios.empty:
            with st.expander(f"Stratified by {', '.join(names.phrase(s) for s in cox.stratified.strata)}"):
                tables.show(
                    cox.stratified.hazard_ratios,
                    views.HAZARD_RATIOS,
                    name="hazard_ratios_stratified",
                    scope=scope,
                    aliases=COX_ALIASES,
                )
    tables.show(cox.hazard_ratios, views.HAZARD_RATIOS, name="hazard_ratios", scope=scope, aliases=COX_ALIASES)

st.subheader("Value at risk")
if equity is None:
    background.waiting("customer equity and value at risk", cached.equity, scope, assumptions=assumptions)
elif values is None:
    background.waiting(
        "the value of each group",
        cached.customer_value,
        scope,
        by=value_by,
        assumptions=assumptions,
        as_of=equity.as_of,
    )
elif (tiles := kpis.equity_kpis(equity))[0].value == "—":  # no churn seen: nothing to value customers on
    st.info(tiles[0].counts)
else:
    m = st.columns(3)
    m[0].metric("Active customers", f"{equity.now.active:,}")
    for column, k in zip(m[1:], tiles, strict=True):
        column.metric(k.label, k.value, help=k.counts)
        column.caption(f"{k.period.capitalize()}; 95% CI {k.interval}.")
    if value_by != value.HEADLINE_BY:
        rows = value.totals(values)
        st.caption(
            f"The headline values each segment on its own survival curve. Valued by {spec(value_by).label.lower()} "
            f"instead, the rows below sum to {kpis.figure('equity', rows['equity'])} of equity and "
            f"{kpis.figure('value_at_risk', rows['value_at_risk'])} at risk."
        )
    draw.chart(charts.value_at_risk, values, by=value_by)
    tables.show(
        values,
        views.CUSTOMER_VALUE,
        name=f"value_by_{value_by}",
        scope=scope,
        group=value_by,
        aliases=SURVIVAL_ALIASES,
    )  # fmt: skip
    st.caption(
        assumptions.describe().capitalize()
        + ". "
        + " ".join(f"{names.name(g)}: {t}." for g, t in zip(values["group"], values["tail"], strict=True))
    )

st.subheader("What if")
changes = {
    "Detractors become passives": {"from_level": "detractor", "to_level": "passive"},
    "Detractors become promoters": {"from_level": "detractor", "to_level": "promoter"},
    "Passives become promoters": {"from_level": "passive", "to_level": "promoter"},
    "Fewer unresolved contacts": {"covariate": "unresolved_90d", "from_level": None, "to_level": None},
}
w = st.columns([2, 1])
change = w[0].selectbox("Change", list(changes), key="what_if")
arguments = dict(changes[change])
if "covariate" in arguments:
    arguments["reduce_by"] = w[1].slider("Fall by, %", 10, 100, 30, step=10, key="reduce_by") / 100
result = (
    cached.what_if(scope, **arguments, margin_rate=assumptions.margin_rate, annual_discount=assumptions.annual_discount)
    if modelled
    else None
)
if result is None:
    st.caption("The what-if runs through the Cox model: fit it above.")
elif result.customers == 0:
    st.info(result.note)
else:
    k = st.columns(3)
    k[0].metric("Customers moved", f"{result.customers:,}")
    k[1].metric(
        f"Churners in {result.horizon_months} months",
        f"{result.churners_after:,.0f}",
        delta=f"{result.churners_after - result.churners_before:+,.0f}",
        delta_color="inverse",
    )
    k[2].metric(f"Margin over {result.horizon_months} months", fmt("equity", result.margin_after),
                delta=fmt("equity", result.margin_kept))  # fmt: skip
    draw.chart(charts.what_if_curve, result.curve)
    st.caption(f"{result.description}. {result.note}")
