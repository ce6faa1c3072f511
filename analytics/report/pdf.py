"""The executive brief laid out as a PDF: the one module that imports reportlab.

``render_pdf`` lays out what ``analytics.report.brief.brief_content`` says, one function per
section of the brief: the cover, "In short", the headline numbers, the top actions, the charts,
the data's quality and the methods. Every section is laid out on one ``Sheet`` (paper, fonts and
paragraph styles). Charts come from the Altair builders in ``analytics.report.charts`` and are
rendered to print-resolution PNG by vl-convert, with no browser and no network.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from importlib.util import find_spec
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import altair as alt
import reportlab
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.fonts import addMapping
from reportlab.lib.pagesizes import A4, letter
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    Image,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from analytics.data.filters import ALL_DATA, Filters
from analytics.data.warehouse import Warehouse
from analytics.errors import UsageError
from analytics.report.brief import BriefContent, brief_content
from analytics.report.kpis import Kpi, figure, span

#: Paper sizes the brief can be laid out on.
PAPERS = ("a4", "letter")
#: Chart width in CSS pixels (one pixel prints as one point) and the render scale: 3 gives 216 dpi.
CHART_WIDTH = 440
CHART_SCALE = 3.0
#: The tallest a chart prints; a taller one is shrunk to fit.
CHART_MAX_HEIGHT = 9.5 * cm
MARGIN = 1.8 * cm
INK = colors.HexColor("#1d3557")
MUTED = colors.HexColor("#555555")
ACCENT = colors.HexColor("#d1495b")
RULE = colors.HexColor("#cccccc")


def _fonts() -> tuple[str, str]:
    """A regular and a bold font. DejaVu Sans (shipped with matplotlib, which lifelines installs)
    covers far more of Unicode than the PDF base fonts; without it, reportlab's own Vera."""
    if "IconicSans" in pdfmetrics.getRegisteredFontNames():
        return "IconicSans", "IconicSans-Bold"
    found = find_spec("matplotlib")
    folders = (
        [Path(p) / "mpl-data" / "fonts" / "ttf" for p in (found.submodule_search_locations or [])] if found else []
    )
    pairs = [(d / "DejaVuSans.ttf", d / "DejaVuSans-Bold.ttf") for d in folders]
    reportlab_fonts = Path(reportlab.__file__ or "").parent / "fonts"
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


@dataclass(frozen=True)
class Sheet:
    """What every section of the brief is laid out with: the paper ``size`` (points), the regular
    font (for the footer) and the paragraph styles: ``body`` text, ``small`` print, ``right``-aligned
    figures, table headers (``head``), three heading levels and the cover's warning (``warn``)."""

    size: tuple[float, float]
    regular: str
    body: ParagraphStyle
    small: ParagraphStyle
    right: ParagraphStyle
    right_small: ParagraphStyle
    head: ParagraphStyle
    head_right: ParagraphStyle
    h1: ParagraphStyle
    h2: ParagraphStyle
    h3: ParagraphStyle
    warn: ParagraphStyle

    @property
    def width(self) -> float:
        """The width between the margins, in points."""
        return float(self.size[0] - 2 * MARGIN)

    @classmethod
    def for_paper(cls, paper: str) -> Sheet:
        """The sheet for ``paper`` (one of ``PAPERS``)."""
        if paper not in PAPERS:
            raise UsageError(f"paper must be one of {', '.join(PAPERS)}, not {paper!r}")
        regular, bold = _fonts()
        body = ParagraphStyle("body", fontName=regular, fontSize=9.5, leading=12.5, textColor=colors.black)
        small = ParagraphStyle("small", parent=body, fontSize=7.8, leading=9.8, textColor=MUTED)
        head = ParagraphStyle("head", parent=body, fontName=bold, fontSize=8.5, textColor=colors.white)
        return cls(
            size=A4 if paper == "a4" else letter,
            regular=regular,
            body=body,
            small=small,
            right=ParagraphStyle("right", parent=body, alignment=TA_RIGHT),
            right_small=ParagraphStyle("right_small", parent=small, alignment=TA_RIGHT),
            head=head,
            head_right=ParagraphStyle("head_right", parent=head, alignment=TA_RIGHT),
            h1=ParagraphStyle("h1", parent=body, fontName=bold, fontSize=20, leading=24, textColor=INK, spaceAfter=6),
            h2=ParagraphStyle(
                "h2", parent=body, fontName=bold, fontSize=13, leading=16, textColor=INK, spaceBefore=10, spaceAfter=5
            ),
            h3=ParagraphStyle(
                "h3", parent=body, fontName=bold, fontSize=10.5, leading=13, spaceBefore=6, spaceAfter=3, keepWithNext=1
            ),
            warn=ParagraphStyle("warn", parent=body, textColor=ACCENT, fontName=bold),
        )


