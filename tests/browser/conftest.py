"""Real-browser tests: Playwright's sync API driving Debian's Chromium.

Every test under tests/browser/ is marked `browser`, so `pytest -m "not browser"` skips them.
Nothing here launches a browser or imports Django until a test asks for a fixture that needs it.

Fixtures:
  page               a fresh page in a fresh context (1280x900, en-GB)
  base_url           the live server's URL (pytest-django's `live_server`, transactional)
  signed_in_page     signed_in_page(user) -> a page whose context carries user's session cookie;
                     relative URLs resolve against the live server: page.goto("/")
  axe                axe(page) fails the test if axe-core finds WCAG 2.2 AA violations
  screenshot         screenshot(page, name) saves var/screenshots/<name>.png
A test that fails with a page open leaves var/screenshots/failed-<test name>.png behind.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.axe import assert_accessible

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

# Playwright's sync API runs an asyncio loop in the main thread; Django would otherwise refuse
# ORM calls made from the test (creating users, asserting on rows) while it runs.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

BROWSER_TESTS_DIR = Path(__file__).resolve().parent
REPO_ROOT = BROWSER_TESTS_DIR.parents[1]
SCREENSHOTS_DIR = REPO_ROOT / "var" / "screenshots"
DEFAULT_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CONTEXT_OPTIONS: dict[str, Any] = {"viewport": {"width": 1280, "height": 900}, "locale": "en-GB"}
DEFAULT_TIMEOUT_MS = 10_000

_failed_call_key = pytest.StashKey[bool]()


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects anything
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if BROWSER_TESTS_DIR in item.path.resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    report = yield
    if report.when == "call" and report.failed:
        item.stash[_failed_call_key] = True
    return report


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page screenshot to var/screenshots/<name>.png, for humans to look at."""
    SCREENSHOTS_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS_DIR / f"{re.sub(r'[^A-Za-z0-9._-]+', '-', name).strip('-')}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def _new_context(browser: Browser, **options: Any) -> BrowserContext:
    context = browser.new_context(**{**CONTEXT_OPTIONS, **options})
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    return context


def _screenshot_if_failed(request: pytest.FixtureRequest, pages: list[Page]) -> None:
    if not request.node.stash.get(_failed_call_key, False):
        return
    for number, page in enumerate(pages, start=1):
        suffix = f"-{number}" if len(pages) > 1 else ""
        with contextlib.suppress(Exception):  # a screenshot must never hide the real failure
            screenshot(page, f"failed-{request.node.name}{suffix}")


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = os.environ.get("CHROMIUM", DEFAULT_CHROMIUM)
    if os.path.isfile(path) and os.access(path, os.X_OK):
        return path
    message = (
        f"Chromium not found at {path}: install it with `sudo apt-get install chromium` "
        "(Debian), or set CHROMIUM to its path. Playwright must not download its own browser."
    )
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def playwright_browser(chromium_path: str) -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()
    finally:
        playwright.stop()


@pytest.fixture
def page(playwright_browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = _new_context(playwright_browser)
    page = context.new_page()
    yield page
    _screenshot_if_failed(request, [page])
    context.close()


@pytest.fixture
def base_url(live_server: Any) -> str:
    return str(live_server.url)


@pytest.fixture
def signed_in_page(
    playwright_browser: Browser, base_url: str, request: pytest.FixtureRequest
) -> Iterator[Callable[[Any], Page]]:
    """signed_in_page(user) -> a new page, signed in as user, on a context of its own."""
    from django.conf import settings
    from django.test import Client

    contexts: list[BrowserContext] = []
    pages: list[Page] = []

    def sign_in(user: Any) -> Page:
        client = Client()
        client.force_login(user)
        session_cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        context = _new_context(playwright_browser, base_url=base_url)
        contexts.append(context)
        context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": session_cookie.value,
                    "url": base_url,  # host-only cookie for the live server
                    "httpOnly": True,
                    "secure": False,  # the live server speaks plain HTTP
                    "sameSite": "Lax",
                }
            ]
        )
        page = context.new_page()
        pages.append(page)
        return page

    yield sign_in
    _screenshot_if_failed(request, pages)
    for context in contexts:
        context.close()


@pytest.fixture
def axe() -> Callable[..., None]:
    """axe(page) fails the test, listing each violation, unless the page meets WCAG 2.2 AA."""
    return assert_accessible


@pytest.fixture(name="screenshot")
def screenshot_fixture() -> Callable[[Page, str], Path]:
    return screenshot
