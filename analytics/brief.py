"""The executive brief: two to five printed pages that leadership reads in five minutes.

The brief is built in two steps. ``brief_content`` asks the library for every number (the same
functions the pages and ``iconic analyze`` call) and turns each into text with ``figure``, the one
formatting function, so a test can hold any number in the PDF against the library. ``render_pdf``
lays that content out with reportlab; charts come from the Altair builders in ``analytics.charts``
and are rendered to print-resolution PNG by vl-convert, with no browser and no network.

What it covers: the latest complete quarter in scope (or the period asked for) against the one
before. Each headline carries its own period, interval and n, and says what it counts.

The one module that imports reportlab.
"""

from __future__ import annotations

import importlib
import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from importlib.util import find_spec
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import altair as alt
import pandas as pd

from analytics import (
    advocacy,
    benchmarks,
    catalog,
    charts,
    config,
    filters,
    impact,
    moments,
    narrative,
    periods,
    survival,
    value,
)
from analytics.errors import UsageError
from analytics.filters import ALL_DATA, Filters
from analytics.periods import Period
from analytics.ui.columns import fmt, money
from analytics.warehouse import Warehouse

#: Paper sizes the brief can be laid out on.
PAPERS = ("a4", "letter")
#: The RMST horizon of the headline, in months (the Churn page's default).
HORIZON = 36
#: How many moments of truth the brief names.
TOP_ACTIONS = 5
#: Titles longer than this are cut (with an ellipsis) so the cover stays a cover.
MAX_TITLE = 160
DEFAULT_TITLE = "Customer experience brief"
#: Columns the value case's impacts must have to be joined onto the actions.
IMPACT_COLUMNS = ("journey_stage", "contact_reason", "customers_affected", "value", "value_low", "value_high")
#: Chart width in CSS pixels (one pixel prints as one point) and the render scale: 3 gives 216 dpi.
CHART_WIDTH = 440
CHART_SCALE = 3.0


# --- numbers as text -----------------------------------------------------------------------------------


