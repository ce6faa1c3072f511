"""Each expectation in the suites catches what it is meant to, and the suites agree with the schema."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

from analytics.data import quality, schema

NOW = datetime(2025, 1, 1, tzinfo=UTC)


def frame(table: str, **overrides: list[object]) -> pd.DataFrame:
    """Three valid typed rows of ``table``, with some columns replaced."""
    ts = pd.Timestamp("2024-06-01", tz="UTC")
    base: dict[str, dict[str, list[object]]] = {
        "customers": {
            "customer_id": ["a", "b", "c"], "signup_at": [ts] * 3, "churned_at": [pd.NaT, ts, pd.NaT],
            "segment": ["smb"] * 3, "region": ["n"] * 3, "plan": ["p"] * 3, "monthly_revenue": [1.0, 2.0, 3.0],
        },
        "interactions": {
            "interaction_id": ["a", "b", "c"], "customer_id": ["x"] * 3, "started_at": [ts] * 3,
            "channel": ["voice", "chat", "ivr"], "journey_stage": ["pay", "use", "get"], "contact_reason": ["r"] * 3,
            "handled_by": ["h"] * 3, "wait_seconds": [0.0, 1.0, 2.0], "handle_seconds": [1.0] * 3,
            "transfers": pd.array([0, 1, 2], dtype="Int64"), "cost": [0.5] * 3,
        },
        "surveys": {
            "survey_id": ["a", "b", "c"], "customer_id": ["x"] * 3, "responded_at": [ts] * 3,
            "ltr": pd.array([0, 7, 10], dtype="Int64"), "csat": pd.array([1, 3, 5], dtype="Int64"),
            "effort": pd.array([1, 4, 7], dtype="Int64"), "rating_empathy": [1.0, 5.0, 10.0],
        },
        "attributes": {
            "attribute": ["speed", "empathy", "x"], "label": ["S", "E", "X"], "kind": ["tactile", "emotive", "tactile"],
            "scale_min": [1, 1, 0], "scale_max": [5, 5, 10],
        },
        "assessment": {"question_id": ["q1", "q2", "q3"], "answer": ["yes", "no", "partly"]},
        "invitations": {
            "invitation_id": ["a", "b", "c"], "customer_id": ["x"] * 3, "interaction_id": ["i", None, "j"],
            "sent_at": [ts] * 3, "channel": ["email", "sms", "in_app"],
        },
    }  # fmt: skip
    data = dict(base[table])
    data.update(overrides)
    return pd.DataFrame(data)


@pytest.mark.parametrize("table", list(schema.TABLES))
def test_valid_rows_pass_every_expectation(table: str) -> None:
    result = quality.validate(table, frame(table), now=NOW)
    assert [c.message for c in result.checks if not c.success] == []
    assert result.row_reasons == {}
    assert len(result.checks) >= 3


LATER = pd.Timestamp("2026-01-01", tz="UTC")
EARLY = pd.Timestamp("2020-01-01", tz="UTC")
TS = pd.Timestamp("2024-06-01", tz="UTC")

BAD = [
    ("customers", {"monthly_revenue": [1.0, -2.0, 3.0]}, "monthly_revenue must be ≥ 0", 1),
    ("customers", {"signup_at": [LATER, TS, TS]}, "signup_at must be ≤ now", 0),
    ("customers", {"churned_at": [pd.NaT, EARLY, pd.NaT]}, "churned_at must be ≥ signup_at", 1),
    ("customers", {"segment": ["smb", None, "smb"]}, "segment must not be empty", 1),
    ("interactions", {"channel": ["voice", "fax", "chat"]}, "channel must be one of", 1),
    ("interactions", {"journey_stage": ["pay", "pay", "after"]}, "journey_stage must be one of", 2),
    ("interactions", {"started_at": [TS, TS, LATER]}, "started_at must be ≤ now", 2),
    ("interactions", {"wait_seconds": [0.0, -1.0, 2.0]}, "wait_seconds must be ≥ 0", 1),
    ("interactions", {"transfers": pd.array([0, -1, 0], dtype="Int64")}, "transfers must be ≥ 0", 1),
    ("interactions", {"cost": [0.5, 0.5, -0.1]}, "cost must be ≥ 0", 2),
    ("interactions", {"customer_id": [None, "x", "x"]}, "customer_id must not be empty", 0),
    ("surveys", {"ltr": pd.array([0, 11, 10], dtype="Int64")}, "ltr must be between 0 and 10", 1),
    ("surveys", {"csat": pd.array([0, 3, 5], dtype="Int64")}, "csat must be between 1 and 5", 0),
    ("surveys", {"effort": pd.array([1, 8, 7], dtype="Int64")}, "effort must be between 1 and 7", 1),
    ("surveys", {"rating_empathy": [1.0, 11.0, 3.0]}, "rating_empathy must be between 0 and 10", 1),
    ("attributes", {"kind": ["tactile", "visceral", "emotive"]}, "kind must be one of tactile, emotive", 1),
    ("attributes", {"scale_max": [5, 1, 10]}, "scale_max must be > scale_min", 1),
    ("assessment", {"answer": ["yes", None, "no"]}, "answer must not be empty", 1),
    ("assessment", {"answer": ["yes", "no", "maybe"]}, "answer must be one of", 2),
    ("invitations", {"customer_id": ["x", "x", None]}, "customer_id must not be empty", 2),
    ("invitations", {"sent_at": [TS, LATER, TS]}, "sent_at must be ≤ now", 1),
    ("invitations", {"sent_at": [TS, pd.NaT, TS]}, "sent_at must not be empty", 1),
]


@pytest.mark.parametrize(("table", "overrides", "says", "bad_row"), BAD)
def test_each_expectation_catches_its_bad_value(table: str, overrides: dict, says: str, bad_row: int) -> None:
    result = quality.validate(table, frame(table, **overrides), now=NOW)
    failed = [c for c in result.checks if not c.success]
    assert len(failed) == 1, [c.message for c in failed]
    assert failed[0].message.startswith(says)
    assert failed[0].unexpected_count == 1
    assert list(result.row_reasons) == [bad_row]


def test_duplicate_keys_are_a_batch_level_failure() -> None:
    result = quality.validate("interactions", frame("interactions", interaction_id=["a", "a", "c"]), now=NOW)
    assert [c.rule for c in result.rejected_by] == ["expect_column_values_to_be_unique"]


def test_chunks_report_rows_by_position_in_the_whole_batch() -> None:
    bad = frame("surveys", ltr=pd.array([11, 7, 12], dtype="Int64"))
    chunks = [frame("surveys"), bad]
    result = quality.validate("surveys", chunks, now=NOW)
    (check,) = [c for c in result.checks if not c.success]
    assert check.unexpected_count == 2 and set(check.examples) == {"11", "12"}
    assert sorted(result.row_reasons) == [3, 5]


@pytest.mark.parametrize("table", list(schema.TABLES))
def test_suites_only_name_canonical_columns(table: str) -> None:
    spec = schema.table(table)
    for e in quality.load_suite(table)["expectations"]:
        for key in ("column", "column_A", "column_B"):
            if key in e["kwargs"]:
                assert spec.is_canonical(e["kwargs"][key]), e
        assert e["meta"]["policy"] in {"reject", "quarantine"}
    keyed = [e for e in quality.load_suite(table)["expectations"] if e["type"] == "expect_column_values_to_be_unique"]
    assert [e["kwargs"]["column"] for e in keyed] == [spec.key]


def test_code_lists_match_the_schema() -> None:
    sets = {
        e["kwargs"]["column"]: tuple(e["kwargs"]["value_set"])
        for t in schema.TABLES
        for e in quality.load_suite(t)["expectations"]
        if e["type"] == "expect_column_values_to_be_in_set"
    }
    assert sets == {
        "channel": schema.CHANNELS,
        "journey_stage": schema.JOURNEY_STAGES,
        "kind": schema.ATTRIBUTE_KINDS,
        "answer": schema.ASSESSMENT_ANSWERS,
    }
