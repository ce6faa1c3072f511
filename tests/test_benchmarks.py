"""Iconic-firm benchmarks: the reference figures, the self-assessment, stances, the partner standard and a
new partner's first weeks, on hand-made rows and on the demo's planted handlers."""

from __future__ import annotations

import math
import re
import shutil
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analytics import demo
from analytics.analyses import advocacy, benchmarks
from analytics.data import warehouse
from analytics.errors import UsageError
from analytics.stats import inference, series, units
from tests.conftest import load_tables, valid_customers

ROOT = Path(__file__).resolve().parent.parent
REFERENCE_MD = ROOT / "data" / "benchmarks" / "reference.md"


# --- the reference file -------------------------------------------------------------------------------


def _markdown_tables(text: str) -> list[list[list[str]]]:
    """Every Markdown table in ``text`` as rows of cells (header and rule lines dropped)."""
    tables, current = [], []
    for line in [*text.splitlines(), ""]:
        if line.startswith("|"):
            current.append([c.strip() for c in line.strip().strip("|").split("|")])
        elif current:
            tables.append([r for r in current[2:]])
            current = []
    return tables


def _figures(cell: str) -> list[float]:
    """The numbers a cell states: ``~90%`` is 90, ``1.2× as likely`` 1.2, ``87% / 60%`` both, ``—`` none."""
    return [float(x) for x in re.findall(r"\d+(?:\.\d+)?", cell.split("(")[0])]


def test_the_reference_file_holds_every_figure_of_the_published_notes_with_its_source() -> None:
    """Each figure in data/benchmarks/reference.md (a copy of the project's reference notes) appears in
    the CSV on the row of its metric, in the column of its profile, and every row names its source."""
    ref = benchmarks.reference()
    assert ref["source"].notna().all() and ref["unit"].notna().all()
    assert ref["metric"].is_unique
    by_metric = ref.set_index("metric")
    mit, hbr, ibm = _markdown_tables(REFERENCE_MD.read_text())
    assert len(mit) == 9 and len(hbr) == 10 and len(ibm) == 3
    for metric, iconic, everyone, poor, _note in mit:
        row = by_metric.loc[metric]
        for cell, column in ((iconic, "iconic"), (everyone, "all_respondents"), (poor, "poor_performers")):
            stated = _figures(cell)
            assert (float(row[column]) if row[column] else None) == (stated[0] if stated else None), (metric, column)
        assert "secondary source" in row["note"]
        if "as likely" in iconic:
            assert row["unit"] == benchmarks.RELATIVE_UNIT and "relative" in row["note"]
        if iconic.startswith("~"):
            assert "approximate" in row["note"]
    for metric, value, _survey in hbr:
        stated = _figures(value)
        if len(stated) == 2:  # one metric for two groups: a row each
            stem, groups = metric.rsplit(":", 1)
            for group, figure in zip(groups.split("/"), stated, strict=True):
                assert float(by_metric.loc[f"{stem}: {group.strip()}", "all_respondents"]) == figure
        else:
            assert float(by_metric.loc[metric, "all_respondents"]) == stated[0]
            assert "Harvard Business Review" in by_metric.loc[metric, "source"]
    for metric, value in ibm:
        row = by_metric.loc[metric]
        assert float(row["all_respondents"] or row["value"]) == _figures(value)[0]
    stages = ref[ref["unit"] == benchmarks.QUALITATIVE].dropna(subset=["question_id"])
    assert sorted(stages["question_id"]) == sorted(f"stance_{s}" for s in benchmarks.SURVEY_STAGES)
    assert (stages["iconic"] == "satisfaction").all() and (stages["poor_performers"] == "efficiency").all()
    assert stages["note"].str.contains("no per-stage percentages").all()


def test_the_reference_file_is_found_from_the_package_and_is_not_ignored() -> None:
    import subprocess

    path = benchmarks.reference_path()
    assert path.is_file() and path.is_relative_to(ROOT)
    if (ROOT / ".git").exists() and shutil.which("git"):
        ignored = subprocess.run(["git", "check-ignore", "-q", str(path)], cwd=ROOT, check=False)
        assert ignored.returncode == 1, "data/benchmarks/iconic_reference.csv is git-ignored"


