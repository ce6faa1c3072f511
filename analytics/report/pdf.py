"""The executive brief laid out as a PDF: the one module that imports reportlab.

``render_pdf`` lays out what ``analytics.report.brief.brief_content`` says; charts come from the
Altair builders in ``analytics.report.charts`` and are rendered to print-resolution PNG by
vl-convert, with no browser and no network.
"""

from __future__ import annotations

import importlib
import io
import re
from importlib.util import find_spec
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import altair as alt

from analytics.data.filters import ALL_DATA, Filters
from analytics.data.warehouse import Warehouse
from analytics.errors import UsageError
from analytics.report.brief import BriefContent, brief_content
from analytics.report.kpis import figure, span

#: Paper sizes the brief can be laid out on.
PAPERS = ("a4", "letter")
#: Chart width in CSS pixels (one pixel prints as one point) and the render scale: 3 gives 216 dpi.
CHART_WIDTH = 440
CHART_SCALE = 3.0


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


def page_count(pdf: bytes) -> int:
    """Pages in a PDF that ``render_pdf`` wrote (its page objects, counted in the file)."""
    return len(re.findall(rb"/Type /Page\b(?!s)", pdf))
