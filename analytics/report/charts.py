"""Altair chart builders shared by pages, notebooks and the brief. They return charts; they never show them.

Every chart has a title, axis titles with units, and tooltips labelled and formatted by the column
registry (``analytics.report.columns``). Legends show names whole.
"""

from __future__ import annotations

import math

import altair as alt
import pandas as pd

from analytics import names
from analytics.analyses.moments import moment_name
from analytics.report.columns import axis_title, fmt, spec, tooltip


def month_axis(periods: pd.Series) -> alt.Axis:
    """A date axis that names the year ("Jan 2025") with one tick per whole month or run of months,
    never two ticks in one month, and no more than about eight labels."""
    dates = pd.to_datetime(pd.Series(periods), utc=True).dropna()
    months = (dates.max().year - dates.min().year) * 12 + dates.max().month - dates.min().month + 1 if len(dates) else 1
    step = max(1, math.ceil(months / 8))
    if step > 1:
        step = 3 * math.ceil(step / 3) if step <= 12 else 12 * math.ceil(step / 12)
    return alt.Axis(format="%b %Y", labelAngle=0, labelOverlap="greedy", tickCount={"interval": "month", "step": step})


#: Legends never cut a name short.
LEGEND = alt.Legend(labelLimit=0, orient="bottom", columns=3, title=None)
SIGNIFICANCE = ("differs from the rest", "no clear difference")
#: Fewer answers than this in a period or group are drawn hollow.
SMALL_N = 30


#: The width a chart is laid out for when placing labels: a page's column at the default layout.
LAYOUT_WIDTH = 600
#: Pixels between two point labels' baselines, and a character's width, at font size 10-11.
LABEL_GAP = 13
CHAR_PX = 6.0
#: Most points a chart labels; beyond that, tooltips name them.
MOST_LABELS = 20


def fitted(values: pd.Series | list[float], *, include: tuple[float, ...] = (), pad: float = 0.06) -> list[float]:
    """An axis domain that spans ``values`` and ``include`` (a zero line, a target) with ``pad`` of
    the span on each side, so close points stay apart and nothing sits on the frame."""
    finite = [float(v) for v in [*pd.Series(values, dtype=float).dropna(), *include]]
    if not finite:
        return [0.0, 1.0]
    low, high = min(finite), max(finite)
    margin = (high - low) * pad or max(abs(high), 1.0) * pad
    return [low - margin, high + margin]


def spread_labels(
    frame: pd.DataFrame,
    *,
    x: str,
    y: str,
    text: str,
    x_domain: list[float],
    y_domain: list[float],
    height: int,
    width: int = LAYOUT_WIDTH,
) -> pd.Series:
    """Where each point's label goes on the y axis (in data units) so that no two labels overlap:
    a label sits level with its point, right of it (left of it near the right edge, see
    ``label_on_left``), and moves down just far enough to clear the labels above it that it would
    otherwise touch."""
    (x0, x1), (y0, y1) = x_domain, y_domain
    xs = (frame[x].astype(float) - x0) / ((x1 - x0) or 1.0) * width
    ys = (1 - (frame[y].astype(float) - y0) / ((y1 - y0) or 1.0)) * height
    lengths = 9 + frame[text].astype(str).str.len() * CHAR_PX
    left = label_on_left(frame, x=x, text=text, x_domain=x_domain, width=width)
    ends = xs.where(left, xs + lengths)
    xs = xs.where(~left, xs - lengths)
    placed: list[tuple[float, float, float]] = []  # left, right, y in pixels
    out = pd.Series(index=frame.index, dtype=float)
    for i in ys.sort_values().index:
        top = float(ys[i])
        left, right = float(xs[i]), float(ends[i])
        moved = True
        while moved:
            moved = False
            for a, b, other in placed:
                if left < b and a < right and abs(top - other) < LABEL_GAP:
                    top, moved = other + LABEL_GAP, True
        placed.append((left, right, top))
        out[i] = y1 - top / height * (y1 - y0)
    return out


def palette(colours: dict[str, str], shown: pd.Series) -> alt.Scale:
    """A colour scale over the values ``shown`` actually holds, in ``colours``' order, so a legend
    lists only what the chart draws."""
    present = set(shown.dropna().astype(str))
    kept = [k for k in colours if k in present] or list(colours)[:1]
    return alt.Scale(domain=kept, range=[colours[k] for k in kept])


def label_on_left(
    frame: pd.DataFrame, *, x: str, text: str, x_domain: list[float], width: int = LAYOUT_WIDTH
) -> pd.Series:
    """Whether each point's label goes on its left: where, on its right, it would run past the edge."""
    x0, x1 = x_domain
    xs = (frame[x].astype(float) - x0) / ((x1 - x0) or 1.0) * width
    return xs + 9 + frame[text].astype(str).str.len() * CHAR_PX > width


