"""AppTest over every page, under several scopes, plus behaviour tests that set a widget and check a number."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from analytics import names
from analytics.analyses import advocacy, churn, headlines, impact, priorities, segmentation
from analytics.data import catalog, filters, schema, warehouse
from analytics.report import columns, kpis, narrative

ROOT = Path(__file__).resolve().parent.parent
PAGES = [
    "app.py",
    "pages/overview.py",
    "pages/moments.py",
    "pages/advocacy.py",
    "pages/churn.py",
    "pages/value_case.py",
    "pages/benchmarks.py",
    "pages/data_quality.py",
]
#: Scopes a user picks: each single channel, an empty range, a range between two relationship
#: waves (the test demo asks every six months), a day in the future of the data, a segment.
SCOPES = {
    **{f"channel {c}": {"channel": [c]} for c in schema.CHANNELS},
    "one day": {"dates": (date(2026, 1, 10), date(2026, 1, 10))},
    "between waves": {"dates": (date(2026, 1, 15), date(2026, 3, 31))},
    "enterprise in the east by email": {"segment": ["enterprise"], "region": ["east"], "channel": ["email"]},
}


def run(script: str, **state: object) -> AppTest:
    at = AppTest.from_file(str(ROOT / script), default_timeout=120)
    for key, value in state.items():
        at.session_state[key] = value
    return at.run()


def on_page(page: str, **state: object) -> AppTest:
    """Run ``app.py`` (sidebar filters included) with ``state``, then switch to ``page``."""
    at = run("app.py", **state)
    return at.switch_page(page).run()


@pytest.fixture
def own_demo_env(demo_warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the small demo for a test that changes it, with ICONIC_WAREHOUSE pointing at it."""
    root = tmp_path / "wh"
    shutil.copytree(demo_warehouse, root)
    monkeypatch.setenv("ICONIC_WAREHOUSE", str(root))
    return root


def no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


#: The sections each page computes only when asked for: switch (toggle key) or button.
ON_DEMAND = {
    "pages/advocacy.py": ("response_rates", "weighted"),
    "pages/churn.py": ("cox",),
    "pages/moments.py": ("drivers",),
}


def open_everything(at: AppTest, script: str) -> AppTest:
    """Ask for every on-demand section of ``script``'s page, as a curious user would."""
    for key in ON_DEMAND.get(script, ()):
        at.toggle(key=key).set_value(True).run()
    if script == "pages/advocacy.py":
        at.button(key="find_segments").click().run()
    return at


def tables_shown(at: AppTest) -> list[pd.DataFrame]:
    """Every table on the page: grids, and the static tables that wrap long messages."""
    return [df.value for df in at.dataframe] + [t.value for t in at.table]


def shown_labels(at: AppTest) -> set[str]:
    return {str(c) for df in tables_shown(at) for c in df.columns}


@pytest.mark.parametrize("script", PAGES)
def test_every_page_renders_on_the_demo(script: str, demo_env: Path) -> None:
    at = run(script)
    no_exception(at)
    assert at.title


@pytest.mark.parametrize("scope", list(SCOPES))
@pytest.mark.parametrize("page", PAGES[1:])
def test_every_page_renders_under_the_scopes_users_pick(page: str, scope: str, demo_env: Path) -> None:
    at = on_page(page, **SCOPES[scope])
    no_exception(at)
    assert not any("nan" in m.value.lower() for m in at.metric)
    assert not any("nan" in str(md.value) for md in at.markdown)
    assert shown_labels(at) <= columns.labels()


def test_a_scope_without_responses_says_which_filter_emptied_it(demo_env: Path) -> None:
    wh = warehouse.open(demo_env)
    first, last = filters.data_span(wh)
    day = next(
        d.date()
        for d in pd.date_range(first, last)[1:-1]
        if int(filters.surveys(wh, filters.Filters(d.date(), d.date())).count().execute()) == 0
    )
    at = on_page("pages/advocacy.py", dates=(day, day))
    no_exception(at)
    runs = f"(the data runs from {first} to {last})"
    assert any(
        f"No responses in this scope: the date range {day} to {day} {runs} leaves none." in i.value for i in at.info
    )
    assert not at.metric and not at.dataframe


def test_between_waves_the_page_says_relationship_nps_is_missing(demo_env: Path) -> None:
    at = on_page("pages/advocacy.py", **SCOPES["between waves"])
    no_exception(at)
    metrics = {m.label: m.value for m in at.metric}
    relationship = next(v for k, v in metrics.items() if k.startswith("Relationship NPS"))
    assert relationship == "—"
    assert any("There are no relationship responses" in md.value for md in at.markdown)


