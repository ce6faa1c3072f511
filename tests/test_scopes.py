"""Every function a page uses holds under every scope a user can pick (property-based).

Scopes are drawn by Hypothesis: date ranges of any length (empty, a single day, between two
relationship waves, outside the data), any subset of segments, regions and channels. For each scope
every call registered in ``analytics.ui.cached.CALLS`` runs with every argument set pages use, and
its result must be well formed: no NaN where a number is shown, intervals that hold their estimates,
counts that add up. A page added later registers its calls there and is covered without editing
this file.
"""

from __future__ import annotations

import inspect
import math
import os
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics.analyses import advocacy, churn, drivers, headlines, impact, priorities, segmentation, survival
from analytics.data import filters, periods, warehouse
from analytics.data.filters import Filters
from analytics.data.warehouse import Warehouse
from analytics.report import kpis, narrative
from analytics.stats import actions, nps
from analytics.ui import cached

#: (estimate, lower bound, upper bound) columns that results may carry.
INTERVALS = [
    ("score", "low", "high"),
    ("diff", "diff_low", "diff_high"),
    ("nps", "nps_low", "nps_high"),
    ("churn_rate", "churn_low", "churn_high"),
    ("monthly_revenue", "monthly_revenue_low", "monthly_revenue_high"),
    ("contacts_per_month", "contacts_per_month_low", "contacts_per_month_high"),
    ("swing", "swing_low", "swing_high"),
    ("nps_met", "nps_met_low", "nps_met_high"),
    ("nps_not_met", "nps_not_met_low", "nps_not_met_high"),
    ("response_rate", "response_low", "response_high"),
    ("clv", "clv_low", "clv_high"),
    ("equity", "equity_low", "equity_high"),
    ("value_at_risk", "value_at_risk_low", "value_at_risk_high"),
    ("hazard_ratio", "hazard_ratio_low", "hazard_ratio_high"),
    ("csat", "csat_low", "csat_high"),
    ("repeat_rate", "repeat_rate_low", "repeat_rate_high"),
    ("fcr", "fcr_low", "fcr_high"),
    ("nps_diff", "nps_diff_low", "nps_diff_high"),
]
#: The column that says how many observations stand behind a row.
SIZES = ("n", "nps_n", "customers")
#: Rates with an interval wherever they stand on something (Wilson intervals).
RATE_SIZE = {"churn_rate": "months_at_risk", "csat": "csat_n", "repeat_rate": "volume", "fcr": "volume"}
#: Estimates that stand on two counts (both must be positive) and have an interval only from 30 each.
TWO_SIDED = {"swing": ("n_met", "n_not_met"), "nps_met": ("n_met",), "nps_not_met": ("n_not_met",)}

# The test demo covers 2025-07 to 2026-06 and asks for relationship answers every six months.
FIRST, LAST = date(2025, 6, 25), date(2026, 7, 5)


@pytest.fixture(scope="module")
def wh(segmented_demo: Path) -> Iterator[Warehouse]:
    """The test demo with a saved segmentation, so that every dimension can be cut."""
    handle = warehouse.open(segmented_demo)
    yield handle
    handle.close()


OPTIONS = {
    "segments": ("consumer", "smb", "enterprise"),
    "regions": ("north", "south", "east", "west"),
    "channels": ("voice", "chat", "email", "web", "social", "ivr"),
}


@st.composite
def scopes(draw: st.DrawFn) -> Filters:
    start = end = None
    if draw(st.booleans()):
        start = FIRST + timedelta(days=draw(st.integers(-60, (LAST - FIRST).days + 60)))
        end = start + timedelta(days=draw(st.integers(0, 400)))
        if draw(st.booleans()):
            start, end = (start, None) if draw(st.booleans()) else (None, end)
    picks = {k: tuple(draw(st.lists(st.sampled_from(v), unique=True, max_size=len(v)))) for k, v in OPTIONS.items()}
    return Filters(start=start, end=end, **picks)


