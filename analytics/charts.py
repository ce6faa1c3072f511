"""Altair chart builders shared by pages, notebooks and the brief. They return charts; they never show them."""

from __future__ import annotations

import altair as alt
import pandas as pd


def nps_by_group(table: pd.DataFrame, *, title: str = "NPS by group") -> alt.Chart:
    """Points with 95% interval bars per group (``advocacy.nps_by`` output); filled when significant."""
    data = table.assign(
        significance=table["significant"].map({True: "differs from the rest", False: "no clear difference"}),
        size_note=table["small_n"].map({True: "small n", False: ""}),
    )
    base = alt.Chart(data, title=title).encode(y=alt.Y("group:N", sort="-x", title=None))
    bars = base.mark_rule(strokeWidth=2, color="#888").encode(x=alt.X("low:Q", title="NPS (points)"), x2="high:Q")
    points = base.mark_point(size=90, filled=True).encode(
        x="score:Q",
        color=alt.Color(
            "significance:N",
            scale=alt.Scale(domain=["differs from the rest", "no clear difference"], range=["#d1495b", "#8d99ae"]),
            title=None,
        ),
        tooltip=[
            "group:N",
            alt.Tooltip("score:Q", format="+.1f"),
            alt.Tooltip("low:Q", format="+.1f"),
            alt.Tooltip("high:Q", format="+.1f"),
            "n:Q",
            alt.Tooltip("diff:Q", format="+.1f", title="vs rest"),
            alt.Tooltip("p_adjusted:Q", format=".3f"),
            "size_note:N",
        ],
    )
    return (bars + points).properties(height=alt.Step(28))


def nps_trend(table: pd.DataFrame, *, title: str = "NPS over time") -> alt.Chart:
    """NPS per period with its 95% band (``advocacy.nps_trend`` output); significant changes marked."""
    base = alt.Chart(table, title=title).encode(x=alt.X("period:T", title=None))
    band = base.mark_area(opacity=0.2).encode(y=alt.Y("low:Q", title="NPS (points)"), y2="high:Q")
    line = base.mark_line(point=True).encode(
        y="score:Q",
        tooltip=[
            alt.Tooltip("period:T"),
            alt.Tooltip("score:Q", format="+.1f"),
            "n:Q",
            alt.Tooltip("change:Q", format="+.1f"),
        ],
    )
    marks = (
        base.transform_filter(alt.datum.significant)
        .mark_point(size=140, shape="diamond", color="#d1495b")
        .encode(y="score:Q")
    )
    return band + line + marks


def nps_by_group_over_time(table: pd.DataFrame, *, title: str = "NPS by group over time") -> alt.Chart:
    """One line per group with its 95% band (``advocacy.nps_by_period`` output); small-n points hollow."""
    data = table.assign(size_note=table["small_n"].map({True: "small n", False: ""}))
    base = alt.Chart(data, title=title).encode(x=alt.X("period:T", title=None), color=alt.Color("group:N", title=None))
    band = base.mark_area(opacity=0.12).encode(y=alt.Y("low:Q", title="NPS (points)"), y2="high:Q")
    line = base.mark_line().encode(y="score:Q")
    points = base.mark_point(size=50).encode(
        y="score:Q",
        fill=alt.condition(alt.datum.small_n, alt.value("white"), alt.Color("group:N")),
        tooltip=[
            "group:N",
            alt.Tooltip("period:T"),
            alt.Tooltip("score:Q", format="+.1f"),
            alt.Tooltip("low:Q", format="+.1f"),
            alt.Tooltip("high:Q", format="+.1f"),
            "n:Q",
            "size_note:N",
        ],
    )
    return band + line + points


def segment_map(profiles: pd.DataFrame, *, title: str = "Segments: value against advocacy") -> alt.Chart:
    """Segments placed by revenue share and NPS (``Segmentation.profiles``), sized by customers."""
    base = alt.Chart(profiles, title=title).encode(
        x=alt.X("revenue_share:Q", title="share of revenue", axis=alt.Axis(format="%")),
        y=alt.Y("nps:Q", title="NPS (points)"),
    )
    bars = base.mark_rule(color="#888").encode(y="nps_low:Q", y2="nps_high:Q")
    points = base.mark_circle(opacity=0.8).encode(
        size=alt.Size("customers:Q", title="customers"),
        color=alt.Color("segment:N", title=None),
        tooltip=[
            "segment:N",
            "customers:Q",
            alt.Tooltip("share:Q", format=".0%"),
            alt.Tooltip("revenue_share:Q", format=".0%"),
            alt.Tooltip("nps:Q", format="+.1f"),
            alt.Tooltip("nps_low:Q", format="+.1f"),
            alt.Tooltip("nps_high:Q", format="+.1f"),
            "nps_n:Q",
        ],
    )
    return bars + points


def value_advocacy_heatmap(grid: pd.DataFrame, *, title: str = "Value × advocacy") -> alt.Chart:
    """Revenue tier × advocacy cells shaded by revenue share, labelled with customers and churn."""
    data = grid.assign(
        revenue_tier=grid["revenue_tier"].astype(str),
        advocacy=grid["advocacy"].astype(str),
        label=[f"{c:,} · churn {r:.0%}" for c, r in zip(grid["customers"], grid["churn_rate"], strict=True)],
    )
    base = alt.Chart(data, title=title).encode(
        x=alt.X("advocacy:N", sort=["promoter", "passive", "detractor", "no answer"], title=None),
        y=alt.Y("revenue_tier:N", sort=["vital few", "middle", "tail"], title=None),
    )
    cells = base.mark_rect().encode(
        color=alt.Color("revenue_share:Q", title="revenue share", scale=alt.Scale(scheme="blues")),
        tooltip=[
            "revenue_tier:N",
            "advocacy:N",
            "customers:Q",
            alt.Tooltip("revenue_share:Q", format=".1%"),
            alt.Tooltip("churn_rate:Q", format=".1%"),
            "action:N",
        ],  # fmt: skip
    )
    # Dark cells get white text.
    ink = alt.condition(
        alt.datum.revenue_share > 0.6 * float(grid["revenue_share"].max()), alt.value("white"), alt.value("black")
    )
    text = base.mark_text(fontSize=11).encode(text="label:N", color=ink)
    actions = base.mark_text(dy=14, fontSize=10, fontStyle="italic").encode(text="action:N", color=ink)
    return (cells + text + actions).properties(height=alt.Step(70))
