"""Moments of truth: the met rule, swings and slopes by hand, the Pareto, and the planted moments found."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from analytics import demo
from analytics.analyses import moments, priorities
from analytics.data import warehouse
from analytics.data.filters import Filters
from analytics.stats import actions, nps
from tests.conftest import load_tables


def _customers(ids: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ids,
            "signup_at": ["2023-01-01"] * len(ids),
            "churned_at": [""] * len(ids),
            "segment": ["consumer"] * len(ids),
            "region": ["north"] * len(ids),
            "plan": ["monthly"] * len(ids),
            "monthly_revenue": [10.0 + i for i in range(len(ids))],
        }
    )


def _contact(i: int, customer: str, **kw: object) -> dict[str, object]:
    row: dict[str, object] = {
        "interaction_id": f"I{i}",
        "customer_id": customer,
        "started_at": f"2024-03-{1 + i % 28:02d} 10:00:00",
        "channel": "voice",
        "journey_stage": "pay",
        "contact_reason": "billing_dispute",
        "handled_by": "in_house",
        "wait_seconds": 60.0,
        "transfers": 0,
        "is_resolved": True,
        "is_escalated": False,
        "cost": 5.0,
    }
    row.update(kw)
    return row


def test_the_met_rule_by_hand(tmp_path: Path) -> None:
    """Voice target 180 s, at most one transfer, resolved: I0 meets all; I1 waited 200 s; I2 was
    transferred twice; I3 was not resolved; I4 has no wait recorded (no verdict); I5 is email, whose
    target is 8 h, after 2 h. Switching the wait criterion off makes I1 met and gives I4 a verdict."""
    rows = [
        _contact(0, "A"),
        _contact(1, "A", wait_seconds=200.0),
        _contact(2, "A", transfers=2),
        _contact(3, "A", is_resolved=False),
        _contact(4, "A", wait_seconds=None),
        _contact(5, "A", channel="email", wait_seconds=7200.0),
    ]
    wh = load_tables(tmp_path / "wh", tmp_path, customers=_customers(["A"]), interactions=pd.DataFrame(rows))
    met = moments.contacts(wh).execute().set_index("interaction_id")["met"]
    assert met.to_dict() == {"I0": True, "I1": False, "I2": False, "I3": False, "I4": None, "I5": True}
    relaxed = moments.MetRule(wait_targets={})
    again = moments.contacts(wh, rule=relaxed).execute().set_index("interaction_id")["met"]
    assert again["I1"] and again["I4"]
    assert "voice 3 min" in moments.MetRule().describe() and "wait" not in relaxed.describe()


def test_swing_and_slope_equal_brute_force(tmp_path: Path) -> None:
    """Forty customers with several answers each, some met and some not: the swing is NPS(met) -
    NPS(not met); its variance equals C/(C-1) * sum_i z_i^2 over customers computed here; the LTR
    slope on CSAT equals numpy's least squares and its clustered variance the sandwich by hand."""
    rng = np.random.default_rng(4)
    rows, answers = [], []
    for c in range(40):
        leaning = rng.normal(0, 1.5)
        for k in range(int(rng.integers(1, 5))):
            i = len(rows)
            met = bool(rng.uniform() < 0.6)
            rows.append(_contact(i, f"C{c}", is_resolved=met))
            csat = int(np.clip(round(3 + leaning + 0.8 * met + rng.normal(0, 0.7)), 1, 5))
            ltr = int(np.clip(round(6.5 + 1.2 * leaning + 2.0 * met + rng.normal(0, 1.0)), 0, 10))
            answers.append(
                {"survey_id": f"S{i}", "customer_id": f"C{c}", "interaction_id": f"I{i}",
                 "responded_at": rows[-1]["started_at"], "ltr": ltr, "csat": csat, "met": met}
            )  # fmt: skip
            del k
    a = pd.DataFrame(answers)
    wh = load_tables(
        tmp_path / "wh",
        tmp_path,
        customers=_customers([f"C{c}" for c in range(40)]),
        interactions=pd.DataFrame(rows),
        surveys=a.drop(columns="met"),
    )
    row = moments.moment_map(wh, actions=moments.ActionRule(min_n=1)).iloc[0]
    a["score"] = np.where(a["ltr"] >= 9, 1, np.where(a["ltr"] <= 6, -1, 0))
    met, not_met = a[a["met"]], a[~a["met"]]
    assert row["swing"] == pytest.approx(100 * (met["score"].mean() - not_met["score"].mean()))
    r1, r0 = met["score"].mean(), not_met["score"].mean()
    z = (
        pd.concat(
            [
                met.groupby("customer_id")["score"].agg(lambda s: (s - r1).sum()) / len(met),
                -not_met.groupby("customer_id")["score"].agg(lambda s: (s - r0).sum()) / len(not_met),
            ],
            axis=1,
        )
        .fillna(0.0)
        .sum(axis=1)
    )
    variance = len(z) / (len(z) - 1) * float((z**2).sum())
    d = nps.nps_difference(
        nps.nps_from_scores(met["ltr"].to_numpy()), nps.nps_from_scores(not_met["ltr"].to_numpy()),
        variance=variance,
    )  # fmt: skip
    assert (row["swing_low"], row["swing_high"], row["swing_p"]) == pytest.approx((d.low, d.high, d.p_value))
    # The z test and the interval share the clustered variance: z = swing / se, p = erfc(|z| / sqrt 2).
    se = math.sqrt(variance) * 100
    assert row["swing_p"] == pytest.approx(math.erfc(abs(row["swing"] / se) / math.sqrt(2)))

    x, y = a["csat"].to_numpy(float), a["ltr"].to_numpy(float)
    slope, intercept = np.polyfit(x, y, 1)
    assert row["ltr_slope"] == pytest.approx(slope)
    g = a.assign(s=(x - x.mean()) * (y - intercept - slope * x)).groupby("customer_id")["s"].sum()
    var = len(g) / (len(g) - 1) * float((g**2).sum()) / float(((x - x.mean()) ** 2).sum()) ** 2
    assert row["ltr_slope_high"] - row["ltr_slope"] == pytest.approx(1.959964 * math.sqrt(var), rel=1e-5)
    assert row["volume"] == len(rows) and row["n"] == len(a)
    assert row["at_stake"] == pytest.approx(row["volume"] * (1 - row["met_rate"]) * row["swing"] / 100)


