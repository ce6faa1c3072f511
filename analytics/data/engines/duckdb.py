"""DuckDB, in this process: the default engine.

Each handle gets a database of its own. A pinned table version's Parquet files are read by DuckDB's
own Parquet reader through a view; a table with no files yet, or a partitioned one, through
delta-rs's PyArrow dataset. Kept results are tables in the handle's in-memory database.
"""

from __future__ import annotations

import contextlib
import re
import threading
import weakref
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import duckdb
import ibis
import ibis.expr.datatypes as dt
import pyarrow as pa

from analytics.data import schema
from analytics.data.engines.base import Engine, local_files, refuse_deletion_vectors

if TYPE_CHECKING:
    from deltalake import DeltaTable


@ibis.udf.scalar.builtin(name="epoch_us")
def _epoch_us(moment: dt.Timestamp(timezone="UTC")) -> dt.int64:  # type: ignore[valid-type]
    """DuckDB's microseconds since the epoch."""


class DuckDBEngine(Engine):
    """A DuckDB database of the handle's own, with ``threads`` engine threads when given (else one per core).

    A dashboard serves every browser session from one handle, from several threads; each thread
    queries through a cursor of its own (``_Cursors``).
    """

    name: ClassVar[str] = "duckdb"
    backend: ClassVar[str] = "duckdb"

    def __init__(self, deltas: Mapping[str, DeltaTable], *, threads: int | None = None) -> None:
        super().__init__(deltas)
        self.con = ibis.duckdb.connect()
        raw = self.con.con
        if threads is not None:
            raw.execute(f"SET threads = {int(threads)}")
        datasets: dict[str, Any] = {}
        for name, table in self.deltas.items():
            dataset = _register(raw, name, table)
            if dataset is not None:
                datasets[name] = dataset
        for name, spec in schema.TABLES.items():
            if name not in self.deltas:
                _register_empty(raw, spec)

        def setup(cursor: duckdb.DuckDBPyConnection) -> None:
            # Settings and registered Arrow datasets belong to one connection, so every cursor gets them.
            cursor.execute("SET TimeZone = 'UTC'")
            cursor.execute("SET python_enable_replacements = false")
            for name, dataset in datasets.items():
                cursor.register(name, dataset)

        self.con.con = _Cursors(raw, setup)
        #: Each table as Ibis reads it: the schema is pinned with the version, so it is read once
        #: (Ibis asks DuckDB to DESCRIBE it).
        self._tables: dict[str, ibis.Table] = {}
        #: Kept results no caller can reach any more (evicted, and every expression over them gone): to drop.
        self._retired: list[str] = []

    @staticmethod
    def epoch_microseconds(moment: ibis.Value) -> ibis.Value:
        return _epoch_us(moment)

    @staticmethod
    def readable_path(path: Path) -> str:
        """``path`` with DuckDB's glob characters (``*``, ``?``, ``[``) each put in a class of its own:
        ``[*]`` matches only ``*``."""
        return re.sub(r"([*?\[])", r"[\1]", str(path))

    def table(self, name: str) -> ibis.Table:
        table = self._tables.get(name)
        if table is None:
            table = self._tables.setdefault(name, self.con.table(name))
        return table

    def batches(self, expr: ibis.Table, *, key: str, rows: int) -> Iterator[pa.RecordBatch]:
        """DuckDB streams its result."""
        yield from expr.to_pyarrow_batches(chunk_size=rows)

    def keep(self, name: str, expr: ibis.Table) -> ibis.Table:
        """A table in the handle's own in-memory database, so every thread's cursor sees it. It is
        dropped once it is evicted and its last expression is gone: a query that took it a moment
        ago still runs."""
        table = self.con.create_table(name, expr)
        weakref.finalize(table.op(), self._retired.append, name)
        return table

    def drop_unreachable(self) -> None:
        while True:
            try:
                name = self._retired.pop()
            except IndexError:  # none left (another thread may have taken the last)
                return
            with contextlib.suppress(duckdb.Error):
                self.con.con.execute(f'DROP TABLE IF EXISTS "{name}"')

    def kept_bytes(self) -> int:
        """DuckDB's own account of its in-memory tables."""
        # fetchall, not fetchone: a result left open keeps this cursor's transaction, and with it a
        # snapshot of the catalog from before other threads' tables were made.
        rows = self.con.con.execute(
            "SELECT coalesce(sum(memory_usage_bytes), 0) FROM duckdb_memory() WHERE tag = 'IN_MEMORY_TABLE'"
        ).fetchall()
        return int(rows[0][0])

    def sibling(self, *, threads: int | None = None) -> DuckDBEngine:
        """A database of its own: the dashboard computes slow results in the background on one with a
        single thread, so that pages being drawn keep the other cores."""
        return DuckDBEngine(self.deltas, threads=threads)

    def close(self) -> None:
        self._tables.clear()
        self.con.con.close_all()