def test_a_broken_reference_file_is_refused_naming_the_line_and_column(tmp_path: Path) -> None:
    text = benchmarks.reference_path().read_text().splitlines()
    bad = tmp_path / "ref.csv"
    bad.write_text("\n".join([text[0], text[1].replace(",90,", ",ninety,", 1), *text[2:]]) + "\n")
    with pytest.raises(UsageError, match=r"line 2, column iconic: 'ninety' is not a number"):
        benchmarks.reference(bad)
    bad.write_text("\n".join([text[0], re.sub(r",MIT[^,]*$|,\"MIT[^\"]*\",", ",,", text[2], count=1)]) + "\n")
    with pytest.raises(UsageError, match="line 2: source is empty"):
        benchmarks.reference(bad)


# --- the self-assessment ------------------------------------------------------------------------------


def _items(**answers: str) -> pd.DataFrame:
    return benchmarks.score_assessment(answers).set_index("question_id")


def test_answers_resemble_the_profile_whose_share_is_nearest() -> None:
    yes = _items(omnichannel="yes", csr_brand="yes", ai_for_satisfaction="yes")
    assert yes.loc["omnichannel", "resembles"] == "iconic"  # 100 is 10 from 90, 25 from 75, 34 from 66
    assert yes.loc["csr_brand", "resembles"] == "iconic"
    no = _items(omnichannel="no", ai_for_satisfaction="no", csr_brand="no")
    assert no.loc["omnichannel", "resembles"] == "poor performers"  # 0 is nearest 66
    assert no.loc["ai_for_satisfaction", "resembles"] == "all respondents"  # no poor-performer figure: 42 < 91
    # partly (50) is 10 from both 60 (iconic) and 40 (all): the tie goes to the less flattering profile.
    assert _items(channel_mix="partly").loc["channel_mix", "resembles"] == "all respondents"


def test_stage_answers_match_the_qualitative_pattern_and_relative_figures_claim_nothing() -> None:
    items = _items(
        stance_delivery="efficiency",
        stance_discovery="satisfaction",
        stance_customer_service="satisfaction",
        stance_purchase="balanced",
        satisfaction_first="yes",
    )
    assert items.loc["stance_delivery", "resembles"] == "poor performers"
    assert items.loc["stance_discovery", "resembles"] == "iconic"
    # Most firms, not only iconic ones, put satisfaction first in customer service.
    assert items.loc["stance_customer_service", "resembles"] == "all respondents"
    assert items.loc["stance_purchase", "resembles"] == "all respondents"
    assert items.loc["stance_delivery", "unit"] == benchmarks.QUALITATIVE
    assert math.isnan(items.loc["stance_delivery", "answer_score"])  # qualitative: never a number
    relative = items.loc["satisfaction_first"]
    assert relative["resembles"] is None and relative["iconic"] is None
    assert relative["unit"] == benchmarks.RELATIVE_UNIT and "1.2x as likely" in relative["context"]
    assert items.loc["feedback_loop", "answer"] is None and items.loc["feedback_loop", "resembles"] is None


def test_distance_to_each_profile_is_the_mean_gap_in_points() -> None:
    every = {q.question_id: "yes" for q in benchmarks.QUESTIONS if q.kind == "practice"}
    distances = benchmarks.distance_to_profiles(benchmarks.score_assessment(every)).set_index("profile")
    # Yes (100) against the published iconic shares 90, 60, 91, 85, 56, 75: (10+40+9+15+44+25) / 6.
    assert distances.loc["iconic", "distance"] == pytest.approx(143 / 6)
    assert distances.loc["iconic", "items"] == 6
    # All respondents 75, 40, 42, 62, 37, 46; poor performers 66, 26, 21 only.
    assert distances.loc["all respondents", "distance"] == pytest.approx((25 + 60 + 58 + 38 + 63 + 54) / 6)
    assert distances.loc["poor performers", "distance"] == pytest.approx((34 + 74 + 79) / 3)
    # Compared across profiles on the three questions all of them publish (omnichannel, channel mix, CSR).
    assert distances["shared_items"].tolist() == [3, 3, 3]
    assert distances.loc["iconic", "shared_distance"] == pytest.approx((10 + 40 + 25) / 3)
    assert distances.loc["all respondents", "shared_distance"] == pytest.approx((25 + 60 + 54) / 3)
    mixed = {"omnichannel": "partly", "channel_mix": "no"}
    d = benchmarks.distance_to_profiles(benchmarks.score_assessment(mixed)).set_index("profile")
    assert d.loc["iconic", "distance"] == pytest.approx((40 + 60) / 2)
    assert "percentage points" in d.loc["iconic", "method"]
    none = benchmarks.distance_to_profiles(benchmarks.score_assessment({}))
    assert none["distance"].isna().all() and (none["items"] == 0).all()


