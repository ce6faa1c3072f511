"""Driver analysis: how much each attribute rating explains of an outcome, and what to do about it.

The importance itself, LMG or Johnson's relative weights with intervals from a bootstrap that
resamples customers, is ``analytics.stats.importance``.

``driver_analysis`` gathers post-contact responses in a scope (and optionally one moment: a journey
stage and contact reason) from the warehouse and adds what a strategist acts on: each driver's
kind (tactile, emotive, or operational for contact measures), its performance (mean and top-2-box
share), the tactile-versus-emotive split of the explained variance, and an action from the
importance-performance grid (``importance_quadrant``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analytics import names
from analytics.data import filters, schema
from analytics.data.filters import ALL_DATA, Filters
from analytics.data.warehouse import Warehouse, sample_note, sampled_share
from analytics.stats.actions import DELIGHT, FIX, MAINTAIN, RIGHT_SIZE, UNCLEAR, evidence
from analytics.stats.importance import (
    SPLIT_COLUMNS,
    ImportanceIntervals,
    Method,
    Missing,
    float_columns,
    importance_intervals,
)

Outcome = Literal["ltr", "csat", "effort"]

OUTCOMES: tuple[str, ...] = ("ltr", "csat", "effort")
#: Fewer responses than this (or than drivers + 2) give no estimate, only a note.
MIN_RESPONSES = 30
#: Contact measures that can be asked for as drivers (their kind is ``operational``), with labels.
OPERATIONAL = {
    "wait_seconds": "Wait (seconds)",
    "handle_seconds": "Handle time (seconds)",
    "transfers": "Transfers",
    "is_resolved": "Resolved on first contact",
    "is_escalated": "Escalated",
    "is_automated": "Automated",
    "cost": "Cost of the contact",
}

ACTIONS = (FIX, DELIGHT, MAINTAIN, UNCLEAR, RIGHT_SIZE)

TABLE_COLUMNS = (
    "attribute",
    "label",
    "kind",
    "importance",
    "low",
    "high",
    "share",
    "share_low",
    "share_high",
    "performance",
    "performance_on_scale",
    "top2",
    "performance_scaled",
    "n",
    "action",
)


# --- what to do about each driver -------------------------------------------------------------------


def importance_quadrant(
    table: pd.DataFrame, *, importance_cut: float | None = None, performance_cut: float | None = None
) -> pd.Series:
    """The action for each driver from the importance-performance grid, in the moment map's
    vocabulary (``analytics.stats.actions``).

    Requires ``share`` with its interval ``share_low`` and ``share_high``, ``performance_scaled``
    (performance as a fraction of the way up its scale, 0 to 1) and ``kind``. How much a driver
    matters is judged on its share of the explained variance against ``importance_cut`` (default
    ``1 / drivers``: an equal split), by ``actions.evidence``: *important* when its interval lies
    above 0 and its share reaches the cut, *minor* when the interval's upper end lies below the cut,
    *unclear* otherwise. A driver is *performing* when ``performance_scaled`` is at least
    ``performance_cut`` (default: the mean over the drivers that have a scale). Then:

    - **Fix**: important and not performing: a failure on something that matters.
    - **Delight**: important, performing, and emotive: it already lands, and exceeding expectations on
      how customers feel is what sets a company apart.
    - **Maintain**: important, performing, and tactile (or operational): keep the promise as it is.
    - **Right-size**: minor, whatever its performance: the evidence says it barely moves the outcome,
      so it should cost no more than it must.
    - **Unclear**: the interval is too wide to tell: collect more answers.

    Drivers without a scale (wait time, transfers) have no direction in which "performing" is
    read: minor ones are still Right-size and unclear ones Unclear, but important ones get no action
    (an empty string). Neither does a driver without an estimate.
    """
    missing = [c for c in ("share", "share_low", "share_high", "performance_scaled", "kind") if c not in table.columns]
    if missing:
        raise ValueError(f"the table needs the column {missing[0]!r}")
    n = len(table)
    if n == 0:
        return pd.Series([], dtype=object, name="action")
    share = table["share"].astype(float).to_numpy()
    low, high = table["share_low"].astype(float).to_numpy(), table["share_high"].astype(float).to_numpy()
    perf = table["performance_scaled"].astype(float).to_numpy()
    icut = 1.0 / n if importance_cut is None else importance_cut
    scaled = perf[np.isfinite(perf)]
    pcut = (float(scaled.mean()) if scaled.size else math.nan) if performance_cut is None else performance_cut
    out = []
    for s, lo, hi, x, kind in zip(share, low, high, perf, table["kind"], strict=True):
        size = evidence(s, lo, hi, icut)
        if not np.isfinite(s):
            out.append("")
        elif size == "small":
            out.append(RIGHT_SIZE)
        elif size == "unclear":
            out.append(UNCLEAR)
        elif not np.isfinite(x):
            out.append("")
        elif x < pcut:
            out.append(FIX)
        else:
            out.append(DELIGHT if kind == "emotive" else MAINTAIN)
    return pd.Series(out, index=table.index, dtype=object, name="action")


# --- from the warehouse -----------------------------------------------------------------------------


@dataclass(frozen=True)
class DriverResult:
    """What drives ``outcome`` among post-contact responses in a scope (and ``moment``).

    ``r2`` (with its bootstrap interval) is the share of the outcome's variance the drivers explain
    together; ``n`` responses from ``customers`` customers were used. ``table`` has one row per
    driver: ``attribute``, ``label``, ``kind``, ``importance`` (R² units, summing to ``r2``) with
    ``low``/``high``, ``share`` (of ``r2``, summing to 1) with ``share_low``/``share_high``,
    ``performance`` (mean rating or value), ``top2`` (share of ratings in the top two points of the
    scale), ``performance_scaled`` (0 at the bottom of the scale, 1 at the top), ``n`` (responses
    behind the driver) and ``action`` (``importance_quadrant``). ``split`` sums importance by kind.

    A scope with too few responses gives ``r2`` ``None``, empty tables and a ``note`` that says why.
    """

    r2: float | None
    r2_low: float | None
    r2_high: float | None
    n: int
    customers: int
    method: Method
    missing: Missing
    outcome: str
    moment: tuple[str | None, str | None] | None
    note: str
    table: pd.DataFrame
    split: pd.DataFrame
    confidence: float = 0.95
    bootstrap: int = 200

    @property
    def is_empty(self) -> bool:
        return self.r2 is None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the headline numbers, ``drivers`` (one object per row of ``table``) and
        ``split``; missing numbers are ``None``."""

        def clean(v: Any) -> Any:
            if isinstance(v, float | np.floating):
                return None if not np.isfinite(v) else float(v)
            if isinstance(v, np.integer):
                return int(v)
            return v

        def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
            return [{k: clean(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]

        return {
            "outcome": self.outcome,
            "moment": list(self.moment) if self.moment else None,
            "method": self.method,
            "missing": self.missing,
            "r2": clean(self.r2) if self.r2 is not None else None,
            "r2_low": clean(self.r2_low) if self.r2_low is not None else None,
            "r2_high": clean(self.r2_high) if self.r2_high is not None else None,
            "n": self.n,
            "customers": self.customers,
            "confidence": self.confidence,
            "bootstrap": self.bootstrap,
            "drivers": records(self.table),
            "split": records(self.split),
            "note": self.note,
        }


def _empty_table() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=float) for c in TABLE_COLUMNS})
    for c in ("attribute", "label", "kind", "action"):
        frame[c] = frame[c].astype(object)
    frame["n"] = frame["n"].astype("int64")
    return frame


