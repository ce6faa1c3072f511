"""One vocabulary: every surface shows the data's codes by name, and numbers by the registry's rules."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analytics import names
from analytics.analyses import advocacy, churn
from analytics.data import warehouse
from analytics.data.periods import Period
from analytics.report import columns, kpis, narrative, views
from analytics.stats import inference, nps


@pytest.mark.parametrize(
    ("code", "shown", "in_sentence"),
    [
        ("billing_question", "Billing question", "billing question"),
        ("smb", "SMB", "SMB"),
        ("ivr", "IVR", "IVR"),
        ("two_year", "Two-year", "two-year"),
        ("in_house", "In-house", "in-house"),
        ("partner_a", "Partner A", "Partner A"),
        ("partner_q", "Partner Q", "Partner Q"),  # a user's own partner, lettered the same way
        ("late_delivery", "Late delivery", "late delivery"),  # a code the vocabulary does not list
        ("sms_reply", "SMS reply", "SMS reply"),
        ("promoter", "Promoter", "promoter"),
        ("no answer", "No answer", "no answer"),
        ("Billing Dispute", "Billing Dispute", "Billing Dispute"),  # the data's own wording stays
        ("2026-Q1", "2026-Q1", "2026-Q1"),
    ],
)
def test_a_code_reads_as_a_name_in_a_cell_and_in_a_sentence(code: str, shown: str, in_sentence: str) -> None:
    assert names.name(code) == shown
    assert names.phrase(code) == in_sentence


def test_missing_values_read_as_a_dash() -> None:
    assert names.name(None) == names.name(float("nan")) == "—"


def test_a_link_may_give_a_code_or_its_name_in_any_case() -> None:
    assert names.code_for("smb", ["consumer", "smb"]) == "smb"
    assert names.code_for("SMB", ["consumer", "smb"]) == "smb"
    assert names.code_for("two-year", ["monthly", "two_year"]) == "two_year"
    assert names.code_for("fax", ["voice"]) is None


def test_every_table_shows_codes_by_name_and_counts_with_separators() -> None:
    frame = pd.DataFrame(
        {
            "group": ["two_year", "in_house"],
            "n": [57276, 12],
            "score": [1.0, 2.0],
            "low": [0.0, 1.0],
            "high": [2.0, 3.0],
        }
    )
    frame = frame.assign(diff=0.0, diff_low=-1.0, diff_high=1.0, test="exact", p_adjusted=0.5)
    frame = frame.assign(significant=False, small_n=False)
    shown = columns.present(frame, ["group", "n"], group="plan")
    assert shown["Plan"].tolist() == ["Two-year", "In-house"]
    text = views.text(frame, views.NPS_BY, group="plan")
    assert "57,276" in text and "Two-year" in text and "two_year" not in text and "Exact" in text
    assert text.splitlines()[0].startswith("Plan")


@pytest.mark.parametrize(
    ("value", "shown"),
    [(0, "$0"), (30.25, "$30.25"), (99.22, "$99.22"), (874.31, "$874"), (999.7, "$1.0k"), (1342, "$1.3k")]
    + [(-11_000, "-$11.0k"), (457_807.28, "$457.8k"), (999_960, "$1.0M"), (2_400_000, "$2.4M")],
)
def test_money_reads_compactly_with_cents_only_where_they_matter(value: float, shown: str) -> None:
    assert names.money(value) == shown


Q1 = Period(date(2026, 1, 1), date(2026, 3, 31), "2026-Q1")
Q2 = Period(date(2026, 4, 1), date(2026, 6, 30), "2026-Q2")


def nps_tile(current: tuple[int, int, int], previous: tuple[int, int, int]) -> kpis.Kpi:
    est, before = nps.nps_estimate(*current), nps.nps_estimate(*previous)
    h = advocacy.Headline("relationship", est, Q2, before, Q1, nps.nps_difference(est, before))
    return kpis.nps_kpi("relationship_nps", h)


def test_a_badge_names_the_period_it_compares_with_and_is_coloured_only_when_significant() -> None:
    up = nps_tile((400, 300, 300), (300, 300, 400))  # +10 against -10 on 1,000 answers each
    assert up.badge == "+20.0 vs 2026-Q1" and up.badge_colour == "normal"
    noise = nps_tile((4, 3, 3), (3, 4, 3))
    assert noise.badge == "+10.0 vs 2026-Q1" and noise.badge_colour == "off"


def test_no_change_has_no_arrow() -> None:
    same = nps_tile((400, 300, 300), (400, 300, 300))
    assert same.change == "+0.0" and same.badge is None


def churn_tile(now: tuple[int, float], before: tuple[int, float]) -> kpis.Kpi:
    def rate(churned: int, months: float, period: Period) -> churn.ChurnRate:
        r = churn.CHURN_PER * churned / months
        return churn.ChurnRate(period, 1_000, churned, months, r, r * 0.9, r * 1.1)

    current, previous = rate(*now, Q2), rate(*before, Q1)
    change = inference.rate_ratio_test(now[0], now[1], before[0], before[1])
    return kpis.churn_kpi(churn.ChurnHeadline(current, previous, change))


def test_a_fall_in_churn_reads_as_a_percentage_and_is_good() -> None:
    falling = churn_tile((200, 10_000), (400, 10_000))
    assert falling.badge == "-50% vs 2026-Q1"
    assert falling.significant and falling.badge_colour == "inverse"  # a fall shows green
    flat = churn_tile((300, 10_000), (300, 10_000))
    assert flat.badge is None and not math.isnan(flat.delta or math.nan)


def test_the_weighted_trend_is_numpys_weighted_fit_with_its_scaled_covariance() -> None:
    rng = np.random.default_rng(11)
    t = np.arange(24) / 12
    se = rng.uniform(1.5, 3.0, t.size)
    y = 14 - 4.5 * t + rng.normal(0, 1, t.size) * se * 1.6  # scatter beyond the errors: dispersion > 1
    trend = inference.weighted_trend(t, y, se)
    coefs, cov = np.polyfit(t, y, 1, w=1 / se, cov=True)  # scales by chi-square over k - 2
    assert trend.slope == pytest.approx(coefs[0])
    assert trend.dispersion > 1
    half = stats.t.ppf(0.975, t.size - 2) * math.sqrt(cov[0, 0])
    assert (trend.low, trend.high) == pytest.approx((coefs[0] - half, coefs[0] + half))
    # Less scatter than the errors allow: the errors alone set the width, never narrower.
    calm = 14 - 4.5 * t + rng.normal(0, 1, t.size) * se * 0.3
    quiet = inference.weighted_trend(t, calm, se)
    _, unscaled = np.polyfit(t, calm, 1, w=1 / se, cov="unscaled")
    assert quiet.dispersion < 1
    assert quiet.high - quiet.slope == pytest.approx(stats.t.ppf(0.975, t.size - 2) * math.sqrt(unscaled[0, 0]))
    assert math.isnan(inference.weighted_trend(t[:2], y[:2], se[:2]).slope)


def test_the_demo_s_slow_slide_in_post_contact_nps_is_found_and_said(default_demo: Path) -> None:
    wh = warehouse.open(default_demo)
    lr = advocacy.long_run(advocacy.nps_trend(wh, kind="transactional"), kind="transactional")
    sentence = narrative.trend_sentence(lr)
    assert lr.trend.periods == 36 and lr.trend.high < 0 and lr.trend.p_value < 0.05
    assert "post-contact NPS fell by" in sentence and "a significant long-run decline" in sentence
    # A flat world says so: the same months with the slide taken out.
    flat = advocacy.nps_trend(wh, kind="transactional").assign(score=5.0)
    assert "no clear long-run trend" in narrative.trend_sentence(advocacy.long_run(flat))


def test_revenue_facts_are_said_only_where_the_numbers_support_them() -> None:
    grid = pd.DataFrame(
        {
            "revenue_tier": ["vital few"] * 4,
            "advocacy": ["promoter", "passive", "detractor", "no answer"],
            "revenue": [30.0, 10.0, 20.0, 40.0],
        }
    )
    economics = pd.DataFrame(
        {
            "advocacy": ["promoter", "detractor"],
            "monthly_revenue": [166.4, 246.76],
            "monthly_revenue_low": [150.0, 230.0],
            "monthly_revenue_high": [180.0, 263.0],
        }
    )
    said = narrative.value_sentences(grid, economics)
    assert said[0].startswith("Customers who never answered a relationship survey hold 40% of the vital few's")
    assert said[1].startswith("Detractors bring more revenue than promoters: $247 a month against $166")
    overlapping = economics.assign(monthly_revenue_low=[150.0, 170.0])
    assert len(narrative.value_sentences(grid, overlapping)) == 1


def test_no_churn_in_scope_gives_no_equity_rather_than_zero_at_risk() -> None:
    from analytics.analyses import headlines, value

    groups = pd.DataFrame({"group": ["consumer"], "events": [0], "n": [105], "active": [105]})
    now = value.ScopeValue(
        105,
        105,
        374_900.0,
        374_900.0,
        374_900.0,
        5e-8,
        5e-8,
        5e-8,
        date(2025, 9, 4),
        value.ValueAssumptions(),
        0.95,
        groups,
    )
    tiles = kpis.equity_kpis(headlines.Equity(now, None))
    assert [k.value for k in tiles] == ["—", "—"] and all(k.badge is None for k in tiles)
    assert tiles[0].counts.startswith("No churn among the 105 customers in this scope")
    assert names.money(5e-8) == "$0" and names.money(0.004) == "$0"