@pytest.mark.parametrize(
    ("numbers", "action"),
    [
        # A large significant swing: never Right-size, whatever the delivery.
        ({"swing": 30, "swing_low": 15, "swing_high": 45, "met_rate": 0.5, "value_ratio": 2.0}, "Fix"),
        ({"swing": 30, "swing_low": 15, "swing_high": 45, "met_rate": 0.9, "value_ratio": 2.0}, "Delight"),
        ({"swing": 30, "swing_low": 15, "swing_high": 45, "met_rate": 0.9, "value_ratio": 0.8}, "Maintain"),
        # Exactly at the threshold and significant: it matters.
        ({"swing": 10, "swing_low": 1, "swing_high": 19, "met_rate": 0.5, "value_ratio": 1.0}, "Fix"),
        # Large but not significant: the interval reaches 0, so the evidence is unclear, not small.
        ({"swing": 30, "swing_low": -5, "swing_high": 65, "met_rate": 0.5, "value_ratio": 2.0}, "Unclear"),
        # Small estimate whose interval reaches the threshold: unclear.
        ({"swing": 5, "swing_low": -2, "swing_high": 12, "met_rate": 0.5, "value_ratio": 2.0}, "Unclear"),
        ({"swing": 5, "swing_low": 0.5, "swing_high": 10, "met_rate": 0.5, "value_ratio": 2.0}, "Unclear"),
        # A tight interval wholly below the threshold: Right-size, significant or not.
        ({"swing": 5, "swing_low": 2, "swing_high": 8, "met_rate": 0.5, "value_ratio": 2.0}, "Right-size"),
        ({"swing": -3, "swing_low": -8, "swing_high": 2, "met_rate": 0.5, "value_ratio": 2.0}, "Right-size"),
        ({"swing": 30, "swing_low": 15, "swing_high": 45, "met_rate": 0.5, "value_ratio": 2.0, "n_met": 12}, "Too few responses"),
        ({"swing": math.nan, "swing_low": math.nan, "swing_high": math.nan, "met_rate": 1.0, "value_ratio": 1.0,
          "n_met": 80, "n_not_met": 0}, "All met"),
    ],
)  # fmt: skip
def test_actions_follow_the_documented_thresholds(numbers: dict[str, float], action: str) -> None:
    row = pd.DataFrame([{"n_met": 100, "n_not_met": 100, **numbers}]).iloc[0]
    assert moments._action(row, moments.ActionRule()) == action


@given(
    swing=st.floats(-60, 60),
    half=st.floats(0.1, 40),
    materiality=st.sampled_from([5.0, 10.0, 15.0]),
)
def test_the_action_rule_never_advises_cutting_a_swing_that_could_matter(
    swing: float, half: float, materiality: float
) -> None:
    """Right-size exactly when the whole interval lies below the threshold; a material action
    exactly when the interval clears 0 and the estimate reaches the threshold; Unclear otherwise."""
    row = pd.Series(
        {"n_met": 100, "n_not_met": 100, "swing": swing, "swing_low": swing - half, "swing_high": swing + half}
        | {"met_rate": 0.5, "value_ratio": 1.0}
    )
    action = moments._action(row, moments.ActionRule(materiality=materiality))
    assert (action == "Right-size") == (swing + half < materiality)
    assert (action == "Fix") == (swing - half > 0 and swing >= materiality)
    if action == "Unclear":
        needed = actions.answers_to_settle(200, swing, swing - half, swing + half, materiality)
        assert needed > 0
        # With that many more answers the half-width shrinks by sqrt(n / (n + more)) and settles it.
        shrunk = half * math.sqrt(200 / (200 + needed))
        assert (swing + shrunk <= materiality + 1e-9) or (swing - shrunk >= -1e-9 and swing >= materiality)