def _point_labels(base: alt.Chart, y: alt.Y, text: str, tips: list[alt.Tooltip] | None = None) -> alt.LayerChart:
    """Text labels beside points: right of each point, or left where ``label_left`` says so."""
    right = base.transform_filter("!datum.label_left").mark_text(
        align="left", dx=9, fontSize=10, color="#333", clip=True
    )
    left = base.transform_filter("datum.label_left").mark_text(
        align="right", dx=-9, fontSize=10, color="#333", clip=True
    )
    encoding = {"y": y, "text": f"{text}:N", **({"tooltip": tips} if tips else {})}
    return right.encode(**encoding) + left.encode(**encoding)


def _named(table: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """``table`` with the codes in ``columns`` replaced by their names (``analytics.names``), so an
    axis, a legend or a tooltip reads *Billing question* rather than ``billing_question``."""
    return table.assign(**{c: table[c].map(names.name) for c in columns if c in table})


def _group_tooltip(by: str | None) -> alt.Tooltip:
    return tooltip(by or "group", field="group")


def nps_by_group(table: pd.DataFrame, *, title: str = "NPS by group", by: str | None = None) -> alt.Chart:
    """Points with 95% interval bars per group (``advocacy.nps_by`` output), highest NPS on top;
    red where the group differs significantly from the rest."""
    data = _named(table, "group").assign(
        significance=table["significant"].map({True: SIGNIFICANCE[0], False: SIGNIFICANCE[1]}),
        size_note=table["small_n"].map({True: "fewer than 30 responses", False: ""}),
    )
    # An explicit order: a sort by field conflicts across the layers and Vega drops it.
    order = data.sort_values("score", ascending=False)["group"].astype(str).tolist()
    base = alt.Chart(data, title=title).encode(
        y=alt.Y("group:N", sort=order, title=spec(by).label if by else None, axis=alt.Axis(labelLimit=0))
    )
    tips = [
        _group_tooltip(by),
        tooltip("score"),
        tooltip("low"),
        tooltip("high"),
        tooltip("n"),
        tooltip("diff"),
        tooltip("p_adjusted"),
        alt.Tooltip("size_note:N", title="Note"),
    ]
    bars = base.mark_rule(strokeWidth=2, color="#888").encode(
        x=alt.X("low:Q", title=axis_title("score")), x2="high:Q", tooltip=tips
    )
    points = base.mark_point(size=90, filled=True).encode(
        x="score:Q",
        color=alt.Color(
            "significance:N", scale=alt.Scale(domain=list(SIGNIFICANCE), range=["#d1495b", "#8d99ae"]), legend=LEGEND
        ),
        tooltip=tips,
    )
    return (bars + points).properties(height=alt.Step(28))


def nps_trend(table: pd.DataFrame, *, title: str = "NPS over time") -> alt.Chart:
    """NPS per period with its 95% band (``advocacy.nps_trend`` output); significant changes marked."""
    tips = [tooltip("period"), tooltip("score"), tooltip("low"), tooltip("high"), tooltip("n"), tooltip("change")]
    base = alt.Chart(table, title=title).encode(
        x=alt.X("period:T", title=axis_title("period"), axis=month_axis(table["period"]))
    )
    # Periods with few answers (between relationship waves, say) are drawn as hollow points only:
    # in the line and its band they would spike and flatten the real series.
    steady = base.transform_filter(alt.datum.n >= SMALL_N)
    band = steady.mark_area(opacity=0.2).encode(y=alt.Y("low:Q", title=axis_title("score")), y2="high:Q", tooltip=tips)
    line = steady.mark_line().encode(y="score:Q", tooltip=tips)
    # A period with few answers is drawn hollow, as on the by-group chart: its swing is mostly noise.
    enough = (
        base.transform_filter(alt.datum.n >= SMALL_N).mark_point(filled=True, size=40).encode(y="score:Q", tooltip=tips)
    )
    few = (
        base.transform_filter(alt.datum.n < SMALL_N).mark_point(filled=False, size=60).encode(y="score:Q", tooltip=tips)
    )
    marks = (
        base.transform_filter(alt.datum.significant)
        .mark_point(size=140, shape="diamond", color="#d1495b")
        .encode(y="score:Q", tooltip=tips)
    )
    return band + line + enough + few + marks


def nps_by_group_over_time(
    table: pd.DataFrame, *, title: str = "NPS by group over time", by: str | None = None
) -> alt.Chart:
    """One line per group with its 95% band (``advocacy.nps_by_period`` output); small-n points hollow."""
    data = _named(table, "group").assign(size_note=table["small_n"].map({True: "fewer than 30 responses", False: ""}))
    # Solid swatches: without this the faint bands make the legend's swatches faint too.
    color = alt.Color(
        "group:N", legend=alt.Legend(labelLimit=0, orient="bottom", columns=3, title=None, symbolOpacity=1)
    )
    quiet = color
    tips = [
        _group_tooltip(by),
        tooltip("period"),
        tooltip("score"),
        tooltip("low"),
        tooltip("high"),
        tooltip("n"),
        alt.Tooltip("size_note:N", title="Note"),
    ]
    base = alt.Chart(data, title=title).encode(
        x=alt.X("period:T", title=axis_title("period"), axis=month_axis(data["period"]))
    )
    band = base.mark_area(opacity=0.12).encode(
        y=alt.Y("low:Q", title=axis_title("score")), y2="high:Q", color=quiet, tooltip=tips
    )
    line = base.mark_line().encode(y="score:Q", color=color, tooltip=tips)
    points = base.mark_point(size=50).encode(
        y="score:Q", color=quiet, fill=alt.condition(alt.datum.small_n, alt.value("white"), quiet), tooltip=tips
    )
    return (band + line + points).properties(height=300)


def segment_map(profiles: pd.DataFrame, *, title: str = "Segments: value against advocacy") -> alt.Chart:
    """Segments placed by revenue share and NPS (``Segmentation.profiles``), sized by customers."""
    tips = [
        tooltip("segment_name", field="segment"),
        tooltip("customers"),
        tooltip("share"),
        tooltip("revenue_share"),
        tooltip("nps"),
        tooltip("nps_low"),
        tooltip("nps_high"),
        tooltip("nps_n"),
    ]
    base = alt.Chart(profiles, title=title).encode(
        x=alt.X("revenue_share:Q", title=axis_title("revenue_share"), axis=alt.Axis(format="%")),
        y=alt.Y("nps:Q", title=axis_title("nps")),
    )
    bars = base.mark_rule(color="#888").encode(y="nps_low:Q", y2="nps_high:Q", tooltip=tips)
    points = base.mark_circle(opacity=0.8).encode(
        size=alt.Size("customers:Q", title=spec("customers").label, legend=alt.Legend(orient="right")),
        color=alt.Color("segment:N", legend=alt.Legend(labelLimit=0, orient="bottom", columns=1, title=None)),
        tooltip=tips,
    )
    return bars + points


def value_advocacy_heatmap(grid: pd.DataFrame, *, title: str = "Value × advocacy") -> alt.Chart:
    """Revenue tier × advocacy cells shaded by revenue share, labelled with customers and churn per
    100 customer-months at risk (``advocacy.value_advocacy_grid``)."""
    data = grid.assign(
        revenue_tier=grid["revenue_tier"].astype(str).map(names.name),
        advocacy=grid["advocacy"].astype(str).map(names.name),
        label=[
            f"{c:,} · churn {fmt('churn_rate', r)}/100 mo"
            for c, r in zip(grid["customers"], grid["churn_rate"], strict=True)
        ],
    )
    base = alt.Chart(data, title=title).encode(
        x=alt.X(
            "advocacy:N",
            sort=[names.name(a) for a in ("promoter", "passive", "detractor", "no answer")],
            title=spec("advocacy").label,
            axis=alt.Axis(labelAngle=0),
        ),
        y=alt.Y(
            "revenue_tier:N",
            sort=[names.name(t) for t in ("vital few", "middle", "tail")],
            title=spec("revenue_tier").label,
        ),
    )
    cells = base.mark_rect().encode(
        color=alt.Color(
            "revenue_share:Q",
            title=spec("revenue_share").label,
            scale=alt.Scale(scheme="blues"),
            legend=alt.Legend(format="%"),
        ),
        tooltip=[
            tooltip("revenue_tier"),
            tooltip("advocacy"),
            tooltip("customers"),
            tooltip("revenue_share"),
            tooltip("churn_rate"),
            tooltip("churn_low"),
            tooltip("churn_high"),
            tooltip("rate_ratio"),
            tooltip("p_adjusted"),
            tooltip("action"),
        ],
    )
    # Dark cells get white text.
    top = float(grid["revenue_share"].max()) if len(grid) else 0.0
    ink = alt.condition(alt.datum.revenue_share > 0.6 * top, alt.value("white"), alt.value("black"))
    text = base.mark_text(fontSize=11).encode(text="label:N", color=ink)
    actions = base.mark_text(dy=14, fontSize=10, fontStyle="italic").encode(text="action:N", color=ink)
    return (cells + text + actions).properties(height=alt.Step(70))


#: Colours of the moment-of-truth actions, the same on every chart.
ACTION_COLOURS = {
    "Fix": "#d1495b",
    "Delight": "#2a9d8f",
    "Maintain": "#457b9d",
    "Unclear": "#9c89b8",
    "Right-size": "#e9c46a",
    "All met": "#8ecae6",
    "Too few responses": "#bbbbbb",
}


def moment_bubbles(
    table: pd.DataFrame,
    *,
    title: str = "Moments of truth: swing against delivery",
    met_target: float = 0.8,
    materiality: float = 10.0,
) -> alt.Chart:
    """Attitude swing against met rate per moment (``moments.moment_map`` output), sized by volume and
    coloured by action, with the swing's interval as a vertical rule, the met-rate target dashed
    upright and the materiality threshold dashed across. The met-rate axis spans the moments and the
    target, not 0-100%, so close moments stay apart."""
    data = table.assign(moment=[moment_name(r, in_sentence=False) for r in table.to_dict("records")])
    tips = [
        tooltip("moment"),
        tooltip("volume"),
        tooltip("met_rate"),
        tooltip("swing"),
        tooltip("swing_low"),
        tooltip("swing_high"),
        tooltip("ltr_slope"),
        tooltip("at_stake"),
        tooltip("action"),
    ]
    x_domain = fitted(data["met_rate"], include=(met_target,))
    x_domain = [max(0.0, x_domain[0]), min(1.0, x_domain[1])]
    # The swing axis spans the points, zero and the threshold, and the intervals of the moments that
    # can be judged; a thin moment's interval runs to the frame and is cut there.
    judged = data[data["action"] != "Too few responses"]
    y_domain = fitted(pd.concat([data["swing"], judged["swing_low"], judged["swing_high"]]), include=(0.0, materiality))
    height = 380
    if len(data) <= MOST_LABELS:
        data = data.assign(reason=data["contact_reason"].map(names.name))
        data = data.assign(
            label_at=spread_labels(
                data, x="met_rate", y="swing", text="reason", x_domain=x_domain, y_domain=y_domain, height=height
            ),
            label_left=label_on_left(data, x="met_rate", text="reason", x_domain=x_domain),
        )
    base = alt.Chart(data, title=title).encode(
        x=alt.X(
            "met_rate:Q",
            title=axis_title("met_rate"),
            axis=alt.Axis(format="%", tickCount=6),
            scale=alt.Scale(domain=x_domain, zero=False, nice=False),
        ),
    )
    swing_scale = alt.Scale(domain=y_domain, zero=False, nice=False)
    rules = base.mark_rule(color="#999", clip=True).encode(
        y=alt.Y("swing_low:Q", title=axis_title("swing"), scale=swing_scale), y2="swing_high:Q"
    )
    target = (
        alt.Chart(pd.DataFrame({"met_rate": [met_target]}))
        .mark_rule(strokeDash=[4, 4], color="#d1495b")
        .encode(x="met_rate:Q")
    )
    colour = alt.Color("action:N", scale=palette(ACTION_COLOURS, data["action"]), legend=LEGEND)
    points = base.mark_circle(opacity=0.85, clip=True).encode(
        y=alt.Y("swing:Q", scale=swing_scale),
        size=alt.Size("volume:Q", title=spec("volume").label, legend=None),
        color=colour,
        tooltip=tips,
    )
    material = (
        alt.Chart(pd.DataFrame({"swing": [materiality]})).mark_rule(strokeDash=[2, 4], color="#555").encode(y="swing:Q")
    )
    layers = rules + points + target + material
    if "label_at" in data:
        layers += _point_labels(base, alt.Y("label_at:Q", scale=swing_scale), "reason", tips)
    return layers.properties(height=height)


def pareto(table: pd.DataFrame, *, title: str = "Contact reasons: Pareto of volume") -> alt.Chart:
    """Bars of each reason's share of contacts, largest first, with the cumulative share as a line;
    the vital few (first 80% of volume) in a darker colour (``moments.pareto`` output)."""
    data = table.assign(
        group=table["vital_few"].map({True: "vital few", False: "the rest"}),
        contact_reason=table["contact_reason"].map(names.name),
    )
    order = data["contact_reason"].tolist()
    tips = [
        tooltip("contact_reason"),
        tooltip("volume"),
        tooltip("volume_share"),
        tooltip("cumulative_share"),
        tooltip("escalation_rate"),
        tooltip("repeat_rate"),
        tooltip("cost_per_contact"),
    ]
    base = alt.Chart(data, title=title).encode(
        x=alt.X(
            "contact_reason:N",
            sort=order,
            title=spec("contact_reason").label,
            axis=alt.Axis(labelAngle=-40, labelLimit=0, labelOverlap=False),
        )
    )
    bars = base.mark_bar().encode(
        y=alt.Y("volume_share:Q", title=axis_title("volume_share"), axis=alt.Axis(format="%")),
        color=alt.Color(
            "group:N", scale=alt.Scale(domain=["vital few", "the rest"], range=["#1d3557", "#a8dadc"]), legend=LEGEND
        ),
        tooltip=tips,
    )
    line = base.mark_line(point=True, color="#e76f51").encode(y="cumulative_share:Q", tooltip=tips)
    return (bars + line).properties(height=320)


#: Colours of the kinds of driver, the same on every chart.
KIND_COLOURS = {"Tactile": "#457b9d", "Emotive": "#e76f51", "Operational": "#8d99ae", "Unclassified": "#cccccc"}


def driver_importance(table: pd.DataFrame, *, title: str = "What drives the rating") -> alt.Chart:
    """Each driver's share of explained variance with its 95% bootstrap interval, largest on top,
    coloured tactile or emotive (``drivers.driver_analysis(...).table``)."""
    data = _named(table.rename(columns={"share": "importance_share", "action": "driver_action"}), "kind")
    order = data.sort_values("importance_share", ascending=False)["label"].astype(str).tolist()
    tips = [
        tooltip("label"),
        tooltip("kind"),
        tooltip("importance"),
        tooltip("importance_share"),
        tooltip("share_low"),
        tooltip("share_high"),
        tooltip("performance"),
        tooltip("driver_action"),
    ]
    base = alt.Chart(data, title=title).encode(
        y=alt.Y("label:N", sort=order, title=spec("label").label, axis=alt.Axis(labelLimit=0))
    )
    colour = alt.Color("kind:N", scale=palette(KIND_COLOURS, data["kind"]), legend=LEGEND)
    bars = base.mark_bar().encode(
        x=alt.X("importance_share:Q", title=axis_title("importance_share"), axis=alt.Axis(format="%")),
        color=colour,
        tooltip=tips,
    )
    rules = base.mark_rule(color="#333").encode(x="share_low:Q", x2="share_high:Q", tooltip=tips)
    return (bars + rules).properties(height=alt.Step(26))


def importance_performance(table: pd.DataFrame, *, title: str = "Importance against performance") -> alt.Chart:
    """Drivers placed by performance (share of their scale) and share of explained variance,
    coloured by the action the quadrant suggests, with the cuts drawn as rules."""
    data = table.rename(columns={"share": "importance_share", "action": "driver_action"})
    data = data[data["performance_scaled"].notna()]
    tips = [
        tooltip("label"),
        tooltip("kind"),
        tooltip("importance_share"),
        tooltip("performance"),
        tooltip("top2"),
        tooltip("driver_action"),
    ]
    points = (
        alt.Chart(data, title=title)
        .mark_circle(size=140)
        .encode(
            x=alt.X("performance_scaled:Q", title=axis_title("performance_scaled"), axis=alt.Axis(format="%")),
            y=alt.Y("importance_share:Q", title=axis_title("importance_share"), axis=alt.Axis(format="%")),
            color=alt.Color(
                "driver_action:N",
                scale=palette(ACTION_COLOURS, data["driver_action"]),
                legend=LEGEND,
            ),
            tooltip=tips,
        )
    )
    x_domain = fitted(data["performance_scaled"])
    y_domain = fitted(data["importance_share"], include=(0.0,))
    data = data.assign(
        label_at=spread_labels(
            data, x="performance_scaled", y="importance_share", text="label", x_domain=x_domain, y_domain=y_domain,
            height=320, width=LAYOUT_WIDTH // 2,
        )
    )  # fmt: skip
    points = points.properties(data=data).encode(
        x=alt.X(
            "performance_scaled:Q",
            title=axis_title("performance_scaled"),
            axis=alt.Axis(format="%"),
            scale=alt.Scale(domain=x_domain, nice=False),
        ),
        y=alt.Y(
            "importance_share:Q",
            title=axis_title("importance_share"),
            axis=alt.Axis(format="%"),
            scale=alt.Scale(domain=y_domain, nice=False),
        ),
    )
    labels = points.mark_text(dx=9, align="left", fontSize=10).encode(
        y="label_at:Q", text="label:N", color=alt.value("#333")
    )
    cuts = pd.DataFrame(
        {
            "share": [1 / max(len(table), 1)],
            "performance": [float(data["performance_scaled"].mean()) if len(data) else 0],
        }
    )
    horizontal = alt.Chart(cuts).mark_rule(strokeDash=[4, 4], color="#999").encode(y="share:Q")
    vertical = alt.Chart(cuts).mark_rule(strokeDash=[4, 4], color="#999").encode(x="performance:Q")
    return (points + labels + horizontal + vertical).properties(height=320)


def survival_curves(
    curves: pd.DataFrame, *, by: str | None = None, title: str = "Still a customer, by tenure"
) -> alt.Chart:
    """Kaplan-Meier steps per group with their 95% bands (``survival.survival_curves``)."""
    legend = spec(by).label if by else "Group"
    colour = alt.Color("group:N", title=legend, legend=LEGEND)
    base = alt.Chart(_named(curves, "group"), title=title).encode(
        x=alt.X("month:Q", title="Months since signup"),
        color=colour,
    )
    tips = [
        alt.Tooltip("group:N", title=legend),
        alt.Tooltip("month:Q", title="Months since signup", format=".1f"),
        alt.Tooltip("survival:Q", title="Still a customer", format=".1%"),
        alt.Tooltip("low:Q", title="Lower 95% bound", format=".1%"),
        alt.Tooltip("high:Q", title="Upper 95% bound", format=".1%"),
        alt.Tooltip("at_risk:Q", title="At risk", format=",.0f"),
    ]
    band = base.mark_area(opacity=0.15, interpolate="step-after").encode(y="low:Q", y2="high:Q")
    line = base.mark_line(interpolate="step-after").encode(
        y=alt.Y("survival:Q", title="Still a customer", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
        tooltip=tips,
    )
    return (band + line).properties(height=320)


def hazard_forest(table: pd.DataFrame, *, title: str = "What shortens tenure: hazard ratios") -> alt.Chart:
    """Each Cox term's hazard ratio with its 95% interval on a log scale, with 1 (no difference)
    marked (``survival.fit_cox(...).hazard_ratios``)."""
    data = table.assign(vs=[names.name(r) if r else "per unit" for r in table["reference"]])
    order = data["label"].astype(str).tolist()
    tips = [
        alt.Tooltip("label:N", title="Covariate"),
        alt.Tooltip("vs:N", title="Compared with"),
        tooltip("hazard_ratio"),
        tooltip("hazard_ratio_low"),
        tooltip("hazard_ratio_high"),
    ]
    base = alt.Chart(data, title=title).encode(y=alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=0)))
    scale = alt.Scale(type="log")
    rules = base.mark_rule().encode(
        x=alt.X("hazard_ratio_low:Q", scale=scale, title="Hazard ratio (log scale; right churns faster)"),
        x2="hazard_ratio_high:Q",
        tooltip=tips,
    )
    points = base.mark_point(filled=True, size=60).encode(x="hazard_ratio:Q", tooltip=tips)
    one = alt.Chart(pd.DataFrame({"x": [1.0]})).mark_rule(strokeDash=[4, 4], color="#888").encode(x="x:Q")
    return (rules + points + one).properties(height=alt.Step(22))


