"""What each global filter keeps, given rows -> expected rows, and headline periods by hand."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from analytics.analyses import advocacy
from analytics.data import filters, periods
from analytics.data.filters import Filters
from analytics.data.warehouse import Warehouse
from analytics.stats import inference
from tests.conftest import load_tables as load


def contact(i: str, customer: str, at: str, channel: str) -> dict[str, object]:
    return {
        "interaction_id": i,
        "customer_id": customer,
        "started_at": at,
        "channel": channel,
        "journey_stage": "support",
        "contact_reason": "billing_question",
        "handled_by": "in_house",
    }


def response(i: str, customer: str, at: str, ltr: int, interaction: str = "") -> dict[str, object]:
    return {"survey_id": i, "customer_id": customer, "responded_at": at, "ltr": ltr, "interaction_id": interaction}


@pytest.fixture
def small(tmp_path: Path) -> Warehouse:
    """Three customers:

    - A: smb, north, since 2024-01; two voice contacts and one chat contact in February.
    - B: consumer, south, 2024-01 to 2024-02-15; two chat contacts in January.
    - C: consumer, north, since 2024-06; one voice and one chat contact in June (a tie).
    """
    customers = pd.DataFrame(
        [
            ("A", "2024-01-01", "", "smb", "north", "monthly", 100.0),
            ("B", "2024-01-01", "2024-02-15", "consumer", "south", "monthly", 20.0),
            ("C", "2024-06-01", "", "consumer", "north", "monthly", 30.0),
        ],
        columns=["customer_id", "signup_at", "churned_at", "segment", "region", "plan", "monthly_revenue"],
    )
    interactions = pd.DataFrame(
        [
            contact("i1", "A", "2024-02-01 10:00", "voice"),
            contact("i2", "A", "2024-02-02 10:00", "voice"),
            contact("i3", "A", "2024-02-03 10:00", "chat"),
            contact("i4", "B", "2024-01-05 10:00", "chat"),
            contact("i5", "B", "2024-01-06 10:00", "chat"),
            contact("i6", "C", "2024-06-05 10:00", "voice"),
            contact("i7", "C", "2024-06-06 10:00", "chat"),
        ]
    )
    surveys = pd.DataFrame(
        [
            response("r1", "A", "2024-03-01", 9),
            response("r2", "B", "2024-02-01", 3),
            response("r3", "C", "2024-06-30", 8),
            response("t1", "A", "2024-02-03", 10, "i3"),
            response("t2", "A", "2024-02-01", 2, "i1"),
            response("t3", "B", "2024-01-06", 7, "i5"),
        ]
    )
    return load(tmp_path / "wh", tmp_path, customers=customers, interactions=interactions, surveys=surveys)


def ids(t: object, column: str) -> set[str]:
    return set(t.execute()[column])  # type: ignore[attr-defined]


def test_channel_keeps_contacts_and_their_responses_and_customers_by_main_channel(small: Warehouse) -> None:
    voice = Filters(channels=("voice",))
    assert ids(filters.interactions(small, voice), "interaction_id") == {"i1", "i2", "i6"}
    assert ids(filters.surveys(small, voice, kind="transactional"), "survey_id") == {"t2"}
    # A is mainly voice (2 of 3); C ties voice and chat, and a tie goes to the first alphabetically (chat).
    assert ids(filters.customers(small, voice), "customer_id") == {"A"}
    assert ids(filters.surveys(small, voice, kind="relationship"), "survey_id") == {"r1"}
    assert ids(filters.surveys(small, voice), "survey_id") == {"r1", "t2"}
    chat = Filters(channels=("chat",))
    assert ids(filters.customers(small, chat), "customer_id") == {"B", "C"}
    assert ids(filters.surveys(small, chat, kind="relationship"), "survey_id") == {"r2", "r3"}


def test_responses_gathered_without_the_channel_filter_then_filtered_match_the_rule(small: Warehouse) -> None:
    """The analyses gather a scope's responses once without its channel filter and apply it after;
    that must keep exactly what ``filters.surveys`` keeps."""
    for channel in ("voice", "chat", "email"):
        scope = Filters(channels=(channel,))
        for kind in ("relationship", "transactional"):
            kept = set(advocacy.responses(small, scope, kind=kind)["survey_id"].execute())
            if kind == "relationship":  # each customer's latest answer
                rule = filters.surveys(small, scope, kind=kind).execute()
                expected = set(rule.sort_values("responded_at").groupby("customer_id").tail(1)["survey_id"])
            else:
                expected = ids(filters.surveys(small, scope, kind=kind), "survey_id")
            assert kept == expected, (channel, kind)


def test_main_channel_is_read_in_the_date_range(small: Warehouse) -> None:
    # From 2024-02-03 on, A's only contact is chat.
    scope = Filters(start=date(2024, 2, 3), channels=("chat",))
    assert ids(filters.customers(small, scope), "customer_id") == {"A", "C"}


def test_dates_keep_customers_who_were_customers_in_the_range(small: Warehouse) -> None:
    spring = Filters(start=date(2024, 3, 1), end=date(2024, 5, 31))
    assert ids(filters.customers(small, spring), "customer_id") == {"A"}  # B left, C not yet here
    assert ids(filters.surveys(small, spring), "survey_id") == {"r1"}
    assert ids(filters.customers(small, Filters(end=date(2024, 1, 31))), "customer_id") == {"A", "B"}


def test_segment_and_region_apply_to_every_kind_of_row(small: Warehouse) -> None:
    scope = Filters(segments=("consumer",), regions=("north",))
    assert ids(filters.customers(small, scope), "customer_id") == {"C"}
    assert ids(filters.interactions(small, scope), "interaction_id") == {"i6", "i7"}
    assert ids(filters.surveys(small, scope), "survey_id") == {"r3"}


def test_the_rules_in_words_name_every_filter() -> None:
    scope = Filters(date(2024, 1, 1), date(2024, 3, 31), ("smb",), ("north",), ("voice", "chat"))
    rules = filters.scope_rules(scope)
    assert rules["relationship responses"] == (
        "Relationship responses given from 2024-01-01 to 2024-03-31 by customers in segment smb and in region "
        "north and whose contacts in that time were mainly voice or chat."
    )
    assert rules["customers"] == (
        "Customers in segment smb and in region north and who were customers at some time from 2024-01-01 to "
        "2024-03-31 and whose contacts in that time were mainly voice or chat."
    )
    assert rules["post-contact responses"] == (
        "Post-contact responses given from 2024-01-01 to 2024-03-31 about voice or chat contacts, by customers "
        "in segment smb and in region north."
    )
    assert filters.scope_rules(filters.ALL_DATA)["customers"] == "All customers."
    assert Filters(channels=("voice",), segments=("smb",)).slug() == "segment-smb_channel-voice"
    with pytest.raises(ValueError, match="starts .* after it ends"):
        Filters(start=date(2024, 2, 1), end=date(2024, 1, 1))


def test_emptied_by_names_the_filter_that_leaves_nothing(small: Warehouse) -> None:
    assert filters.emptied_by(small, Filters(channels=("social",))) == "the channel filter (social)"
    assert filters.emptied_by(small, Filters(start=date(2024, 4, 1), end=date(2024, 5, 1))) == (
        "the date range 2024-04-01 to 2024-05-01 (the data runs from 2024-01-05 to 2024-06-30)"
    )
    assert filters.emptied_by(small, Filters(segments=("smb",), regions=("south",))) == "the region filter (south)"
    assert filters.emptied_by(small, Filters(segments=("smb",))) is None


def test_headline_compares_the_latest_complete_wave_with_the_one_before(tmp_path: Path) -> None:
    """Thirty customers answer a relationship wave in 2024-Q1 (20 promoters, 5 passives, 5
    detractors: +50) and another in 2024-Q3 (10 / 10 / 10: 0); data to 2024-09-30. The headline
    is Q3 against Q1: -50 points. The same customers answered both waves, so the variance is taken
    customer by customer: with scores s1 (Q1) and s3 (Q3), z_i = (s3_i - 0) / 30 - (s1_i - 0.5) / 30,
    which is +-0.5 / 30 for every customer (C00-09: +1, +1; C10-19: +1, 0; C20-24: 0, -1; C25-29:
    -1, -1). var = 30/29 * 30 * (0.5/30)^2 = 0.0086207, SE = 9.2848 points, so the interval is
    -50 +/- 18.20. Treated as independent samples (Rocks 2016) the SE would be 20.41: answers that
    move together make a change better measured."""
    ids_ = [f"C{i:02d}" for i in range(30)]
    customers = pd.DataFrame(
        {
            "customer_id": ids_,
            "signup_at": ["2023-01-01"] * 30,
            "churned_at": [""] * 30,
            "segment": ["smb"] * 30,
            "region": ["north"] * 30,
            "plan": ["monthly"] * 30,
            "monthly_revenue": [10.0] * 30,
        }
    )
    q1 = [10] * 20 + [7] * 5 + [3] * 5
    q3 = [9] * 10 + [8] * 10 + [0] * 10
    surveys = pd.DataFrame(
        [response(f"q1{c}", c, "2024-02-10", ltr) for c, ltr in zip(ids_, q1, strict=True)]
        + [response(f"q3{c}", c, "2024-08-10", ltr) for c, ltr in zip(ids_, q3, strict=True)]
    )
    interactions = pd.DataFrame([contact("end", "C00", "2024-09-30 12:00", "voice")])
    wh = load(tmp_path / "wh", tmp_path, customers=customers, surveys=surveys, interactions=interactions)
    h = advocacy.headline(wh)
    assert (h.period.label, h.previous_period.label) == ("2024-Q3", "2024-Q1")
    assert h.estimate.score == pytest.approx(0.0) and h.previous.score == pytest.approx(50.0)
    assert h.change.diff == pytest.approx(-50.0)
    assert h.change.se == pytest.approx(100 * math.sqrt(30 / 29 * 30 * (0.5 / 30) ** 2), abs=1e-6)
    assert h.change.se == pytest.approx(9.2848, abs=1e-4)
    assert (h.change.low, h.change.high) == pytest.approx((-50 - 1.959964 * 9.2848, -50 + 1.959964 * 9.2848), abs=1e-3)

    # Under 100 answers on a side the change is tested exactly (the z interval is still shown from 30).
    assert h.change.test == "exact" and h.change.p_value == pytest.approx(
        inference.exact_nps_p_value((10, 10, 10), (20, 5, 5))
    )
    few = advocacy.headline(wh, Filters(segments=("smb",), regions=("north",)), kind="relationship")
    assert few.change is not None  # the same thirty customers: still testable
    # Fewer than 30 answers on a side: the change is tested exactly, without an interval, and says so.
    thin = advocacy.headline(wh, Filters(channels=("voice",)))  # only C00 has a contact
    assert thin.previous is not None and thin.change is not None and thin.change.test == "exact"
    assert math.isnan(thin.change.low) and thin.note.startswith("Few responses")

    # Cut the scope in mid-September: Q3 is no longer complete, so Q1 stands alone.
    cut = advocacy.headline(wh, Filters(end=date(2024, 9, 15)))
    assert cut.period.label == "2024-Q1" and cut.change is None and "No earlier complete quarter" in cut.note
    # A scope inside one quarter: no complete period; the whole scope is counted.
    inside = advocacy.headline(wh, Filters(start=date(2024, 8, 1), end=date(2024, 8, 31)))
    assert inside.period.label == "2024-08-01 to 2024-08-31" and inside.estimate.n == 30 and inside.change is None
    # Between the waves: nothing, said in words.
    between = advocacy.headline(wh, Filters(start=date(2024, 4, 1), end=date(2024, 6, 30)))
    assert between.estimate.n == 0 and between.estimate.score is None
    assert between.note == "No relationship responses in this scope."


def test_calendar_periods() -> None:
    q = periods.calendar_period(pd.Timestamp("2025-08-17", tz="UTC"), "quarter")
    assert (q.start, q.end, q.label) == (date(2025, 7, 1), date(2025, 9, 30), "2025-Q3")
    m = periods.calendar_period(date(2024, 2, 10), "month")
    assert (m.start, m.end, m.label) == (date(2024, 2, 1), date(2024, 2, 29), "2024-02")
    assert periods.is_complete(q, Filters(), date(2025, 9, 30))
    assert not periods.is_complete(q, Filters(), date(2025, 9, 29))
    assert not periods.is_complete(q, Filters(start=date(2025, 7, 2)), date(2025, 12, 31))
