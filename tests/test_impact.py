"""The value case: its estimators by hand, and the whole chain against the demo's planted truth."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from analytics import cli, demo
from analytics.analyses import impact, moments
from analytics.analyses.impact import ImpactAssumptions
from analytics.analyses.value import ValueAssumptions
from analytics.data import memo, warehouse
from analytics.data.filters import Filters
from analytics.stats.payback import payback_months, value_per_contact
from analytics.stats.reliability import quasi_simplex
from analytics.stats.resampling import poisson_weights

# --- estimators ------------------------------------------------------------------------------------


def test_quasi_simplex_recovers_reliability_and_persistence() -> None:
    lags = np.array([6.0, 12.0, 18.0, 24.0])
    r = 0.6 * 0.97**lags
    reliability, persistence = quasi_simplex(lags, r, np.full(4, 500))
    assert reliability == pytest.approx(0.6, rel=1e-9)
    assert persistence == pytest.approx(0.97, rel=1e-9)
    # Heise's three-wave formula gives the same reliability: r12 * r23 / r13.
    assert r[0] * r[0] / r[1] == pytest.approx(reliability)


def test_quasi_simplex_needs_two_usable_lags() -> None:
    assert quasi_simplex(np.array([6.0, 12.0]), np.array([0.5, 0.4]), np.array([500, 10])) is None
    assert quasi_simplex(np.array([6.0, 12.0]), np.array([0.5, -0.1]), np.array([500, 500])) is None


def test_value_per_contact_matches_a_month_by_month_calculation() -> None:
    a = ValueAssumptions(annual_discount=0.12, horizon_months=36)
    hazard, shift, persistence = 0.03, -0.4, 0.95
    d = (1.12) ** (1 / 12) - 1
    before = after = 1.0
    total = 0.0
    for t in range(1, 37):
        before *= math.exp(-hazard)
        after *= math.exp(-hazard * math.exp(shift * persistence**t))
        total += (after - before) / (1 + d) ** t
    got = value_per_contact(
        np.array([hazard, 0.0]),
        shift,
        persistence,
        monthly_discount=a.monthly_discount,
        horizon_months=a.horizon_months,
    )
    assert got[0] == pytest.approx(total, rel=1e-12)
    assert got[1] == 0.0  # nobody churns: nothing to keep


def test_payback_counts_months_of_a_steady_flow() -> None:
    # Each month's fixed contacts keep 1 a month from then on: after m months 1 + 2 + ... + m is kept.
    assert payback_months(np.ones(24), 10.0) == 4.0
    assert payback_months(np.ones(24), 0.0) == 0.0
    assert payback_months(np.full(24, 0.001), 10.0) is None


def test_resampling_weights_are_poisson_one() -> None:
    w = poisson_weights(np.random.default_rng(3), (200, 50_000))
    assert w.dtype == np.uint8
    share = np.bincount(w.ravel(), minlength=8)[:8] / w.size
    pmf = np.array([math.exp(-1) / math.factorial(k) for k in range(8)])
    np.testing.assert_allclose(share, pmf, atol=5e-4)
    assert w.mean() == pytest.approx(1, abs=2e-3) and w.var() == pytest.approx(1, abs=5e-3)


def test_assumptions_refuse_what_cannot_be_meant() -> None:
    for bad in ({"improve": 0}, {"improve": 1.5}, {"cost": -1}, {"confidence": 1.0}, {"bootstrap": -1}):
        with pytest.raises(impact.ImpactError):
            ImpactAssumptions(**bad)  # type: ignore[arg-type]


# --- the generator's counterfactual ------------------------------------------------------------------


def test_the_counterfactual_world_meets_every_contact_of_its_moment_and_shares_the_rest(tmp_path: Path) -> None:
    real = demo.generate(tmp_path / "real", customers=4000, months=3, seed=11)
    fixed = demo.generate(tmp_path / "fixed", customers=4000, months=3, seed=11, always_met="billing_dispute")
    columns = ["interaction_id", "started_at", "contact_reason", "channel", "is_resolved", "wait_seconds", "transfers"]
    a = pq.read_table(real["interactions"], columns=columns).to_pandas()
    b = pq.read_table(fixed["interactions"], columns=columns).to_pandas()
    rule = moments.MetRule()
    target = b["channel"].map(rule.wait_targets)
    disputes = b[b["contact_reason"] == "billing_dispute"]
    met = disputes["is_resolved"] & (disputes["transfers"] <= 1) & ~(disputes["wait_seconds"] > target[disputes.index])
    assert len(disputes) > 20 and met.all()
    # The first month has no churn yet to tell the worlds apart: the same contacts, and only the
    # disputes' outcomes differ.
    first = a["started_at"] < a["started_at"].min() + pd.Timedelta(days=25)
    same = a[first].merge(b, on=["interaction_id", "started_at", "contact_reason", "channel"], suffixes=("", "_cf"))
    assert len(same) == int(first.sum())
    others = same[same["contact_reason"] != "billing_dispute"]
    assert (others["is_resolved"] == others["is_resolved_cf"]).all()
    assert (others["wait_seconds"] == others["wait_seconds_cf"]).all()
    # What the truth calls the gain of meeting a contact is what the generator's swing did.
    truth_a = pq.read_table(tmp_path / "real" / demo.CONTACTS_TRUTH_FILE).to_pandas().set_index("interaction_id")
    truth_b = pq.read_table(tmp_path / "fixed" / demo.CONTACTS_TRUTH_FILE).to_pandas().set_index("interaction_id")
    d = same[same["contact_reason"] == "billing_dispute"].set_index("interaction_id")
    swing_a = truth_a.loc[d.index, "attitude_after"] - truth_a.loc[d.index, "attitude_before"]
    swing_b = truth_b.loc[d.index, "attitude_after"] - truth_b.loc[d.index, "attitude_before"]
    gain = demo.attitude_gain(
        d.reset_index()[["contact_reason", "channel", "is_resolved", "wait_seconds", "transfers"]]
    )
    assert (gain > 0).any()
    # Waits are stored to a tenth of a second, the swings were made with the exact ones.
    np.testing.assert_allclose(swing_b.to_numpy() - swing_a.to_numpy(), gain, atol=1e-3)
    assert (
        json.loads((tmp_path / "fixed" / demo.TRUTH_FILE).read_text())["generator"]["always_met"] == "billing_dispute"
    )


# --- the chain against the planted truth ----------------------------------------------------------------


@pytest.fixture(scope="module")
def case(default_demo: Path) -> impact.ValueCase:
    return impact.value_case(warehouse.open(default_demo), assumptions=ImpactAssumptions(bootstrap=200))


@pytest.fixture(scope="module")
def truth(default_demo: Path) -> dict[str, dict[str, Any]]:
    return {r: demo.value_of_fixing(default_demo, r) for r in demo.REASONS}


def _row(case: impact.ValueCase, reason: str) -> pd.Series:
    return case.moments.set_index("contact_reason").loc[reason]


def test_the_attitude_link_finds_the_planted_fading_and_a_noisy_answer(case: impact.ValueCase) -> None:
    link = case.link
    assert link is not None and not link.note
    # Attitude fades by ATTITUDE_REVERSION a month; one answer is far from a perfect reading.
    # (A stable part of attitude, which the quasi-simplex reads as slow fading, pushes it up a little:
    # 0.969 to 0.984 over nine seeds.)
    assert link.persistence == pytest.approx(1 - demo.ATTITUDE_REVERSION, abs=0.015)
    assert 0.4 < link.reliability < 0.8
    # The planted log hazard ratio per unit of attitude, in LTR points (the answer moves 1.7 per unit).
    per_point = demo.ATTITUDE_LOG_HR / demo.EQUATIONS["ltr_relationship"].coefficients["attitude"]
    assert link.effect == pytest.approx(per_point, rel=0.25)
    assert abs(link.beta) < abs(link.effect) * 0.6  # the uncorrected coefficient is badly diluted


def test_the_interval_covers_the_true_value_of_every_planted_moment_of_truth(
    case: impact.ValueCase, truth: dict[str, dict[str, Any]]
) -> None:
    for reason in demo.MOMENTS_OF_TRUTH:
        row = _row(case, reason)
        assert row["status"] == "ok"
        assert row["value_low"] <= truth[reason]["value"] <= row["value_high"], (reason, row, truth[reason]["value"])
        assert row["value_low"] > 0, reason  # and it is clearly worth something
        assert row["contacts_not_met"] == truth[reason]["contacts_not_met"]  # the same contacts, by the same rule


def test_the_ranking_matches_the_truths_top_three_and_beats_ranking_by_volume(
    case: impact.ValueCase, truth: dict[str, dict[str, Any]]
) -> None:
    true_top = sorted(truth, key=lambda r: -truth[r]["value"])[:3]
    assert list(case.moments["contact_reason"][:3]) == true_top
    # The simplest ranking, by how many contacts fail, gets it wrong: volume is not value.
    by_volume = list(case.moments.sort_values("contacts_not_met", ascending=False)["contact_reason"][:3])
    assert by_volume != true_top


def test_low_impact_moments_come_out_near_zero_per_contact(
    case: impact.ValueCase, truth: dict[str, dict[str, Any]]
) -> None:
    """The demo's low-impact reasons barely move attitude, but they are also its highest-volume ones, so
    their true yearly value is not zero (tens of thousands: a tiny effect on a great many contacts). Per
    missed contact they are near zero: even their upper bound sits below every moment of truth's lower
    bound, and their intervals still hold the truth."""
    rows = case.moments.set_index("contact_reason")
    per_contact = rows[["value", "value_low", "value_high"]].div(rows["contacts_per_year"], axis=0)
    floor = per_contact.loc[list(demo.MOMENTS_OF_TRUTH), "value_low"].min()
    smallest = per_contact.loc[list(demo.MOMENTS_OF_TRUTH), "value"].min()
    for reason in demo.LOW_IMPACT:
        assert per_contact.loc[reason, "value_high"] < floor, reason
        assert abs(per_contact.loc[reason, "value"]) < 0.15 * smallest, reason
        assert rows.loc[reason, "value_low"] <= truth[reason]["value"] <= rows.loc[reason, "value_high"], reason


def test_correcting_for_one_answers_noise_is_what_makes_the_interval_cover(
    default_demo: Path, truth: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the reliability correction (reading one answer as attitude itself) the chain misses
    the planted value of most moments of truth: the correction is not decoration."""
    fitted = quasi_simplex

    def uncorrected(lags: np.ndarray, r: np.ndarray, n: np.ndarray) -> tuple[float, float] | None:
        out = fitted(lags, r, n)
        return None if out is None else (1.0, out[1])

    monkeypatch.setattr(impact, "quasi_simplex", uncorrected)
    monkeypatch.setattr(memo, "derived", lambda wh, key, build: build())  # fit afresh, not from memory
    naive = impact.value_case(warehouse.open(default_demo), assumptions=ImpactAssumptions(bootstrap=100))
    missed = [r for r in demo.MOMENTS_OF_TRUTH if _row(naive, r)["value_high"] < truth[r]["value"]]
    assert len(missed) >= 3, missed


