"""Dashboard sessions without a browser, for the load benchmark and its small version in the tests.

A browser talks to the dashboard over one websocket (``/_stcore/stream``) in Streamlit's protocol:
it sends a ``BackMsg`` asking for a script run (the page, its query string, the widgets' states)
and receives ``ForwardMsg``s (the page's elements as deltas, then ``script_finished``). A
``Session`` here does the same with no widgets touched, so each visit is what a user sees on
opening a page or a shared link (``?channel=voice``). The pages come from the app's own navigation
message, so every page the app declares is visited, whatever ``app.py`` lists.

A visit records how long the script run took, what it sent, and every error it showed: an
exception element (what a traceback on the page is), an ``st.error`` box, or a run that did not
finish. Only this machine is spoken to (``LOOPBACK``).
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import websockets
from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

#: Longest a page may take before its visit counts as an error (a user would have given up).
VISIT_TIMEOUT_S = 300.0
#: The only hosts sessions are opened on: this machine.
LOOPBACK = ("127.0.0.1", "localhost")
#: What a page says while a slow result is computed in the background (``analytics.ui.background``).
WAITING_NOTE = "is being computed for this scope and data"


@dataclass(frozen=True)
class Page:
    """A page of the app as its navigation names it: ``path`` is its URL path ("" for the home page)."""

    name: str
    path: str
    script_hash: str


@dataclass(frozen=True)
class Visit:
    """One script run of a page: ``seconds`` from the request to ``script_finished``."""

    page: str
    query: str
    seconds: float
    bytes_received: int
    errors: tuple[str, ...]
    texts: tuple[str, ...] = field(repr=False, default=())

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def complete(self) -> bool:
        """Whether nothing on the page was still being computed in the background."""
        return not any(WAITING_NOTE in t for t in self.texts)


class Session:
    """One dashboard session over the websocket, as a browser tab holds it."""

    def __init__(self, connection: Any, pages: tuple[Page, ...]) -> None:
        self._ws = connection
        self.pages = pages

    @classmethod
    async def open(cls, url: str, *, timeout_s: float = VISIT_TIMEOUT_S) -> tuple[Session, Visit]:
        """Connect to the dashboard at ``url`` (``http://127.0.0.1:PORT``) and run its home page, as a
        browser does on arrival; return the session and that first visit."""
        parts = urlsplit(url)
        if parts.hostname not in LOOPBACK:
            raise ValueError(f"sessions are only opened on this machine (127.0.0.1), not on {parts.hostname}")
        stream = f"ws://{parts.netloc}{parts.path.rstrip('/')}/_stcore/stream"
        connection = await websockets.connect(stream, subprotocols=["streamlit"], max_size=None)  # type: ignore[list-item]
        session = cls(connection, ())
        first = await session._run(Page("", "", ""), "", timeout_s=timeout_s)
        return session, first

    def page(self, path: str) -> Page:
        """The page whose URL path is ``path`` ("" for the home page)."""
        for page in self.pages:
            if page.path == path:
                return page
        known = ", ".join(repr(p.path) for p in self.pages)
        raise KeyError(f"no page at {path!r}; the app has {known}")

    async def visit(self, page: Page, query: str = "", *, timeout_s: float = VISIT_TIMEOUT_S) -> Visit:
        """Open ``page`` with ``query`` (``channel=voice``) as a fresh visit and wait for it to finish."""
        return await self._run(page, query, timeout_s=timeout_s)

    async def close(self) -> None:
        await self._ws.close()

    async def _run(self, page: Page, query: str, *, timeout_s: float) -> Visit:
        request = BackMsg()
        request.rerun_script.query_string = query
        request.rerun_script.page_name = page.path
        request.rerun_script.page_script_hash = page.script_hash
        start = time.perf_counter()
        await self._ws.send(request.SerializeToString())
        seen = _Seen()
        try:
            await asyncio.wait_for(self._receive(seen), timeout_s)
        except TimeoutError:
            seen.errors.append(f"no answer within {timeout_s:.0f} s")
        except websockets.ConnectionClosed as exc:
            seen.errors.append(f"connection closed: {exc}")
        return Visit(
            page=page.name or self._home_name(),
            query=query,
            seconds=time.perf_counter() - start,
            bytes_received=seen.size,
            errors=tuple(seen.errors),
            texts=tuple(seen.texts),
        )

    def _home_name(self) -> str:
        return next((p.name for p in self.pages if p.path == ""), "home")

    async def _receive(self, seen: _Seen) -> None:
        while True:
            data = await self._ws.recv()
            seen.size += len(data)
            message = ForwardMsg()
            message.ParseFromString(data)
            kind = message.WhichOneof("type")
            if kind == "navigation":
                self.pages = tuple(
                    Page(p.page_name, p.url_pathname, p.page_script_hash) for p in message.navigation.app_pages
                )
            elif kind == "delta":
                _read_delta(message, seen)
            elif kind == "page_not_found":
                seen.errors.append(f"page not found: {message.page_not_found.page_name}")
            elif kind == "script_finished":
                status = message.script_finished
                if status == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    seen.errors.append("the script did not compile")
                if status != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    return


@dataclass
class _Seen:
    size: int = 0
    errors: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)


def _read_delta(message: ForwardMsg, seen: _Seen) -> None:
    delta = message.delta
    if delta.WhichOneof("type") != "new_element":
        return
    element = delta.new_element
    kind = element.WhichOneof("type")
    if kind == "exception":
        seen.errors.append(f"{element.exception.type}: {element.exception.message}")
    elif kind == "alert" and element.alert.format == Alert.ERROR:
        seen.errors.append(f"error box: {element.alert.body}")
    elif kind == "alert":
        seen.texts.append(element.alert.body)
    elif kind == "markdown":
        seen.texts.append(element.markdown.body)
    elif kind == "metric":
        seen.texts.append(f"{element.metric.label}: {element.metric.body}")


async def arrive_together(
    url: str, *, sessions: int, queries: tuple[str, ...] = ("",), seed: int = 0, timeout_s: float = VISIT_TIMEOUT_S
) -> list[Visit]:
    """``sessions`` sessions open the dashboard at the same moment (as a team does after a restart
    or the nightly load), each with the next of ``queries`` (``channel=voice``), and each opens every
    page once in its own order. Every visit, the arrival on the home page included."""
    rng = random.Random(seed)
    orders = [rng.random() for _ in range(sessions)]

    async def one(i: int) -> list[Visit]:
        query = queries[i % len(queries)]
        session, first = await Session.open(url, timeout_s=timeout_s)
        visits = [first]
        try:
            pages = [p for p in session.pages if p.path]
            random.Random(orders[i]).shuffle(pages)
            for page in pages:
                visits.append(await session.visit(page, query, timeout_s=timeout_s))
        finally:
            await session.close()
        return visits

    done = await asyncio.gather(*(one(i) for i in range(sessions)))
    return [v for visits in done for v in visits]


async def warm(
    url: str, *, queries: tuple[str, ...] = ("",), deadline_s: float = 3600.0, poll_s: float = 5.0
) -> list[Visit]:
    """Open every page once for each of ``queries``, then again every ``poll_s`` seconds until none
    says a result is still on its way (or ``deadline_s`` passes), so that what the pages show is
    computed and kept before people arrive (after a restart, or the nightly load). The last visit
    of each page and query."""
    end = time.monotonic() + deadline_s
    session, home = await Session.open(url, timeout_s=deadline_s)
    last: dict[tuple[str, str], Visit] = {}
    try:
        for query in queries:
            for page in session.pages:
                last[(page.path, query)] = await session.visit(page, query, timeout_s=deadline_s)
        while time.monotonic() < end:
            unfinished = [key for key, v in last.items() if v.ok and not v.complete]
            if not unfinished:
                break
            await asyncio.sleep(poll_s)
            for path, query in unfinished:
                last[(path, query)] = await session.visit(session.page(path), query, timeout_s=deadline_s)
    finally:
        await session.close()
    return list(last.values())