def test_answers_outside_the_questionnaire_are_refused_with_what_is_allowed() -> None:
    with pytest.raises(UsageError, match="answer 'maybe' is not allowed; answer yes / partly / no"):
        benchmarks.answers_frame({"omnichannel": "maybe"})
    with pytest.raises(UsageError, match="answer 'yes' is not allowed; answer satisfaction / balanced / efficiency"):
        benchmarks.answers_frame({"stance_delivery": "yes"})
    with pytest.raises(UsageError, match="question_id 'nps_target' is not in the self-assessment"):
        benchmarks.answers_frame({"nps_target": "yes"})
    frame = benchmarks.answers_frame({"omnichannel": " Yes "})
    assert frame.to_dict("records") == [
        {"question_id": "omnichannel", "question": benchmarks.QUESTION["omnichannel"].text, "answer": "yes"}
    ]


def test_answers_are_saved_through_the_validated_ingest_and_a_return_to_earlier_answers_is_kept(
    demo_warehouse: Path, tmp_path: Path
) -> None:
    root = tmp_path / "wh"
    shutil.copytree(demo_warehouse, root)
    assert benchmarks.stored_answers(warehouse.open(root))["stance_delivery"] == "satisfaction"
    for answer in ("efficiency", "satisfaction", "efficiency"):  # the third save repeats the first
        result = benchmarks.save_assessment({"stance_delivery": answer, "feedback_loop": "yes"}, warehouse_path=root)
        assert result.status == "committed", result.message
        assert benchmarks.stored_answers(warehouse.open(root))["stance_delivery"] == answer
    wh = warehouse.open(root)
    assert wh.table("assessment").count().execute() == len(demo.ASSESSMENT) + 1  # upserted by question
    assert benchmarks.stored_answers(wh)["omnichannel"] == "yes"  # untouched answers stay


def test_an_assessment_file_with_an_unknown_answer_is_rejected_by_the_suite(
    demo_warehouse: Path, tmp_path: Path
) -> None:
    from analytics.data import ingest

    root = tmp_path / "wh"
    shutil.copytree(demo_warehouse, root)
    file = tmp_path / "answers.csv"
    file.write_text("question_id,answer\nomnichannel,no\nchannel_mix,maybe\n")
    result = ingest.ingest("assessment", file, warehouse_path=root)
    assert result.status == "rejected"
    assert any(c.message.startswith("answer must be one of") for c in result.failed_checks)
    assert benchmarks.stored_answers(warehouse.open(root))["omnichannel"] == "yes"


# --- stances on given rows ----------------------------------------------------------------------------