def check_estimate(est: nps.NPSEstimate, where: str) -> None:
    assert est.promoters + est.passives + est.detractors == est.n, where
    if est.n == 0:
        assert (est.score, est.low, est.high, est.se) == (None, None, None, None), where
        return
    assert est.score is not None and est.low is not None and est.high is not None, where
    assert -100 <= est.low <= est.high <= 100, where
    if est.n > 1:  # a lone answer is the documented exception (see nps_estimate)
        assert est.low - 1e-9 <= est.score <= est.high + 1e-9, where


def check_frame(frame: pd.DataFrame, where: str) -> None:
    for est, low, high in INTERVALS:
        if est not in frame.columns:
            continue
        # A rate stands on its time at risk: a cell of customers who all answered on the scope's last
        # day has none, and no rate.
        size = next((c for c in (RATE_SIZE.get(est), *SIZES) if c in frame.columns), None)
        rows = frame if size is None else frame[frame[size] > 0]
        if est in TWO_SIDED:
            sides = TWO_SIDED[est]
            rows = frame[(frame[list(sides)] > 0).all(axis=1)]
            assert rows[est].notna().all(), f"{where}: {est} is missing where there are observations"
            bounded = rows[rows[low].notna()]
            assert ((bounded[low] <= bounded[est] + 1e-9) & (bounded[est] <= bounded[high] + 1e-9)).all(), where
            if est == "swing":
                assert (rows[low].notna() == (rows[list(sides)] >= nps.MIN_N).all(axis=1)).all(), where
            continue
        with_estimate = rows[est].notna()
        if est not in ("diff", "nps_diff"):  # the baseline group has no difference from itself
            assert with_estimate.all(), f"{where}: {est} is missing where there are observations"
        if low not in frame.columns:
            continue
        bounded = rows[with_estimate & rows[low].notna() & rows[high].notna()]
        if size is not None:
            unbounded = rows[with_estimate & (rows[low].isna() | rows[high].isna())]
            if est not in RATE_SIZE:
                assert (unbounded[size] < 2).all() or est in ("diff", "nps_diff"), (
                    f"{where}: {est} has no interval at n >= 2"
                )
                bounded = bounded[bounded[size] > 1]
            else:
                assert unbounded.empty, f"{where}: {est} has time at risk but no interval"
        values = bounded[[low, est, high]].to_numpy(float)
        assert (values[:, 0] <= values[:, 1] + 1e-9).all() and (values[:, 1] <= values[:, 2] + 1e-9).all(), (
            f"{where}: {est} outside its interval"
        )
    if {"promoters", "passives", "detractors", "n"} <= set(frame.columns):
        assert (frame["promoters"] + frame["passives"] + frame["detractors"] == frame["n"]).all(), where
    numeric = frame.select_dtypes("number")
    assert not np.isinf(numeric.to_numpy(float)).any(), f"{where}: infinite values"


