"""The warehouse: Delta Lake tables on disk, read through Ibis on DuckDB (default) or Apache Spark.

Each table lives in its own folder under the warehouse root (``<root>/<table>``). A ``Warehouse``
handle pins one version of every table when it is opened, so everything computed from one handle is
consistent, and it never takes a lock: readers neither block nor are blocked by an ingest running in
another process. Writers (``analytics.data.ingest``) serialise among themselves with a file lock, and
always write on this machine through delta-rs, whichever engine reads.

Neither engine gets a Delta reader: DuckDB's ``delta`` extension and the delta-spark jars both need a
download. Instead each pinned version's Parquet files (``DeltaTable.file_uris``) are handed to the
engine's own Parquet reader. Tables whose rows the files alone cannot express (deletion vectors) are
refused with a message, on both engines: delta-rs cannot apply them either.

This is the only module that knows which engine runs: analyses get Ibis tables from ``Warehouse.table``
and the same expressions run on either (``ICONIC_ENGINE``, ``open(engine=...)``).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import threading
import uuid
import weakref
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import ibis
import ibis.expr.datatypes as dt
import ibis.expr.operations as ops
import pandas as pd
import pyarrow as pa
from deltalake import CommitProperties, DeltaTable, write_deltalake
from deltalake.exceptions import DeltaError, TableNotFoundError

from analytics import config
from analytics.data import schema
from analytics.data.memo import Memo
from analytics.errors import WarehouseError

LOCK_FILE = ".ingest.lock"
#: Intermediate results a handle keeps at most (``Warehouse.materialize``), most recently used first.
MEMO_ENTRIES = 24
#: Buckets ``Warehouse.local`` hashes customers into when it keeps a share of them.
SAMPLE_BUCKETS = 1_000_000
#: Settings every Spark session gets: no web UI, UTC, Arrow for results, quiet progress.
SPARK_SETTINGS = {
    "spark.app.name": "iconic",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
}
#: The driver's heap when Spark runs inside this process (``local[*]``); ``ICONIC_SPARK_DRIVER_MEMORY``
#: changes it. Ignored once a JVM is running.
DEFAULT_SPARK_DRIVER_MEMORY = "4g"
#: Shuffle partitions when Spark runs on this machine (``ICONIC_SPARK_SHUFFLE_PARTITIONS`` changes it).
DEFAULT_LOCAL_SHUFFLE_PARTITIONS = 16


@ibis.udf.scalar.builtin(name="epoch_us")
def _duckdb_epoch_us(moment: dt.Timestamp(timezone="UTC")) -> dt.int64:  # type: ignore[valid-type]
    """DuckDB's microseconds since the epoch."""


@ibis.udf.scalar.builtin(name="unix_micros")
def _spark_epoch_us(moment: dt.Timestamp(timezone="UTC")) -> dt.int64:  # type: ignore[valid-type]
    """Spark's microseconds since the epoch."""


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
    spark = ibis.get_backend(moment).name == "pyspark"
    return (_spark_epoch_us if spark else _duckdb_epoch_us)(moment)


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


