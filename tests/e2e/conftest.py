"""Browser tests: Playwright for Python driving Debian's Chromium (/usr/bin/chromium)
against pytest-django's live server. Never a browser that a test tool downloads."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

# Playwright's sync API runs an event loop in the test thread; the live server and
# the ORM calls the tests make are ordinary synchronous Django, which is safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("HUIFANG_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

PASSWORD = "correct-horse-battery"  # the factories' password
# Generous: CI runs the suite on a 2-core machine that may be busy. Only a failing
# wait ever takes this long.
TIMEOUT_MS = 20_000


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        message = f"Chromium not found at {CHROMIUM}: apt-get install chromium"
        # CI installs Chromium and must run these; a developer's fresh machine may not
        # have it yet, and the rest of the suite is still worth running there.
        if os.environ.get("CI") or os.environ.get("HUIFANG_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any, live_server: Any) -> Iterator[Any]:
    """A fresh browser context per test, English unless the test says otherwise."""
    context = browser.new_context(locale="en-US", base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    yield page
    context.close()


@pytest.fixture
def make_page(browser: Any, live_server: Any) -> Iterator[Any]:
    """Build pages with other locales or viewports: ``make_page(locale="zh-CN",
    viewport={"width": 390, "height": 844})``."""
    contexts: list[Any] = []

    def _make(**options: Any) -> Any:
        options.setdefault("locale", "en-US")
        context = browser.new_context(base_url=live_server.url, **options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        return page

    yield _make
    for context in contexts:
        context.close()


def log_in(page: Any, username: str, password: str = PASSWORD) -> None:
    """Log in through the real login form."""
    page.goto("/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    # "**/" would match /login/ itself and return before the redirect lands; wait for
    # the page the login leads to, fully loaded, so its scripts (Bootstrap's
    # collapse, htmx) are in place before the test's first click.
    page.wait_for_url(lambda url: urlsplit(url).path != "/login/")
    page.get_by_test_id("current-user").wait_for(state="attached")
    page.wait_for_load_state("load")
