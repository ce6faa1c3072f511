"""The executive PDF brief: its numbers are the library's, it has its sections and charts, it renders,
and hostile strings or an empty scope do not break it. Read back with poppler (`make test` installs it)."""

from __future__ import annotations

import json
import shutil
import subprocess
import types
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analytics import cli
from analytics.analyses import advocacy, benchmarks, churn, headlines, impact, survival, value
from analytics.data import periods, warehouse
from analytics.data.filters import Filters
from analytics.errors import UsageError
from analytics.report import brief
from analytics.report.kpis import figure
from analytics.report.pdf import build_brief, page_count, render_pdf
from tests.conftest import load_tables, valid_customers, valid_interactions, valid_surveys

pytestmark = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils not installed; run `make poppler`"
)


def pdf_text(pdf: Path | bytes, tmp_path: Path) -> str:
    path = pdf if isinstance(pdf, Path) else tmp_path / "brief.pdf"
    if not isinstance(pdf, Path):
        path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout


def pdf_info(path: Path) -> dict[str, str]:
    out = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in out.splitlines())}


def images(path: Path) -> int:
    """Images drawn in the PDF (their transparency masks are not counted)."""
    out = subprocess.run(["pdfimages", "-list", str(path)], check=True, capture_output=True, text=True).stdout
    return sum(1 for line in out.splitlines()[2:] if line.split()[2] == "image")


def near(text: str, label: str, lines: int = 3) -> str:
    """The line of ``text`` where ``label`` first appears and the few after it, joined."""
    rows = text.splitlines()
    for i, row in enumerate(rows):
        if label in row:
            return " ".join(rows[i : i + lines])
    raise AssertionError(f"{label!r} is not in the brief")


