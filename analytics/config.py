"""Paths and settings, with environment overrides.

``ICONIC_WAREHOUSE`` moves the warehouse; ``ICONIC_MAX_QUARANTINE_SHARE`` changes the share of bad
rows above which a whole batch is rejected; ``ICONIC_MAX_UPLOAD_MB`` caps dashboard uploads;
``ICONIC_EXPECTATIONS`` points at another folder of expectation suites;
``ICONIC_MAX_EXTRA_COLUMNS`` caps the extra columns a file may bring; ``ICONIC_ENGINE`` picks the
engine that reads the warehouse (``duckdb``, the default, or ``spark``), and ``ICONIC_SPARK_MASTER``
the Spark cluster it runs on; ``ICONIC_LOCAL_ROWS`` caps the row-level rows a local step takes in;
``ICONIC_MEMO_MB`` caps the memory a warehouse handle keeps intermediate results in;
``ICONIC_WAIT_S`` is how long a dashboard page waits for a slow result before showing the rest.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from analytics.errors import UsageError, WarehouseError

DEFAULT_WAREHOUSE = Path("data") / "warehouse"
DEFAULT_MAX_QUARANTINE_SHARE = 0.01
DEFAULT_MAX_UPLOAD_MB = 200
#: Extra (non-canonical) columns a file may bring; each widens every later update of the table.
DEFAULT_MAX_EXTRA_COLUMNS = 200
#: Engines that can read the warehouse: DuckDB in this process, or Apache Spark (local or a cluster).
ENGINES = ("duckdb", "spark")
DEFAULT_ENGINE = "duckdb"
#: Row-level rows a local step (a model fitted in numpy, lifelines or scikit-learn) may take in.
DEFAULT_LOCAL_ROWS = 10_000_000
#: Memory, in MB, that one warehouse handle's kept intermediate results may take (``Warehouse.kept_table``).
DEFAULT_MEMO_MB = 2048
#: Seconds a dashboard page waits for a slow result before it shows the rest and fills it in later.
DEFAULT_WAIT_S = 3.0


def warehouse_path(path: str | os.PathLike[str] | None = None) -> Path:
    """Return the warehouse directory: the argument, else ``ICONIC_WAREHOUSE``, else ``./data/warehouse``.

    Raises
    ------
    WarehouseError
        If the path is empty, is a file, or lies under a file: no command can use it.
    """
    if path is None:
        path = os.environ.get("ICONIC_WAREHOUSE") or DEFAULT_WAREHOUSE
    if not str(path).strip():
        raise WarehouseError("the warehouse path is empty: give a folder, e.g. --warehouse data/warehouse")
    root = Path(path)
    for p in (root, *root.parents):
        if p.exists() and not p.is_dir():
            where = "is a file" if p == root else f"is under {p}, which is a file"
            raise WarehouseError(f"the warehouse path {root} {where}, not a folder: give a folder for the warehouse")
    return root


def engine(name: str | None = None) -> str:
    """The engine that reads the warehouse: the argument, else ``ICONIC_ENGINE``, else ``duckdb``.

    Raises
    ------
    UsageError
        If the name is not one of ``ENGINES``.
    """
    given = name if name is not None else os.environ.get("ICONIC_ENGINE") or DEFAULT_ENGINE
    chosen = given.strip().lower()
    if chosen not in ENGINES:
        where = "--engine" if name is not None else "ICONIC_ENGINE"
        raise UsageError(f"{where} must be one of {', '.join(ENGINES)}, got {given!r}")
    return chosen


def spark_master() -> str | None:
    """The ``spark.master`` to use (``ICONIC_SPARK_MASTER``); ``None`` leaves it to Spark's own
    configuration (``spark-defaults.conf``, ``PYSPARK_SUBMIT_ARGS``), which runs ``local[*]`` unless told."""
    return os.environ.get("ICONIC_SPARK_MASTER") or None


def local_rows() -> int:
    """Most row-level rows (responses, spells) one step may bring to this machine
    (``ICONIC_LOCAL_ROWS``, default 10 M); above it, ``Warehouse.local`` samples whole customers."""
    return _whole_number("ICONIC_LOCAL_ROWS", DEFAULT_LOCAL_ROWS, least=1)


def memo_mb() -> int:
    """Most memory, in MB, one warehouse handle keeps intermediate results in (``ICONIC_MEMO_MB``,
    default 2048): a scope's responses take about 100 MB at 1 M customers. The dashboard holds the
    handle of the current data version and, while sessions finish with it, the one before."""
    return _whole_number("ICONIC_MEMO_MB", DEFAULT_MEMO_MB, least=1)


def wait_seconds() -> float:
    """How long a dashboard page waits for a slow result (``ICONIC_WAIT_S``, default 3 s) before it
    shows everything else and fills that result in when it is ready (``analytics.ui.background``)."""
    return _real_number("ICONIC_WAIT_S", DEFAULT_WAIT_S, least=0.0, meaning="a number of seconds, 0 or more")


def max_quarantine_share() -> float:
    """Share of rows that may be quarantined before the whole batch is rejected instead."""
    return _real_number(
        "ICONIC_MAX_QUARANTINE_SHARE", DEFAULT_MAX_QUARANTINE_SHARE, least=0.0, most=1.0, meaning="a number from 0 to 1"
    )


def max_upload_mb() -> int:
    """Largest file, in MB, that the dashboard's upload box accepts (``ICONIC_MAX_UPLOAD_MB``)."""
    return _whole_number("ICONIC_MAX_UPLOAD_MB", DEFAULT_MAX_UPLOAD_MB, least=1)


def max_extra_columns() -> int:
    """Most extra columns a file may bring (``ICONIC_MAX_EXTRA_COLUMNS``, default 200)."""
    return _whole_number("ICONIC_MAX_EXTRA_COLUMNS", DEFAULT_MAX_EXTRA_COLUMNS, least=0)


def _real_number(setting: str, default: float, *, least: float, most: float = math.inf, meaning: str) -> float:
    raw = os.environ.get(setting)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise UsageError(f"{setting} must be {meaning}, got {raw!r}") from None
    if not least <= value <= most:
        raise UsageError(f"{setting} must be {meaning}, got {value}")
    return value


def _whole_number(setting: str, default: int, *, least: int) -> int:
    raw = os.environ.get(setting, str(default))
    try:
        value = int(raw)
    except ValueError:
        raise UsageError(f"{setting} must be a whole number, got {raw!r}") from None
    if value < least:
        raise UsageError(f"{setting} must be at least {least}, got {value}")
    return value


def expectations_dir() -> Path:
    """Folder holding one Great Expectations suite (JSON) per canonical table.

    ``ICONIC_EXPECTATIONS`` overrides it; by default it is the repository's ``expectations/`` folder,
    found from this package's location (never from the working directory).
    """
    env = os.environ.get("ICONIC_EXPECTATIONS")
    if not env:
        return Path(__file__).resolve().parent.parent / "expectations"
    if not Path(env).is_dir():
        raise UsageError(f"ICONIC_EXPECTATIONS points at {env}, which is not a folder of expectation suites")
    return Path(env)
