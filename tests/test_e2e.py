"""A real browser loads every page of the served dashboard and finds no exception element.

Runs Debian's Chromium (installed by `make browser`) through Playwright; no browser is downloaded.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

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
            page.get_by_role("heading", name=PAGES[path]).first.wait_for(timeout=60_000)
            # Wait for the script run to finish: the tables at the end of each page are rendered.
            page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=60_000)
            page.wait_for_timeout(1000)
            assert page.locator('[data-testid="stException"]').count() == 0
            sidebar = page.locator('[data-testid="stSidebar"]')
            assert sidebar.get_by_text("Segment").count() >= 1  # the global filters from app.py
            assert sidebar.get_by_text("Overview", exact=True).count() >= 1
            assert sidebar.get_by_text("overview", exact=True).count() == 0  # not the legacy pages/ listing
            assert page.title() == f"{PAGES[path]} · Iconic"  # the tab names the page
        finally:
            browser.close()


def test_a_channel_picked_in_the_sidebar_scopes_advocacy_and_the_url(served: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_ARGS))
        try:
            page = browser.new_page()
            page.goto(f"{served}/advocacy", wait_until="domcontentloaded")
            page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=60_000)
            sidebar = page.locator('[data-testid="stSidebar"]')
            sidebar.locator('[data-testid="stMultiSelect"]').filter(has_text="Channel").click()
            page.get_by_role("option", name="voice", exact=True).click()
            page.keyboard.press("Escape")
            page.get_by_text("channel: voice").first.wait_for(timeout=60_000)
            page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=60_000)
            page.wait_for_timeout(1500)
            assert page.locator('[data-testid="stException"]').count() == 0
            assert "channel=voice" in page.url
            # The view survives a reload, and a shared link opens it as it was.
            page.reload(wait_until="domcontentloaded")
            page.get_by_text("channel: voice").first.wait_for(timeout=60_000)
            page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=60_000)
            assert page.locator('[data-testid="stException"]').count() == 0
        finally:
            browser.close()
