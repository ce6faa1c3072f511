"""The warehouse: Delta Lake tables on disk, read through Ibis on DuckDB (default) or Apache Spark.

Each table lives in its own folder under the warehouse root (``<root>/<table>``). A ``Warehouse``
handle pins one version of every table when it is opened, so everything computed from one handle is
consistent, and it never takes a lock: readers neither block nor are blocked by an ingest running in
another process. Writers (``analytics.data.ingest``) serialise among themselves with a file lock, and
always write on this machine through delta-rs, whichever engine reads.

Neither engine gets a Delta reader: DuckDB's ``delta`` extension and the delta-spark jars both need a
download. Instead each pinned version's Parquet files (``DeltaTable.file_uris``) are handed to the
engine's own Parquet reader, written so that it cannot take a folder's name for a pattern. Tables whose rows the files alone cannot express (deletion vectors) are
refused with a message, on both engines: delta-rs cannot apply them either.

How each engine reads is its own object's business (``analytics.data.engines``): analyses get Ibis
tables from ``Warehouse.table`` and the same expressions run on either (``ICONIC_ENGINE``,
``open(engine=...)``).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import uuid
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.operations as ops
import pandas as pd
import pyarrow as pa
from deltalake import CommitProperties, DeltaTable, write_deltalake
from deltalake.exceptions import DeltaError, TableNotFoundError

from analytics import config
from analytics.data import engines, schema
from analytics.data.engines.base import Engine, hash_bucket, local_files
from analytics.data.memo import Memo
from analytics.errors import WarehouseError

LOCK_FILE = ".ingest.lock"
#: Intermediate results a handle keeps at most (``Warehouse.kept_table``), most recently used first.
MEMO_ENTRIES = 24
#: Buckets ``Warehouse.local`` hashes customers into when it keeps a share of them.
SAMPLE_BUCKETS = 1_000_000


def epoch_microseconds(moment: ibis.Value) -> ibis.Value:
    """Microseconds since 1970-01-01 UTC, by the engine's own function.

    Ibis's ``epoch_seconds`` converts each timestamp to local time first on DuckDB, which made
    ordering 11 M contacts by time take twice as long, and truncates to whole seconds on Spark; this
    reads the stored integer on both. A constant is converted here.
    """
    if isinstance(moment.op(), ops.Literal):
        value = pd.Timestamp(moment.op().value)
        value = value.tz_localize("UTC") if value.tzinfo is None else value.tz_convert("UTC")
        return ibis.literal((value - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(microseconds=1), type="int64")
    return engines.running(moment).epoch_microseconds(moment)


def epoch_seconds(moment: ibis.Value) -> ibis.Value:
    """Seconds since 1970-01-01 UTC with their fraction, the same on every engine."""
    return epoch_microseconds(moment) / 1_000_000


def sampled_share(table: pa.Table) -> float:
    """The share of customers ``Warehouse.local`` kept in ``table`` (1.0: all of them)."""
    return float((table.schema.metadata or {}).get(b"sampled", b"1"))


def sample_note(share: float, rows: str) -> str:
    """What a result fitted on ``Warehouse.local``'s sample says about it; empty when nothing was dropped."""
    if share >= 1:
        return ""
    return f"Fitted on {share:.0%} of the customers in scope (all their {rows}), chosen by a hash of their id."


def table_path(root: Path, name: str) -> Path:
    return root / name


def _is_delta(path: Path) -> bool:
    return (path / "_delta_log").is_dir()


def table_names(root: Path) -> list[str]:
    """Names of the Delta tables stored under ``root``, sorted."""
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and _is_delta(p))


def load_delta(root: Path, name: str, version: int | None = None) -> DeltaTable | None:
    """Return the Delta table ``name`` (at ``version``, else the latest), or ``None`` if absent."""
    path = table_path(root, name)
    if not _is_delta(path):
        return None
    try:
        return DeltaTable(str(path), version=version)
    except TableNotFoundError:
        return None
    except DeltaError as exc:
        raise WarehouseError(_damaged(path, name, exc)) from None


