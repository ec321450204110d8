"""A visit whose window has not opened: the page offers "schedule"; "record now"
asks for a confirmation, then records it."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from huifang.core.models import User
from huifang.projects.models import Project
from huifang.visits.models import VisitRecord
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_record_now_with_confirmation(
    page: Any, running: tuple[Project, User, User, Any], assets: None
) -> None:
    project, manager, _, _ = running
    visit = (
        project.visits.filter(window_start__gt=timezone.localdate()).order_by("due_date").first()
    )
    assert visit is not None
    log_in(page, manager.username)
    page.goto(f"/visits/{visit.pk}/")

    actions = page.get_by_test_id("visit-actions")
    assert actions.get_by_role("link", name="Record the visit").count() == 0
    assert actions.get_by_test_id("schedule-first").inner_text() == "Schedule"
    actions.get_by_role("link", name="Record now").click()
    page.get_by_test_id("early-notice").wait_for()
    assert VisitRecord.objects.filter(visit=visit).count() == 0
    page.get_by_test_id("confirm-record-now").click()
    page.fill("#id_record-summary", "The customer asked to meet early")
    page.get_by_test_id("save-draft").click()
    page.get_by_text("Draft saved.").wait_for()

    record = VisitRecord.objects.get(visit=visit)
    assert (record.summary, record.status) == ("The customer asked to meet early", "draft")