def check(result: Any, where: str) -> None:
    if isinstance(result, nps.NPSEstimate):
        check_estimate(result, where)
    elif isinstance(result, advocacy.Headline):
        check_estimate(result.estimate, where)
        if result.estimate.n == 0 or result.change is None:
            assert result.note or result.estimate.n > 0, f"{where}: says nothing about what is missing"
        if result.change is not None:
            assert result.previous is not None and result.previous.n > 0, where
            assert result.previous_period is not None and result.period is not None, where
            assert result.previous_period.end < result.period.start, where
            if nps.comparable(result.estimate, result.previous):
                assert result.change.low <= result.change.diff <= result.change.high, where
            else:  # too few for an interval: tested exactly, and the note says so
                assert result.change.test == "exact" and result.note, where
        if result.period is not None:
            assert "nan" not in narrative.headline_sentence(result).lower(), where
    elif isinstance(result, segmentation.Segmentation):
        if result.is_empty:
            assert result.note and result.profiles.empty, where
        else:
            assert int(result.profiles["customers"].sum()) == len(result.assignments), where
            assert result.assignments["customer_id"].is_unique, where
            check_frame(result.profiles, where)
    elif isinstance(result, drivers.DriverResult):
        if result.is_empty:
            assert result.note and result.table.empty, where
        else:
            t = result.table
            assert math.isclose(float(t["importance"].sum()), result.r2, abs_tol=1e-9), where
            assert math.isclose(float(t["share"].sum()), 1.0, abs_tol=1e-9), where
            assert ((t["low"] <= t["importance"] + 1e-12) & (t["importance"] <= t["high"] + 1e-12)).all(), where
            assert result.n > 0 and result.customers > 0, where
    elif isinstance(result, survival.SurvivalReport):
        check_survival(result, where)
    elif isinstance(result, survival.CoxResult):
        check_frame(result.hazard_ratios, where)
        assert result.hazard_ratios.empty or 0 <= result.concordance <= 1, where
        assert result.warning is None or result.ph_check["fails"].any(), where
    elif isinstance(result, survival.WhatIf):
        assert result.customers >= 0 and result.note, where
        numbers = [result.churners_before, result.churners_after, result.margin_before, result.margin_after]
        assert all(math.isfinite(v) and v >= 0 for v in numbers), where
        assert result.churners_after <= result.customers + 1e-9 and result.churners_before <= result.customers + 1e-9
        assert (np.diff(result.curve["before"]) <= 1e-12).all() and (np.diff(result.curve["after"]) <= 1e-12).all()
    elif isinstance(result, impact.ValueCase):
        check_value_case(result, where)
    elif isinstance(result, priorities.PriorityList):
        check_priorities(result, where)
    elif isinstance(result, headlines.Equity):
        for k in kpis.equity_kpis(result):
            assert "nan" not in f"{k.value} {k.interval} {k.change} {k.counts}".lower(), where
            if k.estimate is not None:
                assert k.low is not None and k.high is not None and k.low <= k.estimate <= k.high, where
    elif isinstance(result, headlines.Reporting):
        if result.period is not None and result.previous is not None:
            assert result.previous.end < result.period.start and result.scope.end == result.period.end, where
    elif isinstance(result, pd.DataFrame):
        check_frame(result, where)
    elif isinstance(result, periods.Period):
        assert result.start <= result.end, where
    elif isinstance(result, churn.ChurnHeadline):
        for rate in (result.current, result.previous):
            if rate is None:
                continue
            assert 0 <= rate.churned <= rate.customers and rate.months_at_risk >= 0, where
            assert (rate.rate is None) == (rate.months_at_risk <= 0), where
            if rate.rate is not None:
                assert rate.low is not None and rate.high is not None, where
                assert rate.low <= rate.rate <= rate.high, where
        if result.change is None:
            assert result.note, f"{where}: says nothing about what is missing"
        else:
            assert result.previous is not None and result.previous.period is not None, where
            assert result.current.period is not None and result.previous.period.end < result.current.period.start
        kpi = kpis.churn_kpi(result)
        assert "nan" not in f"{kpi.value} {kpi.interval} {kpi.change} {kpi.change_note} {kpi.counts}".lower(), where
    else:
        assert result is None or isinstance(result, str | filters.FilterOptions | segmentation.SavedSegments), where


def check_priorities(plist: priorities.PriorityList, where: str) -> None:
    """One rank per moment; the tiers in order; money first only where its interval is above zero,
    largest first; Right-size only where the whole swing interval lies below the threshold; every
    sentence free of missing numbers."""
    t = plist.table
    if t.empty:
        return
    assert list(t["rank"]) == list(range(1, len(t) + 1)), where
    assert set(t["action"]) <= set(actions.ACTIONS) and set(t["money"]) <= set(priorities.MONEY_STATES), where
    tiers = t["tier"].map({name: i for i, name in enumerate(priorities.TIERS)})
    assert tiers.is_monotonic_increasing, where
    sure = t[t["tier"] == priorities.TIERS[0]]
    assert (sure["value_low"] > 0).all() and sure["value"].is_monotonic_decreasing, where
    cut = t[t["action"] == "Right-size"]
    assert (cut["swing_high"] < plist.rule.materiality).all(), where
    assert not any("nan" in s.lower().split() for s in t["sentence"]), where


