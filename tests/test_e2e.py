"""A real browser loads every page of the served dashboard and finds no exception element.

Runs Debian's Chromium (installed by `make browser`) through Playwright; no browser is downloaded.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from analytics import demo
from analytics.data import schema
from analytics.ui.serve import CHROMIUM, CHROMIUM_ARGS, running

pytestmark = pytest.mark.e2e

# A deep link comes first: on a fresh server it must still get app.py's navigation and filters.
PAGES = {
    "data_quality": "Data quality",
    "": "Overview",
    "advocacy": "Advocacy",
    "moments": "Moments of truth",
    "churn": "Churn & lifetime value",
    "value_case": "Value case",
    "benchmarks": "Iconic benchmarks",
}


#: Where each page's screenshot goes, for a person to read after the run (``make test`` keeps them).
SCREENSHOTS = Path(os.environ.get("ICONIC_SCREENSHOTS", Path(__file__).resolve().parents[1] / "test-output"))
#: Scopes a user picks, as deep links: a channel by its code (the sidebar shows it by name) and two
#: days, thin enough to empty most sections.
SCOPES = {"all": "", "voice": "?channel=voice", "two-days": "?dates=2025-09-03&dates=2025-09-04"}
#: Codes from the data that must never reach the screen: those de-snaking or the vocabulary renames.
CODES = re.compile(
    r"\b(?:"
    + "|".join(
        sorted(
            {c for c in (*demo.REASONS, *demo.PLANS, *demo.HANDLERS, *demo.PERSONAS, *schema.TABLES) if "_" in c}
            | {"smb", "ivr"}
        )
    )
    + r")\b"
)


def shown_text(page: Any) -> str:
    """What a reader sees in the page's own markup: headings, sentences, captions, metrics, labels."""
    return str(page.locator('[data-testid="stMain"]').inner_text())


def settle(page: Any, heading: str) -> None:
    page.get_by_role("heading", name=heading).first.wait_for(timeout=60_000)
    # Wait for the script run to finish (a page need not end with a table: the Overview of a demo too
    # small to judge any moment ends with a note).
    page.wait_for_function(
        "document.querySelector('[data-testid=\"stApp\"]')?.dataset.testScriptState === 'notRunning'",
        timeout=60_000,
    )
    page.wait_for_timeout(1000)


@pytest.fixture(scope="module")
def served(demo_warehouse: Path) -> Iterator[str]:
    with running(demo_warehouse) as (url, _):
        yield url


@pytest.mark.parametrize("path", list(PAGES))
def test_page_loads_without_exceptions(served: str, path: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_ARGS))
        try:
            page = browser.new_page()
            page.goto(f"{served}/{path}", wait_until="domcontentloaded")
            settle(page, PAGES[path])
            assert page.locator('[data-testid="stException"]').count() == 0
            sidebar = page.locator('[data-testid="stSidebar"]')
            assert sidebar.get_by_text("Segment").count() >= 1  # the global filters from app.py
            assert sidebar.get_by_text("Overview", exact=True).count() >= 1
            assert sidebar.get_by_text("overview", exact=True).count() == 0  # not the legacy pages/ listing
            assert page.title() == f"{PAGES[path]} · Iconic"  # the tab names the page
        finally:
            browser.close()


def pick_option(page: Any, box: Any, option: str) -> None:
    """Open a multiselect and pick ``option``. A click that lands while the app is still running its
    script can close the list again, so wait for the app to settle and try again (on a loaded machine
    the first page load's reruns take a while)."""
    for _ in range(4):
        page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=60_000)
        box.click()
        choice = page.get_by_role("option", name=option, exact=True)
        try:
            choice.wait_for(timeout=10_000)
        except Exception:  # the list closed under a rerun: open it again
            page.keyboard.press("Escape")
            continue
        choice.click()
        return
    raise AssertionError(f"the option {option!r} never showed")


def test_a_channel_picked_in_the_sidebar_scopes_advocacy_and_the_url(served: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_ARGS))
        try:
            page = browser.new_page()
            page.goto(f"{served}/advocacy", wait_until="domcontentloaded")
            page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=60_000)
            sidebar = page.locator('[data-testid="stSidebar"]')
            pick_option(page, sidebar.locator('[data-testid="stMultiSelect"]').filter(has_text="Channel"), "Voice")
            page.keyboard.press("Escape")
            page.get_by_text("channel: Voice").first.wait_for(timeout=60_000)
            page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=60_000)
            page.wait_for_timeout(1500)
            assert page.locator('[data-testid="stException"]').count() == 0
            assert "channel=Voice" in page.url
            # The view survives a reload, and a shared link opens it as it was.
            page.reload(wait_until="domcontentloaded")
            page.get_by_text("channel: Voice").first.wait_for(timeout=60_000)
            page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=60_000)
            assert page.locator('[data-testid="stException"]').count() == 0
        finally:
            browser.close()


def test_every_page_under_every_scope_reads_as_a_report(served: str) -> None:
    """Each page, on all data, one channel (linked by its code) and a single day: no code from the
    data on screen, no $0.00 beside a section that could not be computed, and a screenshot of each
    page kept for a person to read."""
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    problems = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_ARGS))
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            for scope, query in SCOPES.items():
                for path, heading in PAGES.items():
                    page.goto(f"{served}/{path}{query}", wait_until="domcontentloaded")
                    settle(page, heading)
                    # The page scrolls inside Streamlit's main block: the window is made as tall as it.
                    tall = page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
                    page.set_viewport_size({"width": 1280, "height": min(int(tall) + 50, 16_000)})
                    page.wait_for_timeout(700)
                    page.screenshot(path=str(SCREENSHOTS / f"{path or 'overview'}__{scope}.png"))
                    page.set_viewport_size({"width": 1280, "height": 900})
                    text = shown_text(page)
                    where = f"{heading} ({scope})"
                    if page.locator('[data-testid="stException"]').count():
                        problems.append(f"{where}: an exception is shown")
                    problems += [f"{where}: the code {m!r} is shown" for m in sorted(set(CODES.findall(text)))]
                    if "$0.00" in text:
                        problems.append(f"{where}: $0.00 is shown")
                    applied = {"voice": "channel: Voice", "two-days": "2025-09-03 to 2025-09-04"}.get(scope, "")
                    if applied not in text:
                        problems.append(f"{where}: the link's scope ({query}) was not applied")
        finally:
            browser.close()
    assert not problems, "\n".join(problems)
