"""Cached calls for the pages: each wraps one public ``analytics`` function.

The warehouse handle is reopened at most every few seconds, so a new ingest shows up without a
restart. A result is cached on the call's arguments and on the versions of just the tables the
function reads, so a commit invalidates what it changed and nothing else: saving segments does not
throw away every NPS, and a second browser session gets the first one's results.

Every wrapper is also listed in ``CALLS`` with the arguments pages pass it, so the property-based
tests (``tests/test_scopes.py``) exercise every function a page uses over generated scopes.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import wraps
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from analytics import config
from analytics.analyses import (
    advocacy,
    churn,
    drivers,
    headlines,
    impact,
    moments,
    nonresponse,
    priorities,
    segmentation,
    survival,
    value,
)
from analytics.analyses import benchmarks as iconic_benchmarks
from analytics.data import catalog, filters, periods, schema
from analytics.data import warehouse as warehouse_mod
from analytics.data.warehouse import Warehouse
from analytics.errors import UsageError, WarehouseError
from analytics.stats.nps import NPSEstimate

#: The tables most analyses read.
FACTS = ("customers", "interactions", "surveys")
#: Tables that describe the warehouse itself.
LOGS = (schema.INGEST_LOG, *(schema.QUARANTINE_PREFIX + t for t in schema.TABLES))

Reads = tuple[str, ...] | Callable[..., tuple[str, ...]]
Variants = tuple[Mapping[str, Any], ...] | Callable[[Warehouse], tuple[Mapping[str, Any], ...]]


@dataclass(frozen=True)
class Call:
    """A library function a page calls: the tables it reads (to key its cache) and the keyword
    arguments pages call it with (for the scope tests; a function of the warehouse where they
    depend on the data, e.g. a batch id). ``scoped`` functions take ``Filters`` after the warehouse."""

    fn: Callable[..., Any]
    reads: Reads
    variants: Variants = field(default=({},))
    scoped: bool = True

    def arguments(self, wh: Warehouse) -> tuple[Mapping[str, Any], ...]:
        """The keyword arguments pages call ``fn`` with, on this warehouse."""
        return self.variants(wh) if callable(self.variants) else self.variants


#: Every cached library call, by the wrapper's name.
CALLS: dict[str, Call] = {}


@st.cache_resource(ttl=5, show_spinner=False)
def _open(path: str, engine: str) -> Warehouse | None:
    if not Path(path).is_dir():
        return None
    return warehouse_mod.open(path, engine=engine)


@st.cache_resource(max_entries=2, show_spinner=False)
def _stable(path: str, data_version: str, _fresh: Warehouse) -> Warehouse:
    """The first handle opened on this data version. Its kept tables (a scope's responses, customers'
    main channels) serve every session until the data changes."""
    return _fresh


@st.cache_resource(max_entries=2, show_spinner=False)
def _background(path: str, data_version: str, _stable: Warehouse) -> Warehouse:
    """The handle background computations use on this data version (``analytics.ui.background``):
    the same table versions in an engine of their own with one thread, so that pages being drawn
    keep the other cores."""
    return _stable.sibling(threads=1)


#: Set in threads that compute slow results in the background (``analytics.ui.background``).
_IN_BACKGROUND = threading.local()


@contextlib.contextmanager
def in_background() -> Iterator[None]:
    """Run what follows on this thread against the background handle of the current data version."""
    _IN_BACKGROUND.on = True
    try:
        yield
    finally:
        _IN_BACKGROUND.on = False


def warehouse() -> Warehouse | None:
    """The current warehouse, or ``None`` if none has been built yet.

    Looked at again every few seconds, so a commit from another process shows up without a
    restart; while the data is unchanged, every session gets the same handle (and background
    computations their own, on the same versions).
    """
    try:
        path = str(config.warehouse_path().resolve())
        fresh = _open(path, config.engine())
    except (WarehouseError, UsageError) as exc:  # unreadable, or a bad ICONIC_ENGINE: say why, touch nothing
        st.error(f"The warehouse cannot be opened: {exc}")
        st.stop()
    if fresh is None:
        return None
    stable = _stable(path, fresh.data_version, fresh)
    if getattr(_IN_BACKGROUND, "on", False):
        return _background(path, stable.data_version, stable)
    return stable


def refresh() -> None:
    """Reopen the warehouse after a write from this app (an upload, saved segments).

    Cached results stay: each is keyed on the versions of the tables it read, so only those that
    read a changed table are computed again.
    """
    _open.clear()


def _versions(wh: Warehouse, tables: tuple[str, ...]) -> tuple[tuple[str, int | None], ...]:
    return tuple((t, wh.versions.get(t)) for t in tables)


def _kept_results(
    fn: Callable[..., Any],
    *,
    reads: Reads = FACTS,
    variants: Variants = ({},),
    scoped: bool = True,
    entries: int = 256,
) -> Callable[..., Any]:
    """``fn(wh, *args, **kwargs)`` with its results kept on (function, warehouse folder, versions read,
    arguments), at most ``entries`` of them.

    Results are kept as shared objects (``st.cache_resource``), not copies: a copy is unpickled on
    every script run, which for the frames of a page at a million customers cost more than drawing
    it. So no page or library function changes a result it is handed (``tests/test_app.py`` runs
    every page twice to check), and ``analytics.ui.draw`` keeps each chart's spec beside it. The
    same key is computed once, whoever asks; other sessions wait for it.
    """
    name = f"{fn.__module__}.{fn.__qualname__}"

    # Every wrapper shares this code, so the function's name must be part of the cache key.
    @st.cache_resource(show_spinner=False, max_entries=entries)
    def run(_wh: Warehouse, function: str, root: str, versions: tuple[Any, ...], *args: Any, **kwargs: Any) -> Any:
        return fn(_wh, *args, **kwargs)

    @wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        wh = warehouse()
        if wh is None:
            raise WarehouseError(f"no warehouse at {config.warehouse_path()}")
        tables = reads(*args[1:], **kwargs) if callable(reads) else reads
        return run(wh, name, str(wh.root), _versions(wh, tables), *args, **kwargs)

    CALLS[fn.__name__] = Call(fn, reads, variants, scoped)
    return call


def _with_segments(*_: Any, by: str = "", **__: Any) -> tuple[str, ...]:
    """Cuts by the saved segmentation also read it."""
    return (*FACTS, schema.SEGMENT_TABLE) if by == "behaviour_segment" else FACTS


def _invitations(*args: Any, **kwargs: Any) -> tuple[str, ...]:
    """Response rates and weights also read the invitations."""
    return (*_with_segments(*args, **kwargs), "invitations")


_DIMENSIONS = advocacy.CUSTOMER_DIMENSIONS + advocacy.CONTACT_DIMENSIONS
_KINDS = ({"kind": "relationship"}, {"kind": "transactional"})

table_summary: Callable[..., pd.DataFrame] = _kept_results(catalog.table_summary, reads=(*schema.TABLES,))
ingest_history: Callable[..., pd.DataFrame] = _kept_results(catalog.ingest_history, reads=LOGS, scoped=False)
batch_checks: Callable[[str], pd.DataFrame] = _kept_results(
    catalog.batch_checks,
    reads=LOGS,
    scoped=False,
    variants=lambda wh: tuple({"batch_id": b} for b in catalog.ingest_history(wh)["batch_id"]),
)
quarantined_rows: Callable[..., pd.DataFrame] = _kept_results(
    catalog.quarantined_rows, reads=LOGS, scoped=False, variants=tuple({"table": t} for t in schema.TABLES)
)
quarantine_counts: Callable[[], pd.DataFrame] = _kept_results(catalog.quarantine_counts, reads=LOGS, scoped=False)
reference_gaps: Callable[[], pd.DataFrame] = _kept_results(catalog.reference_gaps, scoped=False)
filter_options: Callable[[], filters.FilterOptions] = _kept_results(filters.options, scoped=False)
emptied_by: Callable[..., str | None] = _kept_results(
    filters.emptied_by, variants=({"kind": "all"}, *_KINDS, {"rows": "customers"}, {"rows": "interactions"})
)
scope_period: Callable[[filters.Filters], periods.Period | None] = _kept_results(periods.scope_period)
headline: Callable[..., advocacy.Headline] = _kept_results(advocacy.headline, variants=_KINDS)
nps: Callable[..., NPSEstimate] = _kept_results(advocacy.nps, variants=_KINDS)
nps_by: Callable[..., pd.DataFrame] = _kept_results(
    advocacy.nps_by, reads=_with_segments, variants=tuple({"by": d} for d in _DIMENSIONS)
)
nps_by_period: Callable[..., pd.DataFrame] = _kept_results(
    advocacy.nps_by_period,
    reads=_with_segments,
    variants=tuple({"by": d, "period": "quarter", "top": 6} for d in _DIMENSIONS),
)
nps_trend: Callable[..., pd.DataFrame] = _kept_results(
    advocacy.nps_trend, variants=({"kind": "transactional"}, {"kind": "relationship", "period": "quarter"})
)
value_advocacy_grid: Callable[[filters.Filters], pd.DataFrame] = _kept_results(advocacy.value_advocacy_grid)
advocacy_economics: Callable[[filters.Filters], pd.DataFrame] = _kept_results(advocacy.advocacy_economics)
response_rates: Callable[..., pd.DataFrame] = _kept_results(
    nonresponse.response_rates, reads=_invitations, variants=tuple({"by": d} for d in nonresponse.DIMENSIONS)
)
weighted_nps_by: Callable[..., pd.DataFrame] = _kept_results(
    nonresponse.weighted_nps_by, reads=_invitations, variants=tuple({"by": d} for d in nonresponse.DIMENSIONS)
)
moment_map: Callable[..., pd.DataFrame] = _kept_results(
    moments.moment_map, variants=({}, *({"by": b} for b in moments.SPLITS))
)
pareto: Callable[..., pd.DataFrame] = _kept_results(moments.pareto)
driver_analysis: Callable[..., drivers.DriverResult] = _kept_results(
    drivers.driver_analysis,
    reads=(*FACTS, "attributes"),
    variants=(
        {"bootstrap": 50},
        {"outcome": "csat", "bootstrap": 50},
        {"moment": ("pay", "billing_dispute"), "bootstrap": 50},
    ),
)
segments: Callable[..., segmentation.Segmentation] = _kept_results(
    # A segmentation holds every customer's assignment: a few are kept, not hundreds.
    segmentation.segment,
    variants=({}, {"k": 3}, {"k": 7}, {"method": "gmm"}),
    entries=8,
)
saved_segments: Callable[[], pd.DataFrame] = _kept_results(
    segmentation.saved_summary, reads=(schema.SEGMENT_TABLE,), scoped=False
)
survival_report: Callable[..., survival.SurvivalReport] = _kept_results(
    survival.survival_report,
    reads=_with_segments,
    variants=({}, *({"by": d} for d in survival.DIMENSIONS), {"by": "segment", "horizon": 12}),
)
hazard_ratios: Callable[..., survival.CoxResult] = _kept_results(survival.hazard_ratios)
churn_headline: Callable[..., churn.ChurnHeadline] = _kept_results(churn.churn_headline)
customer_value: Callable[..., pd.DataFrame] = _kept_results(
    value.customer_value,
    reads=_with_segments,
    variants=(
        {},
        *({"by": d} for d in value.DIMENSIONS if d != "segment"),
        {"assumptions": value.ValueAssumptions(horizon_months=24, tail="sbg")},
    ),
)
value_case: Callable[..., impact.ValueCase] = _kept_results(
    impact.value_case,
    variants=(
        {"assumptions": impact.ImpactAssumptions(bootstrap=50)},
        {
            "assumptions": impact.ImpactAssumptions(improve=0.5, cost=10_000.0, bootstrap=50),
            "moment": ("pay", "billing_dispute"),
        },
    ),
)
what_if: Callable[..., survival.WhatIf] = _kept_results(
    survival.what_if,
    variants=(
        {},
        {"from_level": "passive", "to_level": "promoter"},
        {"covariate": "unresolved_90d", "from_level": None, "to_level": None, "reduce_by": 0.3},
    ),
)
assessment_items: Callable[[], pd.DataFrame] = _kept_results(
    iconic_benchmarks.assessment_items, reads=("assessment",), scoped=False
)
satisfaction_efficiency: Callable[..., pd.DataFrame] = _kept_results(
    iconic_benchmarks.satisfaction_efficiency,
    variants=(*({"by": u} for u in iconic_benchmarks.UNITS), {"by": "channel", "efficiency": "automation_rate"}),
)
stance_by_stage: Callable[..., pd.DataFrame] = _kept_results(
    iconic_benchmarks.stance_by_stage, reads=(*FACTS, "assessment")
)
channel_mix: Callable[..., pd.DataFrame] = _kept_results(
    iconic_benchmarks.channel_mix, variants=tuple({"by": b} for b in iconic_benchmarks.MIX_BY)
)
automation_outcomes: Callable[[filters.Filters], pd.DataFrame] = _kept_results(iconic_benchmarks.automation_outcomes)
partner_scorecard: Callable[..., pd.DataFrame] = _kept_results(
    iconic_benchmarks.partner_scorecard,
    variants=({}, {"standard": iconic_benchmarks.Standard(max_cost_ratio=2.0, min_nps=-100)}),
)
partner_ramp: Callable[..., pd.DataFrame] = _kept_results(
    iconic_benchmarks.partner_ramp, variants=({}, {"kpi": "csat"})
)

# The headline measures and the priority list: one function each, shared by the Overview, the pages and
# the brief (analytics.analyses.headlines, analytics.analyses.priorities).
reporting_period: Callable[..., headlines.Reporting] = _kept_results(headlines.reporting_period)
relationship_nps: Callable[..., advocacy.Headline] = _kept_results(headlines.relationship_nps)
post_contact_nps: Callable[..., advocacy.Headline] = _kept_results(headlines.post_contact_nps)
churn_rate: Callable[..., churn.ChurnHeadline] = _kept_results(headlines.churn_rate)
equity: Callable[..., headlines.Equity] = _kept_results(headlines.equity, variants=({"bootstrap": 50},))
priority_list: Callable[..., priorities.PriorityList] = _kept_results(
    priorities.priority_list,
    variants=({"assumptions": impact.ImpactAssumptions(bootstrap=50)}, {"money": False}),
)