def check_value_case(case: impact.ValueCase, where: str) -> None:
    if case.empty:
        assert case.notes and case.impacts.empty, where
        return
    m = case.moments
    ok = m[m["status"] == "ok"]
    numbers = ok[["value", "value_low", "value_high", "ltr_shift", "log_hr_shift"]].to_numpy(float)
    assert np.isfinite(numbers).all(), where
    assert (ok["value_low"] <= ok["value_high"]).all(), where
    # No money without an estimate; a moment with nothing to fix is worth nothing.
    assert m.loc[~m["status"].isin(["ok", "all met"]), "value"].isna().all(), where
    assert (m.loc[m["status"] == "all met", "value"] == 0).all(), where
    assert (m["customers_affected"] <= m["contacts_not_met"]).all(), where
    by_moment = case.impacts.groupby(["journey_stage", "contact_reason"])["contacts_not_met"].sum()
    keys = list(zip(m["journey_stage"], m["contact_reason"], strict=True))
    # A moment whose contacts all met expectations has no segment rows: none missed.
    assert (by_moment.reindex(keys, fill_value=0).to_numpy() == m["contacts_not_met"].to_numpy()).all(), where
    total, low, high = case.total()
    assert math.isclose(total, float(ok["value"].sum()), rel_tol=1e-9, abs_tol=1e-6) and low <= high, where


def check_survival(report: survival.SurvivalReport, where: str) -> None:
    """Curves start at 1, never rise and hold their bands; each shown interval holds its estimate;
    events never exceed the group; a median or RMST is missing only where the curve says why."""
    s = report.summary
    assert (s["events"] <= s["n"]).all(), where
    for est in ("median", "rmst", "s12", "s24", "s36"):
        low, high = s[f"{est}_low"], s[f"{est}_high"]
        bounded = s[s[est].notna() & low.notna() & high.notna()]
        assert (
            (bounded[f"{est}_low"] <= bounded[est] + 1e-9) & (bounded[est] <= bounded[f"{est}_high"] + 1e-9)
        ).all(), f"{where}: {est} outside its interval"
    # RMST is missing only past the data; survival at m months only beyond the longest tenure seen.
    assert (s["rmst"].notna() | (s["followed"] < report.horizon)).all(), where
    assert (s["s12"].notna() | (s["followed"] < 12)).all(), where
    for _, c in report.curves.groupby("group"):
        v = c["survival"].to_numpy()
        assert v.size and v.min() >= 0 and v.max() <= 1 and (np.diff(v) <= 1e-12).all(), where
        assert ((c["low"] <= c["survival"] + 1e-9) & (c["survival"] <= c["high"] + 1e-9)).all(), where
    if report.logrank is not None:
        assert report.logrank.df == len(s) - 1, where
    assert not np.isinf(s.select_dtypes("number").to_numpy(float)).any(), where


def run_every_call(wh: Warehouse, scope: Filters) -> dict[tuple[str, str], Any]:
    results = {}
    for name, call in cached.CALLS.items():
        for variant in call.arguments(wh):
            where = f"{name}({scope!r}, {variant})"
            try:
                result = call.fn(wh, scope, **variant) if call.scoped else call.fn(wh, **variant)
            except ValueError as exc:
                # More segments than the scope's customers can fill is refused, saying how many they can.
                if name == "segment" and "can support at most" in str(exc):
                    results[(name, repr(sorted(variant.items())))] = exc
                    continue
                raise
            check(result, where)
            results[(name, repr(sorted(variant.items())))] = result
    return results


