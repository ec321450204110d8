"""Browser tests: Playwright for Python driving Debian's Chromium (/usr/bin/chromium)
against pytest-django's live server. Never a browser that a test tool downloads.

Shared by the recording tests: ``running`` (a project with an overdue visit and an
action waiting for its verdict), ``assets`` (the static files for the live server)
and ``unfold`` (the record form's sections, folded on a phone)."""

from __future__ import annotations

import datetime
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.utils import timezone

import huifang
from huifang.actions.models import ImprovementAction
from huifang.actions.services import create_action, mark_action_done
from huifang.core.models import Role, User
from huifang.policy.models import Policy
from huifang.projects.models import Project
from huifang.projects.services import create_project
from huifang.visits.recording import save_visit_record, submit_visit_record
from tests.factories import CustomerFactory, UserFactory

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
    wait_until_the_server_is_idle()


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
    wait_until_the_server_is_idle()


def wait_until_the_server_is_idle(seconds: float = 10) -> None:
    """Let the live server finish the requests a closed page left in flight (an
    autosave, an upload) before the test's tables are emptied: on PostgreSQL the
    ``TRUNCATE`` of the teardown and such a request's transaction lock tables in
    opposite orders and deadlock. SQLite has one writer and needs no wait."""
    if connection.vendor != "postgresql":
        return
    deadline = time.monotonic() + seconds
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid() AND state NOT IN ('idle')"
                " AND backend_type = 'client backend'"
            )
            if cursor.fetchone()[0] == 0:
                return
            time.sleep(0.05)


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


def unfold(page: Any) -> None:
    """Open the record form's sections, which fold on a phone."""
    folded = page.locator("details.record-fold:not([open]) > summary")
    while folded.count():
        folded.first.click()


# --- The recording tests' world ---------------------------------------------------------


@pytest.fixture
def running(policy: Policy) -> tuple[Project, User, User, ImprovementAction]:
    """A project started 60 days ago: the kickoff is recorded, and its action is done
    and waits for verification; the first ongoing visit is overdue."""
    today = timezone.localdate()
    manager = UserFactory.create(username="pm", role=Role.PROJECT_MANAGER)
    member = UserFactory.create(username="member", role=Role.MEMBER)
    project, _ = create_project(
        code="E2E-1",
        name="Warehouse system",
        customer=CustomerFactory.create(name="Acme"),
        manager=manager,
        status="active",
        cadence="monthly",
        planned_start=today - datetime.timedelta(days=60),
        planned_end=today + datetime.timedelta(days=120),
        policy=policy,
        members=[member],
        today=today - datetime.timedelta(days=61),
    )
    kickoff = project.visits.get(phase="kickoff")
    record = save_visit_record(
        visit=kickoff,
        recorded_by=member,
        fields={"summary": "Kickoff done"},
        problems=[],
        feedback=None,
        actions=[],
    )
    submit_visit_record(record=record, submitted_by=member, completed_on=kickoff.due_date)
    action = create_action(
        project=project,
        description="Send a weekly status report",
        owner=member,
        due_date=today - datetime.timedelta(days=20),
        created_by=manager,
        record=record,
    )
    mark_action_done(
        action=action, note="Sent every Friday", done_on=today - datetime.timedelta(days=10)
    )
    return project, manager, member, action


@pytest.fixture
def assets(settings: Any) -> None:
    """Bootstrap and htmx for the live server, also while settings lack
    STATICFILES_DIRS for src/huifang/static (reported to the lead)."""
    static = str(Path(huifang.__file__).parent / "static")
    if static not in [str(entry) for entry in settings.STATICFILES_DIRS]:
        settings.STATICFILES_DIRS = [*settings.STATICFILES_DIRS, static]