def _markup(text: str) -> str:
    """``text`` safe for reportlab's paragraph markup; ``**bold**`` becomes bold."""
    return re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", escape(str(text)))


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    """A paragraph of plain ``text`` (``**bold**`` allowed)."""
    return Paragraph(_markup(text), style)


def _bold(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(f"<b>{_markup(text)}</b>", style)


def _header(sheet: Sheet, left: Sequence[str], right: Sequence[str]) -> list[Any]:
    """A table's header row: the ``left`` column titles, then the right-aligned ones over figures."""
    return [Paragraph(t, sheet.head) for t in left] + [Paragraph(t, sheet.head_right) for t in right]


def _table(rows: list[list[Any]], widths: list[float], *commands: tuple[Any, ...]) -> Table:
    """A table whose header row (repeated on a new page) is white on ink, its rows ruled below."""
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), INK),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 1), (-1, -1), 0.4, RULE),
                *commands,
            ]
        )
    )
    return table


def chart_png(chart: alt.TopLevelMixin, *, width: int = CHART_WIDTH, scale: float = CHART_SCALE) -> bytes:
    """A chart as a PNG at ``scale`` times its size in CSS pixels, rendered by vl-convert (no browser)."""
    import vl_convert as vlc

    # The page hands Streamlit the data as Arrow; here it goes inline into the spec, past Altair's
    # guard of 5,000 rows (meant for browsers, not for one local render).
    with alt.data_transformers.enable("default", max_rows=None):
        spec = chart.properties(width=width).to_dict()
    png: bytes = vlc.vegalite_to_png(vl_spec=spec, scale=scale)
    return png


def _chart_image(chart: alt.TopLevelMixin, width: float) -> Image:
    """The chart as printed: one CSS pixel to the point, shrunk to fit ``width`` and the tallest a chart prints."""
    png = chart_png(chart)
    pixels_wide, pixels_high = ImageReader(io.BytesIO(png)).getSize()
    w, h = pixels_wide / CHART_SCALE, pixels_high / CHART_SCALE
    shrink = min(1.0, width / w, CHART_MAX_HEIGHT / h)
    return Image(io.BytesIO(png), width=w * shrink, height=h * shrink)


def _cover(content: BriefContent, sheet: Sheet) -> list[Flowable]:
    """Title, period, scope and data; the data's quality too when a batch went wrong."""
    story = [_p(content.title, sheet.h1), _p(content.period_line, sheet.h3)]
    lines = [*content.scope_lines, f"Data: {content.data_name}.", *content.status.freshness]
    story += [_p(line, sheet.small) for line in lines]
    if content.status.warning:  # a rejected batch changes what the numbers can be trusted for: say it first
        story.append(_p(f"Warning: {content.status.warning}", sheet.warn))
        story += [_p(line, sheet.small) for line in content.status.quality]
    return [*story, Spacer(1, 6)]


def _in_short(content: BriefContent, sheet: Sheet) -> list[Flowable]:
    """The three opening sentences: what changed, what matters most, what to do."""
    story = [_p("In short", sheet.h2)]
    for sentence in content.summary:
        story += [_p(sentence, sheet.body), Spacer(1, 2)]
    return story


def _kpi_row(k: Kpi, sheet: Sheet) -> list[Any]:
    return [
        [_bold(k.label, sheet.body), _p(k.counts, sheet.small)],
        _p(k.period, sheet.small),
        _bold(k.value, sheet.right),
        _p(k.interval, sheet.right),
        [_p(k.change, sheet.right), _p(k.change_note, sheet.right_small)],
    ]