#: Scopes users pick that once broke a page: each runs as its own test.
NAMED_SCOPES = {
    "voice": Filters(channels=("voice",)),
    "between two relationship waves": Filters(start=date(2026, 1, 15), end=date(2026, 3, 31)),
    "one day": Filters(start=date(2026, 2, 2), end=date(2026, 2, 2)),
    "after the data": Filters(start=date(2030, 1, 1)),
    "enterprise in the west on social": Filters(segments=("enterprise",), regions=("west",), channels=("social",)),
}
#: Drawn scopes per run (each runs every page call, about ten seconds); ICONIC_DRAWN_SCOPES asks for more.
DRAWN_SCOPES = int(os.environ.get("ICONIC_DRAWN_SCOPES", "12"))


@pytest.mark.parametrize("scope", list(NAMED_SCOPES.values()), ids=list(NAMED_SCOPES))
def test_every_page_call_is_well_formed_under_the_scopes_users_pick(wh: Warehouse, scope: Filters) -> None:
    check_every_call(wh, scope)


@settings(
    max_examples=DRAWN_SCOPES, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(scope=scopes())
def test_every_page_call_is_well_formed_under_any_scope(wh: Warehouse, scope: Filters) -> None:
    check_every_call(wh, scope)


def check_every_call(wh: Warehouse, scope: Filters) -> None:
    """Every call is well formed, and the counts the pages put side by side add up."""
    results = run_every_call(wh, scope)

    def get(name: str, **variant: Any) -> Any:
        return results[(name, repr(sorted(variant.items())))]

    # Counts add up across the calls a page puts side by side.
    relationship = get("nps", kind="relationship")
    post_contact = get("nps", kind="transactional")
    for by in ("segment", "region", "plan"):  # every responding customer has one
        assert int(get("nps_by", by=by)["n"].sum()) == relationship.n
    assert int(get("nps_by", by="channel")["n"].sum()) <= post_contact.n  # contacts may be quarantined
    summary = get("table_summary").set_index("table")
    assert (summary["rows_in_scope"] <= summary["rows"]).all()
    grid = get("value_advocacy_grid")
    assert int(grid["customers"].sum()) == int(summary.loc["customers", "rows_in_scope"])
    if len(grid) and grid["revenue"].sum() > 0:
        assert math.isclose(grid["revenue_share"].sum(), 1.0)
    economics = get("advocacy_economics")
    assert int(economics["customers"].sum()) == int(grid["customers"].sum())
    for by in ("contact_reason", "segment"):
        over_time = get("nps_by_period", by=by, period="quarter", top=6)
        assert over_time["group"].nunique() <= 7
    # Survival counts the same customers as the value table, and the curves' groups add up.
    everyone = get("survival_report")
    assert int(everyone.summary["n"].sum()) == int(get("survival_report", by="segment").summary["n"].sum())
    assert int(get("customer_value")["n"].sum()) == int(everyone.summary["n"].sum())
    # Benchmarks: every contact in scope is handled one way, and the splits count the same contacts.
    outcomes = get("automation_outcomes")
    for by in ("journey_stage", "contact_reason"):
        assert int(get("channel_mix", by=by)["volume"].sum()) == int(outcomes["volume"].sum())
    by_stage = get("satisfaction_efficiency", by="journey_stage")
    assert int(by_stage["volume"].sum()) == int(outcomes["volume"].sum())
    assert int(by_stage["n"].sum()) == int(outcomes["n"].sum())
    assert list(get("stance_by_stage")["journey_stage"]) == list(by_stage["journey_stage"])
    # An empty scope says which filter emptied it.
    if relationship.n == 0 and post_contact.n == 0 and not scope.is_all:
        assert get("emptied_by", kind="all") is not None or int(summary.loc["surveys", "rows"]) == 0


def test_every_cached_call_is_registered_for_these_tests() -> None:
    wrappers = [
        name
        for name, value in vars(cached).items()
        if callable(value)
        and getattr(value, "__wrapped__", None) is not None
        and not name.startswith("_")
        and not inspect.isgeneratorfunction(value.__wrapped__)  # a context manager, not a cached call
    ]
    assert wrappers and {getattr(cached, w).__wrapped__.__name__ for w in wrappers} <= set(cached.CALLS)
