"""The executive brief: two to five printed pages that leadership reads in five minutes.

The brief is built in two steps. ``brief_content`` asks the library for every number (the same
functions the pages and ``iconic analyze`` call: ``analytics.analyses.headlines`` for the headline measures,
``analytics.analyses.priorities`` for what to act on) and turns each into text with ``kpis.figure``, the one
formatting function, so a test can hold any number in the PDF against the library. Then
``analytics.report.pdf`` lays that content out on paper, section by section (``render_pdf``).

It speaks to leadership first. Page 1 opens with three sentences (what changed, what matters most,
what to do), then the headline numbers and the top actions, in the priority list's order. Charts
follow, then the data's quality (on the cover instead when a batch was rejected or quarantined too
much), methods and sources.

What it covers: the headlines report on the latest complete quarter in scope (or the period asked
for) against the one before; each carries its own period, interval and n. The priority list and the
charts cover the scope as given (ending with the period when one is asked for), and say so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import altair as alt
import pandas as pd

from analytics import config
from analytics.analyses import advocacy, benchmarks, churn, headlines, priorities, survival
from analytics.analyses.headlines import HORIZON, Headlines
from analytics.analyses.priorities import PriorityList
from analytics.data import catalog, filters, periods
from analytics.data.filters import ALL_DATA, Filters
from analytics.data.periods import Period
from analytics.data.warehouse import Warehouse
from analytics.report import charts, narrative
from analytics.report.kpis import Kpi, kpis
from analytics.stats.actions import MEANING

#: How many moments of the priority list the brief names.
TOP_ACTIONS = 5
#: Titles longer than this are cut (with an ellipsis) so the cover stays a cover.
MAX_TITLE = 160
DEFAULT_TITLE = "Customer experience brief"


# --- what the brief says -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DataStatus:
    """The cover's data lines: ``freshness`` and ``quality`` sentences, and a ``warning`` (None when
    every latest batch committed with a small quarantine share and nothing was rejected)."""

    freshness: list[str]
    quality: list[str]
    warning: str | None


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
    """Everything the brief prints, as text and tables, before layout.

    ``summary``: the three opening sentences. ``priorities``: the priority list of the scope;
    ``actions`` its first ``TOP_ACTIONS`` moments with something to judge, in its order.
    """

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
    summary: list[str]
    priorities: PriorityList
    actions: pd.DataFrame
    actions_note: str
    charts: list[ChartPart]
    methods: list[tuple[str, str]]
    generated_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def value_case(self) -> bool:
        """Whether the actions carry the value case's money."""
        return self.priorities.case is not None

    @property
    def value_case_confidence(self) -> float | None:
        return self.priorities.confidence

    @property
    def period_line(self) -> str:
        if self.period is None:
            return "No dated data in scope"
        against = f" against {self.previous.label}" if self.previous else ", with no earlier period to compare"
        if self.period.label != periods.range_label(self.period.start, self.period.end):  # 2026-Q2: say its days
            return f"{self.period.label} ({self.period.start:%d %b %Y} to {self.period.end:%d %b %Y}){against}"
        return f"{self.period.label}{against}"


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
    covered = periods.scope_period(wh, scope)
    words = covered.label if covered else "the scope"
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


