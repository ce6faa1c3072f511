"""Page benchmark: how long each dashboard page takes in a real browser, cold, warm and after a filter.

    python benchmarks/pages_benchmark.py                      # the 1 M-customer demo (built if missing)
    python benchmarks/pages_benchmark.py --warehouse PATH     # any warehouse
    python benchmarks/pages_benchmark.py --pages advocacy churn          # some pages only (URL paths; "" is home)
    python benchmarks/pages_benchmark.py --source /path/to/checkout      # serve another version's code

The pages are the ones the app's navigation declares (read over Streamlit's websocket protocol from
a server started for the purpose), so a page added to ``app.py`` is measured without a change here.
It serves the warehouse with ``iconic app`` and drives Debian's Chromium (``make browser``) through
Playwright; no browser is downloaded. For each page it measures the time from navigation until the
page's script run has finished and everything it drew is on screen (Streamlit marks the app
``notRunning``):

- **cold**: the first visit after the server starts, nothing cached (the server is restarted for
  each page, so no page profits from another's work), until the page is shown; where a slow
  result is still on its way (``analytics.ui.background``), **complete** is when it has been
  filled in too;
- **warm**: a second visit in a new browser tab (results come from the server's cache);
- **filter**: on that tab, one channel picked in the sidebar (a scope nothing has computed yet).

Targets: cold under 10 s, warm under 2 s, after a filter change under 3 s. A page that takes longer
than ``--timeout`` is recorded as such and the next page is measured. The server is stopped however
the run ends (``analytics.ui.serve.running``). Results are printed as Markdown rows and JSON, with
the machine's load average before and after each page.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from analytics import names
from analytics.ui.load import WAITING_NOTE, Page, Session
from analytics.ui.serve import CHROMIUM, CHROMIUM_ARGS, running

HERE = Path(__file__).resolve().parent
DEFAULT = HERE / "out" / "demo1m"
STATE = "document.querySelector('[data-testid=\"stApp\"]')?.dataset.testScriptState"
#: What a page says while a slow result is computed in the background (analytics.ui.background.waiting).
WAITING = WAITING_NOTE


class TooSlow(Exception):
    """The page did not finish within the timeout."""


@contextlib.contextmanager
def served(root: Path, source: Path | None) -> Iterator[str]:
    """A fresh dashboard on ``root``, running ``source``'s code when given (``python -m`` looks in the
    working folder first, then ``PYTHONPATH``)."""
    with running(root.resolve(), source=source) as (url, _):
        yield url


def app_pages(root: Path, source: Path | None) -> tuple[Page, ...]:
    """The pages the app's navigation declares, home page first."""

    async def read(url: str) -> tuple[Page, ...]:
        session, _ = await Session.open(url)
        await session.close()
        return session.pages

    with served(root, source) as url:
        pages = asyncio.run(read(url))
    return tuple(sorted(pages, key=lambda p: p.path != ""))


def _settled(page: Any, *, timeout_s: float) -> None:
    """Wait for the script run under way to finish (it may already have started)."""
    # A run shorter than the poll interval is over before it is seen running.
    with contextlib.suppress(Exception):
        page.wait_for_function(f"{STATE} === 'running'", timeout=3_000)
    _finished(page, timeout_s)


def _finished(page: Any, timeout_s: float) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(f"{STATE} === 'notRunning'", timeout=timeout_s * 1000)
    except PlaywrightTimeout:
        raise TooSlow from None


