"""Lifetime value: the shifted-beta-geometric model against Fader & Hardie, closed forms under
constant hazards, invariants, and the demo's planted lifetime values found again."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analytics.analyses import survival, value
from analytics.data import warehouse
from analytics.data.filters import Filters
from analytics.stats import tails
from analytics.stats.survival import KaplanMeierData

# Fader & Hardie (2007), reference/golden.md: survivors of 1,000 at each yearly renewal, years 0-12.
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491, 468, 445, 427, 409, 394]


@pytest.mark.parametrize(
    ("cohort", "alpha", "beta", "error", "lifetime"),
    [(REGULAR, 0.704, 1.182, 0.015, 3.6949), (HIGH_END, 0.668, 3.806, 0.028, 5.9223)],
)
def test_sbg_reproduces_fader_and_hardie(
    cohort: list[int], alpha: float, beta: float, error: float, lifetime: float
) -> None:
    a, b = tails.fit_sbg(cohort[:8])  # maximum likelihood on years 1-7
    assert round(a, 3) == alpha and round(b, 3) == beta
    projected = 1000 * tails.sbg_survival(a, b, 12)[8:]
    actual = np.array(cohort[8:])
    assert math.isclose(np.mean(np.abs(projected - actual) / actual), error, abs_tol=0.001)
    assert round(tails.sbg_discounted_lifetime(a, b, 0.10), 4) == lifetime
    if cohort is HIGH_END:
        assert [round(v) for v in projected] == [460, 436, 414, 395, 378]


def constant_hazard(n: int = 4000, *, hazard: float = 0.03, seed: int = 0, follow: float = 48.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    life = rng.exponential(1 / hazard, n)
    censor = rng.uniform(0, follow, n)
    return pd.DataFrame(
        {
            "segment": "all",
            "duration": np.minimum(life, censor),
            "event": life <= censor,
            "entry": 0.0,
            "monthly_revenue": 100.0,
        }
    )


def test_lifetime_value_matches_the_closed_form_under_a_constant_hazard() -> None:
    """With S(t) = e^(-h t), a new customer is worth m * sum_t q^t, q = e^-h / (1 + d); the
    process forgets, so every active customer is worth the same, and loses m * sum_{t<=12} (1 - e^-ht)
    to churn in a year."""
    h = 0.03
    table = constant_hazard(hazard=h)
    a = value.ValueAssumptions(margin_rate=0.5, annual_discount=0.12, horizon_months=36)
    row = value.lifetime_value(table, assumptions=a, bootstrap=100).iloc[0]
    q = math.exp(-h) / (1 + a.monthly_discount)
    m = 50.0
    clv = m * sum(q**t for t in range(1, 37))
    assert row["clv_low"] <= clv <= row["clv_high"]
    assert math.isclose(row["clv"], clv, rel_tol=0.05)
    assert math.isclose(row["residual_per_active"], clv, rel_tol=0.08)
    lost = m * sum(1 - math.exp(-h * t) for t in range(1, 13))
    assert math.isclose(row["value_at_risk"] / row["active"], lost, rel_tol=0.1)
    assert row["equity_low"] <= row["equity"] <= row["equity_high"]
    assert row["extrapolated"] == (row["followed"] < 36) and 0 <= row["tail_share"] <= 1


def test_the_weibull_tail_continues_a_constant_hazard() -> None:
    table = constant_hazard(hazard=0.03, follow=24.0, n=20_000)
    km = KaplanMeierData.of(table)
    curve = tails.extend(*km.curve(), float(table["duration"].max()))
    assert 0.8 < curve.parameters["shape"] < 1.25
    assert math.isclose(float(curve(np.array([60.0]))[0]), math.exp(-0.03 * 60), rel_tol=0.15)
    assert "Weibull" in curve.describe()


def test_sbg_tail_falls_back_to_weibull_when_too_few_renewals_are_seen() -> None:
    table = constant_hazard(follow=18.0)
    km = KaplanMeierData.of(table)
    curve = tails.extend(*km.curve(), float(table["duration"].max()), tail="sbg")
    assert curve.tail == "weibull" and "two 12-month renewals" in curve.describe()


@pytest.mark.parametrize("tail", ["weibull", "sbg"])
def test_value_never_falls_as_the_horizon_grows(tail: str) -> None:
    table = constant_hazard(follow=40.0)
    values = [
        value.lifetime_value(table, assumptions=value.ValueAssumptions(horizon_months=h, tail=tail), bootstrap=0).iloc[
            0
        ][["clv", "equity"]]
        for h in (6, 12, 24, 60, 120, 240)
    ]
    clv = [v["clv"] for v in values]
    equity = [v["equity"] for v in values]
    assert all(b >= a for a, b in zip(clv, clv[1:], strict=False))
    assert all(b >= a for a, b in zip(equity, equity[1:], strict=False))


def test_assumptions_are_checked() -> None:
    with pytest.raises(ValueError, match="margin rate"):
        value.ValueAssumptions(margin_rate=0)
    with pytest.raises(ValueError, match="tail"):
        value.ValueAssumptions(tail="gompertz")  # type: ignore[arg-type]
    assert math.isclose((1 + value.ValueAssumptions().monthly_discount) ** 12, 1.10)


def test_lifetime_value_by_segment_is_within_ten_percent_of_the_demo_truth(default_demo: Path) -> None:
    """The truth comes from the generating model at the hazards it ran at (truth.json
    ``churn.realised.monthly_hazard``, per segment and plan, once attitude had moved): a customer of
    plan p is worth revenue * sum_{t<=60} e^(-h t) / 1.01^t, averaged over the segment. The
    estimate uses only the segment's Kaplan-Meier curve and mean revenue."""
    wh = warehouse.open(default_demo)
    truth = json.loads((default_demo / "_sources" / "truth.json").read_text())
    hazards = truth["churn"]["realised"]["monthly_hazard"]
    d = truth["lifetime_value_at_neutral_attitude"]["discount_monthly"]
    table = survival.survival_table(wh)
    a = value.ValueAssumptions(margin_rate=1.0, annual_discount=(1 + d) ** 12 - 1, horizon_months=60)
    estimate = value.lifetime_value(table, by="segment", assumptions=a, bootstrap=50).set_index("group")
    months = np.arange(1, 61)
    for segment, rows in table.groupby("segment"):
        h = rows["plan"].map(hazards[segment]).to_numpy(float)
        per = (np.exp(-np.outer(h, months)) / (1 + d) ** months).sum(axis=1)
        expected = float(np.mean(rows["monthly_revenue"].to_numpy() * per))
        assert math.isclose(estimate.loc[segment, "clv"], expected, rel_tol=0.10), segment
    # Enterprise customers are worth most, consumers least, as planted.
    assert estimate.loc["enterprise", "clv"] > estimate.loc["smb", "clv"] > estimate.loc["consumer", "clv"]
    totals = value.totals(estimate.reset_index())
    assert totals["customers"] == len(table) and totals["equity"] > 0