def figure(name: str, value: object) -> str:
    """A number as the brief prints it; ``—`` when missing.

    ``name`` is a column of the display registry (``analytics.ui.columns``: ``score``, ``diff``,
    ``churn_rate``, ``equity``, ``value_at_risk``, ...) or one of ``months`` (one decimal),
    ``points`` (a distance, one decimal), ``ratio`` (``x0.93``, two decimals) and ``money``
    (``$1.2M``).
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if name == "months":
        return f"{float(value):.1f}"  # type: ignore[arg-type]
    if name == "points":
        return f"{float(value):.1f}"  # type: ignore[arg-type]
    if name == "ratio":
        return f"x{float(value):.2f}"  # type: ignore[arg-type]
    if name == "money":
        return money(float(value))  # type: ignore[arg-type]
    return fmt(name, value)


def _range(name: str, low: object, high: object) -> str:
    if figure(name, low) == "—" or figure(name, high) == "—":
        return "—"
    return f"{figure(name, low)} to {figure(name, high)}"


def _p(value: float) -> str:
    return fmt("p_value", value)


# --- what the brief says -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kpi:
    """One headline line as printed: ``label``, ``period``, ``value``, ``interval`` (95%),
    ``change`` against the previous period (with its own interval or test in ``change_note``) and
    ``counts``, what the number counts and its n."""

    key: str
    label: str
    period: str
    value: str
    interval: str
    change: str
    change_note: str
    counts: str


@dataclass(frozen=True)
class DataStatus:
    """The cover's data lines: ``freshness`` and ``quality`` sentences, and a ``warning`` (None when
    every latest batch committed with a small quarantine share and nothing was rejected)."""

    freshness: list[str]
    quality: list[str]
    warning: str | None


@dataclass(frozen=True)
class Headlines:
    """The library results behind the headline KPIs, for the same scope."""

    relationship: advocacy.Headline
    post_contact: advocacy.Headline
    churn: survival.ChurnHeadline
    tenure: survival.SurvivalReport
    tenure_before: survival.SurvivalReport | None
    value: pd.DataFrame
    value_before: pd.DataFrame | None
    distances: pd.DataFrame
    assumptions: value.ValueAssumptions


@dataclass(frozen=True)
class ChartPart:
    """A chart of the brief: its heading, the chart (None when the scope has nothing to draw, with
    ``note`` saying so) and a caption."""

    heading: str
    chart: alt.TopLevelMixin | None
    caption: str
    note: str = ""


@dataclass(frozen=True)
class BriefContent:
    """Everything the brief prints, as text and tables, before layout."""

    title: str
    scope: Filters
    period: Period | None
    previous: Period | None
    unit: periods.Unit
    data_name: str
    status: DataStatus
    scope_lines: list[str]
    headlines: Headlines
    kpis: list[Kpi]
    actions: pd.DataFrame
    actions_note: str
    value_case: bool
    charts: list[ChartPart]
    methods: list[tuple[str, str]]
    #: What the value case assumes (``ValueCase.statements``), and the confidence of its intervals.
    value_case_notes: list[str] = field(default_factory=list)
    value_case_confidence: float | None = None
    generated_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def period_line(self) -> str:
        if self.period is None:
            return "No dated data in scope"
        against = f" against {self.previous.label}" if self.previous else ", with no earlier period to compare"
        if self.period.label != periods.range_label(self.period.start, self.period.end):  # 2026-Q2: say its days
            return f"{self.period.label} ({self.period.start:%d %b %Y} to {self.period.end:%d %b %Y}){against}"
        return f"{self.period.label}{against}"


def reporting_period(
    wh: Warehouse, f: Filters = ALL_DATA, *, period: str | None = None
) -> tuple[Filters, Period | None, Period | None, periods.Unit]:
    """The period a brief reports on, the one it compares with, and the scope that ends with it.

    With ``period`` (``2025-Q3`` or ``2025-07``) the scope ends on its last day and it must be
    complete in the data. Without, it is the latest complete quarter in ``f`` (as the headlines
    pick it); with none, the scope's whole span and no comparison. Returns ``(scope, period,
    previous, unit)``.
    """
    if period is not None:
        try:
            asked, unit = periods.parse(period)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        if f.start and f.start > asked.end:
            raise UsageError(f"the scope starts on {f.start}, after {asked.label} ends")
        scope = replace(f, end=min(f.end, asked.end) if f.end else asked.end)
        first, last = filters.data_span(wh)
        if first is None or last is None:
            return scope, None, None, unit
        if not (periods.is_complete(asked, scope, last) and asked.start >= first):
            raise UsageError(f"{asked.label} is not complete in this data, which runs from {first} to {last}")
        return scope, asked, _previous(wh, scope, asked, unit), unit
    unit = "quarter"
    latest = periods.latest_complete(wh, f, unit)
    if latest is None:
        return f, periods.scope_period(wh, f), None, unit
    scope = replace(f, end=latest.end)
    return scope, latest, _previous(wh, scope, latest, unit), unit


def _previous(wh: Warehouse, scope: Filters, current: Period, unit: periods.Unit) -> Period | None:
    before = periods.previous(current, unit)
    span = periods.scope_period(wh, scope)
    return before if span is not None and before.start >= span.start else None


def headline_results(
    wh: Warehouse,
    scope: Filters,
    *,
    previous: Period | None = None,
    unit: periods.Unit = "quarter",
    assumptions: value.ValueAssumptions | None = None,
) -> Headlines:
    """The library results behind the headline KPIs of ``scope``: both NPS headlines, the churn
    rate, Kaplan-Meier (median and RMST to ``HORIZON`` months), customer equity and value at risk
    (one survival curve over the scope), each also as at the end of ``previous`` where it has no
    period of its own, and the distance to iconic."""
    assumptions = assumptions or value.ValueAssumptions()
    before = replace(scope, end=previous.end) if previous else None
    return Headlines(
        relationship=advocacy.headline(wh, scope, kind="relationship", unit=unit),
        post_contact=advocacy.headline(wh, scope, kind="transactional", unit=unit),
        churn=survival.churn_headline(wh, scope, unit=unit),
        tenure=survival.survival_report(wh, scope, horizon=HORIZON),
        # Only the estimates are compared, so the earlier report needs no bootstrap.
        tenure_before=survival.survival_report(wh, before, horizon=HORIZON, bootstrap=0) if before else None,
        value=value.customer_value(wh, scope, by=None, assumptions=assumptions),
        value_before=value.customer_value(wh, before, by=None, assumptions=assumptions, bootstrap=0)
        if before
        else None,
        distances=benchmarks.distance_to_profiles(benchmarks.assessment_items(wh)),
        assumptions=assumptions,
    )


def _nps_kpi(key: str, h: advocacy.Headline) -> Kpi:
    words = advocacy.RESPONSE_WORDS[h.responses]
    est = h.estimate
    period = h.period.label if h.period else "—"
    if h.responses == "relationship":
        counted = f"Each customer's latest relationship answer in {period}"
    else:
        counted = f"Every answer given after a contact in {period}"
    n = f"n = {est.n:,} responses"
    if est.customers is not None:
        n += f" from {est.customers:,} customers"
    if est.design_effect > advocacy.DEFF_SHOWN:
        n += f" (worth {est.effective_n:,.0f} independent ones)"
    change, note = "—", h.note if est.n else ""  # with no responses the note already stands in for n
    if h.change is not None and h.previous_period is not None:
        change = figure("diff", h.change.diff)
        if h.change.test == "exact" or math.isnan(h.change.low):
            note = f"vs {h.previous_period.label}; exact test p = {_p(h.change.p_value)}"
        else:
            note = f"vs {h.previous_period.label}; 95% CI {_range('diff', h.change.low, h.change.high)}"
    return Kpi(
        key,
        f"{words.capitalize()} NPS",
        period,
        figure("score", est.score),
        _range("score", est.low, est.high),
        change,
        note,
        f"{counted}; {n}." if est.n else (h.note or f"No {words} responses in this scope."),
    )


def churn_kpi(c: survival.ChurnHeadline) -> Kpi:
    """The churn-rate headline as the brief and the Churn page print it."""
    now = c.current
    period = now.period.label if now.period else "—"
    change, note = "—", c.note if now.rate is not None else ""
    if c.change is not None and c.previous is not None and c.previous.period is not None:
        before = f"vs {c.previous.period.label} ({figure('churn_rate', c.previous.rate)})"
        if math.isnan(c.change.ratio):  # no churn before: a ratio has no finite value
            note = f"{before}: no churns then, so no ratio" + (
                f"; exact test p = {_p(c.change.p_value)}" if not math.isnan(c.change.p_value) else ""
            )
        else:
            change = figure("ratio", c.change.ratio)
            high = "no upper bound" if math.isnan(c.change.high) else figure("ratio", c.change.high)
            note = f"rate ratio {before}; 95% CI {figure('ratio', c.change.low)} to {high}, p = {_p(c.change.p_value)}"
    counts = (
        f"Churns per {survival.CHURN_PER} customer-months at risk: {now.churned:,} churns over "
        f"{now.months_at_risk:,.0f} customer-months of {now.customers:,} customers in {period}."
        if now.rate is not None
        else (c.note or "No customers at risk in this scope.")
    )
    return Kpi(
        "churn_rate",
        f"Churn rate (per {survival.CHURN_PER} customer-months)",
        period,
        figure("churn_rate", now.rate),
        _range("churn_rate", now.low, now.high),
        change,
        note,
        counts,
    )


def _as_of(report: survival.SurvivalReport) -> str:
    return report.window.to_dict()["as_of"] if report.window else "—"


def _tenure_kpis(now: survival.SurvivalReport, before: survival.SurvivalReport | None) -> list[Kpi]:
    if now.is_empty:
        empty = "No customers in this scope."
        return [
            Kpi("median", "Median lifetime (months)", "—", "—", "—", "—", "", empty),
            Kpi("rmst", f"Mean months of the first {HORIZON} (RMST)", "—", "—", "—", "—", "", empty),
        ]
    row = now.summary.iloc[0]
    old = before.summary.iloc[0] if before is not None and not before.is_empty else None
    when = f"at {_as_of(now)}"
    was = f"vs as of {_as_of(before)}" if before is not None else ""
    who = (
        f"Kaplan-Meier over {int(row['n']):,} customers, {int(row['events']):,} churns; "
        "customers already there when the data begin count from then."
    )
    out = []
    for key, label, low, high in (
        ("median", "Median lifetime (months)", "median_low", "median_high"),
        ("rmst", f"Mean months of the first {HORIZON} (RMST)", "rmst_low", "rmst_high"),
    ):
        shown = figure("months", row[key])
        if key == "median" and shown == "—":
            shown = "not reached"
        interval = _range("months", row[low], row[high])
        if key == "median" and shown != "not reached" and figure("months", row[high]) == "—":
            interval = f"{figure('months', row[low])} to not reached"
        change, note = "—", ""
        if old is not None and not (math.isnan(row[key]) or math.isnan(old[key])):
            change = f"{row[key] - old[key]:+.1f}"
            note = f"{was} ({figure('months', old[key])}); no test: the two share most customers"
        out.append(Kpi(key, label, when, shown, interval, change, note, who))
    return out


def _value_kpis(
    values: pd.DataFrame, before: pd.DataFrame | None, a: value.ValueAssumptions, *, when: str
) -> list[Kpi]:
    if values.empty:
        return [
            Kpi(k, label, "—", "—", "—", "—", "", "No customers in this scope.")
            for k, label in (("equity", "Customer equity"), ("value_at_risk", "Value at risk, next 12 months"))
        ]
    row = values.iloc[0]
    old = before.iloc[0] if before is not None and not before.empty else None
    counts = {
        "equity": f"Expected discounted margin of the {int(row['active']):,} active customers "
        f"({a.margin_rate:.0%} margin, {a.annual_discount:.0%} a year, {a.horizon_months} months).",
        "value_at_risk": "Margin expected to be lost to churn in the next 12 months, "
        f"of the {int(row['active']):,} active customers.",
    }
    out = []
    for key, label in (("equity", "Customer equity"), ("value_at_risk", "Value at risk, next 12 months")):
        change, note = "—", ""
        if old is not None:
            diff = float(row[key] - old[key])
            change = ("+" if diff >= 0 else "") + figure(key, diff)
            note = (
                f"vs as of the previous period's end ({figure(key, old[key])}); no test: the two share most customers"
            )
        out.append(
            Kpi(
                key,
                label,
                when,
                figure(key, row[key]),
                _range(key, row[f"{key}_low"], row[f"{key}_high"]),
                change,
                note,
                counts[key],
            )
        )
    return out


def _distance_kpi(distances: pd.DataFrame) -> Kpi:
    row = distances.set_index("profile").loc["iconic"]
    items = int(row["items"])
    shown = figure("points", row["distance"])
    return Kpi(
        "distance",
        "Distance to iconic (points)",
        "stored answers",
        shown,
        "none: no sample",
        "—",
        "one stored self-assessment, no history",
        f"Mean gap over {items} answered questions between your answers and the share of iconic firms "
        "saying yes (published survey figures)."
        if shown != "—"
        else "No self-assessment answers stored.",
    )


def kpis(h: Headlines) -> list[Kpi]:
    """The headline lines, in print order, from ``headline_results``."""
    return [
        _nps_kpi("relationship_nps", h.relationship),
        _nps_kpi("post_contact_nps", h.post_contact),
        churn_kpi(h.churn),
        *_tenure_kpis(h.tenure, h.tenure_before),
        *_value_kpis(h.value, h.value_before, h.assumptions, when=f"at {_as_of(h.tenure)}"),
        _distance_kpi(h.distances),
    ]


def data_status(wh: Warehouse) -> DataStatus:
    """Freshness and the data-quality status of the latest ingests, for the cover.

    Warns when any batch was rejected whole, or the latest batch of a table quarantined more than
    the configured share of its rows (``config.max_quarantine_share``).
    """
    summary = catalog.table_summary(wh)
    history = catalog.ingest_history(wh)
    counts = catalog.quarantine_counts(wh)
    freshness = []
    latest = summary["latest_event_at"].dropna()
    if not latest.empty:
        freshness.append(f"Data up to {pd.Timestamp(latest.max()):%Y-%m-%d} (the latest dated row).")
    if not history.empty:
        freshness.append(f"Last loaded {pd.Timestamp(history['started_at'].max()):%Y-%m-%d %H:%M} UTC.")
    quality = narrative.quality_summary(history, counts, pd.DataFrame())
    warnings = []
    if not history.empty:
        rejected = history[history["status"] == "rejected"]
        if len(rejected):
            named = ", ".join(
                f"{r.table_name} ({pd.Timestamp(r.started_at):%Y-%m-%d})" for r in rejected.head(3).itertuples()
            )
            warnings.append(f"{len(rejected):,} batch(es) rejected whole: {named}.")
        share = config.max_quarantine_share()
        newest = history.sort_values("started_at").groupby("table_name").tail(1)
        for r in newest.itertuples():
            if r.rows_in and r.rows_quarantined / r.rows_in > share:
                warnings.append(
                    f"The latest {r.table_name} batch quarantined {r.rows_quarantined / r.rows_in:.1%} of its rows "
                    f"(more than {share:.0%})."
                )
        lines = []
        for r in newest.sort_values("table_name").itertuples():
            held = f", {r.rows_quarantined:,} quarantined" if r.rows_quarantined else ""
            lines.append(f"{r.table_name} {r.status} {pd.Timestamp(r.started_at):%Y-%m-%d}{held}")
        quality.append("Latest batch of each table: " + "; ".join(lines) + ".")
    else:
        warnings.append("Nothing has been ingested through the checks.")
    return DataStatus(freshness, quality, " ".join(warnings) or None)


# --- top actions and the money at stake -------------------------------------------------------------


def top_actions(table: pd.DataFrame, *, top: int = TOP_ACTIONS) -> pd.DataFrame:
    """The moments to act on first (``moments.ranked_actions``) with their sentence (``sentence``,
    from ``moments.action_sentence``)."""
    ranked = moments.ranked_actions(table, top=top)
    return ranked.assign(sentence=[moments.action_sentence(r) for r in ranked.to_dict("records")])


def money_at_stake(actions: pd.DataFrame, impacts: pd.DataFrame | None) -> pd.DataFrame:
    """``actions`` with the value case's money beside each moment: ``customers_affected``,
    ``value``, ``value_low`` and ``value_high`` (lifetime margin kept per year), summed over the
    segments of each journey stage and contact reason in ``impacts``. Missing (NaN) where the value
    case has no row for a moment or there is no value case (``impacts`` None).

    ``impacts`` needs the columns ``IMPACT_COLUMNS`` (the value case's ``.impacts``). Summing the
    bounds over segments gives a wider range than the sum's own interval would: it errs on the side
    of caution.
    """
    money = ["customers_affected", "value", "value_low", "value_high"]
    if impacts is None:
        return actions.assign(**{c: math.nan for c in money})
    missing = [c for c in IMPACT_COLUMNS if c not in impacts.columns]
    if missing:
        raise ValueError(f"the value case's impacts lack the column(s) {', '.join(missing)}")
    keys = list(moments.MOMENT)
    summed = impacts.groupby(keys, as_index=False)[money].sum(min_count=1)
    out = actions.drop(columns=[c for c in money if c in actions.columns]).merge(summed, on=keys, how="left")
    return out


def money_sentence(row: dict[str, Any], *, confidence: float | None = None) -> str:
    """An action's sentence, with the value case's money at stake added where there is some."""
    sentence = str(row["sentence"])
    if figure("money", row.get("value")) == "—":
        return sentence
    bounds = _range("money", row.get("value_low"), row.get("value_high"))
    level = f"{confidence:.0%} interval" if confidence else "interval"
    interval = f" ({level} {bounds})" if bounds != "—" else ""
    return f"{sentence} Fixing it keeps about {figure('money', row['value'])} of lifetime margin a year{interval}."


def value_case_impacts(wh: Warehouse, scope: Filters) -> pd.DataFrame:
    """The value case's money per moment (``impact.value_case``'s ``moments``: each moment's value
    with its own interval, from the same resamples). ``attrs`` carry what it assumes (``notes``) and
    the ``confidence`` of its intervals."""
    case = impact.value_case(wh, scope)
    money = case.moments.copy()
    money.attrs["notes"] = case.statements()
    money.attrs["confidence"] = case.assumptions.confidence
    return money


# --- the whole content ---------------------------------------------------------------------------------


#: Kaplan-Meier steps closer together than this (in months) print as one: a twentieth of a month is
#: well under a printed point on the brief's chart.
PRINT_RESOLUTION = 0.05


def print_curves(curves: pd.DataFrame, *, resolution: float = PRINT_RESOLUTION) -> pd.DataFrame:
    """Kaplan-Meier curves (``survival.survival_curves``) thinned for print
    (``survival.thinned_curves``). At a million customers the curves have about 250,000 steps,
    which take vl-convert seconds to draw for no visible difference."""
    return survival.thinned_curves(curves, resolution=resolution)


def _chart_parts(wh: Warehouse, scope: Filters) -> list[ChartPart]:
    span = periods.scope_period(wh, scope)
    words = span.label if span else "the scope"
    nps = advocacy.nps_by(wh, scope, by="segment")
    kind = advocacy.responses_for(wh, "segment")
    curves = survival.survival_report(wh, scope, by="segment", horizon=HORIZON, bootstrap=0)
    stages = benchmarks.satisfaction_efficiency(wh, scope, by="journey_stage")
    return [
        ChartPart(
            "NPS by segment",
            charts.nps_by_group(nps, title=f"NPS by segment: {advocacy.RESPONSE_WORDS[kind]} responses", by="segment")
            if not nps.empty
            else None,
            f"Each customer's latest relationship answer, {words}. Bars are 95% intervals; red marks a segment "
            "that differs from the rest after Holm's correction.",
            note="No relationship responses in this scope.",
        ),
        ChartPart(
            "Survival by segment",
            charts.survival_curves(print_curves(curves.curves), by="segment") if not curves.is_empty else None,
            f"Kaplan-Meier share still a customer by months since signup, with 95% bands; "
            f"{curves.window.describe() if curves.window else 'no customers'}.",
            note="No customers in this scope.",
        ),
        ChartPart(
            "Satisfaction against efficiency, by journey stage",
            charts.stance_quadrant(stages, by="journey_stage") if not stages.empty else None,
            f"Post-contact NPS (95% interval) against cost per contact, {words}; circles sized by contacts. "
            + benchmarks.StanceRule().describe("cost_per_contact"),
            note="No contacts in this scope.",
        ),
    ]


def _methods(h: Headlines, moment_map: pd.DataFrame, actions_rule: str, unit: str) -> list[tuple[str, str]]:
    sources = sorted(set(benchmarks.reference()["source"].dropna().astype(str)))
    rel, post = h.relationship.estimate, h.post_contact.estimate
    active = 0 if h.value.empty else int(h.value["active"].iloc[0])
    contacts = int(moment_map["volume"].sum()) if not moment_map.empty else 0
    answers = int(moment_map["n"].sum()) if not moment_map.empty else 0
    return [
        (
            "Advocacy",
            "NPS is the share of promoters (9-10) minus the share of detractors (0-6), in points, with the adjusted "
            f"Wald interval (Rocks 2016). Relationship NPS counts each customer's latest answer in the {unit} "
            f"(n = {rel.n:,}); post-contact NPS counts every answer after a contact (n = {post.n:,}), with customers "
            "as clusters so repeat answers are not taken as independent. The change is tested against the "
            f"previous {unit} with responses, allowing for customers who answered in both.",
        ),
        (
            "Churn and lifetime",
            f"Churn is counted per {survival.CHURN_PER} customer-months at risk in the {unit} (exact Poisson "
            "interval); the change is the rate ratio with an exact binomial test. Median lifetime and the "
            f"restricted mean to {HORIZON} months come from Kaplan-Meier with left truncation "
            f"(n = {0 if h.tenure.is_empty else int(h.tenure.summary['n'].iloc[0]):,} customers), RMST with a "
            "200-replicate customer bootstrap. Earlier figures are the same estimates as at the end of the "
            f"previous {unit}.",
        ),
        (
            "Value",
            f"Customer equity and value at risk of {active:,} active customers: {h.assumptions.describe()}; one "
            "survival curve over the scope, with 200-replicate bootstrap intervals. Money at stake for an action comes from the value case "
            "(lifetime margin kept per year), where it is available.",
        ),
        (
            "Moments of truth",
            f"{contacts:,} contacts and {answers:,} post-contact answers about them. {actions_rule} The swing is NPS "
            "when expectations were met minus NPS when they were not, with a "
            "customer-clustered 95% interval. Fix: a big, significant swing delivered below 80%; Delight: the same, "
            "delivered well, to customers worth more than the median; Right-size: a small or uncertain swing.",
        ),
        (
            "Benchmarks and sources",
            f"{benchmarks.DISTANCE_METHOD} Sources: " + "; ".join(sources) + ".",
        ),
    ]


def brief_content(
    wh: Warehouse,
    f: Filters = ALL_DATA,
    *,
    period: str | None = None,
    title: str | None = None,
    impacts: pd.DataFrame | None = None,
    use_value_case: bool = True,
) -> BriefContent:
    """Every number and sentence of the brief for scope ``f``, from the library.

    ``period`` names the quarter or month to report on (see ``reporting_period``). ``impacts``
    gives the value case's money per moment directly; otherwise, with ``use_value_case``, it is
    asked of ``analytics.impact`` when that module exists.
    """
    scope, current, previous, unit = reporting_period(wh, f, period=period)
    h = headline_results(wh, scope, previous=previous, unit=unit)
    rule = moments.MetRule()
    table = moments.moment_map(wh, scope, rule=rule)
    status = data_status(wh)
    summary = catalog.table_summary(wh, scope)
    parts = _chart_parts(wh, scope)
    # The value case is the longest single part (about half a minute at a million customers). Run in
    # a thread beside the rest it failed in DuckDB ("unsuccessful or closed pending query result"):
    # some query path on the shared handle escapes its lock. So it runs after the rest.
    if impacts is None and use_value_case and not table.empty:
        impacts = value_case_impacts(wh, scope)
    if table.empty:
        impacts = None  # nothing to put money beside
    notes = list(impacts.attrs.get("notes", [])) if impacts is not None else []
    confidence = impacts.attrs.get("confidence") if impacts is not None else None
    actions = money_at_stake(top_actions(table), impacts)
    actions["sentence"] = [money_sentence(r, confidence=confidence) for r in actions.to_dict("records")]
    if table.empty:
        emptied = filters.emptied_by(wh, scope, rows="interactions")
        actions_note = "No contacts in this scope" + (f": {emptied} leaves none." if emptied else ".")
    elif actions.empty:
        actions_note = "Too few post-contact responses in this scope to judge any moment."
    else:
        actions_note = ""
    text = " ".join((title or DEFAULT_TITLE).split()) or DEFAULT_TITLE
    if len(text) > MAX_TITLE:
        text = text[: MAX_TITLE - 1].rstrip() + "…"
    scope_lines = [f"Scope: {f.describe()}.", *narrative.overview_summary(summary, None)[:1]]
    kept = summary.set_index("table")["rows_in_scope"].reindex(["customers", "interactions", "surveys"]).fillna(0)
    if not f.is_all and int(kept.sum()) == 0:
        emptied = filters.emptied_by(wh, scope, rows="customers")
        scope_lines.append(
            "Nothing in this scope" + (f": {emptied} leaves no customers." if emptied else ".") + " The brief says "
            "what is missing rather than showing zeros."
        )
    return BriefContent(
        title=text,
        scope=scope,
        period=current,
        previous=previous,
        unit=unit,
        data_name=f"{wh.root.name} ({wh.root}), data version {wh.data_version}",
        status=status,
        scope_lines=scope_lines,
        headlines=h,
        kpis=kpis(h),
        actions=actions,
        actions_note=actions_note,
        value_case=impacts is not None,
        value_case_notes=notes,
        value_case_confidence=confidence,
        charts=parts,
        methods=_methods(h, table, rule.describe(), unit)
        + ([("Money at stake (the value case)", " ".join(notes))] if notes else []),
    )


# --- layout --------------------------------------------------------------------------------------------


def _markup(text: str) -> str:
    """``text`` safe for reportlab's paragraph markup; ``**bold**`` becomes bold."""
    return re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", escape(str(text)))


