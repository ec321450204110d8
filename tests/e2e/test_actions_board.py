"""Browser test of the improvement actions: a member opens the board, notes progress on
the action they own and marks it done; the board shows it awaiting verification."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from huifang.actions.models import ActionStatus, ImprovementAction
from huifang.actions.services import create_action
from huifang.core.models import User
from huifang.projects.models import Project
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_member_updates_progress_and_marks_action_done_from_the_board(
    page: Any, project: Project, colleague: User, owner: User
) -> None:
    action = create_action(
        project=project,
        description="Send weekly status reports",
        owner=colleague,
        due_date=timezone.localdate() + datetime.timedelta(days=10),
        created_by=owner,
    )
    log_in(page, colleague.username)

    page.goto("/")
    page.get_by_role("link", name="Actions").first.click()
    page.wait_for_url("**/actions/")
    open_column = page.get_by_test_id("column-open")
    assert open_column.get_by_test_id("column-count").inner_text() == "1"
    open_column.get_by_role("link", name="Send weekly status reports").click()

    page.wait_for_url(f"**/actions/{action.pk}/")
    page.fill("#id_progress-note", "Two reports sent so far")
    page.get_by_role("button", name="Save progress").click()
    page.wait_for_url(f"**/actions/{action.pk}/")
    assert page.get_by_test_id("action-status").inner_text() == "In progress"
    assert page.get_by_test_id("progress-note").inner_text() == "Two reports sent so far"

    page.fill("#id_done-note", "Reports go out every Friday")
    page.get_by_role("button", name="Mark done").click()
    page.wait_for_url(f"**/actions/{action.pk}/")
    assert page.get_by_test_id("action-status").inner_text() == "Done, awaiting verification"
    assert page.get_by_test_id("done-form").count() == 0

    page.goto("/actions/")
    done_column = page.get_by_test_id("column-done")
    assert done_column.get_by_test_id("action-card").count() == 1
    assert page.get_by_test_id("column-open").get_by_test_id("action-card").count() == 0
    action.refresh_from_db()
    assert (action.status, action.done_note) == (
        ActionStatus.DONE,
        "Reports go out every Friday",
    )
    assert ImprovementAction.objects.count() == 1