def value_at_risk(
    table: pd.DataFrame, *, by: str | None = None, title: str = "Value at risk in the next 12 months"
) -> alt.Chart:
    """Margin expected to be lost to churn in the next 12 months per group, with its 95% interval
    (``value.lifetime_value``)."""
    label = spec(by).label if by else "Group"
    tips = [
        alt.Tooltip("group:N", title=label),
        tooltip("value_at_risk"),
        tooltip("value_at_risk_low"),
        tooltip("value_at_risk_high"),
        tooltip("equity"),
        tooltip("active"),
    ]
    table = _named(table, "group")
    order = table.sort_values("value_at_risk", ascending=False)["group"].astype(str).tolist()
    base = alt.Chart(table, title=title).encode(
        y=alt.Y("group:N", sort=order, title=label, axis=alt.Axis(labelLimit=0))
    )
    bars = base.mark_bar(color="#e76f51").encode(
        x=alt.X("value_at_risk:Q", title=axis_title("value_at_risk"), axis=alt.Axis(format="$,.0f")), tooltip=tips
    )
    rules = base.mark_rule(color="#333").encode(x="value_at_risk_low:Q", x2="value_at_risk_high:Q", tooltip=tips)
    return (bars + rules).properties(height=alt.Step(28))


def value_case(table: pd.DataFrame, *, title: str = "What fixing each moment is worth a year") -> alt.Chart:
    """Margin kept a year by fixing each moment (``impact.value_case``'s ``moments``, or
    ``PriorityList.valued``), with its interval, in the priority list's order where the table has a
    ``rank`` and largest first otherwise; moments without an estimate are left out."""
    shown = table[table["value"].notna()]
    shown = shown.assign(moment=[moment_name(r, in_sentence=False) for r in shown.to_dict("records")])
    tips = [
        alt.Tooltip("moment:N", title="Moment"),
        tooltip("value"),
        tooltip("value_low"),
        tooltip("value_high"),
        tooltip("contacts_per_year"),
        tooltip("ltr_shift"),
    ]
    by = ("rank", True) if "rank" in shown.columns else ("value", False)
    order = shown.sort_values(by[0], ascending=by[1])["moment"].tolist()
    base = alt.Chart(shown, title=title).encode(
        y=alt.Y("moment:N", sort=order, title="Moment", axis=alt.Axis(labelLimit=0))
    )
    # Zero is always on the axis, and a tick: money kept or lost reads from it.
    domain = fitted(pd.concat([shown["value"], shown["value_low"], shown["value_high"]]), include=(0.0,))
    money_axis = alt.Axis(format="$~s", tickCount=6)
    bars = base.mark_bar(color="#2a9d8f").encode(
        x=alt.X("value:Q", title=axis_title("value"), axis=money_axis, scale=alt.Scale(domain=domain, nice=True)),
        tooltip=tips,
    )
    rules = base.mark_rule(color="#333").encode(x="value_low:Q", x2="value_high:Q", tooltip=tips)
    zero = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(color="#666").encode(x="x:Q")
    return (bars + rules + zero).properties(height=alt.Step(26))


