"""Every notebook executes end to end (on small data), and shows the numbers the library gives."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


def execute(path: Path, workdir: Path) -> tuple[list[dict[str, object]], str]:
    """Run a notebook in ``workdir``; return its error outputs and all its text output."""
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(workdir)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    errors = [o for o in outputs if o.output_type == "error"]
    text = "\n".join(o.get("text", "") + str(o.get("data", {}).get("text/plain", "")) for o in outputs)
    return errors, text


@pytest.fixture
def notebook_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, demo_env: Path) -> Callable[[str], str]:
    """Run the notebook whose name starts with a prefix (``"02_"``) on the demo, check that no cell
    failed, and return all its text output."""
    monkeypatch.setenv("ICONIC_NOTEBOOK_DIR", str(tmp_path))

    def run(prefix: str) -> str:
        errors, text = execute(next(p for p in NOTEBOOKS if p.name.startswith(prefix)), tmp_path)
        assert not errors, errors
        return text

    return run


def test_every_notebook_is_executed_by_a_test() -> None:
    """Each notebook below has its own test; a new notebook must get one too."""
    assert [p.name for p in NOTEBOOKS] == [
        "00_bring_your_own_data.ipynb",
        "01_moments_of_truth.ipynb",
        "02_advocacy_segmentation.ipynb",
        "03_churn_and_lifetime_value.ipynb",
        "04_iconic_benchmarks.ipynb",
        "05_value_case.ipynb",
    ]


def test_moments_notebook_shows_the_library_map(notebook_text: Callable[[str], str], demo_env: Path) -> None:
    from analytics.analyses import drivers, moments, priorities
    from analytics.data import warehouse

    text = notebook_text("01_")
    plist = priorities.priority_list(warehouse.open(demo_env))
    assert plist.ranking in text
    for line in plist.top(5)["sentence"]:
        assert line.replace("**", "") in text
    assert moments.MetRule(max_transfers=0, wait_targets={**moments.WAIT_TARGETS, "voice": 60.0}).describe() in text
    overall = drivers.driver_analysis(warehouse.open(demo_env), outcome="csat")
    assert f"R² {overall.r2:.3f} from {overall.n:,} responses" in text
    assert "wait_seconds" in text and "operational" in text


def test_bring_your_own_data_shows_a_quarantined_row(notebook_text: Callable[[str], str]) -> None:
    text = notebook_text("00_")
    assert "interactions  committed  in=120 committed=119 quarantined=1" in text
    assert "already ingested" in text
    assert "rejected" in text and "'signup_at'" in text


def test_advocacy_notebook_shows_the_library_numbers(notebook_text: Callable[[str], str], demo_env: Path) -> None:
    from analytics import demo
    from analytics.analyses import advocacy, nonresponse
    from analytics.data import warehouse
    from analytics.data.filters import Filters
    from analytics.report import narrative

    text = notebook_text("02_")
    headline = advocacy.nps(warehouse.open(demo_env))
    assert f"NPS {headline.score:+.1f}  adjusted Wald [{headline.low:+.1f}, {headline.high:+.1f}]" in text
    assert "adjusted Rand index against the planted personas: 0." in text and "(plan alone: 0." in text
    assert "Gaussian mixture: k = " in text and "stability 0." in text
    wh = warehouse.open(demo_env)
    for kind in ("relationship", "transactional"):
        assert narrative.headline_sentence(advocacy.headline(wh, kind=kind)) in text
    assert narrative.headline_sentence(advocacy.headline(wh, Filters(channels=("voice",)))) in text
    assert "saved as" not in text  # read-only unless the analyst asks
    whole = nonresponse.weighted_nps(wh)
    population = demo.load_truth(demo_env)["population_nps"]["post_contact"]["overall"]["nps"]
    assert (
        f"population {population:+.1f}, weighted {whole['score']:+.1f}, unweighted {whole['unweighted']:+.1f}" in text
    )


def test_churn_notebook_shows_the_library_numbers(notebook_text: Callable[[str], str], demo_env: Path) -> None:
    from analytics.analyses import headlines, survival, value
    from analytics.data import warehouse
    from analytics.report import kpis

    text = notebook_text("03_")
    wh = warehouse.open(demo_env)
    report = survival.survival_report(wh, by="segment", horizon=36)
    lr = report.logrank
    assert f"log-rank: chi-square {lr.statistic:.1f} on {lr.df} df" in text
    total = value.totals(value.customer_value(wh, by="segment"))
    headline = kpis.equity_kpis(headlines.equity(wh))[0]
    assert headline.value == kpis.figure("equity", total["equity"])  # the rows sum to the headline
    assert f"Customer equity ({headline.period}): {headline.value} (95% CI {headline.interval})" in text
    assert "'no answer' hazard ratio" in text
    assert "shifted-beta-geometric tail past" in text or "renewals with customers left" in text


def test_benchmarks_notebook_shows_the_library_numbers(notebook_text: Callable[[str], str], demo_env: Path) -> None:
    from analytics.analyses import benchmarks
    from analytics.data import warehouse

    text = notebook_text("04_")
    wh = warehouse.open(demo_env)
    for r in benchmarks.distance_to_profiles(benchmarks.assessment_items(wh)).itertuples():
        assert f"{r.profile}: {r.distance:.1f} points over {r.items} questions" in text
    assert benchmarks.StanceRule().describe() in text
    card = benchmarks.partner_scorecard(wh)
    share = benchmarks.standard_share(card)
    assert f"partners meeting the standard: {share.meeting} of {share.partners}" in text
    ramp = benchmarks.partner_ramp(wh)
    sentence = benchmarks.ramp_sentence(ramp[ramp["handled_by"] == "partner_c"])
    assert sentence and sentence in text
    assert "planted: partner_c live from 50% of the window" in text


def test_value_case_notebook_shows_the_library_chain(notebook_text: Callable[[str], str], demo_env: Path) -> None:
    from analytics.analyses import impact
    from analytics.data import warehouse

    text = notebook_text("05_")
    case = impact.value_case(warehouse.open(demo_env))
    total, low, high = case.total()
    assert f"every moment fixed: {total:,.0f} a year (90% interval {low:,.0f} to {high:,.0f})" in text
    for line in case.statements():
        assert line in text
