"""Response rates and the weighted NPS: by hand on given rows, and against the planted population NPS."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analytics import demo
from analytics.analyses import nonresponse
from analytics.data import warehouse
from tests.conftest import load_tables


def _contact(i: int, customer: str, channel: str, handled_by: str) -> dict[str, object]:
    return {
        "interaction_id": f"I{i}",
        "customer_id": customer,
        "started_at": f"2024-03-{1 + i % 28:02d} 10:00:00",
        "channel": channel,
        "journey_stage": "support",
        "contact_reason": "billing_question",
        "handled_by": handled_by,
    }


@pytest.fixture
def given(tmp_path: Path) -> warehouse.Warehouse:
    """Web contacts: 10 handled by automation (2 answered, both promoters) and 10 by a person
    (5 answered: 1 promoter, 4 detractors); 2 email contacts, unanswered. Customer A also got two relationship invitations and
    answered the second one only; customer B got one and never answered."""
    customers = pd.DataFrame(
        {
            "customer_id": ["A", "B"],
            "signup_at": ["2023-01-01"] * 2,
            "churned_at": [""] * 2,
            "segment": ["consumer", "smb"],
            "region": ["north"] * 2,
            "plan": ["monthly"] * 2,
            "monthly_revenue": [10.0, 20.0],
        }
    )
    contacts = [_contact(i, "A" if i % 2 else "B", "web", "automation" if i < 10 else "in_house") for i in range(20)]
    contacts += [_contact(i, "A", "email", "partner_a") for i in (20, 21)]  # invited, never answered
    invitations = [
        {"invitation_id": f"V{i}", "customer_id": c["customer_id"], "interaction_id": c["interaction_id"],
         "sent_at": c["started_at"], "channel": "in_app"}
        for i, c in enumerate(contacts)
    ] + [
        {"invitation_id": "R1", "customer_id": "A", "interaction_id": "", "sent_at": "2024-01-10", "channel": "email"},
        {"invitation_id": "R2", "customer_id": "A", "interaction_id": "", "sent_at": "2024-07-10", "channel": "email"},
        {"invitation_id": "R3", "customer_id": "B", "interaction_id": "", "sent_at": "2024-07-10", "channel": "email"},
    ]  # fmt: skip
    answered = {0: 10, 1: 9, 10: 9, 11: 3, 12: 2, 13: 6, 14: 0}
    surveys = [
        {"survey_id": f"S{i}", "customer_id": contacts[i]["customer_id"], "interaction_id": f"I{i}",
         "responded_at": contacts[i]["started_at"], "ltr": ltr}
        for i, ltr in answered.items()
    ] + [{"survey_id": "SR", "customer_id": "A", "interaction_id": "", "responded_at": "2024-07-12", "ltr": 8}]  # fmt: skip
    return load_tables(
        tmp_path / "wh",
        tmp_path,
        customers=customers,
        interactions=pd.DataFrame(contacts),
        invitations=pd.DataFrame(invitations),
        surveys=pd.DataFrame(surveys),
    )


def test_response_rates_and_weights_by_hand(given: warehouse.Warehouse) -> None:
    """Rates: automation 2/10, person 5/10. Weights: automation answers count 5 each, person answers
    2 each. Weighted shares: promoters (2*5 + 1*2) / (2*5 + 5*2) = 12/20, detractors 8/20 -> +20.
    Unweighted: 3 promoters and 4 detractors of 7 -> -14.3.

    Variance, customer by customer: the automated cell is all promoters (residuals 0); the person
    cell's mean score is -0.6, so B's answers (+1, -1, -1) leave residuals 1.6, -0.4, -0.4 and A's
    (-1, -1) leave -0.4, -0.4. Weighted by 2: E_B = 1.6, E_A = -1.6. V = 2/1 * 5.12 / 20^2 = 0.0256;
    the unit variance 0.6 + 0.4 - 0.2^2 = 0.96 makes it worth 0.96 / 0.0256 = 37.5 answers. With
    two customers the interval uses t on 1 degree of freedom, so it is wide."""
    rates = nonresponse.response_rates(given, by="handled_by").set_index("group")
    assert rates.loc["automation", ["invited", "answered"]].tolist() == [10, 2]
    assert rates.loc["in_house", "response_rate"] == pytest.approx(0.5)
    w = nonresponse.weighted_nps_by(given, by="channel").set_index("group").loc["web"]
    assert w["score"] == pytest.approx(20.0)
    assert w["unweighted"] == pytest.approx(100 * (3 - 4) / 7)
    assert w["effective_n"] == pytest.approx(37.5)
    assert w["low"] < 20 < w["high"] and w["high"] - w["low"] > 100  # t(1): honest about two customers
    assert w["uncovered"] == 0


def test_a_relationship_invitation_is_answered_until_the_next_one(given: warehouse.Warehouse) -> None:
    """A's July answer belongs to the July invitation, not the January one; B never answered."""
    rows = nonresponse.invited(given, kind="relationship").execute().set_index("invitation_id")
    assert rows["answered"].to_dict() == {"R1": False, "R2": True, "R3": False}
    rates = nonresponse.response_rates(given, by="segment").set_index("group")
    assert rates["answered"].to_dict() == {"consumer": 1, "smb": 0}
    assert rates["invited"].to_dict() == {"consumer": 2, "smb": 1}