def _fonts() -> tuple[str, str]:
    """A regular and a bold font. DejaVu Sans (shipped with matplotlib, which lifelines installs)
    covers far more of Unicode than the PDF base fonts; without it, reportlab's own Vera."""
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if "IconicSans" in pdfmetrics.getRegisteredFontNames():
        return "IconicSans", "IconicSans-Bold"
    found = find_spec("matplotlib")
    folders = (
        [Path(p) / "mpl-data" / "fonts" / "ttf" for p in (found.submodule_search_locations or [])] if found else []
    )
    pairs = [(d / "DejaVuSans.ttf", d / "DejaVuSans-Bold.ttf") for d in folders]
    reportlab_fonts = Path(importlib.import_module("reportlab").__file__ or "").parent / "fonts"
    pairs.append((reportlab_fonts / "Vera.ttf", reportlab_fonts / "VeraBd.ttf"))
    for regular, bold in pairs:
        if regular.is_file() and bold.is_file():
            pdfmetrics.registerFont(TTFont("IconicSans", str(regular)))
            pdfmetrics.registerFont(TTFont("IconicSans-Bold", str(bold)))
            addMapping("IconicSans", 0, 0, "IconicSans")
            addMapping("IconicSans", 1, 0, "IconicSans-Bold")
            addMapping("IconicSans", 0, 1, "IconicSans")
            addMapping("IconicSans", 1, 1, "IconicSans-Bold")
            return "IconicSans", "IconicSans-Bold"
    return "Helvetica", "Helvetica-Bold"


