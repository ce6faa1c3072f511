"""The executive brief: two to five printed pages that leadership reads in five minutes.

The brief is built in two steps. ``brief_content`` asks the library for every number (the same
functions the pages and ``iconic analyze`` call: ``analytics.analyses.headlines`` for the headline measures,
``analytics.analyses.priorities`` for what to act on) and turns each into text with ``kpis.figure``, the one
formatting function, so a test can hold any number in the PDF against the library. ``render_pdf``
lays that content out with reportlab; charts come from the Altair builders in ``analytics.report.charts``
and are rendered to print-resolution PNG by vl-convert, with no browser and no network.

It speaks to leadership first. Page 1 opens with three sentences (what changed, what matters most,
what to do), then the headline numbers and the top actions, in the priority list's order. Charts
follow, then the data's quality (on the cover instead when a batch was rejected or quarantined too
much), methods and sources.

What it covers: the headlines report on the latest complete quarter in scope (or the period asked
for) against the one before; each carries its own period, interval and n. The priority list and the
charts cover the scope as given (ending with the period when one is asked for), and say so.

The one module that imports reportlab.
"""

from __future__ import annotations

import importlib
import io
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from importlib.util import find_spec
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import altair as alt
import pandas as pd

from analytics import config
from analytics.analyses import advocacy, benchmarks, headlines, priorities, survival
from analytics.analyses.headlines import HORIZON, Headlines
from analytics.analyses.priorities import PriorityList
from analytics.data import catalog, filters, periods
from analytics.data.filters import ALL_DATA, Filters
from analytics.data.periods import Period
from analytics.data.warehouse import Warehouse
from analytics.errors import UsageError
from analytics.report import charts, narrative
from analytics.report.kpis import Kpi, figure, kpis, span
from analytics.stats.actions import MEANING

#: Paper sizes the brief can be laid out on.
PAPERS = ("a4", "letter")
#: How many moments of the priority list the brief names.
TOP_ACTIONS = 5
#: Titles longer than this are cut (with an ellipsis) so the cover stays a cover.
MAX_TITLE = 160
DEFAULT_TITLE = "Customer experience brief"
#: Chart width in CSS pixels (one pixel prints as one point) and the render scale: 3 gives 216 dpi.
CHART_WIDTH = 440
CHART_SCALE = 3.0
__all__ = ["HORIZON", "Kpi", "figure", "brief_content", "build_brief", "render_pdf"]


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
            f"Churn is counted per {survival.CHURN_PER} customer-months at risk in the {unit} (exact Poisson "
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
    if content.status.warning:  # a rejected batch changes what the numbers can be trusted for: say it first
        story.append(p(f"Warning: {content.status.warning}", warn))
        for line in content.status.quality:
            story.append(p(line, small))
    story.append(Spacer(1, 6))
    story.append(p("In short", h2))
    for sentence in content.summary:
        story.append(p(sentence))
        story.append(Spacer(1, 2))

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
        story.append(p(content.actions_note, small))
        story.append(Spacer(1, 3))
        level = f"{content.value_case_confidence:.0%} interval" if content.value_case_confidence else "interval"
        rows = [
            [
                Paragraph("#", head),
                Paragraph("Action", head),
                Paragraph("Moment", head),
                Paragraph("Swing (95% interval)", head_right),
                Paragraph("Met", head_right),
                Paragraph("Contacts", head_right),
                Paragraph(f"Margin kept a year ({level})", head_right),
            ]
        ]
        for r in content.actions.to_dict("records"):
            worth = "not run" if not content.value_case else "—"
            if figure("money", r.get("value")) != "—":
                worth = f"{figure('money', r['value'])} ({span('money', r['value_low'], r['value_high'])})"
            rows.append(
                [
                    p(str(r["rank"]), body),
                    p(str(r["action"]), body),
                    p(str(r["moment"]), body),
                    p(f"{figure('swing', r['swing'])} ({span('swing', r['swing_low'], r['swing_high'])})", right),
                    p(figure("met_rate", r["met_rate"]), right),
                    p(figure("volume", r["volume"]), right),
                    p(worth, right),
                ]
            )
        fractions = (0.04, 0.12, 0.22, 0.19, 0.09, 0.11, 0.23)
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

    story.append(CondPageBreak(11 * cm))  # the heading travels with its first chart
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
    if not content.status.warning:
        story.append(p("Data quality", h2))
        for line in content.status.quality:
            story.append(p(line))
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
    use_value_case: bool = True,
) -> bytes:
    """The brief of scope ``f`` as PDF bytes (``brief_content`` then ``render_pdf``)."""
    if paper not in PAPERS:
        raise UsageError(f"paper must be one of {', '.join(PAPERS)}, not {paper!r}")
    content = brief_content(wh, f, period=period, title=title, use_value_case=use_value_case)
    return render_pdf(content, paper=paper)


def file_name(f: Filters, period: Period | None = None, *, today: date | None = None) -> str:
    """A file name for a brief: ``iconic-brief_2026-Q2_segment-smb.pdf``."""
    when = re.sub(r"[^A-Za-z0-9_.-]+", "_", period.label) if period else (today or date.today()).isoformat()
    scope = "" if f.is_all else "_" + f.slug()
    return f"iconic-brief_{when}{scope[:80]}.pdf"


def page_count(pdf: bytes) -> int:
    """Pages in a PDF that ``render_pdf`` wrote (its page objects, counted in the file)."""
    return len(re.findall(rb"/Type /Page\b(?!s)", pdf))
