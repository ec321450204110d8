"""A member records an overdue visit end to end in a real browser: a problem,
feedback, an improvement measure and the verdict on an earlier action; on a desktop,
on a phone, and with the page in Chinese."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from huifang.actions.models import ActionStatus, ImprovementAction
from huifang.projects.models import Project
from huifang.visits.models import Visit, VisitRecord
from tests.e2e.conftest import log_in, unfold

pytestmark = pytest.mark.django_db(transaction=True)


def _overdue_visit(project: Project) -> Visit:
    return project.visits.get(phase="ongoing", sequence=1)


def _record_overdue_visit(
    page: Any, project: Project, action: ImprovementAction, *, phone: bool = False
) -> None:
    visit = _overdue_visit(project)
    page.goto("/visits/?overdue=on")
    if phone:  # a card per visit, not the table
        page.get_by_test_id("visit-cards").get_by_role("link", name="Details").first.click()
    else:
        page.get_by_role("link", name=visit.due_date.strftime("%-d %b %Y")).first.click()
    page.get_by_role("link", name="Record the visit").click()
    page.wait_for_url(f"**/visits/{visit.pk}/record/")
    unfold(page)

    page.fill("#id_record-work_completed", "Inventory module live")
    page.fill("#id_record-work_outstanding", "Reports")
    page.select_option("#id_record-schedule_status", "behind")
    page.fill("#id_record-percent_complete", "30")
    page.select_option("#id_problems-0-category", "quality")
    page.select_option("#id_problems-0-severity", "high")
    page.fill("#id_problems-0-description", "Barcode scanner drops reads")
    page.select_option("#id_feedback-overall_satisfaction", "4")
    page.select_option("#id_feedback-likelihood_to_recommend", "8")
    page.fill("#id_feedback-requirement_changes", "Wants a mobile stock count")
    page.fill("#id_actions-0-description", "Replace scanner firmware")
    page.select_option("#id_actions-0-owner", label="member")
    page.fill(
        "#id_actions-0-due_date",
        (timezone.localdate() + datetime.timedelta(days=14)).isoformat(),
    )
    page.select_option(f"#id_verify-{action.pk}-result", "effective")
    page.get_by_test_id("submit-record").click()
    page.wait_for_url(f"**/visits/{visit.pk}/")


def _assert_recorded(page: Any, project: Project, action: ImprovementAction) -> None:
    assert page.get_by_test_id("record-status").inner_text() == "Submitted · read-only"
    assert page.get_by_test_id("problem").inner_text().endswith("Barcode scanner drops reads")
    assert "Replace scanner firmware" in page.get_by_test_id("action").inner_text()
    assert page.get_by_test_id("verification").inner_text().endswith("Effective")
    assert page.get_by_role("link", name="Record the visit").count() == 0
    record = VisitRecord.objects.get(visit=_overdue_visit(project))
    action.refresh_from_db()
    assert (record.status, record.visit.status, action.status) == (
        "submitted",
        "done",
        ActionStatus.VERIFIED_EFFECTIVE,
    )


def test_member_records_an_overdue_visit_end_to_end(page: Any, running: Any) -> None:
    project, _, member, action = running
    log_in(page, member.username)

    _record_overdue_visit(page, project, action)

    _assert_recorded(page, project, action)


def test_member_records_a_visit_on_a_phone(make_page: Any, running: Any, assets: None) -> None:
    project, _, member, action = running
    page = make_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    log_in(page, member.username)
    page.goto(f"/visits/{_overdue_visit(project).pk}/record/")
    unfold(page)
    assert page.evaluate("getComputedStyle(document.body).margin") == "0px"  # CSS applied
    # Single column: the form fits the screen, nothing scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    problem = page.locator("#id_problems-0-category").bounding_box()
    severity = page.locator("#id_problems-0-severity").bounding_box()
    assert problem["y"] < severity["y"]  # stacked, not side by side

    _record_overdue_visit(page, project, action, phone=True)

    _assert_recorded(page, project, action)


def test_a_draft_is_saved_and_an_added_problem_row_keeps_the_input(page: Any, running: Any) -> None:
    project, _, member, _ = running
    visit = _overdue_visit(project)
    log_in(page, member.username)
    page.goto(f"/visits/{visit.pk}/record/")

    page.fill("#id_record-summary", "Half done")
    page.select_option("#id_problems-0-category", "schedule")
    page.fill("#id_problems-0-description", "First")
    page.get_by_test_id("add-problem").click()
    page.select_option("#id_problems-1-category", "scope")
    page.fill("#id_problems-1-description", "Second")
    page.get_by_test_id("save-draft").click()

    assert page.get_by_role("status").first.inner_text() == "Draft saved."
    assert page.input_value("#id_record-summary") == "Half done"
    record = VisitRecord.objects.get(visit=visit)
    assert sorted(record.problems.values_list("description", flat=True)) == ["First", "Second"]


def test_record_page_in_chinese(make_page: Any, running: Any) -> None:
    project, _, member, _ = running
    page = make_page(locale="zh-CN")
    log_in(page, member.username)

    page.goto(f"/visits/{_overdue_visit(project).pk}/record/")

    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.locator("h1").inner_text() == "记录回访"
    assert page.locator("#progress-heading").inner_text() == "1. 进度"
    assert page.get_by_test_id("submit-record").inner_text() == "提交（归档为只读）"


def test_photo_upload_on_the_record_page_keeps_what_was_typed(
    page: Any, running: Any, settings: Any, tmp_path: Path, assets: None
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    project, _, member, _ = running
    visit = _overdue_visit(project)
    log_in(page, member.username)
    page.goto(f"/visits/{visit.pk}/record/")
    page.fill("#id_record-summary", "Typed before the upload")

    page.set_input_files(
        "#id_file",
        files=[
            {
                "name": "site.png",
                "mimeType": "image/png",
                "buffer": b"\x89PNG\r\n\x1a\n" + b"0" * 32,
            }
        ],
    )
    page.get_by_role("button", name="Upload").click()

    assert page.get_by_test_id("attachment").inner_text().startswith("site.png")
    assert page.input_value("#id_record-summary") == "Typed before the upload"