def what_if_curve(curve: pd.DataFrame, *, title: str = "Still a customer from today") -> alt.Chart:
    """Mean survival from today of the customers a what-if moves, before and after
    (``survival.what_if(...).curve``)."""
    data = curve.melt(id_vars="month", value_vars=["before", "after"], var_name="case", value_name="survival")
    data["case"] = data["case"].map({"before": "as they are", "after": "after the change"})
    return (
        alt.Chart(data, title=title)
        .mark_line(point=True)
        .encode(
            x=alt.X("month:Q", title="Months from today"),
            y=alt.Y("survival:Q", title="Still a customer", axis=alt.Axis(format="%"), scale=alt.Scale(zero=False)),
            color=alt.Color("case:N", legend=LEGEND, sort=["as they are", "after the change"]),
            tooltip=[
                alt.Tooltip("case:N", title="Case"),
                alt.Tooltip("month:Q", title="Months from today"),
                alt.Tooltip("survival:Q", title="Still a customer", format=".1%"),
            ],
        )
        .properties(height=340)
    )


# --- iconic benchmarks (analytics.analyses.benchmarks) ---------------------------------------------------------

#: The survey's profiles and the company, in the same colours on every benchmark chart.
PROFILE_COLOURS = {"iconic": "#1d3557", "all respondents": "#8d99ae", "poor performers": "#e63946", "you": "#f4a261"}
STANCE_COLOURS = {
    "both": "#2a9d8f",
    "satisfaction-led": "#457b9d",
    "efficiency-led": "#e9c46a",
    "neither": "#8d99ae",
    "too few responses": "#d9d9d9",
}