def _empty_split() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=float) for c in SPLIT_COLUMNS})
    frame["kind"] = frame["kind"].astype(object)
    return frame


@dataclass(frozen=True)
class _Driver:
    name: str  # as in the result: the attribute without the rating prefix, or the contact measure
    column: str
    label: str
    kind: str
    scale: tuple[float, float] | None


def attribute_catalogue(wh: Warehouse) -> pd.DataFrame:
    """The ``attributes`` table: ``attribute``, ``label``, ``kind``, ``scale_min``, ``scale_max``."""
    frame = wh.table("attributes").execute()
    return frame[["attribute", "label", "kind", "scale_min", "scale_max"]]


def rating_drivers(wh: Warehouse) -> list[str]:
    """Every attribute with a ``rating_<attribute>`` column in the surveys, in column order."""
    prefix = schema.RATING_PREFIX
    return [c[len(prefix) :] for c in wh.table("surveys").columns if c.startswith(prefix) and len(c) > len(prefix)]


def _resolve(wh: Warehouse, drivers: Sequence[str] | None) -> list[_Driver]:
    catalogue = attribute_catalogue(wh).set_index("attribute")
    ratings = rating_drivers(wh)
    rated = list(ratings) if drivers is None else list(dict.fromkeys(drivers))
    out = []
    for name in rated:
        attr = name[len(schema.RATING_PREFIX) :] if name.startswith(schema.RATING_PREFIX) else name
        if attr in ratings:
            row = catalogue.loc[attr] if attr in catalogue.index else None
            kind = str(row["kind"]) if row is not None and row["kind"] in ("tactile", "emotive") else "unclassified"
            label = str(row["label"]) if row is not None and isinstance(row["label"], str) else names.name(attr)
            scale = None
            if row is not None and pd.notna(row["scale_min"]) and pd.notna(row["scale_max"]):
                scale = (float(row["scale_min"]), float(row["scale_max"]))
            out.append(_Driver(attr, schema.RATING_PREFIX + attr, label, kind, scale))
        elif name in OPERATIONAL:
            scale = (0.0, 1.0) if name.startswith("is_") else None
            out.append(_Driver(name, name, OPERATIONAL[name], "operational", scale))
        else:
            known = ", ".join([*ratings, *OPERATIONAL])
            raise ValueError(f"unknown driver {name!r}; choose from: {known}")
    return out