def test_segments_add_up_and_follow_the_truths_order(case: impact.ValueCase, truth: dict[str, dict[str, Any]]) -> None:
    for reason in demo.MOMENTS_OF_TRUTH:
        rows = case.impacts[case.impacts["contact_reason"] == reason]
        assert rows["value"].sum() == pytest.approx(_row(case, reason)["value"])
        assert (rows["value_low"] <= rows["value_high"]).all()
        assert rows.set_index("segment")["value"].idxmax() == max(
            truth[reason]["by_segment"], key=truth[reason]["by_segment"].get
        )
        assert int(rows["contacts_not_met"].sum()) == int(_row(case, reason)["contacts_not_met"])


def test_improvement_and_cost_scale_as_stated(default_demo: Path) -> None:
    wh = warehouse.open(default_demo)
    moment = ("pay", "billing_dispute")
    full = impact.value_case(wh, moment=moment, assumptions=ImpactAssumptions(bootstrap=20))
    half = impact.value_case(wh, moment=moment, assumptions=ImpactAssumptions(bootstrap=20, improve=0.5, cost=10_000))
    assert list(full.moments["contact_reason"]) == ["billing_dispute"]
    assert half.moments["value"].iloc[0] == pytest.approx(full.moments["value"].iloc[0] / 2)
    assert half.moments["net_value"].iloc[0] == pytest.approx(half.moments["value"].iloc[0] - 10_000)
    assert 0 < half.moments["payback_months"].iloc[0] <= impact.PAYBACK_MONTHS