@pytest.mark.parametrize("script", PAGES)
def test_every_table_on_every_page_uses_the_registry(
    script: str, demo_env: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    if script in ("app.py", "pages/overview.py"):
        # The Overview's table is the top of the priority list, and no moment of the small demo has
        # enough answers on both sides to be judged.
        monkeypatch.setenv("ICONIC_WAREHOUSE", str(request.getfixturevalue("default_demo")))
    at = open_everything(run(script), script)
    no_exception(at)
    assert tables_shown(at), "the page shows no table"
    unknown = shown_labels(at) - columns.labels()
    assert not unknown, f"columns shown that the registry does not know: {unknown}"
    assert len(at.get("download_button")) == len(tables_shown(at))  # every table can be downloaded


@pytest.mark.parametrize("script", PAGES)
def test_every_page_offers_the_demo_on_a_missing_warehouse(
    script: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ICONIC_WAREHOUSE", str(tmp_path / "none"))
    at = run(script)
    no_exception(at)
    assert any("No warehouse" in i.value for i in at.info)


@pytest.mark.world
def test_the_demo_can_be_built_from_an_empty_dashboard(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "fresh"
    monkeypatch.setenv("ICONIC_WAREHOUSE", str(root))
    at = run("app.py", demo_customers=300)
    at.button(key="build_demo").click().run()
    no_exception(at)
    wh = warehouse.open(root)
    assert int(wh.table("customers").count().execute()) == 300
    assert not any("No warehouse" in i.value for i in at.info)
    assert at.dataframe  # the Overview now shows the tables


def test_surveys_without_customers_is_a_state_not_a_traceback(
    demo_warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "surveys_only"
    root.mkdir()
    for table in ("surveys", "interactions", "ingest_log"):
        shutil.copytree(demo_warehouse / table, root / table)
    monkeypatch.setenv("ICONIC_WAREHOUSE", str(root))
    at = on_page("pages/advocacy.py")
    no_exception(at)
    assert any("no customers" in i.value for i in at.info)
    at = on_page("pages/overview.py")
    no_exception(at)


def test_overview_shows_the_headline_tiles_and_the_top_three_actions(
    default_demo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The home page: the five headline tiles as the library computes them (value, change, period and
    interval), the three sentences, and the first three moments of the priority list with money."""
    monkeypatch.setenv("ICONIC_WAREHOUSE", str(default_demo))
    at = run("app.py", segment=["smb", "enterprise"])
    no_exception(at)
    wh = warehouse.open(default_demo)
    scope = filters.Filters(segments=("enterprise", "smb"))
    rel, post = headlines.relationship_nps(wh, scope), headlines.post_contact_nps(wh, scope)
    churn, equity = headlines.churn_rate(wh, scope), headlines.equity(wh, scope)
    expected = [
        kpis.nps_kpi("relationship_nps", rel),
        kpis.nps_kpi("post_contact_nps", post),
        kpis.churn_kpi(churn),
        *kpis.equity_kpis(equity),
    ]
    shown = {m.label: m for m in at.metric}
    assert list(shown) == [k.label for k in expected]
    for k in expected:
        assert shown[k.label].value == k.value
        assert (shown[k.label].delta or None) == k.badge  # the change and what it is against, or no arrow
        assert any(k.period in c.value and k.interval in c.value for c in at.caption), k.label
    plist = priorities.priority_list(wh, scope, assumptions=impact.ImpactAssumptions())
    said = [md.value for md in at.markdown]
    assert said[:3] == narrative.summary(rel, post, churn, plist)
    top = next(df.value for df in at.dataframe if "Rank" in df.value.columns)
    assert list(top["Moment"]) == list(plist.top(3)["moment"])
    assert list(top["Suggested action"]) == list(plist.top(3)["action"])
    assert list(top["Margin kept a year (90% CI)"]) == [
        columns.fmt_interval("value_ci", *r) for r in plist.top(3)[["value", "value_low", "value_high"]].to_numpy()
    ]
    assert any(plist.ranking in c.value for c in at.caption)
    assert "segment: SMB, Enterprise" in at.caption[0].value


def test_data_quality_counts_each_table_once_and_match_the_library(demo_env: Path) -> None:
    at = run("app.py", segment=["enterprise"])
    at = at.switch_page("pages/data_quality.py").run()
    no_exception(at)
    wh = warehouse.open(demo_env)
    scope = filters.Filters(segments=("enterprise",))
    expected = catalog.table_summary(wh, scope).set_index("table")
    shown = next(df.value for df in at.dataframe if "Rows in scope" in df.value.columns).set_index("Table")
    assert shown["Rows stored"].to_dict() == expected["rows"].to_dict()
    assert shown["Rows in scope"].to_dict() == expected["rows_in_scope"].to_dict()
    assert shown.loc["customers", "Rows in scope"] < shown.loc["customers", "Rows stored"]
    sentences = narrative.overview_summary(expected.reset_index(), catalog.last_ingest(wh))
    said = [md.value for md in at.markdown]
    assert all(s in said for s in sentences)


def test_data_quality_lists_batches_and_quarantine(demo_env: Path) -> None:
    at = run("pages/data_quality.py")
    no_exception(at)
    wh = warehouse.open(demo_env)
    history = next(df for df in tables_shown(at) if "Rows committed" in df.columns)
    assert len(history) == len(catalog.ingest_history(wh)) == 6  # one batch per table the demo writes
    counts = catalog.quarantine_counts(wh)
    assert counts["rows"].sum() > 0  # the demo plants a few bad survey rows
    assert any(len(df) == counts["rows"].sum() for df in tables_shown(at))
    gaps = catalog.reference_gaps(wh)
    shown = next(df.value for df in at.dataframe if "Rows naming a missing row" in df.value.columns)
    assert shown["Rows naming a missing row"].tolist() == gaps["rows_missing"].tolist()
    assert len(shown) == len(schema.REFERENCES) == 5  # the demo stores both tables of every pair
    # the demo's surveys of quarantined contacts name interactions that are not stored
    assert (len(at.warning) > 0) == bool(gaps["rows_missing"].sum())
    sentences = narrative.quality_summary(catalog.ingest_history(wh), counts, gaps)
    assert [md.value for md in at.markdown[: len(sentences)]] == sentences


def test_advocacy_shows_the_library_numbers(demo_env: Path) -> None:
    at = run("pages/advocacy.py", by="plan")
    no_exception(at)
    wh = warehouse.open(demo_env)
    shown = {m.label: m.value for m in at.metric}
    for kind, words in (("relationship", "Relationship"), ("transactional", "Post-contact")):
        h = advocacy.headline(wh, kind=kind)
        assert shown[f"{words} NPS · {h.period.label}"] == columns.fmt("score", h.estimate.score)
    by_plan = at.dataframe[0].value
    expected = advocacy.nps_by(wh, by="plan")
    assert list(by_plan["Plan"]) == [names.name(g) for g in expected["group"]]
    assert by_plan["Responses"].sum() == advocacy.nps(wh).n
    assert list(by_plan["NPS (95% CI)"]) == [
        columns.fmt_interval("nps_ci", s, lo, hi) for s, lo, hi in expected[["score", "low", "high"]].to_numpy()
    ]
    rel, tx = advocacy.headline(wh), advocacy.headline(wh, kind="transactional")
    sentences = narrative.advocacy_summary(rel, tx, expected, "plan")
    assert [md.value for md in at.markdown[:3]] == sentences


def test_advocacy_follows_the_global_filters(demo_env: Path) -> None:
    at = on_page("pages/advocacy.py", segment=["smb"])
    no_exception(at)
    smb = advocacy.nps(warehouse.open(demo_env), filters.Filters(segments=("smb",)))
    assert at.dataframe[0].value["Responses"].sum() == smb.n


def test_the_scope_and_the_cut_come_from_the_url(demo_env: Path) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["channel"] = "voice"
    at.query_params["segment"] = ["smb", "consumer"]
    at.run()
    no_exception(at)
    assert "segment: SMB, Consumer; channel: Voice" in at.caption[0].value
    at.switch_page("pages/advocacy.py").run()
    assert "segment: SMB, Consumer; channel: Voice" in at.caption[0].value
    scope = filters.Filters(segments=("smb", "consumer"), channels=("voice",))
    expected = advocacy.nps_by(warehouse.open(demo_env), scope, by="segment")
    assert at.dataframe[0].value["Responses"].sum() == expected["n"].sum()

    # The page's own choice: the URL holds the label shown in the box.
    at = AppTest.from_file(str(ROOT / "pages/advocacy.py"), default_timeout=120)
    at.query_params["by"] = "Region"
    at.run()
    assert "Region" in at.dataframe[0].value.columns


def test_segments_are_fitted_on_demand_match_the_library_and_can_be_saved(own_demo_env: Path) -> None:
    at = run("pages/advocacy.py", segments_k=4)
    no_exception(at)
    assert not any("Behaviour segment" in df.value.columns for df in at.dataframe)  # not fitted until asked
    at.button(key="find_segments").click().run()
    no_exception(at)
    expected = segmentation.segment(warehouse.open(own_demo_env), k=4).profiles
    profiles = next(df.value for df in at.dataframe if "Behaviour segment" in df.value.columns)
    assert list(profiles["Behaviour segment"]) == list(expected["segment"])
    assert list(profiles["Customers"]) == list(expected["customers"])
    assert "behaviour_segment" not in at.selectbox(key="by").options
    fitted = segmentation.segment(warehouse.open(own_demo_env), k=4)
    assert any(w.value == fitted.structure_note for w in at.warning)  # loose on the test demo: said plainly
    assert "Membership" not in profiles.columns  # k-means assigns outright

    at.button(key="save_segments").click().run()
    no_exception(at)
    assert any("Saved" in s.value for s in at.success)
    assert "Behaviour segment" in at.selectbox(key="by").options  # at once, without another rerun
    stored = warehouse.open(own_demo_env).table(schema.SEGMENT_TABLE).execute()
    assert set(stored["segment"]) == set(expected["segment"]) and len(stored) == expected["customers"].sum()

    # Saving again replaces what is saved, so it asks first.
    assert at.button(key="save_segments").disabled
    at.checkbox(key="confirm_replace").check().run()
    assert not at.button(key="save_segments").disabled

    at = run("pages/advocacy.py", by="behaviour_segment")
    no_exception(at)
    assert set(at.dataframe[0].value["Behaviour segment"]) <= {names.name(g) for g in expected["segment"]}


def test_the_gaussian_mixture_shows_memberships_from_the_library(demo_env: Path) -> None:
    at = run("pages/advocacy.py", segments_method="gmm", segments_k=3)
    at.button(key="find_segments").click().run()
    no_exception(at)
    expected = segmentation.segment(warehouse.open(demo_env), method="gmm", k=3).profiles
    profiles = next(df.value for df in at.dataframe if "Behaviour segment" in df.value.columns)
    assert list(profiles["Behaviour segment"]) == list(expected["segment"])
    assert list(profiles["Membership"]) == [f"{m:.2f}" for m in expected["membership"]]


def test_a_save_keeps_the_cached_results_of_other_tables(demo_env: Path) -> None:
    """Only calls that read a changed table are computed again: the cache key holds the versions of
    the tables a call reads, and saving segments changes only the segment table."""
    from analytics.ui import cached

    wh = warehouse.open(demo_env)
    plain = cached.CALLS["nps_by"].reads
    assert callable(plain)
    assert schema.SEGMENT_TABLE not in plain(filters.ALL_DATA, by="plan")
    assert schema.SEGMENT_TABLE in plain(filters.ALL_DATA, by="behaviour_segment")
    assert cached._versions(wh, ("customers",)) == (("customers", wh.versions["customers"]),)


def test_a_damaged_warehouse_is_reported_never_offered_for_replacement(own_demo_env: Path) -> None:
    latest = sorted((own_demo_env / "customers" / "_delta_log").glob("*.json"))[-1]
    latest.write_bytes(latest.read_bytes()[:40])
    for script in PAGES:
        at = run(script)
        no_exception(at)
        assert any("The warehouse cannot be opened: table 'customers' cannot be read" in e.value for e in at.error)
        assert not at.button  # in particular, no offer to build the demo over it
    assert latest.exists()


def test_moments_shows_the_priority_list_and_the_met_rule_can_be_changed(demo_env: Path) -> None:
    from analytics.analyses import moments

    at = run("pages/moments.py")
    no_exception(at)
    wh = warehouse.open(demo_env)
    expected = priorities.priority_list(wh, assumptions=impact.ImpactAssumptions()).table
    shown = next(df.value for df in at.dataframe if "Rank" in df.value.columns)
    assert list(shown["Contact reason"]) == [names.name(r) for r in expected["contact_reason"]]
    assert list(shown["Attitude swing (95% CI)"]) == [
        columns.fmt_interval("swing_ci", s, lo, hi)
        for s, lo, hi in expected[["swing", "swing_low", "swing_high"]].to_numpy()
    ]
    assert list(shown["Suggested action"]) == list(expected["action"])
    top = expected[expected["tier"] != priorities.TIERS[3]].head(5)
    assert [md.value for md in at.markdown if md.value.startswith("- **")] == [f"- {x}" for x in top["sentence"]]
    assert any(moments.ActionRule().describe() in c.value for c in at.caption)

    # Dropping the wait criterion: more contacts meet expectations, on the page as in the library.
    at.checkbox(key="met_wait_on").uncheck().run()
    no_exception(at)
    relaxed = moments.moment_map(wh, rule=moments.MetRule(wait_targets={}))
    relaxed = relaxed.set_index(relaxed["contact_reason"].map(names.name))
    shown = next(df.value for df in at.dataframe if "Rank" in df.value.columns)
    assert list(shown["Expectations met"]) == [
        columns.fmt("met_rate", relaxed.loc[r, "met_rate"]) for r in shown["Contact reason"]
    ]
    relaxed = relaxed.set_index("contact_reason")
    before = expected.set_index("contact_reason")["met_rate"]
    assert (relaxed["met_rate"] >= before.loc[relaxed.index]).all()

    split = run("pages/moments.py", split="handled_by")
    no_exception(split)
    assert any("Handled by" in df.value.columns for df in split.dataframe)


def test_choosing_a_moment_shows_its_drivers_as_the_library_finds_them(demo_env: Path) -> None:
    from analytics.analyses import drivers

    wh = warehouse.open(demo_env)
    at = run("pages/moments.py", drivers=True)
    no_exception(at)
    every = drivers.driver_analysis(wh, bootstrap=200)
    assert not every.is_empty
    shown = next(df.value for df in at.dataframe if "Driver" in df.value.columns)
    ranked = every.table.sort_values("share", ascending=False)  # most important first
    assert list(shown["Driver"]) == list(ranked["label"])
    assert list(shown["Importance (95% CI)"]) == [
        columns.fmt_interval("importance_ci", v, lo, hi)
        for v, lo, hi in ranked[["importance", "low", "high"]].to_numpy()
    ]
    assert any(md.value.startswith(("**Emotive-led.**", "**Tactile-led.**")) for md in at.markdown)

    # One moment: its own drivers, or on this small demo, a note that it has too few ratings.
    at.selectbox(key="moment").select(
        next(o for o in at.selectbox(key="moment").options if o.startswith("Billing dispute"))
    )
    at.run()
    no_exception(at)
    one = drivers.driver_analysis(wh, moment=("pay", "billing_dispute"), bootstrap=200)
    if one.is_empty:
        assert any(one.note in i.value for i in at.info)
    else:
        shown = next(df.value for df in at.dataframe if "Driver" in df.value.columns)
        assert list(shown["Driver"]) == list(one.table.sort_values("share", ascending=False)["label"])


def test_churn_shows_the_library_numbers_and_the_what_if_moves_them(demo_env: Path) -> None:
    from analytics.analyses import survival, value

    at = run("pages/churn.py", by="plan", cox=True)
    no_exception(at)
    wh = warehouse.open(demo_env)
    report = survival.survival_report(wh, by="plan")
    shown = at.dataframe[0].value
    assert list(shown["Plan"]) == [names.name(g) for g in report.summary["group"]]
    assert list(shown["Customers"]) == list(report.summary["n"])
    assert list(shown["Mean months (RMST) (95% CI)"]) == [
        columns.fmt_interval("rmst_ci", *r) for r in report.summary[["rmst", "rmst_low", "rmst_high"]].to_numpy()
    ]
    values = value.customer_value(wh, by="plan")
    assert list(shown["Lifetime value (95% CI)"]) == [
        columns.fmt_interval("clv_ci", *values.set_index("group").loc[g, ["clv", "clv_low", "clv_high"]])
        for g in report.summary["group"]
    ]
    # The headline equity, as the Overview and the brief show it: each segment on its own curve.
    headline = next(m for m in at.metric if m.label.startswith("Customer equity"))
    assert headline.value == columns.fmt("equity", value.scope_value(wh).equity)
    value_table = next(df.value for df in at.dataframe if "Customer equity (95% CI)" in df.value.columns)
    assert "Responses" not in value_table.columns  # these count customers
    assert list(value_table["Customers"]) == list(values["n"])

    # The what-if: fewer unresolved contacts, as the library computes it.
    at.selectbox(key="what_if").set_value("Fewer unresolved contacts").run()
    at.slider(key="reduce_by").set_value(50).run()
    no_exception(at)
    expected = survival.what_if(wh, covariate="unresolved_90d", from_level=None, to_level=None, reduce_by=0.5)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Customers moved"] == f"{expected.customers:,}"
    assert metrics["Churners in 12 months"] == f"{expected.churners_after:,.0f}"

    # Changing the margin changes the value, not the survival.
    at.slider(key="margin").set_value(60).run()
    no_exception(at)
    doubled = value.scope_value(wh, assumptions=value.ValueAssumptions(margin_rate=0.6))
    headline = next(m for m in at.metric if m.label.startswith("Customer equity"))
    assert headline.value == columns.fmt("equity", doubled.equity)


def test_value_case_shows_the_library_numbers_and_the_sliders_move_them(
    default_demo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from analytics.analyses import impact

    monkeypatch.setenv("ICONIC_WAREHOUSE", str(default_demo))
    at = run("pages/value_case.py")
    no_exception(at)
    wh = warehouse.open(default_demo)
    plist = priorities.priority_list(wh)
    case, ranked = plist.case, plist.valued()
    shown = next(df.value for df in at.dataframe if "Margin kept a year (90% CI)" in df.value.columns)
    assert list(shown["Contact reason"]) == [names.name(r) for r in ranked["contact_reason"]]  # the list's order
    assert list(shown["Margin kept a year (90% CI)"]) == [
        columns.fmt_interval("value_ci", *r) for r in ranked[["value", "value_low", "value_high"]].to_numpy()
    ]
    worth = plist.worth_most()
    assert worth is not None and any(f"Worth most: **{worth['moment']}**" in md.value for md in at.markdown)
    metrics = {m.label: m.value for m in at.metric}
    total = case.total()
    assert metrics["Margin kept a year, all moments"] == columns.fmt("value", total[0])

    # Half the improvement on the moment worth most halves its value, and the total follows.
    top = ranked.iloc[0]
    at.slider(key=f"improve_{top['journey_stage']}_{top['contact_reason']}").set_value(50).run()
    no_exception(at)
    shown = next(df.value for df in at.dataframe if "Margin kept a year (90% CI)" in df.value.columns)
    assert shown["Margin kept a year (90% CI)"].iloc[0] == columns.fmt_interval(
        "value_ci", *(top[["value", "value_low", "value_high"]].to_numpy(float) / 2)
    )
    half = case.total({(top["journey_stage"], top["contact_reason"]): 0.5})
    assert {m.label: m.value for m in at.metric}["Margin kept a year, all moments"] == columns.fmt("value", half[0])
    by_segment = case.moment_impacts((top["journey_stage"], top["contact_reason"]), improve=0.5)
    shown = next(df.value for df in at.dataframe if "Segment" in df.value.columns)
    assert list(shown["Margin kept a year (90% CI)"]) == [
        columns.fmt_interval("value_ci", *r) for r in by_segment[["value", "value_low", "value_high"]].to_numpy()
    ]

    # A cost gives the net value and the payback the library computes.
    at.number_input(key="cost").set_value(100_000.0).run()
    no_exception(at)
    one = impact.value_case(
        wh,
        moment=(top["journey_stage"], top["contact_reason"]),
        assumptions=impact.ImpactAssumptions(improve=0.5, cost=100_000.0),
    ).moments.iloc[0]
    said = " ".join(md.value for md in at.markdown)
    assert columns.fmt("net_value", one["net_value"]) in said
    assert f"{one['payback_months']:.0f} months" in said


def test_benchmarks_shows_the_library_scorecard_and_the_standard_can_be_changed(demo_env: Path) -> None:
    from analytics.analyses import benchmarks

    at = run("pages/benchmarks.py")
    no_exception(at)
    wh = warehouse.open(demo_env)
    expected = benchmarks.partner_scorecard(wh)
    card = next(df.value for df in at.dataframe if "Meets the standard" in df.value.columns)
    assert list(card["Handled by"]) == [names.name(h) for h in expected["handled_by"]]
    assert list(card["Meets the standard"]) == [columns.fmt("meets_standard", m) for m in expected["meets_standard"]]
    metrics = {m.label: m.value for m in at.metric}
    share = benchmarks.standard_share(expected)
    assert metrics["Partners meeting the standard"] == f"{share.meeting} of {share.judged}"  # of those judged
    distance = benchmarks.distance_to_profiles(benchmarks.assessment_items(wh)).set_index("profile")
    assert metrics["Distance to iconic (6 questions)"] == f"{distance.loc['iconic', 'distance']:.0f} points"

    # A standard anyone meets: every handler with enough answers passes, on the page as in the library.
    for key, value in (("std_csat", 0.0), ("std_nps", -100.0), ("std_asa", 3600.0), ("std_fcr", 0.0)):
        at.number_input(key=key).set_value(value)
    at.number_input(key="std_escalation").set_value(1.0)
    at.number_input(key="std_cost").set_value(10.0).run()
    no_exception(at)
    lax = benchmarks.Standard(
        min_csat=0.0, min_nps=-100.0, max_asa_seconds=3600.0, min_fcr=0.0, max_escalation=1.0, max_cost_ratio=10.0
    )
    relaxed = benchmarks.partner_scorecard(wh, standard=lax)
    assert relaxed["meets_standard"].sum() > expected["meets_standard"].sum()
    card = next(df.value for df in at.dataframe if "Meets the standard" in df.value.columns)
    assert list(card["Meets the standard"]) == [columns.fmt("meets_standard", m) for m in relaxed["meets_standard"]]
    share = benchmarks.standard_share(relaxed)
    assert {m.label: m.value for m in at.metric}[
        "Partners meeting the standard"
    ] == f"{share.meeting} of {share.judged}"


def test_benchmarks_quadrant_follows_the_chosen_unit(demo_env: Path) -> None:
    from analytics.analyses import benchmarks

    at = run("pages/benchmarks.py", unit="handled_by", efficiency="automation_rate")
    no_exception(at)
    expected = benchmarks.satisfaction_efficiency(
        warehouse.open(demo_env), by="handled_by", efficiency="automation_rate"
    )
    table = next(df.value for df in at.dataframe if "Stance" in df.value.columns)
    assert list(table["Handled by"]) == [names.name(h) for h in expected["handled_by"]]
    assert list(table["Stance"]) == list(expected["stance"])


def test_an_answer_saved_on_the_benchmarks_page_is_stored_and_shown(own_demo_env: Path) -> None:
    from analytics.analyses import benchmarks

    at = run("pages/benchmarks.py")
    at.selectbox(key="answer_feedback_loop").set_value("yes")
    at.selectbox(key="answer_omnichannel").set_value("no")
    at.button(key="FormSubmitter:assessment-Save answers").click().run()
    no_exception(at)
    stored = benchmarks.stored_answers(warehouse.open(own_demo_env))
    assert stored["feedback_loop"] == "yes" and stored["omnichannel"] == "no"
    items = next(df.value for df in at.dataframe if "Your answer" in df.value.columns)
    assert (
        dict(zip(items["Question"], items["Your answer"], strict=True))[benchmarks.QUESTION["omnichannel"].text] == "No"
    )


def test_the_brief_button_writes_the_pdf_of_the_current_filters(demo_env: Path, tmp_path: Path) -> None:
    from analytics.report.kpis import figure
    from analytics.report.pdf import page_count

    at = run("pages/overview.py", iconic_filters=filters.Filters(segments=("smb",)))

    def saves() -> list[object]:
        return [b for b in at.get("download_button") if getattr(b, "key", None) == "brief_download"]

    assert not saves()  # nothing to save until asked for
    at.button(key="brief").click().run()
    no_exception(at)
    scope, _, pdf, name = at.session_state["brief_pdf"]
    assert scope == filters.Filters(segments=("smb",))
    assert pdf.startswith(b"%PDF") and 2 <= page_count(pdf) <= 5
    assert name.endswith(".pdf") and "segment-smb" in name
    assert len(saves()) == 1
    if shutil.which("pdftotext"):
        (tmp_path / "brief.pdf").write_bytes(pdf)
        text = subprocess.run(
            ["pdftotext", str(tmp_path / "brief.pdf"), "-"], check=True, capture_output=True, text=True
        ).stdout
        wh = warehouse.open(demo_env)
        reported = headlines.reporting_period(wh, scope).scope
        nps = advocacy.headline(wh, reported, kind="relationship").estimate.score
        assert "segment: SMB" in text and figure("score", nps) in text


def test_churn_shows_the_rate_per_customer_month_the_brief_prints(demo_env: Path) -> None:

    at = run("pages/churn.py")
    no_exception(at)
    wh = warehouse.open(demo_env)
    expected = kpis.churn_kpi(churn.churn_headline(wh, filters.Filters()))
    metric = next(m for m in at.metric if m.label.startswith("Churn per"))
    assert metric.value == expected.value
    assert expected.period in metric.label
    assert any("customer-months" in c.value for c in at.caption)


def shown(at: AppTest) -> list[object]:
    """What a run put on the page, as text: metrics, markdown, captions and tables."""
    frames = [df.value.to_csv(index=False) for df in at.dataframe]
    return [*(m.value for m in at.metric), *(md.value for md in at.markdown), *(c.value for c in at.caption), *frames]


@pytest.mark.parametrize("page", PAGES[1:])
def test_a_page_shows_the_same_on_its_next_run(page: str, demo_env: Path) -> None:
    """Results are shared objects, kept once for every session: a page that changed one in place
    would show something else on its next run, or in another session."""
    first = on_page(page, channel=["chat"])
    no_exception(first)
    again = on_page(page, channel=["chat"])
    no_exception(again)
    assert shown(again) == shown(first)


@pytest.mark.parametrize("script", list(ON_DEMAND))
def test_on_demand_sections_compute_nothing_until_asked(
    script: str, demo_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A closed expander still runs what is inside it: response rates, weighted NPS, segments, the
    Cox model with its what-if and the driver analysis run only when their switch is on."""
    from analytics.ui import cached

    heavy = {
        "pages/advocacy.py": ("response_rates", "weighted_nps_by", "segments"),
        "pages/churn.py": ("hazard_ratios", "what_if"),
        "pages/moments.py": ("driver_analysis",),
    }[script]
    asked: list[str] = []
    for name in heavy:
        original = getattr(cached, name)

        def counted(*args: object, __name: str = name, __original: object = original, **kwargs: object) -> object:
            asked.append(__name)
            return __original(*args, **kwargs)  # type: ignore[operator]

        monkeypatch.setattr(cached, name, counted)
    at = run(script, by="segment") if script == "pages/advocacy.py" else run(script)
    no_exception(at)
    assert asked == []
    open_everything(at, script)
    no_exception(at)
    assert set(asked) == set(heavy)


def test_a_chart_is_built_once_per_result(demo_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The spec of a chart is kept beside the result it shows: later runs, in any session, send it
    again without building the chart."""
    import functools

    from analytics.report import charts

    at = on_page("pages/moments.py")
    no_exception(at)
    built: list[str] = []
    original = charts.moment_bubbles

    @functools.wraps(original)
    def counted(*args: object, **kwargs: object) -> object:
        built.append("moment_bubbles")
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(charts, "moment_bubbles", counted)
    again = on_page("pages/moments.py")
    no_exception(again)
    assert built == []
    assert len(again.get("vega_lite_chart")) == len(at.get("vega_lite_chart")) > 0
    # Another result (a scope no other test computes): its chart is built for it.
    other = on_page("pages/moments.py", dates=(date(2025, 8, 1), date(2026, 5, 31)))
    no_exception(other)
    assert built == ["moment_bubbles"]


def test_a_slow_result_is_filled_in_when_it_is_ready(demo_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A page that does not wait shows the rest at once, says what is on its way, and shows the same
    as a page that waited once the background computation is done."""
    import time

    scope = {"dates": (date(2025, 7, 1), date(2026, 1, 31))}  # a scope no other test computes
    monkeypatch.setenv("ICONIC_WAIT_S", "0")
    at = on_page("pages/moments.py", **scope)
    no_exception(at)
    assert any("is being computed" in i.value for i in at.info)
    assert at.dataframe, "the priority list without its money is shown meanwhile"
    deadline = time.monotonic() + 120
    while any("is being computed" in i.value for i in at.info) and time.monotonic() < deadline:
        time.sleep(0.5)
        at.run()
    no_exception(at)
    monkeypatch.setenv("ICONIC_WAIT_S", "600")
    waited = on_page("pages/moments.py", **scope)
    assert shown(at) == shown(waited)


@pytest.mark.parametrize("given", ["channel", "Channel", "CHANNEL"])
def test_a_link_may_name_a_choice_by_its_code_or_its_label(given: str, demo_env: Path) -> None:
    at = AppTest.from_file(str(ROOT / "pages/advocacy.py"), default_timeout=120)
    at.query_params["by"] = given
    at.run()
    no_exception(at)
    assert at.selectbox(key="by").value == "channel"
    assert any(str(df.value.columns[0]) == "Channel" for df in at.dataframe)


def test_a_link_may_name_a_filter_value_by_its_code(demo_env: Path) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["segment"] = "smb"
    at.run()
    no_exception(at)
    assert at.multiselect(key="segment").value == ["smb"]
    assert "segment: SMB" in at.caption[0].value