def _methods(h: Headlines, plist: PriorityList, unit: str) -> list[tuple[str, str]]:
    sources = sorted(set(benchmarks.reference()["source"].dropna().astype(str)))
    rel, post = h.relationship.estimate, h.post_contact.estimate
    tenure = h.lifetime.now
    table = plist.table
    contacts = int(table["volume"].sum()) if not table.empty else 0
    answers = int(table["n"].sum()) if not table.empty else 0
    actions = " ".join(f"{a}: {MEANING[a]}." for a in ("Fix", "Delight", "Maintain", "Unclear", "Right-size"))
    methods = [
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
            f"Churn is counted per {churn.CHURN_PER} customer-months at risk in the {unit} (exact Poisson "
            "interval); the change is the rate ratio with an exact binomial test. Median lifetime and the "
            f"restricted mean to {HORIZON} months come from Kaplan-Meier with left truncation "
            f"(n = {0 if tenure.is_empty else int(tenure.summary['n'].iloc[0]):,} customers), RMST with a "
            "200-replicate customer bootstrap. Earlier figures are the same estimates as at the end of the "
            f"previous {unit}.",
        ),
        (
            "Value",
            f"Customer equity and value at risk of {h.equity.now.active:,} active customers: "
            f"{h.assumptions.describe()}; each segment on its own survival curve, summed, with 200-replicate "
            "bootstrap intervals of the sums. The money beside an action comes from the value case (lifetime "
            "margin kept a year).",
        ),
        (
            "Moments of truth",
            f"{contacts:,} contacts and {answers:,} post-contact answers about them. {plist.met_rule.describe()} The "
            "swing is NPS when expectations were met minus NPS when they were not, with a customer-clustered 95% "
            f"interval. {plist.rule.describe()} {actions} {plist.ranking}",
        ),
        (
            "Benchmarks and sources",
            f"{benchmarks.DISTANCE_METHOD} Sources: " + "; ".join(sources) + ".",
        ),
    ]
    notes = plist.case.statements() if plist.case is not None else []
    return methods + ([("Money at stake (the value case)", " ".join(notes))] if notes else [])


def brief_content(
    wh: Warehouse,
    f: Filters = ALL_DATA,
    *,
    period: str | None = None,
    title: str | None = None,
    use_value_case: bool = True,
    plist: PriorityList | None = None,
) -> BriefContent:
    """Every number and sentence of the brief for scope ``f``, from the library.

    ``period`` names the quarter or month to report on (``headlines.reporting_period``); the
    priority list and the charts then end with it too. ``plist`` passes a priority list already
    computed for that scope (the dashboard's); otherwise it is computed here, with the value case's
    money unless ``use_value_case`` is false.
    """
    h = headlines.headline_results(wh, f, period=period)
    r = h.reporting
    # The list covers the scope as the user gave it, as the Moments page and the CLI do; a brief
    # asked for a past period ends it there.
    listed = f if period is None else r.scope
    if plist is None:
        plist = priorities.priority_list(wh, listed, money=use_value_case)
    status = data_status(wh)
    summary = catalog.table_summary(wh, listed)
    parts = _chart_parts(wh, listed)
    actions = plist.top(TOP_ACTIONS)
    if plist.empty:
        emptied = filters.emptied_by(wh, listed, rows="interactions")
        actions_note = "No contacts in this scope" + (f": {emptied} leaves none." if emptied else ".")
    elif actions.empty:
        actions_note = "Too few post-contact responses in this scope to judge any moment."
    else:
        actions_note = plist.ranking
    text = " ".join((title or DEFAULT_TITLE).split()) or DEFAULT_TITLE
    if len(text) > MAX_TITLE:
        text = text[: MAX_TITLE - 1].rstrip() + "…"
    scope_lines = [f"Scope: {f.describe()}.", *narrative.overview_summary(summary, None)[:1]]
    kept = summary.set_index("table")["rows_in_scope"].reindex(["customers", "interactions", "surveys"]).fillna(0)
    if not f.is_all and int(kept.sum()) == 0:
        emptied = filters.emptied_by(wh, listed, rows="customers")
        scope_lines.append(
            "Nothing in this scope" + (f": {emptied} leaves no customers." if emptied else ".") + " The brief says "
            "what is missing rather than showing zeros."
        )
    return BriefContent(
        title=text,
        scope=r.scope,
        period=r.period,
        previous=r.previous,
        unit=r.unit,
        data_name=f"{wh.root.name} ({wh.root}), data version {wh.data_version}",
        status=status,
        scope_lines=scope_lines,
        headlines=h,
        kpis=kpis(h),
        summary=narrative.summary(h.relationship, h.post_contact, h.churn, plist),
        priorities=plist,
        actions=actions,
        actions_note=actions_note,
        charts=parts,
        methods=_methods(h, plist, r.unit),
    )


def file_name(f: Filters, period: Period | None = None, *, today: date | None = None) -> str:
    """A file name for a brief: ``iconic-brief_2026-Q2_segment-smb.pdf``."""
    when = re.sub(r"[^A-Za-z0-9_.-]+", "_", period.label) if period else (today or date.today()).isoformat()
    scope = "" if f.is_all else "_" + f.slug()
    return f"iconic-brief_{when}{scope[:80]}.pdf"
