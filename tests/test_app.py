"""AppTest over every page, plus behaviour tests that set a widget and check a number."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from analytics import catalog, filters, warehouse

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["app.py", "pages/overview.py", "pages/advocacy.py", "pages/data_quality.py"]


def run(script: str, **state: object) -> AppTest:
    at = AppTest.from_file(str(ROOT / script), default_timeout=120)
    for key, value in state.items():
        at.session_state[key] = value
    return at.run()


@pytest.mark.parametrize("script", PAGES)
def test_every_page_renders_on_the_demo(script: str, demo_env: Path) -> None:
    at = run(script)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title


@pytest.mark.parametrize("script", PAGES)
def test_every_page_explains_a_missing_warehouse(script: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ICONIC_WAREHOUSE", str(tmp_path / "none"))
    at = run(script)
    assert not at.exception, [e.value for e in at.exception]
    assert any("No warehouse" in i.value for i in at.info)


def test_overview_counts_match_the_library(demo_env: Path) -> None:
    at = run("app.py")
    wh = warehouse.open(demo_env)
    expected = filters.scope_counts(wh, filters.Filters()).set_index("table")["rows"]
    shown = {m.label: int(m.value.replace(",", "")) for m in at.metric}
    assert shown == {
        "Customers": expected["customers"],
        "Interactions": expected["interactions"],
        "Surveys": expected["surveys"],
    }


def test_segment_filter_changes_the_overview(demo_env: Path) -> None:
    at = run("app.py", filter_segments=["enterprise"])
    wh = warehouse.open(demo_env)
    expected = filters.scope_counts(wh, filters.Filters(segments=("enterprise",))).set_index("table")["rows"]
    shown = {m.label: int(m.value.replace(",", "")) for m in at.metric}
    assert shown["Customers"] == expected["customers"] < int(wh.table("customers").count().execute())
    assert shown["Interactions"] == expected["interactions"]
    assert "segment: enterprise" in at.caption[0].value


def test_data_quality_lists_batches_and_quarantine(demo_env: Path) -> None:
    at = run("pages/data_quality.py")
    wh = warehouse.open(demo_env)
    history = at.dataframe[0].value
    assert len(history) == len(catalog.ingest_history(wh)) == 5
    counts = catalog.quarantine_counts(wh)
    assert counts["rows"].sum() > 0  # the demo plants a few bad survey rows
    assert any(len(df.value) == counts["rows"].sum() for df in at.dataframe)
    gaps = catalog.reference_gaps(wh)
    shown = next(df.value for df in at.dataframe if "rows_missing" in df.value.columns)
    assert shown["rows_missing"].tolist() == gaps["rows_missing"].tolist() and len(shown) == 3
    # the demo's surveys of quarantined contacts name interactions that are not stored
    assert (len(at.warning) > 0) == bool(gaps["rows_missing"].sum())


def test_advocacy_shows_the_library_numbers(demo_env: Path) -> None:
    from analytics import advocacy

    at = run("pages/advocacy.py", advocacy_by="plan")
    assert not at.exception, [e.value for e in at.exception]
    wh = warehouse.open(demo_env)
    headline = advocacy.nps(wh)
    shown = {m.label: m.value for m in at.metric}
    assert shown["NPS"] == f"{headline.score:+.1f}" and shown["Responses"] == f"{headline.n:,}"
    assert shown["95% interval"] == f"{headline.low:+.1f} … {headline.high:+.1f}"
    by_plan = at.dataframe[0].value
    assert set(by_plan["group"]) == {"monthly", "annual", "two_year"}
    assert by_plan["n"].sum() == headline.n


def test_advocacy_follows_the_global_filters(demo_env: Path) -> None:
    from analytics import advocacy

    at = run("app.py", filter_segments=["smb"])
    at.switch_page("pages/advocacy.py").run()
    assert not at.exception, [e.value for e in at.exception]
    smb = advocacy.nps(warehouse.open(demo_env), filters.Filters(segments=("smb",)))
    assert {m.label: m.value for m in at.metric}["Responses"] == f"{smb.n:,}"


def test_advocacy_segments_match_the_library_and_can_be_saved(
    demo_warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    from analytics import schema, segmentation

    root = tmp_path / "wh"
    shutil.copytree(demo_warehouse, root)
    monkeypatch.setenv("ICONIC_WAREHOUSE", str(root))
    at = run("pages/advocacy.py", segments_k=4)
    assert not at.exception, [e.value for e in at.exception]
    expected = segmentation.segment(warehouse.open(root), k=4).profiles
    profiles = next(df.value for df in at.dataframe if "revenue_share" in df.value.columns and "nps_n" in df.value)
    assert list(profiles["segment"]) == list(expected["segment"])
    assert list(profiles["customers"]) == list(expected["customers"])
    assert "behaviour_segment" not in at.selectbox(key="advocacy_by").options

    at.button(key="save_segments").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Saved" in s.value for s in at.success)
    stored = warehouse.open(root).table(schema.SEGMENT_TABLE).execute()
    assert set(stored["segment"]) == set(expected["segment"]) and len(stored) == expected["customers"].sum()

    at = run("pages/advocacy.py", advocacy_by="behaviour_segment")
    assert not at.exception, [e.value for e in at.exception]
    assert set(at.dataframe[0].value["group"]) <= set(expected["segment"])