class _Cursors:
    """The DuckDB connection an Ibis backend sees: each thread gets its own cursor on the handle's database.

    A dashboard serves every browser session from one handle, from several threads. One DuckDB
    connection fails when two threads use it at once ("Attempting to execute an unsuccessful or
    closed pending query result", "query result type mismatch"), and Ibis reaches the connection in
    more places than a lock around its query calls can cover (``con.table`` runs ``DESCRIBE``).
    Cursors are DuckDB's way to run queries side by side on one database: each sees the same tables
    and views, and has its own session settings and registered Arrow objects, which ``setup`` gives
    it. Every attribute is looked up on the calling thread's cursor.
    """

    def __init__(self, raw: duckdb.DuckDBPyConnection, setup: Callable[[duckdb.DuckDBPyConnection], None]) -> None:
        self._raw = raw
        self._setup = setup
        self._local = threading.local()
        self._lock = threading.Lock()
        # Every cursor handed out, to close with the handle; a thread's cursor goes with the thread.
        self._open: weakref.WeakSet[duckdb.DuckDBPyConnection] = weakref.WeakSet()

    def current(self) -> duckdb.DuckDBPyConnection:
        """This thread's cursor, opened on first use."""
        cursor: duckdb.DuckDBPyConnection | None = getattr(self._local, "cursor", None)
        if cursor is None:
            with self._lock:
                cursor = self._raw.cursor()
                self._open.add(cursor)
            self._setup(cursor)
            self._local.cursor = cursor
        return cursor

    def __getattr__(self, name: str) -> Any:
        return getattr(self.current(), name)

    def close_all(self) -> None:
        with self._lock:
            for cursor in list(self._open):
                with contextlib.suppress(duckdb.Error):
                    cursor.close()
            with contextlib.suppress(duckdb.Error):
                self._raw.close()


def _register(raw: duckdb.DuckDBPyConnection, name: str, table: DeltaTable) -> Any:
    """Expose the pinned version of ``table`` to DuckDB as ``name``; return the PyArrow dataset when it
    is registered as one (each cursor must register it too), else ``None``.

    The version's Parquet files are read by DuckDB's own Parquet reader, which runs in parallel and
    skips row groups by their statistics: about a third faster than scanning through a PyArrow
    dataset on the 11 M-row interactions table. Files written before a column was added lack it, so
    columns are matched by name. A table with no files yet, or a partitioned one (partition values
    live in folder names), goes through delta-rs's PyArrow dataset instead.
    """
    refuse_deletion_vectors(name, table)
    files = local_files(table)
    plain = files and not table.metadata().partition_columns
    if plain:
        listing = ", ".join("'" + DuckDBEngine.readable_path(f).replace("'", "''") + "'" for f in files)
        raw.execute(f'CREATE VIEW "{name}" AS SELECT * FROM read_parquet([{listing}], union_by_name = true)')
        return None
    dataset = table.to_pyarrow_dataset()
    raw.register(name, dataset)
    return dataset


def _register_empty(raw: duckdb.DuckDBPyConnection, spec: schema.Table) -> None:
    """Expose a canonical table that is not stored yet as an empty view with its canonical columns."""
    columns = ", ".join(f'CAST(NULL AS {c.sql_type}) AS "{c.name}"' for c in spec.columns)
    raw.execute(f'CREATE VIEW "{spec.name}" AS SELECT {columns} WHERE false')
