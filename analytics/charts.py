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
    text = base.mark_text(fontSize=11).encode(text="label:N")
    actions = base.mark_text(dy=14, fontSize=10, fontStyle="italic").encode(text="action:N")
    return (cells + text + actions).properties(height=alt.Step(70))