def driver_responses(
    wh: Warehouse,
    f: Filters = ALL_DATA,
    *,
    outcome: Outcome = "ltr",
    columns: Sequence[str] = (),
    moment: tuple[str | None, str | None] | None = None,
) -> pa.Table:
    """Post-contact responses in scope for a driver analysis: ``customer_id``, ``outcome`` (renamed
    from the outcome column), and ``columns`` (survey ratings or contact measures), for contacts at
    ``moment`` = (journey stage, contact reason) if given (``None`` in either place: any)."""
    s = filters.surveys(wh, f, kind="transactional")
    contact_columns = [c for c in columns if c in OPERATIONAL]
    rating_columns = [c for c in columns if c not in OPERATIONAL]
    s = s.select("customer_id", "interaction_id", outcome, *rating_columns)
    if moment is not None or contact_columns:
        contacts = wh.table("interactions").select(
            "interaction_id", "journey_stage", "contact_reason", *contact_columns
        )
        stage, reason = moment if moment is not None else (None, None)
        if stage is not None:
            contacts = contacts.filter(contacts.journey_stage == stage)
        if reason is not None:
            contacts = contacts.filter(contacts.contact_reason == reason)
        s = s.join(contacts, "interaction_id")
    # Contact measures come as numbers (flags as 0/1), so missing values stay NaN on the way out.
    measures = {c: s[c].cast("float64") for c in contact_columns}
    picked = s.select("customer_id", *rating_columns, outcome=s[outcome], **measures)
    # The fit is local (numpy); past ``config.local_rows()`` responses, whole customers are sampled.
    return wh.local(picked)