def test_scope_value_sums_the_segments_with_a_stratified_interval(demo_warehouse: Path) -> None:
    """The headline equity and value at risk are the sums of the per-segment rows (each segment on its
    own curve). Their interval comes from summing the segments' replicates: it is narrower than adding
    the segments' bounds (independent errors partly cancel), still holds the estimate, and with the
    segments filtered to one it is that segment's own interval."""
    wh = warehouse.open(demo_warehouse)
    whole = value.scope_value(wh, bootstrap=60)
    rows = value.customer_value(wh, by="segment", bootstrap=60)
    assert whole.equity == pytest.approx(rows["equity"].sum())
    assert whole.value_at_risk == pytest.approx(rows["value_at_risk"].sum())
    assert whole.active == rows["active"].sum() and whole.customers == rows["n"].sum()
    for key in ("equity", "value_at_risk"):
        low, high = getattr(whole, f"{key}_low"), getattr(whole, f"{key}_high")
        assert low <= getattr(whole, key) <= high
        assert high - low < rows[f"{key}_high"].sum() - rows[f"{key}_low"].sum()
    pd.testing.assert_frame_equal(whole.groups, rows)
    one = value.scope_value(wh, Filters(segments=("consumer",)), bootstrap=60)
    alone = value.customer_value(wh, Filters(segments=("consumer",)), by="segment", bootstrap=60).iloc[0]
    assert (one.equity_low, one.equity_high) == pytest.approx((alone["equity_low"], alone["equity_high"]))
    empty = value.scope_value(wh, Filters(segments=("nobody",)))
    assert empty.is_empty and math.isnan(empty.equity) and empty.to_dict()["equity"] is None
