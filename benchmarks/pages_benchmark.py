"""Page benchmark: how long each dashboard page takes in a real browser, cold, warm and after a filter.

    python benchmarks/pages_benchmark.py                      # the 1 M-customer demo (built if missing)
    python benchmarks/pages_benchmark.py --warehouse PATH     # any warehouse

It serves the warehouse with ``iconic app`` and drives Debian's Chromium (``make browser``) through
Playwright; no browser is downloaded. For each page it measures the time from navigation until the
page's script run has finished and everything it drew is on screen (Streamlit marks the app
``notRunning``):

- **cold**: the first visit after the server starts, nothing cached (the server is restarted for
  each page, so no page profits from another's work);
- **warm**: a second visit in a new browser tab (results come from the server's cache);
- **filter**: on that tab, one channel picked in the sidebar (a scope nothing has computed yet).

Targets: warm under 2 s, after a filter change under 3 s, cold under 10 s. The server is stopped
at the end, on an error or on Ctrl-C. Results are printed as Markdown rows and JSON.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DEFAULT = HERE / "out" / "demo1m"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
PAGES = {"overview": "", "advocacy": "advocacy", "data quality": "data_quality"}
STATE = "document.querySelector('[data-testid=\"stApp\"]')?.dataset.testScriptState"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(root: Path) -> Iterator[str]:
    """``iconic app`` on a free port; stopped (SIGTERM, then SIGKILL) however the block ends."""
    port = _free_port()
    env = {**os.environ, "ICONIC_WAREHOUSE": str(root)}
    cmd = [sys.executable, "-m", "analytics.cli", "app", "--port", str(port), "--host", "127.0.0.1"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the dashboard did not start") from None
                time.sleep(0.5)
        yield url
    finally:
        signal.signal(signal.SIGTERM, previous)
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _settled(page: Any, *, timeout_s: float = 300) -> None:
    """Wait for the script run under way to finish (it may already have started)."""
    # A run shorter than the poll interval is over before it is seen running.
    with contextlib.suppress(Exception):
        page.wait_for_function(f"{STATE} === 'running'", timeout=3_000)
    page.wait_for_function(f"{STATE} === 'notRunning'", timeout=timeout_s * 1000)


def visit(browser: Any, url: str) -> tuple[Any, float]:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    start = time.perf_counter()
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_function(f"{STATE} === 'notRunning'", timeout=300_000)
    elapsed = time.perf_counter() - start
    if page.locator('[data-testid="stException"]').count():
        raise RuntimeError(f"{url} shows an exception")
    return page, elapsed


def pick_channel(page: Any, channel: str) -> float:
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.locator('[data-testid="stMultiSelect"]').filter(has_text="Channel").click()
    option = page.get_by_role("option", name=channel, exact=True)
    start = time.perf_counter()
    option.click()
    _settled(page)
    elapsed = time.perf_counter() - start
    if page.locator('[data-testid="stException"]').count():
        raise RuntimeError("the page shows an exception after the filter change")
    return elapsed


def measure(root: Path, channel: str) -> list[dict[str, object]]:
    from playwright.sync_api import sync_playwright

    rows = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for name, path in PAGES.items():
                with serve(root) as url:
                    first, cold = visit(browser, f"{url}/{path}")
                    first.close()
                    second, warm = visit(browser, f"{url}/{path}")
                    after = pick_channel(second, channel)
                    second.close()
                row = {"page": name, "cold_s": round(cold, 2), "warm_s": round(warm, 2), "filter_s": round(after, 2)}
                print(json.dumps(row), file=sys.stderr, flush=True)
                rows.append(row)
        finally:
            browser.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warehouse", type=Path, default=DEFAULT)
    parser.add_argument("--customers", type=int, default=1_000_000, help="demo size if the warehouse is built")
    parser.add_argument("--channel", default="email", help="the channel picked for the filter change")
    args = parser.parse_args()
    if not args.warehouse.exists():
        print(f"building the demo at {args.warehouse} ({args.customers:,} customers)", file=sys.stderr)
        subprocess.run(
            [sys.executable, "-m", "analytics.cli", "demo", "--customers", str(args.customers), "--warehouse", str(args.warehouse)],
            check=True,
        )  # fmt: skip
    rows = measure(args.warehouse, args.channel)
    print("| page | cold | warm | after a filter change |")
    print("|---|---|---|---|")
    for r in rows:
        print(f"| {r['page']} | {r['cold_s']} s | {r['warm_s']} s | {r['filter_s']} s |")
    print(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