@pytest.fixture(scope="module")
def demo_brief(demo_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[brief.BriefContent, Path]:
    wh = warehouse.open(demo_warehouse)
    # Without the value case, so the brief reads the same whether or not analytics.analyses.impact is installed.
    content = brief.brief_content(wh, Filters(), use_value_case=False)
    path = tmp_path_factory.mktemp("brief") / "brief.pdf"
    path.write_bytes(render_pdf(content))
    return content, path


@pytest.fixture(scope="module")
def default_brief(default_demo: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[brief.BriefContent, Path]:
    """The brief of the default demo, without the value case. The small demo is too thin for top
    actions: delivery varies by reason, so few moments there have enough answers on both sides."""
    content = brief.brief_content(warehouse.open(default_demo), Filters(), use_value_case=False)
    path = tmp_path_factory.mktemp("default_brief") / "brief.pdf"
    path.write_bytes(render_pdf(content))
    return content, path


def test_every_headline_number_is_the_library_s(
    demo_warehouse: Path, demo_brief: tuple[brief.BriefContent, Path], tmp_path: Path
) -> None:
    content, path = demo_brief
    text = pdf_text(path, tmp_path)
    wh = warehouse.open(demo_warehouse)
    scope = content.scope
    for kind, label in (("relationship", "Relationship NPS"), ("transactional", "Post-contact NPS")):
        h = advocacy.headline(wh, scope, kind=kind)
        row = near(text, label)
        assert figure("score", h.estimate.score) in row
        assert figure("score", h.estimate.low) in row and figure("score", h.estimate.high) in row
        if h.change is not None:
            assert figure("diff", h.change.diff) in row
        assert f"n = {h.estimate.n:,}" in text
    rate = churn.churn_headline(wh, scope)
    row = near(text, "Churn per 100")
    assert rate.current.rate is not None and rate.change is not None
    for number in (rate.current.rate, rate.current.low, rate.current.high):
        assert figure("churn_rate", number) in row
    assert figure("ratio", rate.change.ratio) in row
    tenure = survival.survival_report(wh, scope, horizon=headlines.HORIZON).summary.iloc[0]
    assert figure("months", tenure["median"]) in near(text, "Median lifetime")
    assert figure("months", tenure["rmst"]) in near(text, "Mean months")
    # Each segment on its own curve, summed: the figure every surface shows under these labels.
    worth = value.customer_value(wh, scope, by="segment")
    assert figure("equity", worth["equity"].sum()) in near(text, "Customer equity")
    assert figure("value_at_risk", worth["value_at_risk"].sum()) in near(text, "Value at risk")
    distance = benchmarks.distance_to_profiles(benchmarks.assessment_items(wh)).set_index("profile")
    assert figure("points", distance.loc["iconic", "distance"]) in near(text, "Distance to iconic")


def test_the_brief_reports_the_latest_complete_quarter_against_the_one_before(
    demo_warehouse: Path, demo_brief: tuple[brief.BriefContent, Path]
) -> None:
    content, _ = demo_brief
    wh = warehouse.open(demo_warehouse)
    latest = periods.latest_complete(wh, Filters())
    assert content.period == latest
    assert content.previous == periods.previous(latest)
    assert content.scope.end == latest.end
    labels = {k.key: k.period for k in content.kpis}
    assert labels["churn_rate"] == latest.label


def test_the_brief_has_its_sections_charts_and_pages(
    default_brief: tuple[brief.BriefContent, Path], tmp_path: Path
) -> None:
    content, path = default_brief
    assert len(content.actions) > 0
    text = pdf_text(path, tmp_path)
    for section in ("In short", "Data quality", "Headline numbers", "Top actions", "Charts", "Methods and sources"):
        assert section in text
    for chart in ("NPS by segment", "Survival by segment", "Satisfaction against efficiency"):
        assert chart in text
    assert 2 <= int(pdf_info(path)["Pages"]) <= 5
    assert images(path) == 3
    pages = int(pdf_info(path)["Pages"])
    assert f"Page 1 of {pages}" in text and f"Page {pages} of {pages}" in text
    flat = " ".join(text.split())
    # Leadership first: the three sentences open page 1, before the headline numbers; with nothing
    # rejected, data quality waits at the back, after the charts.
    assert len(content.summary) == 3
    for sentence in content.summary:
        assert " ".join(sentence.split())[:60] in flat
    assert flat.index("In short") < flat.index("Headline numbers") < flat.index("Top actions") < flat.index("Charts")
    assert flat.index("Charts") < flat.index("Data quality") < flat.index("Methods and sources")
    # The top actions are printed once, in the priority list's order, each moment once.
    listed = flat[flat.index("Top actions") : flat.index("Charts")]
    places = [listed.index(m.split(" (")[0]) for m in content.actions["moment"]]  # the stage may wrap
    assert places == sorted(places)
    assert list(content.actions["rank"]) == list(range(1, len(content.actions) + 1))
    assert "The value case was not run" in flat
    subprocess.run(
        ["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", str(path), str(tmp_path / "page")], check=True
    )
    rendered = next(tmp_path.glob("page*.png"))
    assert rendered.stat().st_size > 10_000


def test_an_empty_scope_gives_a_valid_brief_that_says_so(demo_warehouse: Path, tmp_path: Path) -> None:
    wh = warehouse.open(demo_warehouse)
    pdf = build_brief(wh, Filters(segments=("nobody",)))
    path = tmp_path / "empty.pdf"
    path.write_bytes(pdf)
    text = " ".join(pdf_text(path, tmp_path).split())
    assert 2 <= int(pdf_info(path)["Pages"]) <= 5
    assert "Nothing in this scope: the segment filter (nobody) leaves no customers" in text
    assert "No relationship responses in this scope" in text
    assert "No contacts in this scope" in text
    assert "No customers in this scope" in text
    assert "nan" not in text.lower().split()
    assert images(path) == 0


def test_hostile_names_and_long_text_are_printed_as_given(wh_path: Path, tmp_path: Path) -> None:
    hostile = '<b>& "Co" </para> <i>'
    long_segment = "segment " + "x" * 300
    customers = valid_customers(50)
    customers["segment"] = [hostile] * 25 + [long_segment] * 25
    customers["churned_at"] = [""] * 45 + ["2024-03-01"] * 5
    wh = load_tables(
        wh_path,
        tmp_path,
        customers=customers,
        interactions=valid_interactions(400),
        surveys=valid_surveys(300),
    )
    title = "<title> & <script>alert(1)</script> " + "word " * 600
    pdf = build_brief(wh, Filters(segments=(hostile,)), title=title)
    text = " ".join(pdf_text(pdf, tmp_path).split())
    assert hostile.strip() in text
    assert "<title> & <script>alert(1)</script>" in text
    path = tmp_path / "brief.pdf"
    assert 2 <= int(pdf_info(path)["Pages"]) <= 5
    everyone = build_brief(wh, Filters(), paper="letter")
    (tmp_path / "all.pdf").write_bytes(everyone)
    assert pdf_info(tmp_path / "all.pdf")["Page size"].startswith("612 x 792")


def test_the_value_case_is_asked_for_its_per_moment_money(default_demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``analytics.analyses.impact.value_case`` is called with the scope the list covers, and its per-moment
    money (with its own interval) goes beside the moment, ranks it first when its interval is above
    zero, and is said in words."""
    wh = warehouse.open(default_demo)
    plain = brief.brief_content(wh, Filters(), use_value_case=False)
    last = plain.actions.iloc[-1]
    row = {"journey_stage": last["journey_stage"], "contact_reason": last["contact_reason"]}
    asked: list[Filters] = []

    class Case:
        assumptions = types.SimpleNamespace(confidence=0.9)
        notes: list[str] = []

        @staticmethod
        def statements() -> list[str]:
            return ["A fix turns every contact that did not meet expectations into one that does."]

        moments = pd.DataFrame(
            [{**row, "value": 5000.0, "value_low": 4000.0, "value_high": 6000.0, "contacts_per_year": 10.0,
              "customers_affected": 9, "status": "ok"}]
        )  # fmt: skip

    def value_case(wh_: object, f: Filters, **_: object) -> Case:
        asked.append(f)
        return Case()

    monkeypatch.setattr(brief.priorities.impact, "value_case", value_case)
    content = brief.brief_content(wh, Filters())
    assert asked == [Filters()]
    assert content.value_case
    first = content.actions.iloc[0]
    if last["action"] in ("Fix", "Delight", "Maintain", "Unclear"):
        assert (first["journey_stage"], first["contact_reason"]) == (row["journey_stage"], row["contact_reason"])
    priced = content.priorities.table.set_index(["journey_stage", "contact_reason"]).loc[tuple(row.values())]
    assert (priced["value"], priced["value_high"], priced["money"]) == (5000.0, 6000.0, "above zero")
    assert f"keeps about {figure('money', 5000.0)} of lifetime margin a year (90% interval" in priced["sentence"]
    assert content.priorities.table["value"].notna().sum() == 1
    assert ("Money at stake (the value case)", Case.statements()[0]) in content.methods


def test_the_money_in_the_brief_is_the_value_cases(default_demo: Path, tmp_path: Path) -> None:
    """On the full-size demo every top action with money carries the value case's own figure and
    interval for that moment, and the printed sentence says it."""
    wh = warehouse.open(default_demo)
    content = brief.brief_content(wh, Filters())
    case = impact.value_case(wh, Filters()).moments.set_index(["journey_stage", "contact_reason"])
    priced = content.actions.dropna(subset=["value"])
    assert len(priced), "no action got a value"
    for row in priced.to_dict("records"):
        expected = case.loc[(row["journey_stage"], row["contact_reason"])]
        assert row["value"] == pytest.approx(expected["value"])
        assert row["value_low"] == pytest.approx(expected["value_low"])
        assert row["value_high"] == pytest.approx(expected["value_high"])
    text = " ".join(pdf_text(render_pdf(content), tmp_path).split())
    for row in priced.to_dict("records"):
        assert f"{figure('money', row['value'])} ({figure('money', row['value_low'])} to" in text
    first = priced.iloc[0]
    assert f"keeps about {figure('money', first['value'])} of lifetime margin a year" in text


def test_churn_rate_counts_churns_over_customer_months_at_risk(demo_warehouse: Path) -> None:
    """Brute force: each customer's months at risk inside the quarter, summed in pandas."""
    wh = warehouse.open(demo_warehouse)
    quarter = periods.latest_complete(wh, Filters())
    result = churn.churn_rate(wh, Filters(quarter.start, quarter.end))
    c = wh.table("customers").execute()
    first = pd.Timestamp(quarter.start, tz="UTC")
    after = pd.Timestamp(quarter.end, tz="UTC") + pd.Timedelta(days=1)
    there = c[(c["signup_at"] < after) & (c["churned_at"].isna() | (c["churned_at"] >= first))]
    start = there["signup_at"].where(there["signup_at"] > first, first)
    end = there["churned_at"].fillna(after).where(lambda s: s < after, after)
    months = ((end - start).dt.total_seconds() / (30.4375 * 86400)).clip(lower=0).sum()
    churned = int((there["churned_at"].notna() & (there["churned_at"] < after)).sum())
    assert result.churned == churned
    assert result.months_at_risk == pytest.approx(months, rel=1e-9)
    assert result.rate == pytest.approx(100 * churned / months)
    assert result.low < result.rate < result.high
    assert np.isfinite([result.low, result.high]).all()


def test_periods_are_named_as_quarters_or_months() -> None:
    q, unit = periods.parse("2025-Q3")
    assert (q.start, q.end, q.label, unit) == (date(2025, 7, 1), date(2025, 9, 30), "2025-Q3", "quarter")
    m, unit = periods.parse("2025-02")
    assert (m.start, m.end, unit) == (date(2025, 2, 1), date(2025, 2, 28), "month")
    with pytest.raises(ValueError, match="not a period"):
        periods.parse("Q3 2025")


def test_a_period_the_data_does_not_cover_is_refused(demo_warehouse: Path) -> None:
    wh = warehouse.open(demo_warehouse)
    with pytest.raises(UsageError, match="not complete in this data"):
        headlines.reporting_period(wh, Filters(), period="2035-Q1")


def test_the_command_writes_the_brief(demo_warehouse: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "brief.pdf"
    wh = warehouse.open(demo_warehouse)
    quarter = periods.latest_complete(wh, Filters())
    code = cli.main(
        ["brief", "--out", str(out), "--warehouse", str(demo_warehouse), "--period", quarter.label]
        + ["--segment", "smb", "--title", "SMB <b>brief</b>", "--paper", "letter"]
    )
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert out.read_bytes().startswith(b"%PDF")
    assert f"wrote {out}" in printed and quarter.label in printed
    text = pdf_text(out, tmp_path)
    assert "SMB <b>brief</b>" in text and "segment: SMB" in text
    h = advocacy.headline(wh, Filters(end=quarter.end, segments=("smb",)), kind="relationship")
    assert figure("score", h.estimate.score) in near(text, "Relationship NPS")
    assert pdf_info(out)["Page size"].startswith("612 x 792")


def test_the_command_prints_the_headlines_as_json(
    demo_warehouse: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "brief.pdf"
    command = ["brief", "--out", str(out), "--warehouse", str(demo_warehouse), "--json", "--without-value-case"]
    assert cli.main(command) == 0
    printed = json.loads(capsys.readouterr().out)
    wh = warehouse.open(demo_warehouse)
    content = brief.brief_content(wh, Filters(), use_value_case=False)
    assert printed["pages"] == page_count(out.read_bytes())
    assert printed["period"]["label"] == content.period.label
    assert [k["value"] for k in printed["kpis"]] == [k.value for k in content.kpis]
    assert [a["action"] for a in printed["actions"]] == list(content.actions["action"])
    assert printed["value_case"] is False


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--period", "2025-Q3", "--start", "2025-01-01"], "either --period or --start/--end"),
        (["--period", "last quarter"], "not a period"),
        (["--segment", "nobody"], "is not in the warehouse"),
    ],
)
def test_the_command_refuses_bad_options_in_one_line(
    demo_warehouse: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    code = cli.main(["brief", "--out", str(tmp_path / "b.pdf"), "--warehouse", str(demo_warehouse), *extra])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == cli.EXIT_USAGE
    assert message in err[-1] and err[-1].startswith("error: ")
    assert not (tmp_path / "b.pdf").exists()
