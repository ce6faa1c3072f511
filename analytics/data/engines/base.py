"""What every engine does for a warehouse handle, and the pieces the engines share.

An engine turns the Delta table versions a ``Warehouse`` pinned into Ibis tables, and keeps the
intermediate results the handle asks it to (``Warehouse.kept_table``). The handle knows nothing of
how: it asks its engine, the way Ibis code asks a backend.
"""

from __future__ import annotations

import urllib.parse
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import ibis
import pyarrow as pa

from analytics.errors import WarehouseError

if TYPE_CHECKING:
    from deltalake import DeltaTable


class Engine(ABC):
    """One handle's engine: the Ibis backend its tables are registered on, and what it keeps.

    Parameters
    ----------
    deltas
        The pinned version of each stored table, by name. Canonical tables not stored yet are
        registered empty, with their canonical columns.

    Attributes
    ----------
    name
        What ``ICONIC_ENGINE`` and ``open(engine=...)`` call the engine.
    backend
        The name of the Ibis backend its expressions run on (``ibis.get_backend(expr).name``).
    con
        That Ibis backend.
    """

    name: ClassVar[str]
    backend: ClassVar[str]
    con: Any

    def __init__(self, deltas: Mapping[str, DeltaTable]) -> None:
        self.deltas = dict(deltas)

    @staticmethod
    @abstractmethod
    def epoch_microseconds(moment: ibis.Value) -> ibis.Value:
        """Microseconds since 1970-01-01 UTC of a timestamp column, by the engine's own function."""

    @staticmethod
    @abstractmethod
    def readable_path(path: Path) -> str:
        """How the engine's Parquet reader must be given the file ``path`` to read exactly that file.

        Both readers take a path as a glob pattern, so a folder named ``odd [1] *`` would be read as
        every folder the pattern matches, or as none.
        """

    @abstractmethod
    def table(self, name: str) -> ibis.Table:
        """The Ibis table ``name`` at the pinned version (empty when a canonical table is not stored)."""

    @abstractmethod
    def batches(self, expr: ibis.Table, *, key: str, rows: int) -> Iterator[pa.RecordBatch]:
        """The rows of ``expr`` as Arrow batches of about ``rows`` each, never all in memory at once."""

    @abstractmethod
    def keep(self, name: str, expr: ibis.Table) -> ibis.Table:
        """Compute ``expr``'s rows into a result the engine holds under ``name``; return a table over it."""

    def evicted(self, name: str) -> None:  # noqa: B027 - engines that drop results later need nothing here
        """The handle no longer keeps the result ``name``: release it, if that is safe at once."""

    def drop_unreachable(self) -> None:  # noqa: B027 - engines that drop results on eviction need nothing here
        """Release evicted results that no expression refers to any more."""

    def kept_bytes(self) -> int:
        """Memory the kept results take, as far as the handle must count it (0: the engine bounds it)."""
        return 0

    def sibling(self, *, threads: int | None = None) -> Engine | None:
        """An engine of its own on the same table versions (with ``threads`` engine threads when the
        engine has such a setting), or ``None`` when this one serves both."""
        return None

    @abstractmethod
    def close(self) -> None:
        """Release what the engine holds for the handle."""


def hash_bucket(key: ibis.Value, buckets: int) -> ibis.Value:
    """``key``'s bucket, 0 to ``buckets`` - 1, by the engine's own hash (signed on Spark); a missing key
    lands in bucket 0 rather than in none."""
    return (key.hash() % buckets).abs().fill_null(0)


def table_folder(dt: DeltaTable) -> Path:
    """The folder of a Delta table on this machine. delta-rs gives it as a ``file://`` URI, with the
    path percent-encoded (a space is ``%20``)."""
    return Path(urllib.parse.unquote(dt.table_uri.removeprefix("file://")))


def local_files(dt: DeltaTable) -> list[Path]:
    """The Parquet files of ``dt``'s version, as paths on this machine.

    ``DeltaTable.file_uris`` joins the table's percent-encoded folder to each file's path inside it
    as that path is on disk (a partition folder ``segment=a%20b`` holds the value ``a b``, escaped
    the Hive way). So the folder is decoded and the rest is kept as it is.
    """
    encoded = dt.table_uri.removeprefix("file://").rstrip("/") + "/"
    folder = table_folder(dt)
    return [
        folder / uri.removeprefix(encoded)
        if uri.startswith(encoded)
        else Path(urllib.parse.unquote(uri.removeprefix("file://")))
        for uri in dt.file_uris()
    ]


def refuse_deletion_vectors(name: str, dt: DeltaTable) -> None:
    """Deletion vectors hide rows that a version's Parquet files still hold: reading the files would
    bring deleted rows back, and neither engine here has a Delta reader that applies them."""
    protocol = dt.protocol()
    features = set(protocol.reader_features or []) | set(protocol.writer_features or [])
    if "deletionVectors" in features:
        raise WarehouseError(
            f"table {name!r} at {table_folder(dt)} (version {dt.version()}) uses Delta deletion vectors, which Iconic "
            "cannot read: its Parquet files still hold the deleted rows. Rewrite the table without them (with "
            "delta-spark: REORG TABLE ... APPLY (PURGE), then turn delta.enableDeletionVectors off), or ingest its "
            "rows again"
        )
