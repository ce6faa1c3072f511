"""The dashboard's global filters, as a value, and the Ibis expressions they select.

Every analysis takes its rows through these functions, so a date range, segment, region or channel
chosen in the sidebar applies everywhere, and a notebook can apply the very same scope.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

import ibis
import pandas as pd

from analytics.warehouse import Warehouse


@dataclass(frozen=True)
class Filters:
    """A scope: an inclusive date range and the segments, regions and channels to keep (empty = all)."""

    start: date | None = None
    end: date | None = None
    segments: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()

    def describe(self) -> str:
        """A short human description, e.g. for captions and the PDF brief."""
        parts = []
        if self.start or self.end:
            parts.append(f"{self.start or '…'} to {self.end or '…'}")
        for label, values in (("segment", self.segments), ("region", self.regions), ("channel", self.channels)):
            if values:
                parts.append(f"{label}: {', '.join(values)}")
        return "; ".join(parts) or "all data"


#: No filters: every row. Frozen, so it is safe as a default argument.
ALL_DATA = Filters()


@dataclass(frozen=True)
class FilterOptions:
    """What the filters can choose from, read from the warehouse."""

    first_date: date | None
    last_date: date | None
    segments: tuple[str, ...]
    regions: tuple[str, ...]
    channels: tuple[str, ...]


def options(wh: Warehouse) -> FilterOptions:
    """Distinct segments, regions and channels, and the span of interaction dates."""

    def distinct(table: str, column: str) -> tuple[str, ...]:
        if not wh.has(table):
            return ()
        t = wh.table(table)
        values = t.select(column).distinct().execute()[column].dropna()
        return tuple(sorted(map(str, values)))

    first = last = None
    if wh.has("interactions"):
        t = wh.table("interactions")
        span = t.aggregate(first=t.started_at.min(), last=t.started_at.max()).execute()
        if not span.empty and pd.notna(span["first"].iloc[0]):
            first, last = span["first"].iloc[0].date(), span["last"].iloc[0].date()
    return FilterOptions(
        first_date=first,
        last_date=last,
        segments=distinct("customers", "segment"),
        regions=distinct("customers", "region"),
        channels=distinct("interactions", "channel"),
    )


def customers(wh: Warehouse, f: Filters) -> ibis.Table:
    """Customers in the chosen segments and regions (dates do not drop customers)."""
    t = wh.table("customers")
    if f.segments:
        t = t.filter(t.segment.isin(list(f.segments)))
    if f.regions:
        t = t.filter(t.region.isin(list(f.regions)))
    return t


def _in_range(column: ibis.Column, f: Filters) -> list[ibis.BooleanValue]:
    preds = []
    if f.start:
        preds.append(column >= _utc(datetime.combine(f.start, time.min)))
    if f.end:
        preds.append(column < _utc(datetime.combine(f.end, time.min) + pd.Timedelta(days=1)))
    return preds


def _utc(moment: datetime) -> ibis.Scalar:
    return ibis.literal(pd.Timestamp(moment, tz="UTC"), type="timestamp('UTC')")


def _restrict_customers(wh: Warehouse, t: ibis.Table, f: Filters) -> ibis.Table:
    if (f.segments or f.regions) and wh.has("customers"):
        t = t.semi_join(customers(wh, f).select("customer_id"), "customer_id")
    return t


def interactions(wh: Warehouse, f: Filters) -> ibis.Table:
    """Interactions in the date range and channels, by customers in the chosen segments and regions."""
    t = wh.table("interactions")
    preds = _in_range(t.started_at, f)
    if f.channels:
        preds.append(t.channel.isin(list(f.channels)))
    if preds:
        t = t.filter(*preds)
    return _restrict_customers(wh, t, f)


def surveys(wh: Warehouse, f: Filters) -> ibis.Table:
    """Survey responses in the date range, by customers in scope.

    With a channel filter, only transactional responses about contacts in those channels are kept
    (relationship surveys have no channel).
    """
    t = wh.table("surveys")
    preds = _in_range(t.responded_at, f)
    if preds:
        t = t.filter(*preds)
    if f.channels and wh.has("interactions"):
        contacts = wh.table("interactions")
        contacts = contacts.filter(contacts.channel.isin(list(f.channels))).select("interaction_id")
        t = t.semi_join(contacts, "interaction_id")
    return _restrict_customers(wh, t, f)


def scope_counts(wh: Warehouse, f: Filters) -> pd.DataFrame:
    """Rows in scope per table: ``table``, ``rows``. Tables not yet ingested count 0."""
    counts = []
    for name, select in (("customers", customers), ("interactions", interactions), ("surveys", surveys)):
        n = int(select(wh, f).count().execute()) if wh.has(name) else 0
        counts.append({"table": name, "rows": n})
    return pd.DataFrame(counts)
