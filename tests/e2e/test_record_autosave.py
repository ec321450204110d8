"""The record form saves itself as a draft (static/huifang/record-autosave.js): after
typing, and when the page is left; a stale autosave never overwrites another person's
draft, and the page says so."""

from __future__ import annotations

import time
from typing import Any

import pytest

from huifang.core.models import User
from huifang.projects.models import Project
from huifang.visits.models import Visit, VisitRecord
from huifang.visits.recording import save_visit_record
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.django_db(transaction=True)


def _open_form(page: Any, visit: Visit, seconds: str = "1") -> None:
    page.goto(f"/visits/{visit.pk}/record/")
    page.wait_for_load_state("load")
    # The page waits 30 s after a change; a test need not.
    page.eval_on_selector("#autosave-status", f"el => el.dataset.seconds = '{seconds}'")


def _stored(visit: Visit, check: Any, timeout: float = 20.0) -> VisitRecord:
    """The visit's record once ``check(record)`` holds (the save is in the background)."""
    deadline = time.monotonic() + timeout
    while True:
        record = VisitRecord.objects.filter(visit=visit).first()
        if record is not None and check(record):
            return record
        if time.monotonic() > deadline:
            raise AssertionError(f"draft not stored: {record and record.summary!r}")
        time.sleep(0.2)


def _visit(project: Project) -> Visit:
    return project.visits.get(phase="ongoing", sequence=1)


def test_typing_stores_the_draft_in_the_background(
    page: Any, running: tuple[Project, User, User, Any], assets: None
) -> None:
    project, _, member, _ = running
    visit = _visit(project)
    log_in(page, member.username)
    _open_form(page, visit)

    page.select_option("#id_problems-0-category", "quality")
    page.fill("#id_problems-0-description", "Scanner drops reads")
    page.fill("#id_record-summary", "Went well")
    status = page.get_by_test_id("autosave-status")
    status.filter(has_text="Draft saved automatically").wait_for()
    first = _stored(visit, lambda record: record.summary == "Went well")
    problem = first.problems.get()
    page.fill("#id_record-summary", "Went well, mostly")
    page.wait_for_function(
        "rev => document.querySelector('[name=record-revision]').value !== rev",
        arg=str(first.revision),
    )
    second = _stored(visit, lambda record: record.summary == "Went well, mostly")

    assert page.input_value("[name=problems-0-id]") == str(problem.pk)
    assert list(second.problems.values_list("pk", flat=True)) == [problem.pk]
    assert second.revision == first.revision + 1
    # The Save button then carries the autosave's revision: no conflict.
    page.get_by_test_id("save-draft").click()
    page.get_by_text("Draft saved.").wait_for()
    assert VisitRecord.objects.get(visit=visit).summary == "Went well, mostly"


def test_leaving_the_page_stores_the_draft(
    page: Any, running: tuple[Project, User, User, Any], assets: None
) -> None:
    project, _, member, _ = running
    visit = _visit(project)
    log_in(page, member.username)
    _open_form(page, visit, seconds="600")

    page.fill("#id_record-work_completed", "Inventory module live")
    page.get_by_role("link", name="Back to the visit").click()
    page.wait_for_url(f"**/visits/{visit.pk}/")

    record = _stored(visit, lambda record: record.work_completed == "Inventory module live")
    assert record.status == "draft"


def test_stale_autosave_leaves_the_other_draft_and_says_so(
    page: Any, running: tuple[Project, User, User, Any], assets: None
) -> None:
    project, manager, member, _ = running
    visit = _visit(project)
    log_in(page, member.username)
    _open_form(page, visit)
    save_visit_record(
        visit=visit,
        recorded_by=manager,
        fields={"summary": "The manager's draft"},
        problems=[],
        feedback=None,
        actions=[],
    )

    page.fill("#id_record-summary", "The member's text")
    page.get_by_test_id("autosave-status").filter(
        has_text="Someone else saved this record in the meantime"
    ).wait_for()

    time.sleep(1.5)  # no further background save follows
    assert VisitRecord.objects.get(visit=visit).summary == "The manager's draft"
    assert page.input_value("#id_record-summary") == "The member's text"