def test_stance_follows_the_rule_on_given_rows() -> None:
    rows = pd.DataFrame(
        {
            "unit": ["a", "b", "c", "d", "e", "f", "g"],
            "n": [500, 500, 500, 500, 20, 500, 500],
            "nps_diff": [8.0, 8.0, -1.0, 2.0, 30.0, -9.0, 2.9],
            "p_adjusted": [0.001, 0.001, 0.5, 0.001, 0.001, 0.001, 0.001],
            "cost_per_contact": [4.0, 6.0, 4.0, 5.0, 4.0, 4.0, 5.0],
            "cost_per_contact_rest": [5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0],
        }
    )
    out = benchmarks.classify_stance(rows).set_index("unit")
    # a: significantly higher NPS and 20% cheaper; b: higher but dearer; c: no clear NPS difference but
    # cheaper; d: a significant but small (2-point) difference at the same cost; e: too few responses;
    # f: lower NPS and cheaper; g: 2.9 points is under the 3-point gap.
    assert out["stance"].to_dict() == {
        "a": "both",
        "b": "satisfaction-led",
        "c": "efficiency-led",
        "d": "neither",
        "e": "too few responses",
        "f": "efficiency-led",
        "g": "neither",
    }
    assert out.loc["f", "satisfaction"] == "lower" and out.loc["b", "efficiency"] == "less efficient"
    # With automation as the efficiency measure, more is more efficient.
    rows = rows.assign(automation_rate=[0.5, 0.2] * 3 + [0.3], automation_rate_rest=0.3)
    auto = benchmarks.classify_stance(rows, efficiency="automation_rate").set_index("unit")
    assert auto.loc["a", "stance"] == "both" and auto.loc["b", "stance"] == "satisfaction-led"
    stricter = benchmarks.classify_stance(rows, rule=benchmarks.StanceRule(min_nps_gap=10)).set_index("unit")
    assert stricter.loc["a", "stance"] == "efficiency-led"
    with pytest.raises(ValueError, match="missing cost_per_contact_rest"):
        benchmarks.classify_stance(rows.drop(columns="cost_per_contact_rest"))


def test_said_against_shown_names_the_stages_that_part() -> None:
    stages = pd.DataFrame(
        {
            "journey_stage": ["get", "support", "learn"],
            "survey_stage": ["delivery", "customer_service", "discovery"],
            "said": ["satisfaction", "satisfaction", None],
            "shown": ["efficiency-led", "both", "neither"],
            "agrees": [False, True, None],
        }
    )
    assert benchmarks.said_against_shown(stages) == [
        "You say satisfaction comes first at delivery (get); your data shows efficiency-led."
    ]


# --- the partner scorecard on given rows --------------------------------------------------------------


def _contacts(
    handler: str, n: int, *, resolved: int, escalated: int, cost: float, wait: float, start: int
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "interaction_id": [f"I{start + i}" for i in range(n)],
            "customer_id": [f"C{i % 50}" for i in range(n)],
            "started_at": [f"2024-03-{1 + i % 28:02d} 10:00:00" for i in range(n)],
            "channel": ["voice"] * n,
            "journey_stage": ["support"] * n,
            "contact_reason": ["complaint"] * n,
            "handled_by": [handler] * n,
            "is_automated": [False] * n,
            "wait_seconds": [wait] * n,
            "handle_seconds": [300.0] * n,
            "transfers": [0] * n,
            "is_resolved": [i < resolved for i in range(n)],
            "is_escalated": [i < escalated for i in range(n)],
            "cost": [cost] * n,
        }
    )