def test_one_moment_by_segment_is_read_from_the_whole_case(case: impact.ValueCase, default_demo: Path) -> None:
    """The page's per-segment table comes from the case of every moment, scaled by the improvement:
    the same values a pass over that moment alone gives."""
    moment = ("pay", "billing_dispute")
    alone = impact.value_case(warehouse.open(default_demo), moment=moment, assumptions=case.assumptions)
    read = case.moment_impacts(moment)
    assert list(read["segment"]) == list(alone.impacts["segment"])
    np.testing.assert_allclose(read["value"], alone.impacts["value"], rtol=1e-9)
    np.testing.assert_allclose(case.moment_impacts(moment, improve=0.25)["value"], read["value"] / 4, rtol=1e-12)
    assert (read["value_low"] <= read["value"]).all() and (read["value"] <= read["value_high"]).all()


def test_an_empty_scope_gives_an_empty_case_that_says_why(demo_warehouse: Path) -> None:
    case = impact.value_case(warehouse.open(demo_warehouse), Filters(start=pd.Timestamp("2031-01-01").date()))
    assert case.empty and case.impacts.empty and case.notes
    assert set(impact.IMPACT_COLUMNS) <= set(case.impacts.columns)


def test_a_short_date_range_reads_attitude_from_its_customers_at_any_date(default_demo: Path) -> None:
    """Three months hold no answer pairs six months apart: the noise and fading of an answer come from
    the same customers' answers at any date, never from assuming that attitude does not fade."""
    wh = warehouse.open(default_demo)
    whole = impact.value_case(wh, assumptions=ImpactAssumptions(bootstrap=20)).link
    short = impact.value_case(
        wh,
        Filters(start=pd.Timestamp("2026-01-01").date(), end=pd.Timestamp("2026-03-31").date()),
        assumptions=ImpactAssumptions(bootstrap=20),
    )
    assert whole is not None and short.link is not None
    assert short.link.persistence == pytest.approx(whole.persistence)
    assert short.link.reliability == pytest.approx(whole.reliability)
    assert short.link.persistence < 1 and short.months == pytest.approx(3, abs=0.1)


