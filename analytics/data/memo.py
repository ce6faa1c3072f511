"""Results kept for reuse, computed once per key however many threads ask for them at once.

The dashboard serves every session from one process, so the same slow piece (a scope's responses
in the engine, a survival table, a Cox model) is often asked for by several threads at the same
moment. A ``Memo`` lets the first compute it and the others wait for that result; different keys
are computed side by side. It keeps the most recently used entries, up to a count and, when given,
while a budget holds.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

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