def test_scorecard_measures_each_handler_against_the_standard_on_given_rows(wh_path: Path, tmp_path: Path) -> None:
    home = _contacts("in_house", 40, resolved=32, escalated=4, cost=5.0, wait=100.0, start=0)
    cheap = _contacts("partner_x", 40, resolved=20, escalated=12, cost=3.0, wait=300.0, start=100)
    dear = _contacts("partner_y", 40, resolved=36, escalated=2, cost=9.0, wait=60.0, start=200)
    contacts = pd.concat([home, cheap, dear], ignore_index=True)
    # Every contact answered: in-house and partner_y 20 promoters / 12 passives / 8 detractors (NPS +30),
    # partner_x 8 / 12 / 20 (NPS -30); CSAT 4-5 from 30 of 40, 10 of 40 and 30 of 40.
    good = [10] * 20 + [8] * 12 + [3] * 8
    bad = [10] * 8 + [8] * 12 + [3] * 20
    surveys = pd.DataFrame(
        {
            "survey_id": [f"S{i}" for i in range(120)],
            "customer_id": contacts["customer_id"],
            "interaction_id": contacts["interaction_id"],
            "responded_at": "2024-04-01",
            "ltr": good + bad + good,
            "csat": [5] * 30 + [2] * 10 + [4] * 10 + [1] * 30 + [5] * 30 + [2] * 10,
        }
    )
    wh = load_tables(wh_path, tmp_path, customers=valid_customers(50), interactions=contacts, surveys=surveys)
    card = benchmarks.partner_scorecard(wh).set_index("handled_by")
    assert list(card.index) == ["in_house", "partner_x", "partner_y"]
    assert card["fcr"].to_dict() == {"in_house": 0.8, "partner_x": 0.5, "partner_y": 0.9}
    assert card["escalation_rate"].to_dict() == {"in_house": 0.1, "partner_x": 0.3, "partner_y": 0.05}
    assert card["asa_seconds"].to_dict() == {"in_house": 100.0, "partner_x": 300.0, "partner_y": 60.0}
    assert card["cost_ratio"].to_dict() == {"in_house": 1.0, "partner_x": 0.6, "partner_y": 1.8}
    assert card["nps"].to_dict() == {"in_house": 30.0, "partner_x": -30.0, "partner_y": 30.0}
    assert card["csat"].to_dict() == {"in_house": 0.75, "partner_x": 0.25, "partner_y": 0.75}
    assert card.loc["in_house", "meets_standard"] and not card.loc["partner_x", "meets_standard"]
    assert card.loc["partner_x", "unmet"] == "CSAT; NPS; speed of answer; first-contact resolution; escalation"
    # partner_y is good but costs 1.8 times the in-house team: over the default 1.5.
    assert card.loc["partner_y", "unmet"] == "cost"
    looser = benchmarks.partner_scorecard(wh, standard=benchmarks.Standard(max_cost_ratio=2.0)).set_index("handled_by")
    assert looser.loc["partner_y", "meets_standard"]
    share = benchmarks.standard_share(looser.reset_index())
    assert (share.partners, share.meeting, share.share) == (2, 1, 0.5)
    assert share.published_iconic == 85.0 and "Not the same measure" in share.note
    # Too few responses: not judged to meet anything, whatever the numbers.
    strict = benchmarks.partner_scorecard(wh, standard=benchmarks.Standard(min_responses=41)).set_index("handled_by")
    assert not strict["meets_standard"].any()
    assert strict.loc["in_house", "unmet"] == "too few responses"


# --- the numbers behind CSAT and the ramp, on given arrays --------------------------------------------


def test_csat_counts_each_customer_once_through_the_design_effect() -> None:
    """``inference.clustered_share``, by hand. Four customers answering once, two of them satisfied:
    p = 0.5; the clustered variance is C/(C-1) * sum (u - p v)^2 / n^2 = 4/3 * 4 * 0.25 / 16 = 1/12
    against the independent 0.25 / 4 = 1/16, a design effect of 4/3, so 4 answers count as 3. Two
    customers answering twice each, one always satisfied and one never: 2/1 * (1 + 1) / 16 = 1/4
    against 1/16, a design effect of 4, so 4 answers count as 1. One customer, or a share of 0: not
    measurable, so every answer counts."""
    n, k = np.array([4.0, 4.0, 4.0, 3.0]), np.array([2.0, 2.0, 2.0, 0.0])
    clusters = np.array([4.0, 2.0, 1.0, 3.0])
    suu, suv, svv = np.array([2.0, 4.0, 4.0, 0.0]), np.array([2.0, 4.0, 8.0, 0.0]), np.array([4.0, 8.0, 16.0, 3.0])
    p, effective = inference.clustered_share(n, k, clusters, suu, suv, svv)
    assert p.tolist() == [0.5, 0.5, 0.5, 0.0]
    assert effective.tolist() == pytest.approx([3.0, 1.0, 4.0, 3.0])


def test_a_target_is_reached_in_the_first_week_of_an_unbroken_run() -> None:
    """``series.first_sustained`` with runs of two: met in weeks 1, 3, 4, 5 gives week 3; a week
    missing between 3 and 5 breaks that run, so 5; never two running gives NaN. ``series.trailing_mean``
    over two weeks: 10, 20, 30, 40 give nothing before the first, then 10, 15, 25."""
    weeks = np.arange(6)
    assert series.first_sustained(weeks, np.array([False, True, False, True, True, True]), 2) == 3.0
    gap = np.array([0, 1, 2, 3, 5, 6])
    assert series.first_sustained(gap, np.array([False, False, False, True, True, True]), 2) == 5.0
    assert math.isnan(series.first_sustained(weeks, np.array([True, False] * 3), 2))
    trailing = series.trailing_mean(pd.Series([10.0, 20.0, 30.0, 40.0]), 2)
    assert math.isnan(trailing.iloc[0]) and trailing.iloc[1:].tolist() == [10.0, 15.0, 25.0]


