"""The bell: a reminder the sweep created shows up with its unread count, the list
opens it, and marking it read (htmx) clears the count."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from huifang.core.models import User
from huifang.notify.sweep import run_sweep
from huifang.visits.models import Visit
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_reminder_appears_under_bell_and_mark_read_clears_it(
    page: Any, project: Any, colleague: User
) -> None:
    colleague.language = "en"
    colleague.save(update_fields=["language"])
    visit = Visit.objects.get(project=project, phase="kickoff")
    visit.owner = colleague
    visit.save(update_fields=["owner"])
    run_sweep(today=datetime.date(2026, 3, 6))  # three days before the 03-09 due date

    log_in(page, "colleague")
    assert page.get_by_test_id("unread-count").inner_text() == "1"
    # The bell is drawn, so it shows on a machine without an emoji font (this one).
    icon = page.get_by_test_id("notification-bell").locator("svg.bell-icon").bounding_box()
    assert icon is not None
    assert icon["width"] == 16
    assert icon["height"] == 16
    page.get_by_test_id("notification-bell").click()
    page.wait_for_url("**/notifications/")
    row = page.get_by_test_id("notification")
    assert row.locator("a").first.inner_text() == "Visit due on 9 Mar 2026: P-001 ERP rollout"
    row.get_by_role("button", name="Mark read").click()
    page.get_by_test_id("notification").get_by_text("Read", exact=True).wait_for()
    page.reload()
    assert page.get_by_test_id("unread-count").count() == 0


def test_bell_works_on_a_phone(make_page: Any, project: Any, owner: User) -> None:
    run_sweep(today=datetime.date(2026, 3, 2))  # kickoff window opens: PM nudged, digest
    page = make_page(viewport={"width": 390, "height": 844})
    log_in(page, "owner")
    page.locator(".navbar-toggler").click()
    # Bootstrap marks the menu .show once it has finished opening; a click during
    # the slide-open animation may land on the still-clipped menu.
    page.locator("#main-nav.show").wait_for()
    page.get_by_test_id("notification-bell").click()
    page.wait_for_url("**/notifications/")
    titles = page.get_by_test_id("notification").locator("a.fw-semibold").all_inner_texts()
    # The owner has no language of their own: notifications were made in the
    # organisation's (Chinese) and are worded when read in the page's, the browser's.
    assert sorted(titles) == [
        "Schedule the visit for P-001 ERP rollout",
        "Weekly digest for week 2026-W10",
    ]
