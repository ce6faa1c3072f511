"""The dashboard's global filters, as a value, and the Ibis expressions they select.

Every analysis takes its rows through these functions, so a date range, segment, region or channel
chosen in the sidebar (or given to ``iconic analyze``) applies everywhere, and a notebook can apply
the very same scope.

What a filter means depends on the kind of row. The rules, stated once here and shown on every page
by ``scope_rules``:

- **Customers**: the chosen segments and regions; with a date range, those who were customers at some
  time in it; with a channel filter, those whose contacts in the range were mainly (most often) in a
  chosen channel.
- **Contacts**: started in the date range, in a chosen channel, by a customer in a chosen segment
  and region.
- **Post-contact responses**: given in the date range, about a contact in a chosen channel, by a
  customer in a chosen segment and region.
- **Relationship responses**: given in the date range, by a customer in a chosen segment and region;
  with a channel filter, by a customer whose contacts in the range were mainly in a chosen channel.
  They are about the company as a whole and have no channel of their own, so a channel filter keeps
  the customers who mainly use that channel.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Literal

import ibis
import pandas as pd
from ibis import _

from analytics import names
from analytics.data.warehouse import Warehouse

ResponseKind = Literal["relationship", "transactional", "all"]


@dataclass(frozen=True)
class Filters:
    """A scope: an inclusive date range and the segments, regions and channels to keep (empty = all)."""

    start: date | None = None
    end: date | None = None
    segments: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.start and self.end and self.start > self.end:
            raise ValueError(f"the date range starts ({self.start}) after it ends ({self.end})")

    def _chosen(self) -> list[tuple[str, tuple[str, ...]]]:
        """The dimensions with values chosen, as (label, values), in the order segment, region, channel."""
        dimensions = (("segment", self.segments), ("region", self.regions), ("channel", self.channels))
        return [(label, values) for label, values in dimensions if values]

    def describe(self) -> str:
        """A short human description, e.g. for captions and the PDF brief."""
        parts = [f"{self.start or '…'} to {self.end or '…'}"] if self.start or self.end else []
        parts += [f"{label}: {', '.join(names.name(v) for v in values)}" for label, values in self._chosen()]
        return "; ".join(parts) or "all data"

    def slug(self) -> str:
        """The scope as a file-name part, e.g. ``2024-01-01_to_2024-03-31_channel-voice`` or ``all-data``."""
        parts = [f"{self.start or 'start'}_to_{self.end or 'end'}"] if self.start or self.end else []
        parts += [f"{label}-{'+'.join(values)}" for label, values in self._chosen()]
        text = "_".join(parts) or "all-data"
        return re.sub(r"[^A-Za-z0-9_+.-]", "-", text)

    @property
    def is_all(self) -> bool:
        return self == ALL_DATA


#: No filters: every row. Frozen, so it is safe as a default argument.
ALL_DATA = Filters()


def scope_rules(f: Filters) -> dict[str, str]:
    """How ``f`` applies to each kind of row, in plain words, for captions, the README and the brief.

    Keys: ``customers``, ``contacts``, ``post-contact responses``, ``relationship responses``. The
    sentences describe exactly what ``customers``, ``interactions`` and ``surveys`` select.
    """
    when = f"from {f.start or 'the start'} to {f.end or 'the end'}" if (f.start or f.end) else "at any time"
    who = []
    if f.segments:
        who.append(f"in segment {_either(f.segments)}")
    if f.regions:
        who.append(f"in region {_either(f.regions)}")
    mainly = []
    if f.channels:
        mainly.append(f"whose contacts{' in that time' if f.start or f.end else ''} were mainly {_either(f.channels)}")
    lifetime = [f"who were customers at some time {when}"] if (f.start or f.end) else []
    customers = " and ".join([*who, *lifetime, *mainly])
    by = f", by customers {' and '.join(who)}" if who else ""
    answering = " and ".join([*who, *mainly])
    channel = f" in {_either(f.channels)}" if f.channels else ""
    about = f"{_either(f.channels)} contacts" if f.channels else "contacts"
    return {
        "customers": f"Customers {customers}." if customers else "All customers.",
        "contacts": f"Contacts{channel} {when}{by}.",
        "post-contact responses": f"Post-contact responses given {when} about {about}{by}.",
        "relationship responses": f"Relationship responses given {when}"
        + (f" by customers {answering}." if answering else "."),
    }


def _data_runs(wh: Warehouse) -> str:
    first, last = data_span(wh)
    return f" (the data runs from {first} to {last})" if first and last else ""


def _either(values: tuple[str, ...]) -> str:
    return values[0] if len(values) == 1 else ", ".join(values[:-1]) + " or " + values[-1]


@dataclass(frozen=True)
class FilterOptions:
    """What the filters can choose from, read from the warehouse."""

    first_date: date | None
    last_date: date | None
    segments: tuple[str, ...]
    regions: tuple[str, ...]
    channels: tuple[str, ...]


def data_span(wh: Warehouse) -> tuple[date | None, date | None]:
    """First and last day with a contact or a survey response in the warehouse (UTC). Computed once
    per warehouse handle: every headline, period and rate of a page asks for it."""

    def build() -> ibis.Table:
        spans = [
            wh.table(table).aggregate(first=_[column].min(), last=_[column].max())
            for table, column in (("interactions", "started_at"), ("surveys", "responded_at"))
        ]
        both = spans[0].union(spans[1])
        return both.aggregate(first=both["first"].min(), last=both["last"].max())

    span = wh.kept_table(("data_span",), build).execute()
    if span.empty or pd.isna(span["first"].iloc[0]):
        return None, None
    return span["first"].iloc[0].date(), span["last"].iloc[0].date()


def options(wh: Warehouse) -> FilterOptions:
    """Distinct segments, regions and channels, and the span of contact and response dates."""

    def distinct(table: str, column: str) -> tuple[str, ...]:
        if not wh.has(table):
            return ()
        values = wh.table(table).select(column).distinct().execute()[column].dropna()
        return tuple(sorted(map(str, values)))

    first, last = data_span(wh)
    return FilterOptions(
        first_date=first,
        last_date=last,
        segments=distinct("customers", "segment"),
        regions=distinct("customers", "region"),
        channels=distinct("interactions", "channel"),
    )


def _in_range(column: ibis.Column, f: Filters) -> list[ibis.BooleanValue]:
    preds = []
    if f.start:
        preds.append(column >= _day_start(f.start))
    if f.end:
        preds.append(column < _day_after(f.end))
    return preds


def _day_start(day: date) -> ibis.Scalar:
    return _utc(datetime.combine(day, time.min))


def _day_after(day: date) -> ibis.Scalar:
    return _utc(datetime.combine(day, time.min) + pd.Timedelta(days=1))


def _utc(moment: datetime) -> ibis.Scalar:
    return ibis.literal(pd.Timestamp(moment, tz="UTC"), type="timestamp('UTC')")


def contact_counts(wh: Warehouse, f: Filters) -> ibis.Table:
    """Contacts per customer and channel in the date range (every channel; the other filters do not
    apply): ``customer_id``, ``channel``, ``contacts``.

    One pass over the interactions, computed once per warehouse handle and date range; each
    customer's main channel and the per-customer contact rates are read from it.
    """

    def build() -> ibis.Table:
        t = wh.table("interactions")
        preds = _in_range(t.started_at, f)
        if preds:
            t = t.filter(*preds)
        return t.group_by(["customer_id", "channel"]).aggregate(contacts=_.count())

    return wh.kept_table(("contact_counts", f.start, f.end), build)


def main_channels(wh: Warehouse, f: Filters) -> ibis.Table:
    """Each customer's main channel in the date range: the one most of their contacts used (ties go
    to the alphabetically first). Columns ``customer_id``, ``main_channel``; customers without a
    contact in the range are absent."""

    def build() -> ibis.Table:
        counts = contact_counts(wh, f)
        order = [ibis.desc(counts.contacts), counts.channel]
        rank = ibis.row_number().over(group_by=counts.customer_id, order_by=order)
        return counts.mutate(_rank=rank).filter(_._rank == 0).select("customer_id", main_channel=_.channel)

    return wh.kept_table(("main_channels", f.start, f.end), build)


def customers(wh: Warehouse, f: Filters) -> ibis.Table:
    """Customers in scope (see the module docstring): segment and region; customers at some time in
    the date range; with a channel filter, those whose contacts in the range were mainly in it."""
    t = wh.table("customers")
    preds = _in_segment_and_region(t, f)
    if f.end:
        preds.append(t.signup_at < _day_after(f.end))
    if f.start:
        preds.append(t.churned_at.isnull() | (t.churned_at >= _day_start(f.start)))
    if preds:
        t = t.filter(*preds)
    if f.channels:
        main = main_channels(wh, f)
        t = t.semi_join(main.filter(main.main_channel.isin(list(f.channels))), "customer_id")
    return t


def _in_segment_and_region(c: ibis.Table, f: Filters) -> list[ibis.BooleanValue]:
    """The conditions on customers ``c`` that keep the chosen segments and regions (none when all are kept)."""
    preds = []
    if f.segments:
        preds.append(c.segment.isin(list(f.segments)))
    if f.regions:
        preds.append(c.region.isin(list(f.regions)))
    return preds


def _by_segment_and_region(wh: Warehouse, t: ibis.Table, f: Filters) -> ibis.Table:
    """Rows of ``t`` whose customer is in the chosen segments and regions."""
    if f.segments or f.regions:
        c = wh.table("customers")
        t = t.semi_join(c.filter(*_in_segment_and_region(c, f)).select("customer_id"), "customer_id")
    return t


def interactions(wh: Warehouse, f: Filters) -> ibis.Table:
    """Contacts in the date range and channels, by customers in the chosen segments and regions."""
    t = wh.table("interactions")
    preds = _in_range(t.started_at, f)
    if f.channels:
        preds.append(t.channel.isin(list(f.channels)))
    if preds:
        t = t.filter(*preds)
    return _by_segment_and_region(wh, t, f)


def surveys(wh: Warehouse, f: Filters, *, kind: ResponseKind = "all") -> ibis.Table:
    """Survey responses in scope, by the rules in the module docstring.

    ``kind``: ``relationship`` (no ``interaction_id``), ``transactional`` (post-contact) or ``all``.
    Post-contact responses follow their contact's channel; relationship responses follow their
    customer's main channel (``customers``).
    """
    t = wh.table("surveys")
    preds = _in_range(t.responded_at, f)
    if kind == "relationship":
        preds.append(t.interaction_id.isnull())
    elif kind == "transactional":
        preds.append(t.interaction_id.notnull())
    if preds:
        t = t.filter(*preds)
    t = _by_segment_and_region(wh, t, f)
    if not f.channels:
        return t
    if kind != "all":
        return in_channels(wh, f, t, kind=kind)
    post_contact = in_channels(wh, f, t.filter(t.interaction_id.notnull()), kind="transactional")
    relationship = in_channels(wh, f, t.filter(t.interaction_id.isnull()), kind="relationship")
    return post_contact.union(relationship)


def invitations(wh: Warehouse, f: Filters, *, kind: Literal["relationship", "transactional"]) -> ibis.Table:
    """Survey invitations in scope (the optional ``invitations`` table; empty when it is not stored).

    Kept by their ``sent_at`` in the date range and their customer's segment and region. Under a
    channel filter, post-contact invitations follow their contact's channel and relationship ones
    their customer's main channel, as responses do (``in_channels``). The invitation's own
    ``channel`` (email, sms, ...) is renamed ``medium``, so it is never taken for the contact's.
    """
    t = wh.table("invitations").rename(medium="channel")  # how it was sent, not the contact's channel
    preds = _in_range(t.sent_at, f)
    preds.append(t.interaction_id.notnull() if kind == "transactional" else t.interaction_id.isnull())
    t = _by_segment_and_region(wh, t.filter(*preds), f)
    return in_channels(wh, f, t, kind=kind) if f.channels else t


def in_channels(
    wh: Warehouse, f: Filters, t: ibis.Table, *, kind: Literal["relationship", "transactional"]
) -> ibis.Table:
    """The responses ``t`` that ``f``'s channel filter keeps: the one statement of that rule.

    Post-contact responses are kept by their contact's channel (read from a ``channel`` column when
    ``t`` carries one, as the analyses' gathered responses do, else looked up by ``interaction_id``);
    relationship responses by their customer's main channel (``main_channels``).
    """
    if not f.channels:
        return t
    chosen = list(f.channels)
    if kind == "relationship":
        main = main_channels(wh, f)
        return t.semi_join(main.filter(main.main_channel.isin(chosen)), "customer_id")
    if "channel" in t.columns:
        return t.filter(t.channel.isin(chosen))
    contacts = wh.table("interactions")
    return t.semi_join(contacts.filter(contacts.channel.isin(chosen)).select("interaction_id"), "interaction_id")


def scope_counts(wh: Warehouse, f: Filters) -> pd.DataFrame:
    """Rows in scope per table: ``table``, ``rows``, ``stored`` (rows stored in all). Tables not yet
    ingested count 0."""
    counts = []
    for name, select in (("customers", customers), ("interactions", interactions), ("surveys", surveys)):
        stored = int(wh.table(name).count().execute()) if wh.has(name) else 0
        n = int(select(wh, f).count().execute()) if stored and not f.is_all else stored
        counts.append({"table": name, "rows": n, "stored": stored})
    return pd.DataFrame(counts)


def emptied_by(wh: Warehouse, f: Filters, *, rows: str = "surveys", kind: ResponseKind = "all") -> str | None:
    """Which filter leaves no ``rows`` (``customers``, ``interactions`` or ``surveys`` of ``kind``) in
    scope, in words (e.g. ``"the date range 2024-01-15 to 2024-03-31"``), or ``None`` if some are
    left or none are stored at all.

    Filters are dropped one at a time, in the order channel, region, segment, dates; the first whose
    removal brings rows back is named. If no single one does, the answer is ``"the filters together"``.
    """

    def count(scope: Filters) -> int:
        if rows == "surveys":
            return int(surveys(wh, scope, kind=kind).count().execute())
        pick = {"customers": customers, "interactions": interactions}[rows]
        return int(pick(wh, scope).count().execute())

    if not wh.has(rows) or count(f) > 0 or count(ALL_DATA) == 0:
        return None
    trials = [
        (f.channels, f"the channel filter ({', '.join(f.channels)})", Filters(f.start, f.end, f.segments, f.regions)),
        (f.regions, f"the region filter ({', '.join(f.regions)})", Filters(f.start, f.end, f.segments, (), f.channels)),
        (
            f.segments,
            f"the segment filter ({', '.join(f.segments)})",
            Filters(f.start, f.end, (), f.regions, f.channels),
        ),
        (
            f.start or f.end,
            f"the date range {f.start or '…'} to {f.end or '…'}{_data_runs(wh)}",
            Filters(None, None, f.segments, f.regions, f.channels),
        ),
    ]
    for chosen, words, without in trials:
        if chosen and count(without) > 0:
            return words
    return "the filters together"