# --- on the demo --------------------------------------------------------------------------------------


def test_the_planted_cheap_poor_partner_fails_the_standard_and_the_costly_good_one_meets_it(default_demo: Path) -> None:
    wh = warehouse.open(default_demo)
    card = benchmarks.partner_scorecard(wh).set_index("handled_by")
    assert "automation" not in card.index  # no person works there
    assert not card.loc["partner_a", "meets_standard"]
    assert card.loc["partner_b", "meets_standard"]
    assert card.loc["partner_a", "cost_per_contact"] < card.loc["in_house", "cost_per_contact"]
    assert card.loc["partner_b", "cost_per_contact"] > card.loc["in_house", "cost_per_contact"]
    # The scorecard's NPS is the clustered NPS of the same answers the advocacy cut counts.
    by_handler = advocacy.nps_by(wh, by="handled_by").set_index("group")
    for partner in ("in_house", "partner_a", "partner_b", "partner_c"):
        assert card.loc[partner, "n"] == by_handler.loc[partner, "n"]
        for ours, theirs in (("nps", "score"), ("nps_low", "low"), ("nps_high", "high")):
            assert card.loc[partner, ours] == pytest.approx(by_handler.loc[partner, theirs])


def _planted_go_live(root: Path) -> pd.Timestamp:
    truth = demo.load_truth(root)
    months = truth["generator"]["months"]
    start = pd.Timestamp(truth["generator"]["window_end"]) - timedelta(seconds=months * units.MONTH_SECONDS)
    live_from = truth["handlers"]["partner_c"]["live_from_month"]
    return start + timedelta(seconds=live_from * months * units.MONTH_SECONDS)


