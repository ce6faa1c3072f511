"""Slow results computed in the background, so that a page shows what is ready without waiting for them.

At a million customers some results take a minute on two cores the first time a data version and
scope are asked for: the value case behind the priority list, customer equity with its bootstrap.
A page starts the slow results it needs at its top (``start``), draws what is quick, and asks for
them where they go (``ready`` or ``soon``). If one is kept already, or arrives within
``config.wait_seconds()`` of the start of the script run (``run_started``), the page shows it; a
page whose quick parts already took that long does not wait at all. Otherwise the page shows everything else at once, says what is on its way with
``waiting``, and runs again by itself when it is ready. The computation goes on whether or not anyone
waits, once however many sessions ask, and the result is kept like any other (``analytics.ui.cached``).
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, TypeVar

import streamlit as st

from analytics import config
from analytics.ui import cached
from analytics.ui.load import WAITING_NOTE

T = TypeVar("T")

#: Seconds between a waiting page's looks at whether its result is ready.
POLL_S = 2.0
#: Finished computations remembered, so that a page asking again gets the result at once.
KEPT = 64

#: How much lower the background's threads run than the pages' (Linux ``nice``): a page being drawn
#: goes first. The engine's own worker threads are shared, so this orders the Python side only.
NICENESS = 10


def _lower_priority() -> None:
    with contextlib.suppress(AttributeError, OSError):  # a thread's own niceness is a Linux feature
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICENESS)


# One worker: a slow result is mostly engine time on every core already, and a second would take
# them from the page being drawn.
_POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="iconic-background", initializer=_lower_priority)
_FUTURES: OrderedDict[str, Future[Any]] = OrderedDict()
_LOCK = threading.Lock()


_RUN = threading.local()


def run_started() -> None:
    """Mark the start of a script run (``app.py`` calls it first): what ``ready`` may still wait is
    counted from here, so a page whose own work took the waiting time shows at once."""
    _RUN.started = time.monotonic()


def _budget() -> float:
    started = getattr(_RUN, "started", None)
    if started is None:
        return config.wait_seconds()
    return max(0.0, config.wait_seconds() - (time.monotonic() - started))


def _key(call: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    wh = cached.warehouse()
    version = (str(wh.root), wh.data_version) if wh is not None else None
    return repr((version, call.__module__, getattr(call, "__qualname__", repr(call)), args, sorted(kwargs.items())))


def _run(call: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> T:
    with cached.in_background():
        return call(*args, **kwargs)


def _future(key: str, call: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Future[T]:
    with _LOCK:
        future = _FUTURES.get(key)
        if future is None or (future.done() and future.exception() is not None):  # a failure is tried again
            future = _FUTURES[key] = _POOL.submit(_run, call, args, kwargs)
        _FUTURES.move_to_end(key)
        done = [k for k, f in _FUTURES.items() if f.done()]
        for k in done[: max(0, len(_FUTURES) - KEPT)]:
            del _FUTURES[k]
        return future


@dataclass(frozen=True)
class Job:
    """A slow call to ask for: a cached wrapper of ``analytics.ui.cached`` and its arguments."""

    call: Callable[..., Any]
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, call: Callable[..., Any], *args: Any, **kwargs: Any) -> Job:
        return cls(call, args, kwargs)


def soon(call: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
    """``call(*args, **kwargs)`` (a cached wrapper of ``analytics.ui.cached``) if it is ready within
    ``config.wait_seconds()``; else ``None``, while it goes on in the background.

    An error in the computation is raised here, as a direct call would raise it.
    """
    result: T | None = ready(Job.of(call, *args, **kwargs))[0]
    return result


def start(*jobs: Job) -> None:
    """Start the jobs in the background without waiting: call it at the top of a page, so they run
    while the page draws its quick parts."""
    for j in jobs:
        _future(_key(j.call, j.args, j.kwargs), j.call, j.args, j.kwargs)


def ready(*jobs: Job) -> list[Any]:
    """Each job's result, or ``None`` for those not ready: all are started at once, and the page
    waits for them together, for what is left of ``config.wait_seconds()`` since the script run
    started, not that long for each in turn."""
    futures = [_future(_key(j.call, j.args, j.kwargs), j.call, j.args, j.kwargs) for j in jobs]
    done, _ = wait(futures, timeout=_budget())
    return [f.result() if f in done else None for f in futures]


def pending(call: Callable[..., Any], *args: Any, **kwargs: Any) -> bool:
    """Whether ``call(*args, **kwargs)`` is still being computed in the background."""
    with _LOCK:
        future = _FUTURES.get(_key(call, args, kwargs))
    return future is not None and not future.done()


def waiting(what: str, call: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """Say that ``what`` is being computed, and run the page again once ``call(*args, **kwargs)``
    (given to ``soon``) is ready: the note looks every ``POLL_S`` seconds and nothing else reruns."""

    @st.fragment(run_every=POLL_S)
    def poll() -> None:
        if not pending(call, *args, **kwargs):
            st.rerun()
        st.info(
            f"{what.capitalize()} {WAITING_NOTE}; it appears here when it is ready (this page updates by itself, "
            "and the result is kept for everyone).",
            icon=":material/hourglass_top:",
        )

    poll()