def _bucket(key: ibis.Value, buckets: int) -> ibis.Value:
    """``key``'s bucket, 0 to ``buckets`` - 1, by the engine's own hash (signed on Spark); a missing key
    lands in bucket 0 rather than in none."""
    return (key.hash() % buckets).abs().fill_null(0)


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
    con
        The Ibis backend the tables are registered on (DuckDB, or PySpark over its own Spark session).
    engine
        ``"duckdb"`` or ``"spark"``.
    """

    root: Path
    versions: dict[str, int]
    con: Any
    _deltas: dict[str, DeltaTable] = field(repr=False)
    engine: str = "duckdb"
    opened_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    #: What ``materialize`` keeps: the engine's name for each result, and the table over it.
    _memo: Memo[tuple[str, ibis.Table]] = field(init=False, repr=False)
    #: Kept results no caller can reach any more (evicted, and every expression over them gone): to drop.
    _retired: list[str] = field(default_factory=list, repr=False)
    _tables: dict[str, ibis.Table] = field(default_factory=dict, repr=False)
    #: Spark only: each table as analyses see it (timestamps typed as UTC, as DuckDB types them).
    _views: dict[str, ibis.Table] = field(default_factory=dict, repr=False)
    #: Spark only: the cached DataFrames behind ``materialize``, to release on close.
    _cached: dict[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._memo = Memo(entries=MEMO_ENTRIES, over_budget=self._over_budget, evicted=self._evicted)

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
        if self.engine == "spark":
            return self._views[name]
        # The schema is pinned with the version, so it is read once (Ibis asks DuckDB to DESCRIBE it).
        table = self._tables.get(name)
        if table is None:
            table = self._tables.setdefault(name, self.con.table(name))
        return table

    def delta(self, name: str) -> DeltaTable:
        """The underlying ``DeltaTable`` at the pinned version (for history, file lists, Spark)."""
        if name not in self._deltas:
            raise WarehouseError(f"table {name!r} is not in the warehouse at {self.root}")
        return self._deltas[name]

    def file_uris(self, name: str) -> list[str]:
        """The Parquet files that make up the pinned version of ``name``, for other engines."""
        return list(self.delta(name).file_uris())

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
            expr = expr.filter(_bucket(expr[unit], SAMPLE_BUCKETS) < int(share * SAMPLE_BUCKETS))
        table = expr.to_pyarrow()
        return table.replace_schema_metadata({**(table.schema.metadata or {}), b"sampled": repr(share).encode()})

    def batches(self, expr: ibis.Table, *, key: str, rows: int = 1_000_000) -> Iterator[pa.RecordBatch]:
        """The rows of ``expr`` as Arrow batches of about ``rows`` each, never all in memory at once.

        For checks that must see every stored row on this machine (``iconic quality``). DuckDB
        streams its result. Spark has no streamed Arrow result, so the rows are split into buckets
        by a hash of ``key`` and each bucket is collected in turn: one scan per bucket, bounded memory.
        """
        if self.engine == "duckdb":
            yield from expr.to_pyarrow_batches(chunk_size=rows)
            return
        total = int(expr.count().to_pyarrow().as_py())
        buckets = max(1, -(-total // rows))
        for i in range(buckets):
            yield from expr.filter(_bucket(expr[key], buckets) == i).to_pyarrow().to_batches()

    def materialize(self, key: Hashable, build: Callable[[], ibis.Table]) -> ibis.Table:
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
        self._drop_retired()
        kept = self._memo.get(key, lambda: self._keep(build()))
        self._drop_retired()  # what this call pushed out, if nothing refers to it
        return kept[1]

    def _keep(self, expr: ibis.Table) -> tuple[str, ibis.Table]:
        name = f"_memo_{uuid.uuid4().hex[:12]}"
        if self.engine == "spark":
            return name, self._spark_cache(name, expr)
        # A table in the handle's own in-memory database, so every thread's cursor sees it.
        table = self.con.create_table(name, expr)
        weakref.finalize(table.op(), self._retired.append, name)
        return name, table

    def _over_budget(self) -> bool:
        """Whether the kept results take more than ``config.memo_mb()`` (DuckDB's own account of its
        in-memory tables; Spark keeps its cache in the JVM, which bounds it)."""
        if self.engine != "duckdb":
            return False
        # fetchall, not fetchone: a result left open keeps this cursor's transaction, and with it a
        # snapshot of the catalog from before other threads' tables were made.
        rows = self.con.con.execute(
            "SELECT coalesce(sum(memory_usage_bytes), 0) FROM duckdb_memory() WHERE tag = 'IN_MEMORY_TABLE'"
        ).fetchall()
        return int(rows[0][0]) > config.memo_mb() * 2**20

    def _evicted(self, kept: tuple[str, ibis.Table]) -> None:
        # Spark's cached frame is released at once (a query under way still reads the files). A
        # DuckDB table is dropped once its last expression is gone (the finalizer in _keep): a query
        # that took it a moment ago still runs.
        if self.engine == "spark":
            self._drop_temporary(kept[0])

    def _drop_retired(self) -> None:
        while True:
            try:
                name = self._retired.pop()
            except IndexError:  # none left (another thread may have taken the last)
                return
            self._drop_temporary(name)

    def _spark_cache(self, name: str, expr: ibis.Table) -> ibis.Table:
        """Spark's counterpart of a temporary table: the query's DataFrame, cached where it is first
        computed and named in this handle's session."""
        frame = self.con._session.sql(self.con.compile(expr)).cache()
        frame.createOrReplaceTempView(name)
        self._cached[name] = frame
        return _typed_as(self.con.table(name), expr.schema())

    def _drop_temporary(self, name: str) -> None:
        if self.engine == "spark":
            frame = self._cached.pop(name, None)
            with contextlib.suppress(Exception):
                self.con._session.catalog.dropTempView(name)
                if frame is not None:
                    frame.unpersist()
            return
        with contextlib.suppress(duckdb.Error):
            self.con.con.execute(f'DROP TABLE IF EXISTS "{name}"')

    def sibling(self, *, threads: int | None = None) -> Warehouse:
        """Another handle on the very same table versions, with its own engine state (DuckDB: its own
        database, with ``threads`` engine threads when given). The dashboard computes slow results in
        the background on one with a single thread, so that pages being drawn keep the other cores.
        On Spark the handle itself is returned: its cluster shares work out on its own."""
        if self.engine != "duckdb":
            return self
        return _open_duckdb(self.root, self._deltas, threads=threads)

    def close(self) -> None:
        """Release what the handle holds. On Spark that is its cached results; the Spark session is
        shared by every handle in the process and stays up (``stop_spark`` ends it)."""
        if self.engine == "spark":
            for name in list(self._cached):
                self._drop_temporary(name)
            self._memo.clear()
            return
        self._memo.clear()
        self._tables.clear()
        self.con.con.close_all()


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
        If the folder does not exist, or (Spark) a table uses a Delta feature its files cannot express.
    UsageError
        If the engine is not one Iconic knows.
    """
    root = config.warehouse_path(path)
    chosen = config.engine(engine)
    if not root.is_dir():
        raise WarehouseError(
            f"no warehouse at {root}: run `iconic demo` to build the demo, or `iconic ingest TABLE FILE`"
        )
    if chosen == "spark":
        return _open_spark(root)
    deltas: dict[str, DeltaTable] = {}
    for name in table_names(root):
        dt = load_delta(root, name)
        if dt is not None:  # else removed between listing and loading
            deltas[name] = dt
    return _open_duckdb(root, deltas)


def _open_duckdb(root: Path, deltas: dict[str, DeltaTable], *, threads: int | None = None) -> Warehouse:
    """A DuckDB handle on these pinned table versions, in a database of its own (with ``threads``
    engine threads when given, else one per core)."""
    con = ibis.duckdb.connect()
    raw = con.con
    if threads is not None:
        raw.execute(f"SET threads = {int(threads)}")
    datasets: dict[str, Any] = {}
    for name, table in deltas.items():
        dataset = _register(raw, name, table)
        if dataset is not None:
            datasets[name] = dataset
    for name, spec in schema.TABLES.items():
        if name not in deltas:
            _register_empty(raw, spec)

    def setup(cursor: duckdb.DuckDBPyConnection) -> None:
        # Settings and registered Arrow datasets belong to one connection, so every cursor gets them.
        cursor.execute("SET TimeZone = 'UTC'")
        cursor.execute("SET python_enable_replacements = false")
        for name, dataset in datasets.items():
            cursor.register(name, dataset)

    con.con = _Cursors(raw, setup)
    versions = {name: table.version() for name, table in deltas.items()}
    return Warehouse(root=root, versions=versions, con=con, _deltas=dict(deltas))


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


def _register(raw: duckdb.DuckDBPyConnection, name: str, dt: DeltaTable) -> Any:
    """Expose the pinned version of ``dt`` to DuckDB as ``name``; return the PyArrow dataset when it
    is registered as one (each cursor must register it too), else ``None``.

    The version's Parquet files are read by DuckDB's own Parquet reader, which runs in parallel and
    skips row groups by their statistics: about a third faster than scanning through a PyArrow
    dataset on the 11 M-row interactions table. Files written before a column was added lack it, so
    columns are matched by name. A table with no files yet, or a partitioned one (partition values
    live in folder names), goes through delta-rs's PyArrow dataset instead.
    """
    _refuse_deletion_vectors(name, dt)
    files = list(dt.file_uris())
    plain = files and not dt.metadata().partition_columns
    if plain:
        listing = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
        raw.execute(f'CREATE VIEW "{name}" AS SELECT * FROM read_parquet([{listing}], union_by_name = true)')
        return None
    dataset = dt.to_pyarrow_dataset()
    raw.register(name, dataset)
    return dataset


def _refuse_deletion_vectors(name: str, dt: DeltaTable) -> None:
    """Deletion vectors hide rows that a version's Parquet files still hold: reading the files would
    bring deleted rows back, and neither engine here has a Delta reader that applies them."""
    if "deletionVectors" in _features(dt):
        path = dt.table_uri.removeprefix("file://")
        raise WarehouseError(
            f"table {name!r} at {path} (version {dt.version()}) uses Delta deletion vectors, which Iconic cannot "
            "read: its Parquet files still hold the deleted rows. Rewrite the table without them (with delta-spark: "
            "REORG TABLE ... APPLY (PURGE), then turn delta.enableDeletionVectors off), or ingest its rows again"
        )


def _register_empty(raw: duckdb.DuckDBPyConnection, spec: schema.Table) -> None:
    """Expose a canonical table that is not stored yet as an empty view with its canonical columns."""
    columns = ", ".join(f'CAST(NULL AS {c.sql_type}) AS "{c.name}"' for c in spec.columns)
    raw.execute(f'CREATE VIEW "{spec.name}" AS SELECT {columns} WHERE false')


def _features(dt: DeltaTable) -> set[str]:
    protocol = dt.protocol()
    return set(protocol.reader_features or []) | set(protocol.writer_features or [])


# --- the Spark engine ---------------------------------------------------------------------------------

_spark_lock = threading.Lock()


def spark_session() -> Any:
    """The process's Spark session, started on first use.

    ``spark.master`` comes from ``ICONIC_SPARK_MASTER``, else from Spark's own configuration, else
    ``local[*]`` (every core of this machine, in this process's JVM). The web UI is off and the
    session time zone is UTC. Run locally, it uses ``DEFAULT_LOCAL_SHUFFLE_PARTITIONS``. Handles each work in their own ``newSession()`` of it, so their table
    names never meet.
    """
    from pyspark.sql import SparkSession

    with _spark_lock:
        builder = SparkSession.builder
        master = config.spark_master()
        if master:
            builder = builder.master(master)
        for key, value in SPARK_SETTINGS.items():
            builder = builder.config(key, value)
        if not master or master.startswith("local"):
            # One machine: 200 shuffle partitions (Spark's default, sized for clusters) make every
            # small query pay for 200 tasks per stage; a few per core run the demo's queries 3x faster.
            partitions = os.environ.get("ICONIC_SPARK_SHUFFLE_PARTITIONS") or str(DEFAULT_LOCAL_SHUFFLE_PARTITIONS)
            builder = builder.config("spark.sql.shuffle.partitions", partitions)
        memory = os.environ.get("ICONIC_SPARK_DRIVER_MEMORY") or DEFAULT_SPARK_DRIVER_MEMORY
        session = builder.config("spark.driver.memory", memory).getOrCreate()
        session.sparkContext.setLogLevel("ERROR")
        return session


def stop_spark() -> None:
    """Stop the Spark session and the JVM behind it, if this process started one.

    PySpark leaves its JVM running until the Python process exits; a test run or a notebook that
    is done with Spark calls this so nothing is left behind.
    """
    try:
        from pyspark import SparkContext
        from pyspark.sql import SparkSession
    except ImportError:
        return
    with _spark_lock:
        active = SparkContext._active_spark_context
        if active is not None:
            active.stop()
        gateway = SparkContext._gateway
        if gateway is None:
            return
        process = getattr(gateway, "proc", None)
        with contextlib.suppress(Exception):
            gateway.shutdown()
        if process is not None:
            with contextlib.suppress(Exception):
                process.stdin.close()  # the JVM ends when its stdin closes
            try:
                process.wait(timeout=20)
            except Exception:
                process.kill()
                process.wait(timeout=10)
        SparkContext._gateway = None
        SparkContext._jvm = None
        SparkSession._instantiatedSession = None
        SparkSession._activeSession = None


def _open_spark(root: Path) -> Warehouse:
    try:
        session = spark_session().newSession()
    except ImportError:
        raise WarehouseError("the spark engine needs PySpark: pip install 'pyspark>=4.0,<4.1'") from None
    con = ibis.pyspark.connect(session)
    deltas: dict[str, DeltaTable] = {}
    versions: dict[str, int] = {}
    views: dict[str, ibis.Table] = {}
    for name in table_names(root):
        dt = load_delta(root, name)
        if dt is None:  # removed between listing and loading
            continue
        views[name] = _register_spark(con, name, dt)
        deltas[name] = dt
        versions[name] = dt.version()
    for name, spec in schema.TABLES.items():
        if name not in versions:
            arrow = pa.schema([pa.field(c.name, c.arrow_type) for c in spec.columns])
            views[name] = _spark_view(con, name, con._session.createDataFrame([], _spark_schema(arrow)), arrow)
    return Warehouse(root=root, versions=versions, con=con, _deltas=deltas, engine="spark", _views=views)


def _register_spark(con: Any, name: str, dt: DeltaTable) -> ibis.Table:
    """Expose the pinned version of ``dt`` to Spark as ``name``, read by Spark's Parquet reader.

    The table's schema is given, so no file footer is read to infer it, and files written before a
    column was added read it as nulls (columns are matched by name); partition
    values live in folder names, which ``basePath`` lets Spark read back. Deletion vectors hide rows
    that the Parquet files still hold, so such a table is refused rather than read wrong.
    """
    path = Path(dt.table_uri.removeprefix("file://"))
    _refuse_deletion_vectors(name, dt)
    arrow = pa.schema(dt.schema().to_arrow())
    files = list(dt.file_uris())
    session = con._session
    if not files:
        return _spark_view(con, name, session.createDataFrame([], _spark_schema(arrow)), arrow)
    reader = session.read.schema(_spark_schema(arrow))
    if dt.metadata().partition_columns:
        reader = reader.option("basePath", str(path))
    return _spark_view(con, name, reader.parquet(*files).select(*arrow.names), arrow)


def _spark_schema(arrow: pa.Schema) -> Any:
    from ibis.backends.pyspark.datatypes import PySparkSchema

    return PySparkSchema.from_ibis(ibis.Schema.from_pyarrow(arrow))


def _spark_view(con: Any, name: str, frame: Any, arrow: pa.Schema) -> ibis.Table:
    frame.createOrReplaceTempView(name)
    return _typed_as(con.table(name), ibis.Schema.from_pyarrow(arrow))


def _typed_as(table: ibis.Table, wanted: ibis.Schema) -> ibis.Table:
    """``table`` with each timestamp typed as ``wanted`` has it. Spark's timestamps are instants in
    the session's zone (UTC) but carry no zone in Ibis; DuckDB's carry UTC. The cast changes no value
    and makes both engines return the same types."""
    changes = {
        c: wanted[c]
        for c, kind in table.schema().items()
        if c in wanted and kind.is_timestamp() and wanted[c].is_timestamp() and kind != wanted[c]
    }
    return table.cast(changes) if changes else table


# --- writing (used by analytics.data.ingest; readers never call these) -----------------------------------


@contextlib.contextmanager
def write_lock(root: Path, *, on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the warehouse's writer lock. Only writers take it; the OS frees it if the process dies.

    Raises
    ------
    WarehouseError
        If the warehouse folder cannot be created, or its lock file cannot be opened for writing.
    """
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
