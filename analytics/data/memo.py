"""Results kept for reuse, computed once per key however many threads ask for them at once.

The dashboard serves every session from one process, so the same slow piece (a scope's responses
in the engine, a survival table, a Cox model) is often asked for by several threads at the same
moment. A ``Memo`` lets the first compute it and the others wait for that result; different keys
are computed side by side. It keeps the most recently used entries, up to a count and, when given,
while a budget holds.

``derived`` is the one process-wide memo of what analyses compute from a warehouse's data and
share: survival tables, spells and Cox models, moment maps, the attitude-to-churn link. It keys
them on the data (the warehouse's data version) and the caller's key, so every handle and every
session on the same data shares one copy, and new data is never served old results. Two other
stores keep results, for other jobs:

- ``Warehouse.kept_table`` keeps a query's rows *in the engine* (a DuckDB table, a cached Spark
  frame), per warehouse handle, for later queries to build on. It uses a ``Memo`` too.
- ``analytics.ui.cached`` keeps what a page shows, per session server (Streamlit's cache), keyed by
  the arguments and the versions of just the tables the function reads.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from analytics import config

if TYPE_CHECKING:  # the warehouse keeps its own results in a Memo
    from analytics.data.warehouse import Warehouse

V = TypeVar("V")


@dataclass
class _Building:
    """A value one thread is computing; the others wait on ``done``."""

    done: threading.Event = field(default_factory=threading.Event)


class Memo(Generic[V]):
    """A least-recently-used store of up to ``entries`` values whose builds never run twice at once.

    Parameters
    ----------
    entries
        Most values kept.
    over_budget
        Called (under the memo's lock) after each value is kept; while it says True and more than
        one value is kept, the least recently used goes.
    evicted
        Called with each value that goes (under the memo's lock), to release what it holds.
    """

    def __init__(
        self,
        *,
        entries: int,
        over_budget: Callable[[], bool] | None = None,
        evicted: Callable[[V], None] | None = None,
    ) -> None:
        self.entries = entries
        self._over_budget = over_budget
        self._evicted = evicted
        self._values: OrderedDict[Hashable, V] = OrderedDict()
        self._building: dict[Hashable, _Building] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._values)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._values

    def get(self, key: Hashable, build: Callable[[], V]) -> V:
        """The value kept for ``key``, else ``build()``'s, kept. A thread asking for a key another
        thread is building waits for it; if that build fails, the waiting thread tries in turn."""
        while True:
            with self._lock:
                if key in self._values:
                    self._values.move_to_end(key)
                    return self._values[key]
                pending = self._building.get(key)
                if pending is None:
                    pending = self._building[key] = _Building()
                    break
            pending.done.wait()
        built = False
        try:
            value = build()
            built = True
            return value
        finally:
            # Kept and announced in one step, so no caller finds the key neither kept nor being built.
            with self._lock:
                if built:
                    self._values[key] = value
                    self._shrink()
                del self._building[key]
            pending.done.set()

    def clear(self) -> None:
        with self._lock:
            while self._values:
                self._drop_oldest()

    def _shrink(self) -> None:
        while len(self._values) > 1 and (
            len(self._values) > self.entries or (self._over_budget is not None and self._over_budget())
        ):
            self._drop_oldest()

    def _drop_oldest(self) -> None:
        value = self._values.popitem(last=False)[1]
        if self._evicted is not None:
            self._evicted(value)


#: What analyses derived from warehouse data, for the whole process (``derived``): a page asks for
#: curves, the Cox model, value and a what-if of the same customers, the priority list, the value
#: case and a chart for the same moment map, and at a million customers each build takes seconds.
_DERIVED: Memo[Any] = Memo(entries=24)


def derived(wh: Warehouse, key: tuple[Hashable, ...], build: Callable[[], V]) -> V:
    """``build()``, or what it returned before for the same data and ``key`` (begin it with a name
    for what is built: ``("cox", f, ...)``). Threads asking at once share one build.

    The key holds the warehouse's data version (its folder and each table's version) and the cap on
    rows a local step takes in (``config.local_rows()``), which changes what a model is fitted on.
    A value is shared, not copied: a caller must not change it (copy a frame before adding columns).
    """
    value: V = _DERIVED.get((wh.data_version, config.local_rows(), *key), build)
    return value


def clear_derived() -> None:
    """Forget everything ``derived`` keeps (a benchmark timing builds, not look-ups)."""
    _DERIVED.clear()