def profile_bars(items: pd.DataFrame, *, title: str = "You against the published profiles") -> alt.Chart:
    """Per practice question with published shares (``benchmarks.score_assessment`` output): each
    profile's share of firms saying yes as a bar, and your answer (yes 100%, partly 50%, no 0%) as a
    diamond. Relative and qualitative figures are left out: they are not shares."""
    shares = items[(items["unit"] == "percent of executives") & (items["kind"] == "practice")]
    rows = []
    for r in shares.to_dict("records"):
        for column, name in (
            ("iconic", "iconic"),
            ("all_respondents", "all respondents"),
            ("poor_performers", "poor performers"),
        ):
            if r[column] is not None and r[column] == r[column]:
                rows.append({"question": r["question"], "profile": name, "share": float(r[column]) / 100,
                             "source": r["source"], "note": r["note"]})  # fmt: skip
    bars = pd.DataFrame(rows, columns=["question", "profile", "share", "source", "note"])
    mine = shares[shares["answer_score"].notna()].assign(profile="you", share=lambda t: t["answer_score"])
    order = shares["question"].tolist()
    colour = alt.Color(
        "profile:N", scale=alt.Scale(domain=list(PROFILE_COLOURS), range=list(PROFILE_COLOURS.values())), legend=LEGEND
    )
    y = alt.Y("question:N", sort=order, title=None, axis=alt.Axis(labelLimit=0))
    share_axis = alt.X("share:Q", title="Share saying yes", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1]))
    tips = [tooltip("question"), alt.Tooltip("profile:N", title="Profile"), alt.Tooltip("share:Q", format=".0%")]
    published = (
        alt.Chart(bars, title=title)
        .mark_bar(opacity=0.85)
        .encode(
            x=share_axis,
            y=y,
            yOffset=alt.YOffset("profile:N", sort=list(PROFILE_COLOURS)),
            color=colour,
            tooltip=[*tips, tooltip("source"), tooltip("note")],
        )
    )
    answers = (
        alt.Chart(mine[["question", "profile", "share", "answer"]])
        .mark_point(shape="diamond", size=160, filled=True, stroke="#333")
        .encode(x="share:Q", y=y, color=colour, tooltip=[*tips, tooltip("answer")])
    )
    return (published + answers).properties(height=alt.Step(11))


