"""Churn per customer-month at risk: the rate over a scope's days and the latest complete period
against the one before it, as the Overview's and Churn page's headline reads it.

The rate divides churns by time at risk, not by customers, so a quarter and a year compare and a
customer who joined on the scope's last day does not count like one who was there throughout. Its
interval is exact (Garwood); the change between periods is a rate ratio with an exact test
(``analytics.stats.inference``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

import ibis
import numpy as np
import pandas as pd
from ibis import _

from analytics.analyses import advocacy
from analytics.analyses.survival import months_between, stamp
from analytics.data import filters, periods
from analytics.data.filters import ALL_DATA, Filters
from analytics.data.warehouse import Warehouse
from analytics.stats import inference

#: Churn rates are given per this many customer-months at risk, as on the Advocacy page.
CHURN_PER = advocacy.CHURN_PER


@dataclass(frozen=True)
class ChurnRate:
    """Churns per ``CHURN_PER`` customer-months at risk over one span of days, with its exact 95%
    interval (Garwood). ``rate``, ``low`` and ``high`` are None when nobody was at risk."""

    period: periods.Period | None
    customers: int
    churned: int
    months_at_risk: float
    rate: float | None
    low: float | None
    high: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": self.period.to_dict() if self.period else None,
            "customers": self.customers,
            "churned": self.churned,
            "months_at_risk": self.months_at_risk,
            "rate": self.rate,
            "low": self.low,
            "high": self.high,
            "per": CHURN_PER,
        }


@dataclass(frozen=True)
class ChurnHeadline:
    """The churn rate of the latest complete period in scope against the period before it.

    ``change`` compares the two rates as a ratio (current over previous) with an exact interval and
    p-value (``inference.rate_ratio_test``). ``note`` says why a part is missing."""

    current: ChurnRate
    previous: ChurnRate | None = None
    change: inference.RateRatio | None = None
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.current.to_dict(),
            "previous": self.previous.to_dict() if self.previous else None,
            "change": vars(self.change) if self.change else None,
            "note": self.note,
        }


def churn_rate(wh: Warehouse, f: Filters = ALL_DATA) -> ChurnRate:
    """Churns per ``CHURN_PER`` customer-months at risk over the scope's days
    (``periods.scope_period``: its date range, bounded by the data).

    Each customer in scope (``filters.customers``) is at risk from signup or the first day, whichever
    is later, until churn or the end of the last day. A churn counts when it falls inside those days.
    Dividing by time at risk, not by customers, keeps a quarter and a year comparable and does not
    count a customer who joined on the last day like one who was there throughout.
    """
    span = periods.scope_period(wh, f)
    if span is None or not wh.has("customers"):
        return ChurnRate(span, 0, 0, 0.0, None, None, None)
    first = stamp(datetime.combine(span.start, time(), tzinfo=UTC))
    after = stamp(datetime.combine(span.end + timedelta(days=1), time(), tzinfo=UTC))
    c = filters.customers(wh, f)
    c = c.filter(c.signup_at < after, c.churned_at.isnull() | (c.churned_at >= first))
    start = ibis.greatest(c.signup_at, first)
    end = ibis.least(c.churned_at.fill_null(after), after)
    months = months_between(end, start).clip(lower=0.0)
    churned = (c.churned_at.notnull() & (c.churned_at < after)).cast("int64")
    sums = c.aggregate(customers=_.count(), churned=churned.sum(), months=months.sum()).execute().iloc[0]
    customers = int(sums["customers"])
    events = 0 if pd.isna(sums["churned"]) else int(sums["churned"])
    exposure = 0.0 if pd.isna(sums["months"]) else float(sums["months"])
    if exposure <= 0:
        return ChurnRate(span, customers, events, exposure, None, None, None)
    low, high = inference.poisson_interval(np.array([events]), np.array([exposure]))
    return ChurnRate(
        span,
        customers,
        events,
        exposure,
        CHURN_PER * events / exposure,
        float(CHURN_PER * low[0]),
        float(CHURN_PER * high[0]),
    )


def churn_headline(wh: Warehouse, f: Filters = ALL_DATA, *, unit: periods.Unit = "quarter") -> ChurnHeadline:
    """The churn rate (``churn_rate``) of the latest complete month or quarter in scope, against the
    one before it when that is complete too; with no complete period, the scope's whole span and no
    comparison. Complete means as in ``periods.is_complete``."""
    span = periods.scope_period(wh, f)
    if span is None:
        return ChurnHeadline(churn_rate(wh, f), note="No dated data in this warehouse.")
    latest = periods.latest_complete(wh, f, unit)
    if latest is None:
        note = f"No complete {unit} in this scope: the whole scope is counted, with nothing to compare it with."
        return ChurnHeadline(churn_rate(wh, f), note=note)
    # Each rate is labelled by its calendar period (``2026-Q2``), not by its range of days.
    current = dataclasses.replace(
        churn_rate(wh, dataclasses.replace(f, start=latest.start, end=latest.end)), period=latest
    )
    if current.rate is None:
        return ChurnHeadline(current, note="No customers at risk in this scope.")
    before = periods.previous(latest, unit)
    if before.start < span.start:
        return ChurnHeadline(current, note=f"No earlier complete {unit} in this scope to compare with.")
    previous = dataclasses.replace(
        churn_rate(wh, dataclasses.replace(f, start=before.start, end=before.end)), period=before
    )
    if previous.rate is None:
        return ChurnHeadline(current, previous, note=f"No customers at risk in {before.label} to compare with.")
    change = inference.rate_ratio_test(
        current.churned, current.months_at_risk, previous.churned, previous.months_at_risk
    )
    return ChurnHeadline(current, previous, change)
