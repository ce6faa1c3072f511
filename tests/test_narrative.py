"""The sentences that open each page say what the numbers say, with their uncertainty, and no more."""

from __future__ import annotations

from datetime import date

import pandas as pd

from analytics.analyses import advocacy
from analytics.data.periods import Period
from analytics.report import columns, narrative
from analytics.stats import nps

Q2 = Period(date(2026, 4, 1), date(2026, 6, 30), "2026-Q2")
Q4 = Period(date(2025, 10, 1), date(2025, 12, 31), "2025-Q4")


def headline(current: tuple[int, int, int], previous: tuple[int, int, int] | None) -> advocacy.Headline:
    est = nps.nps_estimate(*current)
    if previous is None:
        return advocacy.Headline("relationship", est, Q2, note="No earlier complete quarter to compare with.")
    before = nps.nps_estimate(*previous)
    return advocacy.Headline("relationship", est, Q2, before, Q4, nps.nps_difference(est, before))


def test_a_headline_gives_the_score_its_interval_n_and_whether_the_change_is_significant() -> None:
    h = headline((400, 300, 300), (300, 300, 400))  # +10.0 against -10.0 on 1,000 each
    c = h.change
    assert c is not None and c.p_value < 0.05
    assert narrative.headline_sentence(h) == (
        f"Relationship NPS for 2026-Q2 is +10.0 (95% CI {columns.fmt('score', h.estimate.low)} to "
        f"{columns.fmt('score', h.estimate.high)}, 1,000 responses), 20.0 points up on 2025-Q4; the change "
        f"(95% CI {columns.fmt('diff', c.low)} to {columns.fmt('diff', c.high)}) is significant."
    )
    small = headline((4, 3, 3), (3, 3, 4))
    assert small.change is not None and small.change.p_value > 0.05
    assert narrative.headline_sentence(small).endswith("is not significant.")


def test_a_headline_without_responses_or_comparison_says_so() -> None:
    assert narrative.headline_sentence(headline((0, 0, 0), None)) == (
        "There are no relationship responses for 2026-Q2 in this scope."
    )
    alone = narrative.headline_sentence(headline((5, 3, 2), None))
    assert alone.endswith("responses). No earlier complete quarter to compare with.")


def groups(significant: list[bool], diffs: list[float]) -> pd.DataFrame:
    n = len(diffs)
    return pd.DataFrame(
        {
            "group": ["enterprise", "smb", "consumer"][:n],
            "n": [20, 200, 900][:n],
            "score": [-7.0, 10.0, 12.0][:n],
            "low": [-14.0, 5.0, 9.0][:n],
            "high": [-1.0, 15.0, 15.0][:n],
            "diff": diffs,
            "significant": significant,
            "small_n": [True, False, False][:n],
        }
    )


def test_the_largest_significant_gap_is_named_with_its_interval() -> None:
    text = narrative.group_sentence(groups([True, False, True], [-19.0, -1.0, 4.0]), "segment")
    assert text == (
        "NPS for enterprise customers (-7.0, 95% CI -14.0 to -1.0) is 19.0 points below the rest; the gap is "
        "significant after Holm's correction. 1 other group also differs."
    )


def test_no_gap_is_claimed_where_none_is_significant() -> None:
    text = narrative.group_sentence(groups([False, False, False], [-19.0, -1.0, 4.0]), "plan")
    assert text == (
        "No plan differs significantly from the rest (Holm-adjusted, 5%). 1 of the 3 groups has fewer than 30 "
        "responses."
    )
    assert narrative.group_sentence(groups([], []), "channel") == (
        "There are no responses to cut by channel in this scope."
    )


def test_quality_summary_counts_batches_quarantine_and_references() -> None:
    history = pd.DataFrame({"status": ["committed", "rejected", "committed"], "rows_in": [100, 50, 50]})
    quarantine = pd.DataFrame({"table": ["surveys"], "reasons": ["ltr out of range"], "rows": [4]})
    gaps = pd.DataFrame({"rows_missing": [0, 3]})
    assert narrative.quality_summary(history, quarantine, gaps) == [
        "3 batches ingested; 1 rejected whole.",
        "4 rows are in quarantine (2.00% of 200 rows received).",
        "3 stored rows name a customer or contact that is not stored.",
    ]
    assert narrative.quality_summary(history.iloc[:0], quarantine.iloc[:0], gaps.iloc[:0]) == [
        "Nothing has been ingested yet."
    ]


def test_the_registry_formats_intervals_and_money_as_a_reader_expects() -> None:
    assert columns.fmt_interval("nps_ci", 12.46, 10.8, 14.2) == "+12.5 (+10.8 to +14.2)"
    assert columns.fmt_interval("nps_ci", None, None, None) == "no responses"
    assert columns.fmt_interval("response_ci", 0.2, float("nan"), float("nan")) == "20.0% (too few to bound)"
    assert columns.fmt_interval("churn_ci", 1.234, 1.1, 1.4) == "1.23 (1.10 to 1.40)"  # per 100 customer-months
    assert columns.fmt("revenue", 457807.28) == "$457.8k"
    assert columns.fmt("revenue", 30.25) == "$30.25"
    assert columns.fmt("revenue", 2_400_000) == "$2.4M"
    assert columns.fmt("p_adjusted", 0.0004) == "<0.001"
    assert columns.fmt("score", float("nan")) == "—"
    assert columns.axis_title("score") == "NPS (points)"
    shown = columns.present(groups([True], [-19.0]), ["group", "n", "nps_ci"], group="segment")
    assert list(shown.columns) == ["Segment", "Responses", "NPS (95% CI)"]
    assert shown.iloc[0].tolist() == ["Enterprise", 20, "-7.0 (-14.0 to -1.0)"]
    exported = columns.export(groups([True], [-19.0]), ["group", "nps_ci"], group="segment")
    assert list(exported.columns) == ["Segment", "NPS", "NPS, lower 95% bound", "NPS, upper 95% bound"]


def test_one_group_is_not_said_to_differ_or_not_from_a_rest_it_does_not_have() -> None:
    only = groups([False], [float("nan")]).assign(group=["smb"])
    assert narrative.group_sentence(only, "segment") == (
        "Only SMB customers are in this scope, so there is no rest to compare them with; cut by another dimension."
    )
