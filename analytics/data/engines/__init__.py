"""The engines that read the warehouse, one module each behind one ``Engine`` interface, as Ibis keeps
one backend per folder: ``duckdb`` (the default, in this process) and ``spark``.

``analytics.data.warehouse`` opens each handle on the engine ``ICONIC_ENGINE`` or ``open(engine=...)``
names; analyses get Ibis tables from the handle and never ask which engine runs them.
"""

from __future__ import annotations

import ibis

from analytics.data.engines.base import Engine
from analytics.data.engines.duckdb import DuckDBEngine
from analytics.data.engines.spark import SparkEngine

#: Every engine, by the name ``ICONIC_ENGINE`` and ``--engine`` use (``config.ENGINES``).
ENGINES: dict[str, type[Engine]] = {engine.name: engine for engine in (DuckDBEngine, SparkEngine)}


def running(expr: ibis.Expr) -> type[Engine]:
    """The engine ``expr`` runs on. An expression over no stored table (a literal, an in-memory
    table) runs on Ibis's default backend, DuckDB."""
    backend = ibis.get_backend(expr).name
    return next((engine for engine in ENGINES.values() if engine.backend == backend), DuckDBEngine)


__all__ = ["ENGINES", "DuckDBEngine", "Engine", "SparkEngine", "running"]
