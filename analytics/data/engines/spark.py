"""Apache Spark, through Ibis's PySpark backend: the engine for data that outgrows one machine.

The process has one Spark session (``spark_session``), started on first use; each handle works in
its own ``newSession()`` of it, so their table names never meet. A pinned table version's Parquet
files are read by Spark's own Parquet reader against the table's schema. Kept results are cached
DataFrames named in the handle's session.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import ibis
import ibis.expr.datatypes as dt
import pyarrow as pa

from analytics import config
from analytics.data import schema
from analytics.data.engines.base import Engine, hash_bucket, local_files, refuse_deletion_vectors, table_folder
from analytics.errors import WarehouseError

if TYPE_CHECKING:
    from deltalake import DeltaTable

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


@ibis.udf.scalar.builtin(name="unix_micros")
def _epoch_us(moment: dt.Timestamp(timezone="UTC")) -> dt.int64:  # type: ignore[valid-type]
    """Spark's microseconds since the epoch."""


class SparkEngine(Engine):
    """A session of the handle's own on the process's Spark session.

    Raises
    ------
    WarehouseError
        If PySpark is not installed.
    """

    name: ClassVar[str] = "spark"
    backend: ClassVar[str] = "pyspark"

    def __init__(self, deltas: Mapping[str, DeltaTable]) -> None:
        super().__init__(deltas)
        try:
            session = spark_session().newSession()
        except ImportError:
            raise WarehouseError("the spark engine needs PySpark: pip install 'pyspark>=4.0,<4.1'") from None
        self.con = ibis.pyspark.connect(session)
        #: Each table as analyses see it (timestamps typed as UTC, as DuckDB types them).
        self._views: dict[str, ibis.Table] = {name: self._register(name, table) for name, table in self.deltas.items()}
        for name, spec in schema.TABLES.items():
            if name not in self._views:
                arrow = pa.schema([pa.field(c.name, c.arrow_type) for c in spec.columns])
                self._views[name] = self._view(name, session.createDataFrame([], _spark_schema(arrow)), arrow)
        #: The cached DataFrames behind kept results, to release on eviction and on close.
        self._cached: dict[str, Any] = {}

    @staticmethod
    def epoch_microseconds(moment: ibis.Value) -> ibis.Value:
        return _epoch_us(moment)

    @staticmethod
    def readable_path(path: Path) -> str:
        """``path`` as a ``file:`` URI with Hadoop's glob characters escaped by a backslash.

        Spark reads every path as a Hadoop glob (``{a,b}`` is either, ``[1]`` is ``1``, ``\\`` escapes).
        The scheme says the file is on this machine's file system, where delta-rs wrote it, whatever
        the cluster's default file system. A percent-encoded URI does not do: Hadoop encodes it again.
        """
        return "file://" + re.sub(r"([\\\[\]{}*?])", r"\\\1", str(path))

    def table(self, name: str) -> ibis.Table:
        return self._views[name]

    def batches(self, expr: ibis.Table, *, key: str, rows: int) -> Iterator[pa.RecordBatch]:
        """Spark has no streamed Arrow result, so the rows are split into buckets by a hash of ``key``
        and each bucket is collected in turn: one scan per bucket, bounded memory."""
        total = int(expr.count().to_pyarrow().as_py())
        buckets = max(1, -(-total // rows))
        for i in range(buckets):
            yield from expr.filter(hash_bucket(expr[key], buckets) == i).to_pyarrow().to_batches()

    def keep(self, name: str, expr: ibis.Table) -> ibis.Table:
        """Spark's counterpart of a temporary table: the query's DataFrame, cached where it is first
        computed and named in this handle's session."""
        frame = self.con._session.sql(self.con.compile(expr)).cache()
        frame.createOrReplaceTempView(name)
        self._cached[name] = frame
        return _typed_as(self.con.table(name), expr.schema())

    def evicted(self, name: str) -> None:
        """Released at once: a query under way still reads the files."""
        frame = self._cached.pop(name, None)
        with contextlib.suppress(Exception):
            self.con._session.catalog.dropTempView(name)
            if frame is not None:
                frame.unpersist()

    def close(self) -> None:
        """Release the cached results. The Spark session is shared by every handle in the process and
        stays up (``stop_spark`` ends it)."""
        for name in list(self._cached):
            self.evicted(name)

    def _register(self, name: str, table: DeltaTable) -> ibis.Table:
        """Expose the pinned version of ``table`` to Spark as ``name``, read by Spark's Parquet reader.

        The table's schema is given, so no file footer is read to infer it, and files written before a
        column was added read it as nulls (columns are matched by name); partition
        values live in folder names, which ``basePath`` lets Spark read back. Deletion vectors hide rows
        that the Parquet files still hold, so such a table is refused rather than read wrong.
        """
        refuse_deletion_vectors(name, table)
        arrow = pa.schema(table.schema().to_arrow())
        files = [self.readable_path(f) for f in local_files(table)]
        session = self.con._session
        if not files:
            return self._view(name, session.createDataFrame([], _spark_schema(arrow)), arrow)
        reader = session.read.schema(_spark_schema(arrow))
        if table.metadata().partition_columns:
            # Not a glob: the folder as it is.
            reader = reader.option("basePath", f"file://{table_folder(table)}")
        return self._view(name, reader.parquet(*files).select(*arrow.names), arrow)

    def _view(self, name: str, frame: Any, arrow: pa.Schema) -> ibis.Table:
        frame.createOrReplaceTempView(name)
        return _typed_as(self.con.table(name), ibis.Schema.from_pyarrow(arrow))


def _spark_schema(arrow: pa.Schema) -> Any:
    from ibis.backends.pyspark.datatypes import PySparkSchema

    return PySparkSchema.from_ibis(ibis.Schema.from_pyarrow(arrow))


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


# --- the process's Spark session ---------------------------------------------------------------------

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