def test_answers_to_settle_by_hand() -> None:
    """Swing +5 (95% CI -1 to +11), 400 answers, threshold 10: the half-width 6 must fall below
    10 - 5 = 5, so 400 x (6/5)^2 = 576 answers in all: 176 more. Swing +30 (-10 to +70): the
    half-width 40 must fall below 30: 400 x (40/30)^2 = 711.1, so 312 more."""
    assert actions.answers_to_settle(400, 5, -1, 11, 10) == 176
    assert actions.answers_to_settle(400, 30, -10, 70, 10) == 312
    assert actions.answers_to_settle(400, 5, 2, 8, 10) == 0
    assert math.isnan(actions.answers_to_settle(400, 5, math.nan, 8, 10))


def test_pareto_by_hand(tmp_path: Path) -> None:
    """Reasons a (6 contacts), b (3), c (1): shares 0.6, 0.3, 0.1; a crosses 80% with b, so a and b
    are the vital few. Customer A's second contact about a came 3 days after the first (a repeat);
    the third 10 days after the second (not). One of the b contacts was escalated."""
    rows = [
        _contact(0, "A", contact_reason="a", started_at="2024-03-01 10:00:00"),
        _contact(1, "A", contact_reason="a", started_at="2024-03-04 10:00:00"),
        _contact(2, "A", contact_reason="a", started_at="2024-03-14 10:00:00"),
        *[_contact(3 + i, "B", contact_reason="a", started_at=f"2024-0{4 + i}-01 10:00:00") for i in range(3)],
        _contact(6, "B", contact_reason="b", is_escalated=True, cost=9.0),
        _contact(7, "A", contact_reason="b", started_at="2024-05-01 10:00:00"),
        _contact(8, "B", contact_reason="b", started_at="2024-06-01 10:00:00"),
        _contact(9, "A", contact_reason="c"),
    ]
    wh = load_tables(tmp_path / "wh", tmp_path, customers=_customers(["A", "B"]), interactions=pd.DataFrame(rows))
    p = moments.pareto(wh).set_index("contact_reason")
    assert p["volume_share"].to_dict() == pytest.approx({"a": 0.6, "b": 0.3, "c": 0.1})
    assert p["vital_few"].to_dict() == {"a": True, "b": True, "c": False}
    assert p.loc["a", "repeat_rate"] == pytest.approx(1 / 6) and p.loc["b", "repeat_rate"] == 0
    assert p.loc["b", "escalation_rate"] == pytest.approx(1 / 3)
    assert p.loc["b", "cost_per_contact"] == pytest.approx((9 + 5 + 5) / 3)


def test_an_empty_scope_is_an_empty_map_with_its_columns(demo_warehouse: Path) -> None:
    wh = warehouse.open(demo_warehouse)
    far = Filters(start=pd.Timestamp("2001-01-01").date(), end=pd.Timestamp("2001-02-01").date())
    empty = moments.moment_map(wh, far)
    assert empty.empty and {"swing", "action", "met_rate"} <= set(empty.columns)
    assert moments.pareto(wh, far).empty
    assert priorities.rank(empty, None).empty


def test_the_planted_moments_of_truth_are_found(default_demo: Path) -> None:
    """On the default demo: the four planted moments of truth (importance >= 1 in truth.json) are the
    top four by attitude swing and the top four by LTR slope, each swing's interval excludes 0 and each
    gets a material action; the planted low-impact reasons never do, and the one with the most answers
    after missed contacts has the evidence to be Right-size."""
    truth = demo.load_truth(default_demo)
    table = moments.moment_map(warehouse.open(default_demo))
    planted = set(truth["moments_of_truth"])
    assert set(table.nlargest(4, "swing")["contact_reason"]) == planted
    assert set(table.nlargest(4, "ltr_slope")["contact_reason"]) == planted
    assert (table[table["contact_reason"].isin(planted)]["swing_low"] > 0).all()
    # The planted moments of truth matter: a material action each. The low-impact reasons never get
    # one, and the one with the most answers after missed contacts has the evidence to be Right-size
    # (password reset meets expectations so often that its missed side stays thin).
    assert table[table["contact_reason"].isin(planted)]["action"].isin(actions.MATERIAL_ACTIONS).all()
    low = table[table["contact_reason"].isin(truth["low_impact"])].set_index("contact_reason")
    assert not low["action"].isin(actions.MATERIAL_ACTIONS).any(), low[["swing", "swing_high", "action"]]
    assert low.loc[low["n_not_met"].idxmax(), "action"] == "Right-size", low[["n_not_met", "swing_high"]]
