"""Calendar periods: what span of time a number counts, said the same way everywhere.

A headline number covers one period (the latest complete quarter in scope, say) and is compared
with the one before. A period is *complete* when all of it lies inside the scope's date range and
the data reaches its last day, so a quarter cut short by the filter or by the end of the data is
never set against a whole one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

import pandas as pd

from analytics.data.filters import Filters, data_span
from analytics.data.warehouse import Warehouse

Unit = Literal["month", "quarter"]
#: pandas' period codes, which are also Ibis' truncation units.
PANDAS_FREQ = {"month": "M", "quarter": "Q"}


@dataclass(frozen=True)
class Period:
    """A span of days, inclusive, with a label such as ``2025-Q3``, ``2025-07`` or a date range."""

    start: date
    end: date
    label: str

    def to_dict(self) -> dict[str, object]:
        return {"label": self.label, "start": self.start.isoformat(), "end": self.end.isoformat()}


def calendar_period(start: date | pd.Timestamp, unit: Unit) -> Period:
    """The calendar month or quarter that starts on (or contains) ``start``."""
    p = pd.Timestamp(start).tz_localize(None).to_period(PANDAS_FREQ[unit])
    label = f"{p.year}-Q{p.quarter}" if unit == "quarter" else f"{p.year}-{p.month:02d}"
    return Period(p.start_time.date(), p.end_time.date(), label)


def scope_period(wh: Warehouse, f: Filters) -> Period | None:
    """The days a scope covers: its date range, bounded by the data's first and last day.

    ``None`` when the warehouse holds no dated rows.
    """
    first, last = data_span(wh)
    if first is None or last is None:
        return None
    start = max(f.start, first) if f.start else first
    end = min(f.end, last) if f.end else last
    if start > end:  # a range outside the data: say what was asked for
        start, end = f.start or f.end or first, f.end or f.start or last
        return Period(start, end, f"{f.start or '…'} to {f.end or '…'}")
    return Period(start, end, range_label(start, end))


def range_label(start: date, end: date) -> str:
    """``2024-01-15 to 2024-03-31``, or a single day."""
    return start.isoformat() if start == end else f"{start.isoformat()} to {end.isoformat()}"


def is_complete(period: Period, f: Filters, last_day: date | None) -> bool:
    """Whether all of ``period`` is in scope: it starts on or after the filter's first day and ends by
    the filter's last day and by the last day of the data."""
    if last_day is None or period.end > last_day:
        return False
    if f.start and period.start < f.start:
        return False
    return not (f.end and period.end > f.end)


def latest_complete(wh: Warehouse, f: Filters, unit: Unit = "quarter") -> Period | None:
    """The latest calendar month or quarter that lies wholly inside the scope and the data
    (``is_complete``), or ``None`` when there is none (or no dated data at all)."""
    span = scope_period(wh, f)
    if span is None:
        return None
    first, last = data_span(wh)
    candidate = calendar_period(span.end, unit)
    while candidate.end >= span.start:
        inside = candidate.start >= span.start and first is not None and candidate.start >= first
        if inside and is_complete(candidate, f, last):
            return candidate
        candidate = calendar_period(candidate.start - pd.Timedelta(days=1), unit)
    return None


def previous(period: Period, unit: Unit = "quarter") -> Period:
    """The calendar month or quarter just before ``period``."""
    return calendar_period(period.start - pd.Timedelta(days=1), unit)


def parse(label: str) -> tuple[Period, Unit]:
    """A period named ``2025-Q3`` (a quarter) or ``2025-07`` (a month), and its unit.

    Raises ``ValueError`` naming the accepted forms for anything else.
    """
    text = label.strip()
    quarter = re.fullmatch(r"(\d{4})-[Qq]([1-4])", text)
    if quarter:
        year, q = int(quarter[1]), int(quarter[2])
        return calendar_period(date(year, 3 * q - 2, 1), "quarter"), "quarter"
    month = re.fullmatch(r"(\d{4})-(\d{2})", text)
    if month and 1 <= int(month[2]) <= 12:
        return calendar_period(date(int(month[1]), int(month[2]), 1), "month"), "month"
    raise ValueError(f"not a period: {label!r} (use a quarter such as 2025-Q3 or a month such as 2025-07)")
