"""Browser test of an edit conflict: two people change the same customer from pages
they opened at the same time. The second is told, keeps what they typed and saves it
on purpose with a second click."""

from __future__ import annotations

from typing import Any

import pytest

from huifang.core.models import User
from huifang.customers.models import Customer
from huifang.projects.models import Project
from huifang.visits.models import VisitRecord
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_second_editor_sees_the_conflict_keeps_input_and_saves_again(
    make_page: Any, project: Project, owner: User, quality: User
) -> None:
    first, second = make_page(), make_page()
    log_in(first, owner.username)
    log_in(second, quality.username)
    edit = f"/customers/{project.customer_id}/edit/"
    first.goto(edit)
    second.goto(edit)

    first.fill("#id_industry", "Steel")
    first.get_by_role("button", name="Save").click()
    first.wait_for_url(f"**/customers/{project.customer_id}/")

    second.fill("#id_industry", "Cement")
    second.get_by_role("button", name="Save").click()
    alert = second.get_by_role("alert").first
    assert "Someone else changed this while you were editing it." in alert.inner_text()
    assert "Saved now: Industry: “Steel”." in alert.inner_text()
    assert second.input_value("#id_industry") == "Cement"
    assert Customer.objects.get(pk=project.customer_id).industry == "Steel"

    second.get_by_role("button", name="Save").click()
    second.wait_for_url(f"**/customers/{project.customer_id}/")
    assert Customer.objects.get(pk=project.customer_id).industry == "Cement"


def test_second_first_draft_of_a_visit_record_is_refused_and_keeps_input(
    make_page: Any, project: Project, owner: User, colleague: User
) -> None:
    """Two people open the record form of a visit that has no record yet; the one who
    saves second is told and keeps what they typed, and the first draft survives."""
    visit = project.visits.get(phase="kickoff", sequence=1)
    first, second = make_page(), make_page()
    log_in(first, owner.username)
    log_in(second, colleague.username)
    first.goto(f"/visits/{visit.pk}/record/")
    second.goto(f"/visits/{visit.pk}/record/")

    first.fill("#id_record-summary", "The owner's notes")
    first.get_by_test_id("save-draft").click()
    assert first.get_by_role("status").first.inner_text() == "Draft saved."

    second.fill("#id_record-summary", "The colleague's notes")
    second.get_by_test_id("save-draft").click()
    alert = second.get_by_test_id("form-errors")
    assert "Someone else saved this record in the meantime." in alert.inner_text()
    assert "Saved now: Summary: “The owner's notes”." in alert.inner_text()
    assert second.input_value("#id_record-summary") == "The colleague's notes"
    assert VisitRecord.objects.get(visit=visit).summary == "The owner's notes"

    second.get_by_test_id("save-draft").click()  # now on purpose
    assert second.get_by_role("status").first.inner_text() == "Draft saved."
    assert VisitRecord.objects.get(visit=visit).summary == "The colleague's notes"
