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
however the run ends (``analytics.ui.serve.running``). Results are printed as Markdown rows and JSON.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from analytics.ui.serve import CHROMIUM, CHROMIUM_ARGS, running

HERE = Path(__file__).resolve().parent
DEFAULT = HERE / "out" / "demo1m"
PAGES = {"overview": "", "advocacy": "advocacy", "data quality": "data_quality"}
STATE = "document.querySelector('[data-testid=\"stApp\"]')?.dataset.testScriptState"


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
        browser = p.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_ARGS))
        try:
            for name, path in PAGES.items():
                with running(root) as (url, _):
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
    # A SIGTERM unwinds like Ctrl-C, so the server started below is stopped too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
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
