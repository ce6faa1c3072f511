"""What the warehouse holds and how it got there: table sizes, freshness, ingest history, quarantine.

These functions back ``iconic status``, the Overview and Data quality pages and the notebooks.
All take an open ``Warehouse`` first and return tidy DataFrames.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import ibis
import pandas as pd

from analytics.data import filters, quality, schema
from analytics.data.filters import ALL_DATA, Filters
from analytics.data.warehouse import Warehouse

#: The column that dates each canonical table's events, for freshness.
EVENT_COLUMNS = {
    "customers": "signup_at",
    "interactions": "started_at",
    "surveys": "responded_at",
    "invitations": "sent_at",
}

HISTORY_COLUMNS = [
    "batch_id",
    "table_name",
    "source_file",
    "status",
    "rows_in",
    "rows_committed",
    "rows_quarantined",
    "message",
    "started_at",
    "duration_seconds",
    "table_version",
]


def table_summary(wh: Warehouse, f: Filters = ALL_DATA) -> pd.DataFrame:
    """One row per canonical table: ``table``, ``rows``, ``rows_in_scope``, ``version``,
    ``updated_at``, ``latest_event_at``.

    ``rows_in_scope`` counts what the scope ``f`` keeps of customers, interactions and surveys (see
    ``analytics.data.filters``); the scope does not apply to the other tables, which count whole. Canonical
    tables not yet ingested appear with ``rows`` 0 and a null version, so a user sees what is missing.
    """
    in_scope = filters.scope_counts(wh, f).set_index("table")["rows"]
    rows = []
    for name in schema.TABLES:
        if not wh.has(name):
            rows.append(
                {
                    "table": name,
                    "rows": 0,
                    "rows_in_scope": 0,
                    "version": None,
                    "updated_at": None,
                    "latest_event_at": None,
                }
            )
            continue
        t = wh.table(name)
        latest = None
        if name in EVENT_COLUMNS:
            latest = t[EVENT_COLUMNS[name]].max().execute()
        commit = wh.delta(name).history(limit=1)[0]
        rows.append(
            {
                "table": name,
                "rows": (total := int(t.count().execute())),
                "rows_in_scope": int(in_scope.get(name, total)),
                "version": wh.versions[name],
                "updated_at": datetime.fromtimestamp(commit["timestamp"] / 1000, UTC),
                "latest_event_at": latest,
            }
        )
    out = pd.DataFrame(rows)
    out["version"] = out["version"].astype("Int64")
    return out


def ingest_history(wh: Warehouse, *, table: str | None = None, limit: int | None = None) -> pd.DataFrame:
    """Ingest batches, newest first, with the columns in ``HISTORY_COLUMNS``."""
    if not wh.has(schema.INGEST_LOG):
        return pd.DataFrame(columns=HISTORY_COLUMNS)
    log = wh.table(schema.INGEST_LOG)
    if table is not None:
        log = log.filter(log.table_name == table)
    log = log.select(*HISTORY_COLUMNS).order_by(ibis.desc("started_at"))
    if limit is not None:
        log = log.limit(limit)
    return log.execute()


def last_ingest(wh: Warehouse) -> dict[str, object] | None:
    """The most recent batch as a dict (same keys as ``ingest_history``), or ``None``."""
    history = ingest_history(wh, limit=1)
    return None if history.empty else history.iloc[0].to_dict()


def batch_checks(wh: Warehouse, batch_id: str) -> pd.DataFrame:
    """The checks run on one batch: ``rule``, ``column``, ``success``, ``policy``, ``unexpected_count``,
    ``examples``, ``message``.
    """
    columns = ["rule", "column", "success", "policy", "unexpected_count", "examples", "message"]
    if not wh.has(schema.INGEST_LOG):
        return pd.DataFrame(columns=columns)
    log = wh.table(schema.INGEST_LOG)
    found = log.filter(log.batch_id == batch_id).select("checks").execute()
    if found.empty:
        raise KeyError(f"no batch {batch_id!r} in the ingest log")
    checks = pd.DataFrame(json.loads(found["checks"].iloc[0]), columns=[*columns, "kwargs"])
    checks["examples"] = checks["examples"].map(lambda xs: ", ".join(xs))
    return checks[columns]


def _visible_quarantine(wh: Warehouse, table: str) -> ibis.Table | None:
    """Quarantined rows of ``table`` that belong to committed batches (see ``quarantined_rows``)."""
    name = schema.QUARANTINE_PREFIX + table
    if not wh.has(name) or not wh.has(schema.INGEST_LOG):
        return None
    log = wh.table(schema.INGEST_LOG)
    committed = log.filter(log.status == "committed").select("batch_id").distinct()
    return wh.table(name).semi_join(committed, "batch_id")


def quarantined_rows(
    wh: Warehouse, table: str, *, batch_id: str | None = None, limit: int | None = 1000
) -> pd.DataFrame:
    """Rows set aside from ``table``: ``batch_id``, ``row_number``, ``reasons``, ``record`` (JSON as received).

    Only rows of batches recorded in the ingest log are returned: rows written by an ingest that was
    killed before its commit are invisible, as the batch never happened.
    """
    columns = ["batch_id", "row_number", "reasons", "record"]
    q = _visible_quarantine(wh, table)
    if q is None:
        return pd.DataFrame(columns=columns)
    if batch_id is not None:
        q = q.filter(q.batch_id == batch_id)
    q = q.select(*columns).order_by([ibis.desc("batch_id"), "row_number"])
    if limit is not None:
        q = q.limit(limit)
    return q.execute()


def quarantine_counts(wh: Warehouse) -> pd.DataFrame:
    """Quarantined rows per table and reason: ``table``, ``reasons``, ``rows``."""
    frames = []
    for table in schema.TABLES:
        q = _visible_quarantine(wh, table)
        if q is None:
            continue
        counts = q.group_by("reasons").agg(rows=q.count()).execute()
        counts.insert(0, "table", table)
        frames.append(counts)
    if not frames:
        return pd.DataFrame(columns=["table", "reasons", "rows"])
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["table", "rows"], ascending=[True, False], ignore_index=True)


def reference_gaps(wh: Warehouse) -> pd.DataFrame:
    """References between stored tables (``schema.REFERENCES``) and how many rows name a missing row.

    Columns: ``table``, ``column``, ``references``, ``rows_missing``, ``examples``, ``message``. Only
    pairs where both tables are stored appear.
    """
    rows = [
        {
            "table": table,
            "column": check.column,
            "references": check.kwargs["table"],
            "rows_missing": check.unexpected_count,
            "examples": ", ".join(check.examples),
            "message": check.message,
        }
        for table in schema.TABLES
        if wh.has(table)
        for check in quality.reference_checks(wh, table)
    ]
    columns = ["table", "column", "references", "rows_missing", "examples", "message"]
    return pd.DataFrame(rows, columns=columns)