def test_cells_without_answers_are_reported_not_hidden(given: warehouse.Warehouse) -> None:
    """Nobody answered by email: no weight can speak for those invitations, so the email group has no
    score and all its invitations are uncovered; in the whole scope they are 2 of 22."""
    w = nonresponse.weighted_nps_by(given, by="channel").set_index("group")
    assert w.loc["email", "invited"] == 2 and w.loc["email", "n"] == 0
    assert np.isnan(w.loc["email", "score"]) and w.loc["email", "uncovered"] == 1.0
    assert nonresponse.weighted_nps(given)["uncovered"] == pytest.approx(2 / 22)


def test_without_invitations_nothing_is_invented(demo_warehouse: Path, tmp_path: Path) -> None:
    wh = load_tables(tmp_path / "wh", tmp_path, customers=pd.DataFrame({
        "customer_id": ["A"], "signup_at": ["2023-01-01"], "churned_at": [""], "segment": ["consumer"],
        "region": ["north"], "plan": ["monthly"], "monthly_revenue": [1.0]}))  # fmt: skip
    assert not nonresponse.available(wh)
    assert nonresponse.response_rates(wh, by="channel").empty
    assert nonresponse.weighted_nps_by(wh, by="channel").empty


def test_weighting_moves_nps_towards_the_planted_population(default_demo: Path) -> None:
    """The population NPS (every invited contact's LTR, in truth.json) against the plain NPS of the
    answers and the weighted one. Web is where automation answers least and feels best: weighting
    must bring it nearer the truth (measured at seed 7: truth +10.6, answers +9.0, weighted +10.4).
    Over all channels the weighted errors add up to less, and the weighted intervals hold the truth."""
    wh = warehouse.open(default_demo)
    population = demo.load_truth(default_demo)["population_nps"]["post_contact"]
    by_channel = nonresponse.weighted_nps_by(wh, by="channel").set_index("group")
    truth = pd.Series({c: v["nps"] for c, v in population["by_channel"].items()}).reindex(by_channel.index)
    web = by_channel.loc["web"]
    assert abs(web["score"] - truth["web"]) < abs(web["unweighted"] - truth["web"])
    assert (by_channel["score"] - truth).abs().sum() < (by_channel["unweighted"] - truth).abs().sum()
    covered = (by_channel["low"] < truth) & (truth < by_channel["high"])
    assert covered.sum() >= len(covered) - 1  # 95% intervals: one of six may miss (none does here)
    whole = nonresponse.weighted_nps(wh)
    assert whole["low"] < population["overall"]["nps"] < whole["high"]
    rates = nonresponse.response_rates(wh, by="handled_by").set_index("group")["response_rate"]
    assert rates["automation"] == pytest.approx(demo.TRANSACTIONAL_RESPONSE["automated"], abs=0.01)
    assert rates.drop("automation").between(0.12, 0.16).all()