@pytest.mark.world
@pytest.mark.parametrize("fixture", ["demo_warehouse", pytest.param("default_demo", marks=pytest.mark.slow)])
def test_the_ramp_finds_partner_c_going_live_within_a_week_of_the_planted_date(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    root = request.getfixturevalue(fixture)
    wh = warehouse.open(root)
    live = benchmarks.went_live(wh).set_index("handled_by")
    assert list(live.index) == ["partner_c"]
    assert abs(live.loc["partner_c", "went_live_at"] - _planted_go_live(root)) <= timedelta(days=7)
    ramp = benchmarks.partner_ramp(wh)
    assert set(ramp["handled_by"]) == {"partner_c"} and ramp["week"].min() == 0


def test_the_ramp_reaches_target_as_the_planted_ramp_up_ends(default_demo: Path) -> None:
    """partner_c's first-contact resolution climbs from 30% of its full rate to all of it over three
    months (13 weeks), and the full rate clears the 70% target: the week it is reached is near 13."""
    ramp = benchmarks.partner_ramp(warehouse.open(default_demo))
    reached = ramp["reached_target_week"].iloc[0]
    assert 10 <= reached <= 16
    early = ramp[ramp["week"] < 4]
    assert (early["fcr"] < early["in_house_fcr"] - 0.3).all()  # well short of the in-house team at first
    assert (early["asa_seconds"] > early["in_house_asa_seconds"]).all()  # and slower to answer
    weeks = ramp.set_index("week")
    volume = weeks["volume"].astype(float)
    trailing = volume.shift(1).rolling(4, min_periods=1).mean()
    assert (weeks["surge"] == (volume > 1.15 * trailing)).all()


def test_contacts_split_by_handling_add_up(demo_warehouse: Path) -> None:
    wh = warehouse.open(demo_warehouse)
    mix = benchmarks.channel_mix(wh, by="contact_reason")
    shares = mix.groupby("contact_reason")["volume_share"].sum()
    assert ((shares - 1).abs() < 1e-12).all()
    outcomes = benchmarks.automation_outcomes(wh)
    total = int(wh.table("interactions").count().execute())
    assert int(outcomes["volume"].sum()) == int(mix["volume"].sum()) == total
    assert list(outcomes["handling"]) == list(benchmarks.HANDLING)


def test_satisfaction_by_unit_is_the_advocacy_cut_and_the_csat_interval_holds_it(demo_warehouse: Path) -> None:
    wh = warehouse.open(demo_warehouse)
    table = benchmarks.satisfaction_efficiency(wh, by="channel").set_index("channel")
    nps = advocacy.nps_by(wh, by="channel").set_index("group")
    shared = table.index.intersection(nps.index)
    assert len(shared) >= 5
    assert (table.loc[shared, "nps"] == nps.loc[shared, "score"]).all()
    assert (table.loc[shared, "n"] == nps.loc[shared, "n"]).all()
    rated = table[table["csat_n"] > 0]
    assert ((rated["csat_low"] <= rated["csat"]) & (rated["csat"] <= rated["csat_high"])).all()
    assert set(table["stance"]) <= set(benchmarks.STANCES)
    stages = benchmarks.stance_by_stage(wh)
    said = dict(zip(stages["journey_stage"], stages["said"], strict=True))
    assert said["get"] == "satisfaction" and said["buy"] == said["pay"] == "efficiency"  # the demo's answers


NO_ANSWERS = pd.DataFrame(
    {"profile": ["iconic"], "distance": [float("nan")], "items": [0], "shared_distance": [float("nan")]}
)
NO_RAMP = pd.DataFrame({"handled_by": []})


def _card(rows: list[tuple[str, bool, bool, str | None]]) -> pd.DataFrame:
    """A scorecard of given rows: handler, partner or not, meets the standard, what it falls short on."""
    return pd.DataFrame(
        {
            "handled_by": [r[0] for r in rows],
            "is_partner": [r[1] for r in rows],
            "meets_standard": [r[2] for r in rows],
            "unmet": [r[3] for r in rows],
        }
    )


def test_partners_with_too_few_answers_are_not_judged_against_the_standard() -> None:
    thin = _card(
        [("in_house", False, True, None)]
        + [(f"partner_{c}", True, False, "too few responses") for c in "abc"]  # 3-11 answers each
    )
    share = benchmarks.standard_share(thin)
    assert (share.partners, share.judged, share.meeting, share.share) == (3, 0, 0, None)
    said = benchmarks.summary(NO_ANSWERS, pd.DataFrame({"agrees": []}), thin, share, NO_RAMP)
    assert any(s.startswith("Too few answers to judge any of the 3 partners") for s in said)
    assert not any("0 of 3 partners" in s for s in said)

    mixed = _card(
        [
            ("in_house", False, True, None),
            ("partner_a", True, False, "CSAT; first-contact resolution"),
            ("partner_b", True, True, None),
            ("partner_c", True, False, "too few responses"),
        ]
    )
    share = benchmarks.standard_share(mixed)
    assert (share.judged, share.meeting, share.share) == (2, 1, 0.5)
    line = next(
        s
        for s in benchmarks.summary(NO_ANSWERS, pd.DataFrame({"agrees": []}), mixed, share, NO_RAMP)
        if "partners" in s
    )
    assert line.startswith("1 of 2 partners meets the common standard (Partner A does not), and 1 has too few answers")


def test_the_ramp_sentence_names_the_surge_threshold_it_was_found_with() -> None:
    weeks = pd.DataFrame(
        {
            "handled_by": ["partner_c"] * 3,
            "week": [0, 1, 2],
            "week_start": pd.to_datetime(["2026-01-05", "2026-01-12", "2026-01-19"]),
            "target": [0.7] * 3,
            "reached_target_week": [2.0] * 3,
            "surge": [False, True, False],
        }
    )
    assert "more than 15% above its trailing average in week 1." in benchmarks.ramp_sentence(weeks)  # type: ignore[operator]
    assert "more than 30% above" in benchmarks.ramp_sentence(weeks, surge=0.3)  # type: ignore[operator]
