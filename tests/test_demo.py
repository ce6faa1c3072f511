"""The demo world: deterministic, realistic in its marginals, and carrying the truth it records."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analytics import demo


def digest(files: dict[str, Path]) -> dict[str, str]:
    return {t: hashlib.sha256(p.read_bytes()).hexdigest() for t, p in files.items()}


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    a = demo.generate(tmp_path / "a", customers=500, months=12, seed=11)
    b = demo.generate(tmp_path / "b", customers=500, months=12, seed=11)
    c = demo.generate(tmp_path / "c", customers=500, months=12, seed=12)
    assert digest(a) == digest(b)
    assert (tmp_path / "a" / demo.TRUTH_FILE).read_bytes() == (tmp_path / "b" / demo.TRUTH_FILE).read_bytes()
    assert digest(a)["interactions"] != digest(c)["interactions"]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    """The default-size world (20,000 customers, 36 months), read back from its files."""
    folder = tmp_path_factory.mktemp("world")
    files = demo.generate(folder, customers=20_000, months=36, seed=7)
    frames = {t: pd.read_parquet(files[t]) for t in ("customers", "interactions", "surveys")}
    frames["personas"] = pd.read_parquet(folder / demo.PERSONAS_FILE)
    return frames


def test_volumes_are_those_of_a_mid_sized_contact_centre(world: dict[str, pd.DataFrame]) -> None:
    customers, interactions, surveys = world["customers"], world["interactions"], world["surveys"]
    assert len(customers) == 20_000
    assert 150_000 <= len(interactions) <= 400_000  # a few hundred thousand contacts
    assert 20_000 <= len(surveys) <= 80_000  # tens of thousands of responses
    transactional = surveys["interaction_id"].notna()
    assert 0.08 <= transactional.sum() / len(interactions) <= 0.16  # post-contact response rate
    assert 0.25 <= (~transactional).mean() <= 0.60  # relationship surveys are a real share


def test_reasons_and_revenue_follow_the_pareto_shape(world: dict[str, pd.DataFrame]) -> None:
    shares = world["interactions"]["contact_reason"].value_counts(normalize=True)
    top_fifth = shares.iloc[: len(shares) // 5].sum()
    assert 0.75 <= top_fifth <= 0.88, shares
    assert set(shares.index[:3]) >= {"password_reset", "address_change"}  # low-impact reasons dominate volume
    revenue = np.sort(world["customers"]["monthly_revenue"].to_numpy())[::-1]
    assert 0.60 <= revenue[: len(revenue) // 5].sum() / revenue.sum() <= 0.90


def test_personas_shape_plan_channel_and_contact_rate(world: dict[str, pd.DataFrame]) -> None:
    """Each hidden persona shows its planted plan, channel mix and contact rate in the data."""
    c = world["customers"].merge(world["personas"], on="customer_id", validate="1:1")
    assert len(c) == len(world["customers"])
    for persona, shares in demo.PLAN_SHARE.items():
        observed = c.loc[c["persona"] == persona, "plan"].value_counts(normalize=True)
        for plan, share in zip(demo.PLANS, shares, strict=True):
            assert observed.get(plan, 0.0) == pytest.approx(share, abs=0.02), (persona, plan)
    contacts = world["interactions"].merge(c[["customer_id", "persona"]], on="customer_id")
    contacts = contacts[contacts["channel"] != "fax"]  # the planted bad rows
    for persona, shares in demo.PERSONA_CHANNEL_SHARE.items():
        observed = contacts.loc[contacts["persona"] == persona, "channel"].value_counts(normalize=True)
        for channel, share in zip(demo.CHANNELS, shares, strict=True):
            assert observed.get(channel, 0.0) == pytest.approx(share, abs=0.015), (persona, channel)
    per_customer = contacts.groupby("persona").size() / c.groupby("persona").size()
    rates = demo.PERSONA_CONTACT_RATE
    assert per_customer.sort_values().index.tolist() == sorted(rates, key=rates.__getitem__)


def test_churn_differs_by_plan_and_left_truncation_is_present(world: dict[str, pd.DataFrame]) -> None:
    c = world["customers"]
    churned = c.groupby("plan")["churned_at"].apply(lambda s: s.notna().mean())
    assert churned["monthly"] > churned["annual"] > churned["two_year"]
    assert 0.15 <= c["churned_at"].notna().mean() <= 0.45
    window_start = demo.WINDOW_END - pd.Timedelta(seconds=36 * demo.MONTH_SECONDS)
    early = c["signup_at"] < window_start
    assert 0.20 <= early.mean() <= 0.30
    assert (c.loc[c["churned_at"].notna(), "churned_at"] >= window_start).all()  # only survivors enter
    assert (c["churned_at"].dropna() <= demo.WINDOW_END).all()


def test_nps_and_csat_land_in_realistic_ranges(world: dict[str, pd.DataFrame]) -> None:
    s = world["surveys"]
    valid = s[s["ltr"] <= 10]
    nps = 100 * ((valid["ltr"] >= 9).mean() - (valid["ltr"] <= 6).mean())
    assert -30 <= nps <= 30
    assert 2.8 <= valid["csat"].mean() <= 4.2
    planted = (s["ltr"] > 10).sum()
    assert 0 < planted <= 0.005 * len(s)  # a few deliberately bad rows, under the 1% limit


def test_partners_differ_as_planted(world: dict[str, pd.DataFrame]) -> None:
    i, s = world["interactions"], world["surveys"]
    live = i[i["handled_by"] != "automation"]
    cost = live.groupby("handled_by")["cost"].mean()
    csat = s.merge(live, on="interaction_id").groupby("handled_by")["csat"].mean()
    assert cost["partner_a"] == cost.min() and cost["partner_b"] == cost.max()  # cheap and costly
    assert csat["partner_a"] == csat.min() and csat["partner_b"] == csat.max()  # poor and good
    first_month = i.loc[i["handled_by"] == "partner_c", "started_at"].min()
    window_start = demo.WINDOW_END - pd.Timedelta(seconds=36 * demo.MONTH_SECONDS)
    assert (first_month - window_start) / (demo.WINDOW_END - window_start) == pytest.approx(0.5, abs=0.02)
    ramp = s.merge(i[i["handled_by"] == "partner_c"], on="interaction_id")
    ramp_month = (ramp["started_at"] - first_month).dt.days // 30
    assert ramp.loc[ramp_month == 0, "csat"].mean() < ramp.loc[ramp_month >= 4, "csat"].mean()  # ramp-up


def test_moments_of_truth_carry_the_contact_into_ltr(world: dict[str, pd.DataFrame]) -> None:
    """LTR after a contact moves with its experience by 0.6 + 0.75 * importance (see truth.json), so
    the slope of LTR on CSAT within a reason is far steeper for the moments of truth."""
    s, i = world["surveys"], world["interactions"]
    j = s[s["ltr"] <= 10].merge(i, on="interaction_id")
    slope = j.groupby("contact_reason").apply(lambda d: np.polyfit(d["csat"], d["ltr"], 1)[0], include_groups=False)
    moments, routine = slope[list(demo.MOMENTS_OF_TRUTH)], slope[list(demo.LOW_IMPACT)]

    def pooled(reasons: tuple[str, ...]) -> float:
        """One slope over the reasons together, each centred on its own means (within-reason slope)."""
        d = j[j["contact_reason"].isin(reasons)]
        csat = d["csat"] - d.groupby("contact_reason")["csat"].transform("mean")
        ltr = d["ltr"] - d.groupby("contact_reason")["ltr"].transform("mean")
        return float((csat * ltr).sum() / (csat * csat).sum())

    # Noise in CSAT attenuates both slopes, so the bars sit below the planted ratios (2.1x to 3x).
    # The rarest moment (complaint) has about 140 responses, and its slope alone runs from 0.38 to
    # 0.73 over seeds 7-10, so the smallest moment against the largest routine slope tests noise
    # (0.96 to 1.65). Over the same seeds the ratio of means runs from 1.84 to 2.00 and the pooled
    # ratio, on about 1,000 responses, from 1.79 to 2.00. Without the planted effect both are 1.
    assert moments.mean() > 1.6 * routine.mean()
    assert pooled(demo.MOMENTS_OF_TRUTH) > 1.6 * pooled(demo.LOW_IMPACT)


def test_emotive_ratings_drive_csat_where_planted(world: dict[str, pd.DataFrame]) -> None:
    """A least-squares fit of CSAT on the tactile and emotive rating means ranks the moments as planted."""
    s, i = world["surveys"], world["interactions"]
    j = s[s["ltr"] <= 10].merge(i, on="interaction_id")
    j["tactile"] = j[["rating_speed", "rating_resolution", "rating_clarity"]].mean(axis=1)
    j["emotive"] = j[["rating_empathy", "rating_courtesy", "rating_valued"]].mean(axis=1)

    def emotive_share(reason: str) -> float:
        d = j[j["contact_reason"] == reason]
        x = np.column_stack([np.ones(len(d)), d["tactile"], d["emotive"]])
        _, bt, be = np.linalg.lstsq(x, d["csat"].to_numpy(float), rcond=None)[0]
        return float(be / (bt + be))

    assert emotive_share("cancellation_request") > 0.5 > emotive_share("password_reset")
    assert emotive_share("billing_dispute") > emotive_share("service_outage")


def test_truth_file_records_the_generating_parameters(tmp_path: Path) -> None:
    demo.generate(tmp_path, customers=300, months=6, seed=5)
    truth = json.loads((tmp_path / demo.TRUTH_FILE).read_text())
    assert truth["generator"] == {"customers": 300, "months": 6, "seed": 5, "window_end": demo.WINDOW_END.isoformat()}
    assert truth["importance"] == demo.IMPORTANCE
    assert truth["tactile_weight"] == demo.TACTILE_WEIGHT
    assert all(abs(truth["tactile_weight"][r] + truth["emotive_weight"][r] - 1) < 1e-9 for r in demo.REASONS)
    assert truth["churn"]["base_hazard"] == demo.BASE_HAZARD and truth["churn"]["segment_hr"] == demo.SEGMENT_HR
    assert truth["churn"]["attitude_hr_per_unit"] == pytest.approx(np.exp(demo.ATTITUDE_LOG_HR))
    assert set(truth["moments_of_truth"]) == {"billing_dispute", "service_outage", "cancellation_request", "complaint"}
    assert set(truth["low_impact"]) == {"password_reset", "address_change"}
    assert truth["handlers"]["partner_a"]["cost_per_minute"] < truth["handlers"]["in_house"]["cost_per_minute"]
    clv = truth["lifetime_value_at_neutral_attitude"]["mean_by_segment"]
    assert clv["enterprise"] > clv["smb"] > clv["consumer"] > 0


def test_lifetime_value_matches_the_closed_form() -> None:
    """One customer: 100/month, hazard 0.02, 1% discount: 100 * q / (1 - q) with q = e^-0.02 / 1.01."""
    t = demo.truth(customers=1, months=2, seed=0, revenue=np.array([100.0]), seg=np.array([0]), plan=np.array([0]))
    q = np.exp(-demo.BASE_HAZARD["monthly"] * demo.SEGMENT_HR["consumer"]) / 1.01
    assert t["lifetime_value_at_neutral_attitude"]["mean_by_segment"]["consumer"] == pytest.approx(100 * q / (1 - q))
    # brute force: the discounted sum of survival over 2,000 months
    months = np.arange(1, 2001)
    assert 100 * np.sum(q**months) == pytest.approx(100 * q / (1 - q), rel=1e-9)