def stance_quadrant(
    table: pd.DataFrame,
    *,
    by: str,
    efficiency: str = "cost_per_contact",
    title: str = "Satisfaction against efficiency",
) -> alt.Chart:
    """Each unit (``benchmarks.satisfaction_efficiency`` output) at its efficiency measure and its
    post-contact NPS with the 95% interval, sized by contacts and coloured by stance; dashed lines at
    the scope's overall values (contacts- and answer-weighted means of the rows)."""
    data = table.assign(unit=table[by].map(names.name))
    weights = data["volume"].where(data[efficiency].notna(), 0)
    answered = data["n"].where(data["nps"].notna(), 0)
    centre = pd.DataFrame(
        {
            efficiency: [float((data[efficiency].fillna(0) * weights).sum() / weights.sum()) if weights.sum() else 0.0],
            "nps": [float((data["nps"].fillna(0) * answered).sum() / answered.sum()) if answered.sum() else 0.0],
        }
    )
    tips = [
        tooltip(by, field="unit"),
        tooltip("volume"),
        tooltip(efficiency),
        tooltip("nps"),
        tooltip("nps_low"),
        tooltip("nps_high"),
        tooltip("n"),
        tooltip("csat"),
        tooltip("stance"),
    ]
    # The efficiency axis spans at least a tenth either side of the overall value: units a cent apart
    # sit together rather than across the chart.
    middle = float(centre[efficiency].iloc[0])
    x_domain = fitted(data[efficiency], include=(middle * 0.9, middle * 1.1))
    y_domain = fitted(pd.concat([data["nps"], data["nps_low"], data["nps_high"]]), include=(0.0,))
    height = 360
    data = data.assign(
        label_at=spread_labels(
            data, x=efficiency, y="nps", text="unit", x_domain=x_domain, y_domain=y_domain, height=height
        ),
        label_left=label_on_left(data, x=efficiency, text="unit", x_domain=x_domain),
    )
    axis = alt.Axis(format="%") if spec(efficiency).kind == "share" else alt.Axis(format=spec(efficiency).d3 or "")
    x = alt.X(f"{efficiency}:Q", title=axis_title(efficiency), axis=axis, scale=alt.Scale(domain=x_domain, nice=False))
    nps_scale = alt.Scale(domain=y_domain, nice=False)
    base = alt.Chart(data, title=title).encode(x=x)
    rules = base.mark_rule(color="#999").encode(
        y=alt.Y("nps_low:Q", title=axis_title("nps"), scale=nps_scale), y2="nps_high:Q"
    )
    colour = alt.Color("stance:N", scale=palette(STANCE_COLOURS, data["stance"]), legend=LEGEND)
    points = base.mark_circle(opacity=0.85).encode(
        y="nps:Q", size=alt.Size("volume:Q", legend=None), color=colour, tooltip=tips
    )
    labels = _point_labels(base, alt.Y("label_at:Q", scale=nps_scale), "unit")
    vertical = alt.Chart(centre).mark_rule(strokeDash=[4, 4], color="#666").encode(x=f"{efficiency}:Q")
    horizontal = alt.Chart(centre).mark_rule(strokeDash=[4, 4], color="#666").encode(y="nps:Q")
    return (rules + points + labels + vertical + horizontal).properties(height=height)