def _headline_numbers(content: BriefContent, sheet: Sheet) -> list[Flowable]:
    """One row per headline: what it counts, its period, value, interval and change."""
    rows = [_header(sheet, ["Measure", "Period"], ["Value", "95% interval", "Change vs previous"])]
    rows += [_kpi_row(k, sheet) for k in content.kpis]
    fractions = (0.33, 0.15, 0.12, 0.16, 0.24)
    padding = (("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 4))
    return [
        CondPageBreak(4 * cm),  # a section never starts in the last few lines of a page
        _p("Headline numbers", sheet.h2),
        _table(rows, [f * sheet.width for f in fractions], *padding),
    ]


def _action_row(action: dict[str, Any], content: BriefContent, sheet: Sheet) -> list[Any]:
    worth = "not run" if not content.value_case else "—"
    if figure("money", action.get("value")) != "—":
        worth = f"{figure('money', action['value'])} ({span('money', action['value_low'], action['value_high'])})"
    swing = f"{figure('swing', action['swing'])} ({span('swing', action['swing_low'], action['swing_high'])})"
    return [
        _p(str(action["rank"]), sheet.body),
        _p(str(action["action"]), sheet.body),
        _p(str(action["moment"]), sheet.body),
        _p(swing, sheet.right),
        _p(figure("met_rate", action["met_rate"]), sheet.right),
        _p(figure("volume", action["volume"]), sheet.right),
        _p(worth, sheet.right),
    ]


def _top_actions(content: BriefContent, sheet: Sheet) -> list[Flowable]:
    """The first moments of the priority list, in its order, with their swing and money; or why there are none."""
    story = [CondPageBreak(4 * cm), _p("Top actions", sheet.h2)]
    if content.actions.empty:
        return [*story, _p(content.actions_note or "No moment of truth to act on in this scope.", sheet.body)]
    level = f"{content.value_case_confidence:.0%} interval" if content.value_case_confidence else "interval"
    rows = [
        _header(
            sheet,
            ["#", "Action", "Moment"],
            ["Swing (95% interval)", "Met", "Contacts", f"Margin kept a year ({level})"],
        )
    ]
    rows += [_action_row(r, content, sheet) for r in content.actions.to_dict("records")]
    fractions = (0.04, 0.12, 0.22, 0.19, 0.09, 0.11, 0.23)
    table = _table(rows, [f * sheet.width for f in fractions])
    return [*story, _p(content.actions_note, sheet.small), Spacer(1, 7), table]


def _charts(content: BriefContent, sheet: Sheet) -> list[Flowable]:
    """Each chart with its heading and caption kept on one page; a note where the scope has nothing to draw."""
    story = [CondPageBreak(11 * cm), _p("Charts", sheet.h2)]  # the heading travels with its first chart
    for part in content.charts:
        block = [_p(part.heading, sheet.h3)]
        if part.chart is None:
            block.append(_p(part.note, sheet.body))
        else:
            block += [_chart_image(part.chart, sheet.width), _p(part.caption, sheet.small)]
        story.append(KeepTogether(block))
    return story


def _data_quality(content: BriefContent, sheet: Sheet) -> list[Flowable]:
    """The data's quality, unless the cover already says it (with a warning)."""
    if content.status.warning:
        return []
    return [_p("Data quality", sheet.h2), *(_p(line, sheet.body) for line in content.status.quality)]


def _methods(content: BriefContent, sheet: Sheet) -> list[Flowable]:
    """How each number was made, the sources, and when and from what the brief was written."""
    story = [_p("Methods and sources", sheet.h2)]
    for heading, text in content.methods:
        story += [_p(heading, sheet.h3), _p(text, sheet.body)]
    generated = (
        f"Generated {content.generated_at:%Y-%m-%d %H:%M} UTC by Iconic from the warehouse named on the cover. "
        "Every number comes from the analytics library (the same functions as the dashboard and `iconic analyze`)."
    )
    return [*story, Spacer(1, 6), _p(generated, sheet.small)]


class _NumberedCanvas(canvas.Canvas):
    """A canvas that holds its pages back until the end, so each footer can say "Page 2 of 4".

    ``footer`` draws one page's footer, given the canvas, the page's number and the page count.
    """

    def __init__(self, *args: Any, footer: Callable[[canvas.Canvas, int, int], None], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._footer = footer
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:  # noqa: N802 - reportlab's name
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self._footer(self, number, total)
            super().showPage()
        super().save()


def _footer(content: BriefContent, sheet: Sheet) -> Callable[[canvas.Canvas, int, int], None]:
    """What every page's foot says: the title and period on the left, "Page 2 of 4" on the right."""
    text = f"{content.title} · {content.period.label if content.period else 'no period'}"
    text = text if len(text) <= 90 else text[:89] + "…"

    def draw(page_canvas: canvas.Canvas, page: int, pages: int) -> None:
        page_canvas.setFont(sheet.regular, 7.5)
        page_canvas.setFillColor(MUTED)
        page_canvas.drawString(MARGIN, 1.0 * cm, text)
        page_canvas.drawRightString(sheet.size[0] - MARGIN, 1.0 * cm, f"Page {page} of {pages}")

    return draw


def render_pdf(content: BriefContent, *, paper: str = "a4") -> bytes:
    """The brief laid out as a PDF: cover and headlines, top actions, charts, methods and sources."""
    sheet = Sheet.for_paper(paper)
    story = [
        *_cover(content, sheet),
        *_in_short(content, sheet),
        *_headline_numbers(content, sheet),
        *_top_actions(content, sheet),
        *_charts(content, sheet),
        PageBreak(),
        *_data_quality(content, sheet),
        *_methods(content, sheet),
    ]
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=sheet.size,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=content.title,
        author="Iconic",
        subject=f"{content.period_line}; {content.scope.describe()}",
    )
    doc.build(story, canvasmaker=partial(_NumberedCanvas, footer=_footer(content, sheet)))
    return out.getvalue()


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
