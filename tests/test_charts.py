"""Charts that read: domains fitted to the data, labels that do not collide, legends of what is drawn."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest

from analytics.report import charts


def layers(spec: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield spec
    for layer in spec.get("layer", []):
        yield from layers(layer)


def encodings(chart: Any, channel: str) -> list[dict[str, Any]]:
    return [layer["encoding"][channel] for layer in layers(chart.to_dict()) if channel in layer.get("encoding", {})]


def scale_domain(chart: Any, channel: str) -> list[float]:
    (domain,) = {tuple(e["scale"]["domain"]) for e in encodings(chart, channel) if "domain" in e.get("scale", {})}
    return list(domain)


def moments(n: int = 8, met: tuple[float, float] = (0.55, 0.57)) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    reasons = [f"reason_{i}" for i in range(n)]
    swing = rng.uniform(-5, 40, n)
    return pd.DataFrame(
        {
            "journey_stage": "pay",
            "contact_reason": reasons,
            "volume": rng.integers(100, 5_000, n),
            "met_rate": rng.uniform(*met, n),
            "swing": swing,
            "swing_low": swing - 20,
            "swing_high": swing + 20,
            "ltr_slope": 1.0,
            "at_stake": 10.0,
            "action": ["Fix", "Unclear"] * (n // 2) + ["Unclear"] * (n % 2),
        }
    )


def test_the_moment_map_fits_its_axes_to_moments_met_alike() -> None:
    table = moments()
    chart = charts.moment_bubbles(table, met_target=0.8, materiality=10)
    low, high = scale_domain(chart, "x")
    assert low > 0.4 and high < 0.9 and high >= 0.8  # the moments and the target, not 0-100%
    y_low, y_high = scale_domain(chart, "y")
    assert y_low <= table["swing_low"].min() and y_high >= table["swing_high"].max()
    assert y_low <= 0 <= 10 <= y_high


def test_a_thin_moments_interval_does_not_stretch_the_axis() -> None:
    table = moments()
    table.loc[0, ["swing_low", "swing_high", "action"]] = [-180.0, 200.0, "Too few responses"]
    low, high = scale_domain(charts.moment_bubbles(table), "y")
    assert low > -100 and high < 100


def label_rows(chart: Any) -> pd.DataFrame:
    data = chart.to_dict()["datasets"]
    (rows,) = [pd.DataFrame(v) for v in data.values() if "label_at" in pd.DataFrame(v).columns]
    return rows


def test_point_labels_never_overlap() -> None:
    table = moments(15, met=(0.55, 0.56))  # fifteen moments in one column of the chart
    chart = charts.moment_bubbles(table)
    rows = label_rows(chart)
    assert len(rows) == 15 and rows["reason"].str.startswith("Reason").all()  # named, not codes
    (y0, y1) = scale_domain(chart, "y")
    pixels = np.sort((1 - (rows["label_at"] - y0) / (y1 - y0)).to_numpy() * 380)
    assert np.diff(pixels).min() >= charts.LABEL_GAP - 1e-6


def test_many_moments_are_named_in_tooltips_not_labels() -> None:
    chart = charts.moment_bubbles(moments(charts.MOST_LABELS + 2))
    assert not any("label_at" in pd.DataFrame(v).columns for v in chart.to_dict()["datasets"].values())


def test_a_legend_lists_only_what_is_drawn() -> None:
    chart = charts.moment_bubbles(moments())
    (colour,) = encodings(chart, "color")
    assert colour["scale"]["domain"] == ["Fix", "Unclear"]
    drivers = pd.DataFrame(
        {
            "label": ["Speed", "Empathy"],
            "kind": ["tactile", "emotive"],
            "importance": [0.01, 0.02],
            "share": [0.4, 0.6],
            "share_low": [0.2, 0.4],
            "share_high": [0.6, 0.8],
            "performance": [3.0, 4.0],
            "action": ["Fix", "Maintain"],
        }
    )
    (kind,) = encodings(charts.driver_importance(drivers), "color")
    assert kind["scale"]["domain"] == ["Tactile", "Emotive"]  # no "operational" without an operational bar


def test_units_a_cent_apart_sit_together_on_the_efficiency_axis() -> None:
    stages = pd.DataFrame(
        {
            "journey_stage": ["use", "get", "pay"],
            "cost_per_contact": [4.49, 4.50, 4.57],
            "volume": [1000, 1000, 1000],
            "nps": [7.0, 6.0, 3.0],
            "nps_low": [2.0, 1.0, -1.0],
            "nps_high": [12.0, 11.0, 7.0],
            "n": [500, 500, 500],
            "csat": [0.4, 0.4, 0.4],
            "stance": ["neither"] * 3,
        }
    )
    chart = charts.stance_quadrant(stages, by="journey_stage")
    low, high = scale_domain(chart, "x")
    assert high - low >= 0.2 * 4.5  # at least a tenth either side of the overall cost
    rows = label_rows(chart)
    assert set(rows["unit"]) == {"Use", "Get", "Pay"}
    y0, y1 = scale_domain(chart, "y")
    pixels = np.sort((1 - (rows["label_at"] - y0) / (y1 - y0)).to_numpy() * 360)
    assert np.diff(pixels).min() >= charts.LABEL_GAP - 1e-6  # "use" and "get" (NPS 7 and 6) do not overlap


def test_money_axes_have_zero() -> None:
    table = pd.DataFrame(
        {
            "journey_stage": ["pay", "get"],
            "contact_reason": ["billing_question", "delivery_delay"],
            "value": [-100_000.0, 20_000.0],
            "value_low": [-140_000.0, 5_000.0],
            "value_high": [-60_000.0, 30_000.0],
            "contacts_per_year": [100, 100],
            "ltr_shift": [0.1, 0.1],
        }
    )
    chart = charts.value_case(table)
    low, high = scale_domain(chart, "x")
    assert low < 0 < high
    (y,) = {e["field"] for e in encodings(chart, "y")}
    rows = pd.DataFrame(next(iter(chart.to_dict()["datasets"].values())))
    assert set(rows[y]) == {"Billing question (pay)", "Delivery delay (get)"}


@pytest.mark.parametrize(("months", "step"), [(3, 1), (8, 1), (12, 3), (36, 6), (120, 24)])
def test_month_axes_tick_at_most_once_a_month(months: int, step: int) -> None:
    periods = pd.date_range("2024-01-01", periods=months, freq="MS", tz="UTC").to_series()
    axis = charts.month_axis(periods).to_dict()
    assert axis["tickCount"] == {"interval": "month", "step": step}


def test_periods_with_few_answers_stay_off_the_trend_line() -> None:
    trend = pd.DataFrame(
        {
            "period": pd.date_range("2025-01-01", periods=4, freq="QS", tz="UTC"),
            "score": [10.0, 100.0, 12.0, 11.0],
            "low": [5.0, -50.0, 7.0, 6.0],
            "high": [15.0, 100.0, 17.0, 16.0],
            "n": [500, 4, 480, 510],
            "change": [np.nan] * 4,
            "significant": [False] * 4,
        }
    )
    spec = charts.nps_trend(trend).to_dict()
    marks = {
        (layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"]): layer.get("transform", [])
        for layer in spec["layer"]
    }
    assert marks["line"] == [{"filter": "(datum.n >= 30)"}] and marks["area"] == [{"filter": "(datum.n >= 30)"}]


def test_a_label_near_the_right_edge_goes_on_the_left_of_its_point() -> None:
    table = moments(4, met=(0.55, 0.56))
    table.loc[3, ["contact_reason", "met_rate"]] = ["password_reset", 0.93]
    rows = label_rows(charts.moment_bubbles(table, met_target=0.8))
    flipped = rows.set_index("reason")["label_left"]
    assert bool(flipped["Password reset"]) and not flipped.drop("Password reset").any()
