"""The headline measures of a scope: one function per measure, which every surface calls.

The Overview's tiles, the Churn page's value figures, ``iconic analyze`` and the brief all show
"Relationship NPS", "Churn rate" or "Customer equity". Each label is one function here, called
with the scope the user picked, so the same label shows the same number wherever it appears.

Every measure reports on the same **reporting period**: the latest complete quarter in scope
(``reporting_period``), or one the brief is asked for.

- Measures of a span (NPS, the churn rate) count that period, against the one before.
- Measures of a moment (customer equity, value at risk, median lifetime) are taken as at the
  period's last day, against the last day of the period before.

A scope with no complete period counts its whole span and has nothing to compare.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import pandas as pd

from analytics.analyses import advocacy, benchmarks, churn, survival, value
from analytics.data import filters, periods
from analytics.data.filters import ALL_DATA, Filters
from analytics.data.periods import Period
from analytics.data.warehouse import Warehouse
from analytics.errors import UsageError

#: The RMST horizon of the lifetime headline, in months (the Churn page's default).
HORIZON = 36


@dataclass(frozen=True)
class Reporting:
    """What a set of headlines reports on.

    ``scope``: the user's scope, ending with ``period`` (so that measures of a moment are taken at
    its end). ``period``: the latest complete quarter (or the month or quarter asked for); ``None``
    when the scope holds none, and then the scope's whole span counts. ``previous``: the period
    before, when it lies in scope. ``unit``: ``quarter`` or ``month``.
    """

    scope: Filters
    period: Period | None
    previous: Period | None
    unit: periods.Unit

    @property
    def before(self) -> Filters | None:
        """The scope ending with the previous period, for measures of a moment then."""
        return replace(self.scope, end=self.previous.end) if self.previous else None


def reporting_period(wh: Warehouse, f: Filters = ALL_DATA, *, period: str | None = None) -> Reporting:
    """The period headlines report on, the one they compare with, and the scope that ends with it.

    With ``period`` (``2025-Q3`` or ``2025-07``) the scope ends on its last day and it must be
    complete in the data. Without, it is the latest complete quarter in ``f`` (as the NPS headline
    picks it); with none, the scope's whole span and no comparison.
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
            return Reporting(scope, None, None, unit)
        if not (periods.is_complete(asked, scope, last) and asked.start >= first):
            raise UsageError(f"{asked.label} is not complete in this data, which runs from {first} to {last}")
        return Reporting(scope, asked, _previous(wh, scope, asked, unit), unit)
    latest = periods.latest_complete(wh, f, "quarter")
    if latest is None:
        return Reporting(f, periods.scope_period(wh, f), None, "quarter")
    scope = replace(f, end=latest.end)
    return Reporting(scope, latest, _previous(wh, scope, latest, "quarter"), "quarter")


def _previous(wh: Warehouse, scope: Filters, current: Period, unit: periods.Unit) -> Period | None:
    before = periods.previous(current, unit)
    span = periods.scope_period(wh, scope)
    return before if span is not None and before.start >= span.start else None


# --- one function per measure ------------------------------------------------------------------------


def relationship_nps(wh: Warehouse, f: Filters = ALL_DATA, *, period: str | None = None) -> advocacy.Headline:
    """Relationship NPS: each customer's latest relationship answer in the reporting period, against
    the previous period with answers (``advocacy.headline``)."""
    r = reporting_period(wh, f, period=period)
    return advocacy.headline(wh, r.scope, kind="relationship", unit=r.unit)


def post_contact_nps(wh: Warehouse, f: Filters = ALL_DATA, *, period: str | None = None) -> advocacy.Headline:
    """Post-contact NPS: every answer given after a contact in the reporting period, against the
    previous period with answers (``advocacy.headline``)."""
    r = reporting_period(wh, f, period=period)
    return advocacy.headline(wh, r.scope, kind="transactional", unit=r.unit)


def churn_rate(wh: Warehouse, f: Filters = ALL_DATA, *, period: str | None = None) -> churn.ChurnHeadline:
    """Churns per 100 customer-months at risk in the reporting period, against the one before
    (``churn.churn_headline``)."""
    r = reporting_period(wh, f, period=period)
    return churn.churn_headline(wh, r.scope, unit=r.unit)


@dataclass(frozen=True)
class Lifetime:
    """Kaplan-Meier over the scope as at the reporting period's end (``now``) and as at the previous
    period's end (``before``, estimates only), with RMST to ``horizon`` months."""

    now: survival.SurvivalReport
    before: survival.SurvivalReport | None
    horizon: int


def lifetime(wh: Warehouse, f: Filters = ALL_DATA, *, period: str | None = None, horizon: int = HORIZON) -> Lifetime:
    """Median lifetime and mean months of the first ``horizon`` (RMST), as at the reporting period's
    end and the previous one's (``survival.survival_report``)."""
    r = reporting_period(wh, f, period=period)
    before = r.before
    return Lifetime(
        survival.survival_report(wh, r.scope, horizon=horizon),
        # Only the estimates are compared, so the earlier report needs no bootstrap.
        survival.survival_report(wh, before, horizon=horizon, bootstrap=0) if before else None,
        horizon,
    )


@dataclass(frozen=True)
class Equity:
    """Customer equity and value at risk as at the reporting period's end (``now``) and the
    previous one's (``before``, estimates only): ``value.scope_value``."""

    now: value.ScopeValue
    before: value.ScopeValue | None

    @property
    def as_of(self) -> date | None:
        return self.now.as_of


def equity(
    wh: Warehouse,
    f: Filters = ALL_DATA,
    *,
    period: str | None = None,
    assumptions: value.ValueAssumptions | None = None,
    bootstrap: int = 200,
) -> Equity:
    """Customer equity and value at risk of the scope's customers, as at the reporting period's end
    and the previous one's (``value.scope_value``, each segment on its own survival curve, with
    ``bootstrap`` resamples for the current figures' intervals)."""
    a = assumptions or value.ValueAssumptions()
    r = reporting_period(wh, f, period=period)
    before = r.before
    return Equity(
        value.scope_value(wh, r.scope, assumptions=a, bootstrap=bootstrap),
        value.scope_value(wh, before, assumptions=a, bootstrap=0) if before else None,
    )


# --- all of them, for the brief ------------------------------------------------------------------------


@dataclass(frozen=True)
class Headlines:
    """Every headline measure of one scope, as the brief prints them."""

    reporting: Reporting
    relationship: advocacy.Headline
    post_contact: advocacy.Headline
    churn: churn.ChurnHeadline
    lifetime: Lifetime
    equity: Equity
    distances: pd.DataFrame
    assumptions: value.ValueAssumptions


def headline_results(
    wh: Warehouse,
    f: Filters = ALL_DATA,
    *,
    period: str | None = None,
    assumptions: value.ValueAssumptions | None = None,
) -> Headlines:
    """Every headline of scope ``f``: both NPS, the churn rate, lifetime, equity and value at risk
    (each by its function above) and the distance to iconic firms."""
    a = assumptions or value.ValueAssumptions()
    return Headlines(
        reporting=reporting_period(wh, f, period=period),
        relationship=relationship_nps(wh, f, period=period),
        post_contact=post_contact_nps(wh, f, period=period),
        churn=churn_rate(wh, f, period=period),
        lifetime=lifetime(wh, f, period=period),
        equity=equity(wh, f, period=period, assumptions=a),
        distances=benchmarks.distance_to_profiles(benchmarks.assessment_items(wh)),
        assumptions=a,
    )