def chart_png(chart: alt.TopLevelMixin, *, width: int = CHART_WIDTH, scale: float = CHART_SCALE) -> bytes:
    """A chart as a PNG at ``scale`` times its size in CSS pixels, rendered by vl-convert (no browser)."""
    import vl_convert as vlc

    # The page hands Streamlit the data as Arrow; here it goes inline into the spec, past Altair's
    # guard of 5,000 rows (meant for browsers, not for one local render).
    with alt.data_transformers.enable("default", max_rows=None):
        spec = chart.properties(width=width).to_dict()
    png: bytes = vlc.vegalite_to_png(vl_spec=spec, scale=scale)
    return png


def render_pdf(content: BriefContent, *, paper: str = "a4") -> bytes:
    """The brief laid out as a PDF: cover and headlines, top actions, charts, methods and sources."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_RIGHT
    from reportlab.lib.pagesizes import A4, letter
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import cm
    from reportlab.lib.utils import ImageReader
    from reportlab.platypus import (
        CondPageBreak,
        Image,
        KeepTogether,
        PageBreak,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    if paper not in PAPERS:
        raise UsageError(f"paper must be one of {', '.join(PAPERS)}, not {paper!r}")
    regular, bold = _fonts()
    size = A4 if paper == "a4" else letter
    margin = 1.8 * cm
    width = size[0] - 2 * margin
    ink, muted, accent = colors.HexColor("#1d3557"), colors.HexColor("#555555"), colors.HexColor("#d1495b")
    body = ParagraphStyle("body", fontName=regular, fontSize=9.5, leading=12.5, textColor=colors.black)
    small = ParagraphStyle("small", parent=body, fontSize=7.8, leading=9.8, textColor=muted)
    right = ParagraphStyle("right", parent=body, alignment=TA_RIGHT)
    right_small = ParagraphStyle("right_small", parent=small, alignment=TA_RIGHT)
    head = ParagraphStyle("head", parent=body, fontName=bold, fontSize=8.5, textColor=colors.white)
    head_right = ParagraphStyle("head_right", parent=head, alignment=TA_RIGHT)
    h1 = ParagraphStyle("h1", parent=body, fontName=bold, fontSize=20, leading=24, textColor=ink, spaceAfter=6)
    h2 = ParagraphStyle(
        "h2",
        parent=body,
        fontName=bold,
        fontSize=13,
        leading=16,
        textColor=ink,
        spaceBefore=10,
        spaceAfter=5,
    )
    h3 = ParagraphStyle(
        "h3", parent=body, fontName=bold, fontSize=10.5, leading=13, spaceBefore=6, spaceAfter=3, keepWithNext=1
    )
    warn = ParagraphStyle("warn", parent=body, textColor=accent, fontName=bold)

    def p(text: str, style: ParagraphStyle = body) -> Paragraph:
        return Paragraph(_markup(text), style)

    story: list[Any] = [p(content.title, h1)]
    story.append(p(content.period_line, h3))
    for line in [*content.scope_lines, f"Data: {content.data_name}.", *content.status.freshness]:
        story.append(p(line, small))
    story.append(Spacer(1, 4))
    story.append(p("Data quality", h3))
    for line in content.status.quality:
        story.append(p(line, small))
    if content.status.warning:
        story.append(p(f"Warning: {content.status.warning}", warn))

    story.append(CondPageBreak(4 * cm))  # a section never starts in the last few lines of a page
    story.append(p("Headline numbers", h2))
    rows: list[list[Any]] = [
        [
            Paragraph("Measure", head),
            Paragraph("Period", head),
            Paragraph("Value", head_right),
            Paragraph("95% interval", head_right),
            Paragraph("Change vs previous", head_right),
        ]
    ]
    for k in content.kpis:
        rows.append(
            [
                [Paragraph(f"<b>{_markup(k.label)}</b>", body), p(k.counts, small)],
                p(k.period, small),
                Paragraph(f"<b>{_markup(k.value)}</b>", right),
                p(k.interval, right),
                [p(k.change, right), p(k.change_note, right_small)],
            ]
        )
    widths = [0.33 * width, 0.15 * width, 0.12 * width, 0.16 * width, 0.24 * width]
    kpi_table = Table(rows, colWidths=widths, repeatRows=1)
    kpi_table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), ink),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 1), (-1, -1), 0.4, colors.HexColor("#cccccc")),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    story.append(kpi_table)

    story.append(CondPageBreak(4 * cm))
    story.append(p("Top actions", h2))
    if content.actions.empty:
        story.append(p(content.actions_note or "No moment of truth to act on in this scope."))
    else:
        for i, sentence in enumerate(content.actions["sentence"], start=1):
            story.append(p(f"{i}. {sentence}"))
            story.append(Spacer(1, 2))
        level = f"{content.value_case_confidence:.0%} interval" if content.value_case_confidence else "interval"
        money_head = f"Money at stake a year ({level})" if content.value_case else "Money at stake"
        rows = [
            [
                Paragraph("#", head),
                Paragraph("Action", head),
                Paragraph("Moment", head),
                Paragraph("Swing", head_right),
                Paragraph("Met", head_right),
                Paragraph("Contacts", head_right),
                Paragraph("Net promoters at stake", head_right),
                Paragraph(money_head, head_right),
            ]
        ]
        for i, r in enumerate(content.actions.to_dict("records"), start=1):
            at_stake = "—"
            if content.value_case and figure("money", r["value"]) != "—":
                at_stake = f"{figure('money', r['value'])} ({_range('money', r['value_low'], r['value_high'])})"
            rows.append(
                [
                    p(str(i), body),
                    p(str(r["action"]), body),
                    p(moments.moment_name(r), body),
                    p(figure("swing", r["swing"]), right),
                    p(figure("met_rate", r["met_rate"]), right),
                    p(figure("volume", r["volume"]), right),
                    p(figure("at_stake", r["at_stake"]), right),
                    p(at_stake, right),
                ]
            )
        fractions = (0.04, 0.11, 0.25, 0.09, 0.09, 0.11, 0.14, 0.17)
        action_table = Table(rows, colWidths=[f * width for f in fractions], repeatRows=1)
        action_table.setStyle(
            TableStyle(
                [
                    ("BACKGROUND", (0, 0), (-1, 0), ink),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LINEBELOW", (0, 1), (-1, -1), 0.4, colors.HexColor("#cccccc")),
                ]
            )
        )
        story.append(Spacer(1, 4))
        story.append(action_table)
        if not content.value_case:
            story.append(
                p(
                    "This brief was built without the value case, so the actions are shown without the money "
                    "at stake. Net promoters at stake: contacts x share not met x swing / 100.",
                    small,
                )
            )

    story.append(CondPageBreak(4 * cm))
    story.append(p("Charts", h2))
    for part in content.charts:
        block: list[Any] = [p(part.heading, h3)]
        if part.chart is None:
            block.append(p(part.note))
        else:
            png = chart_png(part.chart)
            pixels_wide, pixels_high = ImageReader(io.BytesIO(png)).getSize()
            w, h = pixels_wide / CHART_SCALE, pixels_high / CHART_SCALE
            shrink = min(1.0, width / w, 9.5 * cm / h)
            block.append(Image(io.BytesIO(png), width=w * shrink, height=h * shrink))
        if part.chart is not None:
            block.append(p(part.caption, small))
        story.append(KeepTogether(block))

    story.append(PageBreak())
    story.append(p("Methods and sources", h2))
    for heading, text in content.methods:
        story.append(p(heading, h3))
        story.append(p(text))
    story.append(Spacer(1, 6))
    story.append(
        p(
            f"Generated {content.generated_at:%Y-%m-%d %H:%M} UTC by Iconic from the warehouse named on the cover. "
            "Every number comes from the analytics library (the same functions as the dashboard and "
            "`iconic analyze`).",
            small,
        )
    )

    footer = f"{content.title} · {content.period.label if content.period else 'no period'}"

    class NumberedCanvas(_numbered_canvas()):  # type: ignore[misc]
        def draw_footer(self, page: int, pages: int) -> None:
            self.setFont(regular, 7.5)
            self.setFillColor(muted)
            text = footer if len(footer) <= 90 else footer[:89] + "…"
            self.drawString(margin, 1.0 * cm, text)
            self.drawRightString(size[0] - margin, 1.0 * cm, f"Page {page} of {pages}")

    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=size,
        leftMargin=margin,
        rightMargin=margin,
        topMargin=margin,
        bottomMargin=margin,
        title=content.title,
        author="Iconic",
        subject=f"{content.period_line}; {content.scope.describe()}",
    )
    doc.build(story, canvasmaker=NumberedCanvas)
    return out.getvalue()


def _numbered_canvas() -> type:
    """A canvas that holds its pages back until the end, so each footer can say "Page 2 of 4"."""
    from reportlab.pdfgen import canvas

    class Numbered(canvas.Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 - reportlab's name
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                self.draw_footer(number, total)
                super().showPage()
            super().save()

        def draw_footer(self, page: int, pages: int) -> None:
            pass

    return Numbered


def build_brief(
    wh: Warehouse,
    f: Filters = ALL_DATA,
    *,
    period: str | None = None,
    title: str | None = None,
    paper: str = "a4",
    impacts: pd.DataFrame | None = None,
) -> bytes:
    """The brief of scope ``f`` as PDF bytes (``brief_content`` then ``render_pdf``)."""
    if paper not in PAPERS:
        raise UsageError(f"paper must be one of {', '.join(PAPERS)}, not {paper!r}")
    return render_pdf(brief_content(wh, f, period=period, title=title, impacts=impacts), paper=paper)


def file_name(f: Filters, period: Period | None = None, *, today: date | None = None) -> str:
    """A file name for a brief: ``iconic-brief_2026-Q2_segment-smb.pdf``."""
    when = re.sub(r"[^A-Za-z0-9_.-]+", "_", period.label) if period else (today or date.today()).isoformat()
    scope = "" if f.is_all else "_" + f.slug()
    return f"iconic-brief_{when}{scope[:80]}.pdf"


def page_count(pdf: bytes) -> int:
    """Pages in a PDF that ``render_pdf`` wrote (its page objects, counted in the file)."""
    return len(re.findall(rb"/Type /Page\b(?!s)", pdf))


def describe_kpis(items: Sequence[Kpi]) -> list[str]:
    """One plain line per headline, as the command prints them."""
    return [
        f"{k.label} ({k.period}): {k.value} [95% {k.interval}]" + (f"; change {k.change}" if k.change != "—" else "")
        for k in items
    ]