def visit(browser: Any, url: str, *, timeout_s: float) -> tuple[Any, float, float]:
    """Open ``url`` in a new tab: the tab, the seconds until the page is shown, and until everything
    on it is filled in (the same when nothing was left to the background)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    start = time.perf_counter()
    page.goto(url, wait_until="domcontentloaded")
    try:
        _finished(page, timeout_s)
    except TooSlow:
        page.close()
        raise
    shown = time.perf_counter() - start
    try:
        page.get_by_text(WAITING).first.wait_for(state="detached", timeout=timeout_s * 1000)
        _finished(page, timeout_s)
    except (PlaywrightTimeout, TooSlow):
        page.close()
        raise TooSlow from None
    complete = time.perf_counter() - start
    if page.locator('[data-testid="stException"]').count():
        raise RuntimeError(f"{url} shows an exception")
    return page, shown, complete


def pick_channel(page: Any, channel: str, *, timeout_s: float) -> float:
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.locator('[data-testid="stMultiSelect"]').filter(has_text="Channel").click()
    option = page.get_by_role("option", name=names.name(channel), exact=True)  # the sidebar shows names
    start = time.perf_counter()
    option.click()
    _settled(page, timeout_s=timeout_s)
    elapsed = time.perf_counter() - start
    if page.locator('[data-testid="stException"]').count():
        raise RuntimeError("the page shows an exception after the filter change")
    return elapsed


def measure_page(browser: Any, root: Path, page: Page, args: argparse.Namespace) -> dict[str, object]:
    row: dict[str, object] = {"page": page.name, "path": page.path, "load_before": round(os.getloadavg()[0], 2)}
    with served(root, args.source) as url:
        try:
            first, cold, complete = visit(browser, f"{url}/{page.path}", timeout_s=args.timeout)
            first.close()
            row["cold_s"], row["complete_s"] = round(cold, 2), round(complete, 2)
            second, warm, _ = visit(browser, f"{url}/{page.path}", timeout_s=args.timeout)
            row["warm_s"] = round(warm, 2)
            row["filter_s"] = round(pick_channel(second, args.channel, timeout_s=args.timeout), 2)
            second.close()
        except TooSlow:
            row.setdefault("cold_s", f"> {args.timeout:g}")
            row.setdefault("complete_s", f"> {args.timeout:g}")
            row.setdefault("warm_s", f"> {args.timeout:g}")
            row.setdefault("filter_s", f"> {args.timeout:g}")
    row["load_after"] = round(os.getloadavg()[0], 2)
    return row


def measure(root: Path, args: argparse.Namespace) -> list[dict[str, object]]:
    from playwright.sync_api import sync_playwright

    pages = app_pages(root, args.source)
    if args.pages is not None:
        pages = tuple(p for p in pages if p.path in args.pages)
    rows = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_ARGS))
        try:
            for page in pages:
                rows.append(measure_page(browser, root, page, args))
                print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
        finally:
            browser.close()
    return rows


def _seconds(value: object) -> str:
    return f"{value} s" if isinstance(value, int | float) else str(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warehouse", type=Path, default=DEFAULT)
    parser.add_argument("--customers", type=int, default=1_000_000, help="demo size if the warehouse is built")
    parser.add_argument("--channel", default="email", help="the channel picked for the filter change")
    parser.add_argument("--pages", nargs="*", help="URL paths of the pages to measure (default: every page)")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds a page may take before it is cut off")
    parser.add_argument("--source", type=Path, help="a checkout whose code the server runs (default: this one)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    # A SIGTERM unwinds like Ctrl-C, so the server started below is stopped too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if not args.warehouse.exists():
        print(f"building the demo at {args.warehouse} ({args.customers:,} customers)", file=sys.stderr)
        subprocess.run(
            [sys.executable, "-m", "analytics.cli", "demo", "--customers", str(args.customers), "--warehouse", str(args.warehouse)],
            check=True,
        )  # fmt: skip
    rows = measure(args.warehouse, args)
    print("| page | cold: shown | cold: complete | warm | after a filter change | load average before → after |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['page']} | {_seconds(r['cold_s'])} | {_seconds(r['complete_s'])} | {_seconds(r['warm_s'])} "
            f"| {_seconds(r['filter_s'])} | {r['load_before']} → {r['load_after']} |"
        )
    print(json.dumps(rows, indent=2))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
