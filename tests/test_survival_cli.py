"""``iconic analyze survival`` and ``iconic analyze value`` as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from analytics import cli
from analytics.analyses import survival, value
from analytics.data import warehouse
from tests.conftest import load_tables


def iconic(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "analytics.cli", *args], capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize(("analysis", "dimensions"), [("survival", survival.DIMENSIONS), ("value", value.DIMENSIONS)])
def test_the_commands_offer_what_the_library_can_split_by(
    analysis: str, dimensions: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        cli.main(["analyze", analysis, "--help"])
    assert f"--by {{{','.join(dimensions)}}}" in capsys.readouterr().out


def test_survival_json_is_the_library_report(demo_warehouse: Path) -> None:
    out = iconic("analyze", "survival", "--by", "plan", "--horizon", "12", "--json", "--warehouse", str(demo_warehouse))
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    report = survival.survival_report(warehouse.open(demo_warehouse), by="plan", horizon=12)
    assert [g["group"] for g in data["groups"]] == list(report.summary["group"])
    for g, row in zip(data["groups"], report.summary.itertuples(), strict=True):
        assert {"group", "n", "events", "median", "rmst", "rmst_low", "rmst_high", "survival"} <= set(g)
        assert g["n"] == row.n and g["events"] == row.events
        assert g["rmst"] == pytest.approx(row.rmst)
        assert g["rmst_low"] <= g["rmst"] <= g["rmst_high"]
        assert list(g["survival"]) == [str(m) for m in range(13)]  # every whole month up to the horizon
        curve = [v for v in g["survival"].values() if v is not None]
        assert curve[0] == 1.0 and all(b <= a for a, b in zip(curve, curve[1:], strict=False))
        assert g["median"] is None or g["median"] > 0
    assert data["logrank"]["statistic"] == pytest.approx(report.logrank.statistic)
    assert 0 <= data["logrank"]["p_value"] <= 1
    assert data["cox"]["n"] > 0 and data["cox"]["hazard_ratios"]

    text = iconic("analyze", "survival", "--by", "segment", "--warehouse", str(demo_warehouse))
    assert text.returncode == 0, text.stderr
    assert "Log-rank test" in text.stdout and "Hazard ratio (95% CI)" in text.stdout
    assert "nan" not in text.stdout.lower()
    # Segments by name, as the Churn page shows them, in the registry's headers.
    assert "SMB" in text.stdout and "smb" not in text.stdout and "Median tenure (95% CI)" in text.stdout


def test_survival_works_on_a_warehouse_with_only_customers(tmp_path: Path) -> None:
    customers = pd.DataFrame(
        {
            "customer_id": [f"C{i}" for i in range(40)],
            "signup_at": pd.date_range("2022-01-01", periods=40, freq="15D", tz="UTC"),
            "churned_at": [pd.Timestamp("2024-06-01", tz="UTC") if i % 3 == 0 else pd.NaT for i in range(40)],
            "segment": ["consumer", "smb"] * 20,
            "region": "north",
            "plan": ["monthly", "annual", "annual", "two_year"] * 10,
            "monthly_revenue": 20.0,
        }
    )
    root = tmp_path / "warehouse"
    load_tables(root, tmp_path, customers=customers)
    out = iconic("analyze", "survival", "--by", "segment", "--json", "--warehouse", str(root))
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert sum(g["n"] for g in data["groups"]) == 40
    assert sum(g["events"] for g in data["groups"]) == 14
    assert data["window"]["start"] is None  # nothing says when observation began: no left truncation
    assert data["logrank"] is not None

    val = iconic("analyze", "value", "--json", "--warehouse", str(root))
    assert val.returncode == 0, val.stderr
    assert sum(g["n"] for g in json.loads(val.stdout)["groups"]) == 40


def test_value_json_and_its_assumptions(demo_warehouse: Path) -> None:
    out = iconic(
        "analyze", "value", "--by", "plan", "--margin-rate", "0.5", "--discount", "0.08", "--horizon", "36",
        "--json", "--warehouse", str(demo_warehouse),
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assumptions = value.ValueAssumptions(margin_rate=0.5, annual_discount=0.08, horizon_months=36)
    assert data["assumptions"]["margin_rate"] == 0.5 and data["assumptions"]["description"] == assumptions.describe()
    expected = value.customer_value(warehouse.open(demo_warehouse), by="plan", assumptions=assumptions)
    assert [g["group"] for g in data["groups"]] == list(expected["group"])
    assert [g["clv"] for g in data["groups"]] == pytest.approx(list(expected["clv"]))
    for g in data["groups"]:
        assert g["clv_low"] <= g["clv"] <= g["clv_high"]
        assert g["value_at_risk_low"] <= g["value_at_risk"] <= g["value_at_risk_high"]
    # The total is the headline figure (each segment on its own curve), as at the headline's day; the
    # rows by plan are valued on the same day.
    headline = value.scope_value(warehouse.open(demo_warehouse), assumptions=assumptions)
    assert data["total"]["equity"] == pytest.approx(headline.equity)
    assert data["total"]["value_at_risk"] == pytest.approx(headline.value_at_risk)
    assert data["as_of"] == data["total"]["as_of"] == headline.as_of.isoformat()
    assert [k["label"] for k in data["headline"]] == ["Customer equity", "Value at risk, next 12 months"]
    assert data["total"]["active"] == sum(g["active"] for g in data["groups"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["analyze", "value", "--margin-rate", "0"], "margin rate"),
        (["analyze", "survival", "--segment", "nobody"], "--segment 'nobody' is not in the warehouse"),
        (["analyze", "survival", "--by", "behaviour_segment"], "save customer segments first"),
    ],
)
def test_bad_requests_are_one_line_and_exit_2(args: list[str], message: str, demo_warehouse: Path) -> None:
    out = iconic(*args, "--warehouse", str(demo_warehouse))
    assert out.returncode == 2, out.stderr
    assert message in out.stderr and "Traceback" not in out.stderr