def _damaged(path: Path, name: str, exc: Exception) -> str:
    """Say which table and commit cannot be read, and how to go back to the version before it."""
    commits = sorted((path / "_delta_log").glob("[0-9]*.json"))
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if not commits:
        return f"table {name!r} at {path} cannot be read ({reason})"
    latest = commits[-1]
    version = int(latest.stem)
    back = (
        f"To go back to version {version - 1}, move {latest.name} out of {latest.parent}; the table then reads "
        "as it was before that commit"
        if version > 0
        else "It has no earlier version: move the table's folder aside and ingest its files again"
    )
    return f"table {name!r} cannot be read: its latest commit, version {version} ({latest}), is damaged ({reason}). {back}."


@dataclass
class Warehouse:
    """A read-only view of the warehouse, pinned to one version of each table.

    Attributes
    ----------
    root
        The warehouse folder.
    versions
        Delta version of each table at the moment the handle was opened.
    """

    root: Path
    versions: dict[str, int]
    _deltas: dict[str, DeltaTable] = field(repr=False)
    #: The engine the tables are registered on (``analytics.data.engines``).
    _engine: Engine = field(repr=False)
    opened_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    #: What ``kept_table`` keeps: the engine's name for each result, and the table over it.
    _memo: Memo[tuple[str, ibis.Table]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._memo = Memo(entries=MEMO_ENTRIES, over_budget=self._over_budget, evicted=self._evicted)

    @property
    def engine(self) -> str:
        """The engine's name: ``"duckdb"`` or ``"spark"``."""
        return self._engine.name

    @property
    def con(self) -> Any:
        """The Ibis backend the tables are registered on (DuckDB, or PySpark over its own Spark session)."""
        return self._engine.con

    @property
    def data_version(self) -> str:
        """A short token that changes whenever any table gets a new commit; use it in cache keys."""
        token = ";".join(f"{n}={v}" for n, v in sorted(self.versions.items()))
        return hashlib.sha1(f"{self.root.resolve()}|{token}".encode()).hexdigest()[:16]

    @property
    def tables(self) -> list[str]:
        return sorted(self.versions)

    def has(self, name: str) -> bool:
        return name in self.versions

    def table(self, name: str) -> ibis.Table:
        """The Ibis table ``name`` at the pinned version.

        A canonical table that has not been ingested yet reads as empty, with its canonical
        columns: files may arrive in any order, and an analysis over a table not yet loaded has
        nothing in scope rather than failing.
        """
        if name not in self.versions and name not in schema.TABLES:
            known = ", ".join(self.tables) or "none yet"
            raise WarehouseError(f"table {name!r} is not in the warehouse at {self.root} (tables: {known})")
        return self._engine.table(name)

    def delta(self, name: str) -> DeltaTable:
        """The underlying ``DeltaTable`` at the pinned version (for history, file lists, Spark)."""
        if name not in self._deltas:
            raise WarehouseError(f"table {name!r} is not in the warehouse at {self.root}")
        return self._deltas[name]

    def files(self, name: str) -> list[Path]:
        """The Parquet files on this machine that make up the pinned version of ``name``, for other engines."""
        return local_files(self.delta(name))

    def local(self, expr: ibis.Table, *, unit: str = "customer_id", cap: int | None = None) -> pa.Table:
        """Row-level rows of ``expr`` brought to this machine, for a step that is inherently local (a
        model fitted in numpy, lifelines or scikit-learn on responses or spells).

        This is the one way an analysis takes in rows of an unbounded table without aggregating
        them: when ``expr`` has more than ``cap`` rows (default ``config.local_rows()``), whole
        ``unit``s (customers) are kept by a hash of their id, so each kept customer brings all their
        rows and clustered errors stay right. The share kept is in the result's schema metadata
        (``b"sampled"``: ``b"1"`` when nothing was dropped); ``sampled_share`` reads it back. The hash
        is the engine's own, so past the cap the two engines keep different customers.
        """
        cap = cap if cap is not None else config.local_rows()
        total = int(expr.count().to_pyarrow().as_py())
        share = 1.0
        if total > cap:
            share = cap / total
            expr = expr.filter(hash_bucket(expr[unit], SAMPLE_BUCKETS) < int(share * SAMPLE_BUCKETS))
        table = expr.to_pyarrow()
        return table.replace_schema_metadata({**(table.schema.metadata or {}), b"sampled": repr(share).encode()})

    def batches(self, expr: ibis.Table, *, key: str, rows: int = 1_000_000) -> Iterator[pa.RecordBatch]:
        """The rows of ``expr`` as Arrow batches of about ``rows`` each, never all in memory at once.

        For checks that must see every stored row on this machine (``iconic quality``). DuckDB
        streams its result; Spark collects one bucket of rows, by a hash of ``key``, at a time.
        """
        return self._engine.batches(expr, key=key, rows=rows)

    def kept_table(self, key: Hashable, build: Callable[[], ibis.Table]) -> ibis.Table:
        """The rows of ``build()``, computed once per handle and ``key`` and kept in the engine.

        For intermediate results that several analyses of one scope share (the responses in scope
        with their dimensions, each customer's main channel): the first call computes them into a
        table and later calls read it. The handle pins table versions, so what is kept never goes
        stale.

        Threads may call this at once. Different keys are computed side by side, each on its
        thread's own cursor; a thread asking for a key that another is computing waits for it
        rather than computing it again. At most ``MEMO_ENTRIES`` results are kept, and fewer when
        they hold more than ``config.memo_mb()`` between them; the least recently used go first.
        """
        self._engine.drop_unreachable()
        kept = self._memo.get(key, lambda: self._keep(build()))
        self._engine.drop_unreachable()  # what this call pushed out, if nothing refers to it
        return kept[1]

    def _keep(self, expr: ibis.Table) -> tuple[str, ibis.Table]:
        name = f"_memo_{uuid.uuid4().hex[:12]}"
        return name, self._engine.keep(name, expr)

    def _over_budget(self) -> bool:
        """Whether the kept results take more than ``config.memo_mb()``."""
        return self._engine.kept_bytes() > config.memo_mb() * 2**20

    def _evicted(self, kept: tuple[str, ibis.Table]) -> None:
        self._engine.evicted(kept[0])

    def sibling(self, *, threads: int | None = None) -> Warehouse:
        """Another handle on the very same table versions, with its own engine state (DuckDB: its own
        database, with ``threads`` engine threads when given). The dashboard computes slow results in
        the background on one with a single thread, so that pages being drawn keep the other cores.
        On Spark the handle itself is returned: its cluster shares work out on its own."""
        engine = self._engine.sibling(threads=threads)
        if engine is None:
            return self
        return Warehouse(root=self.root, versions=dict(self.versions), _deltas=dict(self._deltas), _engine=engine)

    def close(self) -> None:
        """Release what the handle holds: its kept results and its engine's state. On Spark the
        session is shared by every handle in the process and stays up (``engines.spark.stop_spark``
        ends it)."""
        self._memo.clear()
        self._engine.close()


def open(  # noqa: A001 - the natural verb here
    path: str | os.PathLike[str] | None = None, *, engine: str | None = None
) -> Warehouse:
    """Open the warehouse read-only, pinning the current version of every table.

    Parameters
    ----------
    path
        Warehouse folder; defaults to ``ICONIC_WAREHOUSE`` or ``./data/warehouse``.
    engine
        ``"duckdb"`` or ``"spark"``; defaults to ``ICONIC_ENGINE``, else DuckDB.

    Raises
    ------
    WarehouseError
        If the folder does not exist, or a table uses a Delta feature its files cannot express.
    UsageError
        If the engine is not one Iconic knows.
    """
    root = config.warehouse_path(path)
    chosen = engines.ENGINES[config.engine(engine)]
    if not root.is_dir():
        raise WarehouseError(
            f"no warehouse at {root}: run `iconic demo` to build the demo, or `iconic ingest TABLE FILE`"
        )
    deltas: dict[str, DeltaTable] = {}
    for name in table_names(root):
        dt = load_delta(root, name)
        if dt is not None:  # else removed between listing and loading
            deltas[name] = dt
    versions = {name: table.version() for name, table in deltas.items()}
    return Warehouse(root=root, versions=versions, _deltas=deltas, _engine=chosen(deltas))


# --- writing (used by analytics.data.ingest; readers never call these) -----------------------------------

#: What delta-rs cannot write under: ``[``, ``]``, ``^`` or ``|`` in a folder's path stop it (a Rust
#: panic), it takes a backslash for a folder separator, and it decodes a ``%`` escape such as ``%20``, so
#: its files would land in another folder. Such a folder still reads, on both engines.
UNWRITABLE = re.compile(r"[\[\]^|\\]|%[0-9A-Fa-f]{2}")


def _writable(root: Path) -> None:
    """Refuse, with a message, a warehouse folder that delta-rs cannot write under (``UNWRITABLE``)."""
    found = UNWRITABLE.search(str(root.resolve()))
    if found:
        raise WarehouseError(
            f"cannot write to the warehouse at {root}: its path holds {found.group()!r}, which the Delta writer "
            "(delta-rs) cannot write under; use a folder whose path has none of [ ] ^ | \\ or a %-escape"
        )


@contextlib.contextmanager
def write_lock(root: Path, *, on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the warehouse's writer lock. Only writers take it; the OS frees it if the process dies.

    Raises
    ------
    WarehouseError
        If the warehouse folder cannot be created or written under (``UNWRITABLE``), or its lock file
        cannot be opened for writing.
    """
    _writable(root)
    try:
        root.mkdir(parents=True, exist_ok=True)
        handle = (root / LOCK_FILE).open("a")
    except OSError as exc:
        reason = (exc.strerror or str(exc)).lower()
        raise WarehouseError(f"cannot write to the warehouse at {root}: {reason}") from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait:
                on_wait("waiting for another ingest to finish")
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _props(metadata: dict[str, str] | None) -> CommitProperties | None:
    return CommitProperties(custom_metadata=metadata) if metadata else None


def append(
    root: Path,
    name: str,
    data: pa.Table | pa.RecordBatchReader,
    *,
    metadata: dict[str, str] | None = None,
) -> int:
    """Append ``data`` to table ``name`` in one Delta commit (creating it if needed); return the version.

    New columns are added to the table's schema (extra columns from a user's file are kept).
    """
    _writable(root)
    write_deltalake(
        str(table_path(root, name)),
        data,
        mode="append",
        schema_mode="merge",
        commit_properties=_props(metadata),
    )
    dt = load_delta(root, name)
    assert dt is not None
    return dt.version()


def replace(root: Path, name: str, data: pa.Table, *, metadata: dict[str, str] | None = None) -> int:
    """Replace the contents (and schema) of table ``name`` in one Delta commit; return the version.

    For derived tables such as saved segment assignments; the history keeps earlier versions.
    """
    _writable(root)
    write_deltalake(
        str(table_path(root, name)), data, mode="overwrite", schema_mode="overwrite", commit_properties=_props(metadata)
    )
    dt = load_delta(root, name)
    assert dt is not None
    return dt.version()


def upsert(
    root: Path,
    name: str,
    data: pa.Table,
    *,
    key: str,
    update: list[str] | None = None,
    metadata: dict[str, str] | None = None,
) -> int:
    """Insert or update rows of ``name`` by ``key`` in one Delta commit; return the new version.

    ``update`` names the columns a matched row takes from ``data`` (default: all). A file that
    lacks an optional column must not blank what is stored there, so ingest passes the columns the
    file has. New rows are inserted whole.
    """
    _writable(root)
    dt = load_delta(root, name)
    if dt is None:
        return append(root, name, data, metadata=metadata)
    (
        dt.merge(
            data,
            predicate=f'target."{key}" = source."{key}"',
            source_alias="source",
            target_alias="target",
            merge_schema=True,
            commit_properties=_props(metadata),
        )
        .when_matched_update({c: f'source."{c}"' for c in (update or data.column_names)})
        .when_not_matched_insert_all()
        .execute()
    )
    updated = load_delta(root, name)
    assert updated is not None
    return updated.version()


def history(root: Path, name: str) -> list[dict[str, Any]]:
    """Commit history of ``name``, newest first (empty if the table does not exist)."""
    dt = load_delta(root, name)
    return dt.history() if dt is not None else []