def test_a_moment_with_nothing_to_fix_is_worth_nothing(demo_warehouse: Path) -> None:
    everything_met = moments.MetRule(resolved=False, max_transfers=None, wait_targets={})
    case = impact.value_case(
        warehouse.open(demo_warehouse), rule=everything_met, assumptions=ImpactAssumptions(bootstrap=10, cost=100.0)
    )
    assert (case.moments["status"] == "all met").all()
    assert (case.moments["value"] == 0).all() and (case.moments["net_value"] == -100.0).all()
    assert case.impacts.empty and case.total() == (0.0, 0.0, 0.0)


def test_the_same_call_gives_the_same_numbers(demo_warehouse: Path) -> None:
    wh = warehouse.open(demo_warehouse)
    a = impact.value_case(wh, assumptions=ImpactAssumptions(bootstrap=30))
    b = impact.value_case(wh, assumptions=ImpactAssumptions(bootstrap=30))
    pd.testing.assert_frame_equal(a.moments, b.moments)
    pd.testing.assert_frame_equal(a.impacts, b.impacts)


def test_a_small_warehouse_says_what_it_cannot_estimate(demo_warehouse: Path) -> None:
    case = impact.value_case(warehouse.open(demo_warehouse), assumptions=ImpactAssumptions(bootstrap=20))
    assert not case.empty
    thin = case.moments[case.moments["status"] != "ok"]
    assert thin["value"].isna().all()
    if len(thin):
        assert any("fewer than" in n for n in case.notes)


# --- command line ---------------------------------------------------------------------------------------


def test_cli_json_has_impacts_and_assumptions(default_demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(
        ["analyze", "impact", "--warehouse", str(default_demo), "--moment", "support:service_outage"]
        + ["--improve", "0.5", "--bootstrap", "30", "--json"]
    )
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["impacts"] and out["assumptions"]
    assert set(out["impacts"][0]) == set(impact.IMPACT_COLUMNS)
    assert {i["contact_reason"] for i in out["impacts"]} == {"service_outage"}
    assert out["settings"]["improve"] == 0.5
    assert any("observational" in line for line in out["assumptions"])


def test_cli_refuses_an_unknown_moment_and_a_bad_fraction(
    demo_warehouse: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["analyze", "impact", "--warehouse", str(demo_warehouse)]
    assert cli.main([*base, "--moment", "pay:teleportation"]) == cli.EXIT_USAGE
    assert "no moment pay:teleportation" in capsys.readouterr().err
    assert cli.main([*base, "--improve", "2"]) == cli.EXIT_USAGE
    assert "improvement fraction" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main([*base, "--moment", "billing_dispute"])


def test_cli_table_prints_money_and_assumptions(demo_warehouse: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        cli.main(["analyze", "impact", "--warehouse", str(demo_warehouse), "--bootstrap", "10", "--cost", "500"]) == 0
    )
    out = capsys.readouterr().out
    # The value case page's headers and money formats, from the registry.
    assert "Margin kept a year (90% CI)" in out and "Payback (months)" in out and "Assumptions:" in out
    assert "Net of the cost" in out and "Billing dispute" in out and "billing_dispute" not in out


@pytest.mark.slow
def test_intervals_cover_the_planted_moments_across_seeds(tmp_path_factory: pytest.TempPathFactory) -> None:
    """One seed can be lucky. Over six more demo worlds (seeds 1 to 6, fixed in advance) the 90%
    intervals must hold the true value of the planted moments of truth most of the time: at least 17
    of 24 (an audit over nine seeds found 31 of 36, with the estimate about 10% high on average)."""
    covered, cases = 0, 0
    for seed in range(1, 7):
        root = tmp_path_factory.mktemp(f"seed{seed}") / "warehouse"
        demo.build(root, seed=seed)
        case = impact.value_case(warehouse.open(root), assumptions=ImpactAssumptions(bootstrap=100))
        for reason in demo.MOMENTS_OF_TRUTH:
            row = _row(case, reason)
            cases += 1
            covered += int(row["value_low"] <= demo.value_of_fixing(root, reason)["value"] <= row["value_high"])
    assert covered >= 17, f"{covered} of {cases} intervals hold the truth"