def driver_analysis(
    wh: Warehouse,
    f: Filters = ALL_DATA,
    *,
    outcome: Outcome = "ltr",
    drivers: Sequence[str] | None = None,
    moment: tuple[str | None, str | None] | None = None,
    method: Method = "lmg",
    missing: Missing = "listwise",
    bootstrap: int = 200,
    confidence: float = 0.95,
    random_state: int = 0,
    importance_cut: float | None = None,
    performance_cut: float | None = None,
) -> DriverResult:
    """Relative importance of attribute ratings (and contact measures) for ``outcome``, with
    customer-bootstrap intervals, performance and an action per driver.

    Uses the post-contact responses in scope (``filters.surveys(..., kind="transactional")``), and
    with ``moment`` = (journey stage, contact reason) only those about such contacts.
    ``drivers``: attribute names (``speed`` or ``rating_speed``) and contact measures from
    ``OPERATIONAL``; by default every rating column. Drivers nobody answered in scope are left out
    (the note names them). Importance is ``importance.importance_intervals`` (LMG, or Johnson's
    weights beyond ``importance.MAX_EXACT`` drivers or on request), resampling customers
    ``bootstrap`` times.

    Performance is measured on the rows behind each driver (for ``listwise``, the rows used): the
    mean, the top-2-box share (ratings at or above ``scale_max - 1``, from the ``attributes``
    table), and the mean as a fraction of the scale, which feeds ``importance_quadrant`` with
    ``importance_cut`` and ``performance_cut``.

    Any scope is valid: too few responses give an empty result with a note.

    Raises
    ------
    ValueError
        For an unknown outcome, driver, method or missing-data rule.
    """
    _check_options(outcome, method, missing)
    chosen = _resolve(wh, drivers)

    def result(note: str, *, n: int = 0, customers: int = 0, used_method: Method = method) -> DriverResult:
        return DriverResult(
            None, None, None, n, customers, used_method, missing, outcome, moment, note, _empty_table(),
            _empty_split(), confidence, bootstrap,
        )  # fmt: skip

    if not chosen:
        return result("The surveys hold no attribute ratings to analyse.")
    rows = driver_responses(wh, f, outcome=outcome, columns=[d.column for d in chosen], moment=moment)
    rows = rows.filter(pc.is_valid(rows["outcome"]))
    answered = [d for d in chosen if rows.num_rows and rows[d.column].null_count < rows.num_rows]
    notes = _scope_notes(rows, chosen, answered)
    where = f" at {' / '.join(x for x in moment if x)}" if moment else ""
    if not answered:
        return result(f"No post-contact responses with {outcome} and a rating{where} in this scope.", n=0)
    frame = rows.select(["customer_id", "outcome", *[d.column for d in answered]]).to_pandas()
    columns = [d.column for d in answered]
    fit = importance_intervals(
        frame,
        "outcome",
        columns,
        cluster="customer_id",
        method=method,
        missing=missing,
        bootstrap=bootstrap,
        confidence=confidence,
        random_state=random_state,
    )
    notes = [*([fit.note] if fit.note else []), *notes]
    least = max(MIN_RESPONSES, len(columns) + 2)
    if fit.n < least:
        text = f"{fit.n} usable post-contact responses{where} are too few for a driver analysis (at least {least} are needed)."
        return result(text, n=fit.n, customers=fit.clusters, used_method=fit.method)
    if not fit.r2 > 0:  # NaN (the outcome does not vary) or nothing explained: no shares to show
        return result(fit.note or "No estimate in this scope.", n=fit.n, customers=fit.clusters, used_method=fit.method)
    table = _driver_table(fit, frame, answered, missing, importance_cut=importance_cut, performance_cut=performance_cut)
    return DriverResult(
        r2=fit.r2,
        r2_low=None if not np.isfinite(fit.r2_low) else fit.r2_low,
        r2_high=None if not np.isfinite(fit.r2_high) else fit.r2_high,
        n=fit.n,
        customers=fit.clusters,
        method=fit.method,
        missing=missing,
        outcome=outcome,
        moment=moment,
        note=" ".join(notes),
        table=table,
        split=fit.split({d.column: d.kind for d in answered}),
        confidence=confidence,
        bootstrap=bootstrap,
    )