def channel_mix(mix: pd.DataFrame, *, by: str, title: str = "Who handles contacts") -> alt.Chart:
    """Each unit's contacts split by how they were handled (``benchmarks.channel_mix`` output), as
    stacked shares."""
    data = mix.assign(unit=mix[by].map(names.name))
    order = ["person", "automation, then a person", "automation alone"]
    return (
        alt.Chart(data, title=title)
        .mark_bar()
        .encode(
            y=alt.Y("unit:N", title=spec(by).label, axis=alt.Axis(labelLimit=0)),
            x=alt.X("volume_share:Q", title=axis_title("volume_share"), axis=alt.Axis(format="%"), stack="normalize"),
            color=alt.Color(
                "handling:N",
                title=None,
                scale=alt.Scale(domain=order, range=["#1d3557", "#a8dadc", "#f4a261"]),
                legend=LEGEND,
                sort=order,
            ),
            order=alt.Order("handling_rank:Q"),
            tooltip=[tooltip(by, field="unit"), tooltip("handling"), tooltip("volume"), tooltip("volume_share")],
        )
        .transform_calculate(
            handling_rank="indexof(['person', 'automation, then a person', 'automation alone'], datum.handling)"
        )
        .properties(height=alt.Step(24))
    )


def partner_ramp(
    ramp: pd.DataFrame,
    *,
    kpi: str = "fcr",
    judged: str = "fcr",
    first_days: int = 90,
    title: str = "A new partner's first weeks",
) -> alt.Chart:
    """One handler's weekly ``kpi`` since go-live (``benchmarks.partner_ramp`` output, judged on
    ``judged``), with its 95% interval where it has one, the in-house team's in the same weeks
    (dashed), the target when ``kpi`` is the judged one (red) and the end of the first ``first_days``
    days (grey); surge weeks are marked with a triangle."""
    home = f"in_house_{kpi}"
    data = ramp.assign(**{home: ramp[home]}) if home in ramp else ramp.assign(**{home: float("nan")})
    long = pd.concat(
        [
            data[["week", "week_start", kpi, "volume", "surge"]].assign(series="this partner"),
            data[["week", "week_start", home, "volume", "surge"]].rename(columns={home: kpi}).assign(series="in-house"),
        ],
        ignore_index=True,
    )
    share = spec(kpi).kind == "share"
    y = alt.Y(f"{kpi}:Q", title=axis_title(kpi), axis=alt.Axis(format="%") if share else alt.Undefined)
    x = alt.X("week:Q", title=axis_title("week"), axis=alt.Axis(tickMinStep=1))
    tips = [
        tooltip("week"),
        tooltip("week_start"),
        alt.Tooltip("series:N", title="Who"),
        tooltip(kpi),
        tooltip("volume"),
    ]
    lines = (
        alt.Chart(long, title=title)
        .mark_line(point=True)
        .encode(
            x=x,
            y=y,
            color=alt.Color(
                "series:N",
                scale=alt.Scale(domain=["this partner", "in-house"], range=["#e76f51", "#457b9d"]),
                legend=LEGEND,
            ),
            strokeDash=alt.StrokeDash(
                "series:N", scale=alt.Scale(domain=["this partner", "in-house"], range=[[1, 0], [5, 4]]), legend=None
            ),
            tooltip=tips,
        )
    )
    layers = [lines]
    if f"{kpi}_low" in data:
        layers.insert(
            0,
            alt.Chart(data).mark_area(opacity=0.15, color="#e76f51").encode(x=x, y=f"{kpi}_low:Q", y2=f"{kpi}_high:Q"),
        )
    target = float(data["target"].iloc[0]) if len(data) and kpi == judged else None
    if target is not None:
        layers.append(
            alt.Chart(pd.DataFrame({kpi: [target]})).mark_rule(color="#d1495b", strokeDash=[4, 4]).encode(y=f"{kpi}:Q")
        )
    layers.append(alt.Chart(pd.DataFrame({"week": [first_days / 7]})).mark_rule(color="#999").encode(x="week:Q"))
    surges = long[(long["series"] == "this partner") & long["surge"].astype(bool)]
    layers.append(
        alt.Chart(surges)
        .mark_point(shape="triangle-up", size=120, filled=True, color="#6a040f")
        .encode(x=x, y=y, tooltip=tips)
    )
    chart = layers[0]
    for layer in layers[1:]:
        chart = chart + layer
    return chart.properties(height=320)