def _check_options(outcome: str, method: str, missing: str) -> None:
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}; use one of: {', '.join(OUTCOMES)}")
    if method not in ("lmg", "johnson"):
        raise ValueError(f"unknown method {method!r}; use 'lmg' or 'johnson'")
    if missing not in ("listwise", "pairwise"):
        raise ValueError(f"unknown missing-data rule {missing!r}; use 'listwise' or 'pairwise'")


def _scope_notes(rows: pa.Table, chosen: Sequence[_Driver], answered: Sequence[_Driver]) -> list[str]:
    """What a reader should know about the responses in scope: the drivers nobody answered (left
    out) and whether the responses are a sample of customers."""
    dropped = [d.name for d in chosen if d not in answered]
    notes = [f"Not answered in this scope, so left out: {', '.join(dropped)}."] if dropped and answered else []
    if sampled := sample_note(sampled_share(rows), "responses"):
        notes.append(sampled)
    return notes


def _driver_table(
    fit: ImportanceIntervals,
    frame: pd.DataFrame,
    answered: Sequence[_Driver],
    missing: Missing,
    *,
    importance_cut: float | None,
    performance_cut: float | None,
) -> pd.DataFrame:
    """The fit's importances with each driver's name, label, kind, performance (``_performance``)
    and action (``importance_quadrant``), in the columns of ``TABLE_COLUMNS``."""
    table = fit.table.rename(columns={"driver": "attribute"}).assign(
        attribute=[d.name for d in answered],
        label=[d.label for d in answered],
        kind=[d.kind for d in answered],
        **_performance(frame, answered, missing),
    )
    table["action"] = importance_quadrant(table, importance_cut=importance_cut, performance_cut=performance_cut)
    return table[list(TABLE_COLUMNS)].reset_index(drop=True)


def _performance(frame: pd.DataFrame, answered: Sequence[_Driver], missing: Missing) -> dict[str, list[Any]]:
    """How each driver performs on the rows behind it (for ``listwise``, the rows the fit used):
    ``performance`` (the mean), ``performance_on_scale`` (the mean in words, with its scale),
    ``top2`` (the share of ratings in the top two points of the scale), ``performance_scaled`` (the
    mean as a fraction of the way up the scale) and ``n`` (the values behind it)."""
    values = float_columns(frame, [d.column for d in answered])
    outcome_ok = frame["outcome"].notna().to_numpy()
    used = outcome_ok & (~np.isnan(values).any(axis=1) if missing == "listwise" else ~np.isnan(values).all(axis=1))
    perf, top2, scaled, counts = [], [], [], []
    for i, d in enumerate(answered):
        v = values[used, i]
        v = v[~np.isnan(v)]
        counts.append(int(v.size))
        mean = float(v.mean()) if v.size else math.nan
        perf.append(mean)
        if d.scale is not None and d.scale[1] > d.scale[0]:
            lo, hi = d.scale
            scaled.append((mean - lo) / (hi - lo))
            top2.append(float((v >= hi - 1).mean()) if d.kind != "operational" and v.size else math.nan)
        else:
            scaled.append(math.nan)
            top2.append(math.nan)
    on_scale = [
        (f"{p:.2f} on {d.scale[0]:g}-{d.scale[1]:g}" if d.scale is not None else f"{p:.2f}")
        if not math.isnan(p)
        else "—"
        for p, d in zip(perf, answered, strict=True)
    ]
    return {
        "performance": perf,
        "performance_on_scale": on_scale,
        "top2": top2,
        "performance_scaled": scaled,
        "n": counts,
    }
