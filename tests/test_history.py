"""Audit history (issue 9, item 3): every business model keeps who changed what.

The ``project`` fixture (managed by ``owner``, ``colleague`` on the team) runs
2026-03-02 – 2026-08-31; its kickoff visit is due 2026-03-09. Today is 2026-04-20.
"""

from __future__ import annotations

import datetime
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.db.models import Model
from django.test import Client
from django.urls import reverse
from django.utils import translation
from simple_history.models import HistoricalChanges

from huifang.actions.models import ActionStatus, ImprovementAction
from huifang.actions.services import create_action, mark_action_done
from huifang.core.history import acting_as, history_of
from huifang.core.models import User
from huifang.customers.models import Contact, Customer
from huifang.customers.services import create_customer, update_customer
from huifang.projects.models import Membership, Project, ProjectHold
from huifang.projects.services import put_project_on_hold, resume_project, update_project
from huifang.visits.lifecycle import reassign_visit
from huifang.visits.models import Visit, VisitRecord, VisitStatus
from huifang.visits.recording import amend_visit_record, save_visit_record, submit_visit_record
from tests.pages import form_version

SHANGHAI = ZoneInfo("Asia/Shanghai")
TRACKED = {
    "customers.Customer",
    "customers.Contact",
    "projects.Project",
    "projects.Membership",
    "projects.ProjectHold",
    "policy.PolicyVersion",
    "policy.VisitRule",
    "policy.CompanyDay",
    "policy.NationalYear",
    "visits.Visit",
    "visits.VisitRecord",
    "visits.Problem",
    "visits.Feedback",
    "actions.ImprovementAction",
    "actions.ActionVerification",
    "surveys.SurveyInvitation",
    "insights.Review",
    "insights.Suggestion",
    "notify.WebhookEndpoint",
}


@pytest.fixture(autouse=True)
def _today(time_machine: Any) -> None:
    time_machine.move_to(datetime.datetime(2026, 4, 20, 10, 0, tzinfo=SHANGHAI), tick=False)


def _kickoff(project: Project) -> Visit:
    return project.visits.get(phase="kickoff", sequence=1)


def _save(visit: Visit, user: User, **fields: Any) -> VisitRecord:
    return save_visit_record(
        visit=visit,
        recorded_by=user,
        fields=fields,
        problems=[{"category": "schedule", "description": "Late test data"}],
        feedback={"overall_satisfaction": 4},
        actions=[],
    )


def _latest(instance: Model) -> Any:
    manager: Any = type(instance).history  # type: ignore[attr-defined]
    return manager.filter(id=instance.pk).order_by("-history_date", "-history_id").first()


def _history_users(instance: Model) -> list[str | None]:
    manager: Any = type(instance).history  # type: ignore[attr-defined]
    rows = manager.filter(id=instance.pk).order_by("history_date", "history_id")
    return [row.history_user.username if row.history_user else None for row in rows]


def test_history_tracks_exactly_the_business_models() -> None:
    tracked = {
        model._meta.label
        for model in apps.get_models()
        if model._meta.label.startswith(
            ("customers.", "projects.", "policy.", "visits.", "actions.", "surveys.")
        )
        or model._meta.app_label in {"insights", "notify"}
        if hasattr(model, "history") and not issubclass(model, HistoricalChanges)
    }

    assert tracked == TRACKED


def test_customer_and_contact_changes_record_the_acting_user(owner: User) -> None:
    with acting_as(owner):
        customer = create_customer(
            name="Acme", contacts=[(None, {"name": "Li Wei", "is_primary": True})]
        )
        update_customer(customer=customer, name="Acme Ltd")

    assert _history_users(customer) == ["owner", "owner"]
    contact = Contact.objects.get(customer=customer)
    # Saved twice by the service: created, then made the primary contact.
    assert _history_users(contact) == ["owner", "owner"]
    with translation.override("en"):
        assert [change.field for change in history_of(customer)[0].changes] == ["name"]


def test_project_hold_and_team_changes_record_the_acting_user(
    project: Project, owner: User, quality: User
) -> None:
    with acting_as(owner):
        project, _plan = put_project_on_hold(project=project, reason="Customer audit")
        project, _plan = resume_project(project=project)
        update_project(project=project, name="ERP rollout phase 1")

    assert _latest(project).history_user == owner
    hold = ProjectHold.objects.get(project=project)
    assert _history_users(hold) == ["owner", "owner"]
    assert _latest(hold).ended_on == datetime.date(2026, 4, 20)
    membership = Membership.objects.get(project=project)
    # The fixture's team was set outside any request or acting_as: no author.
    assert _history_users(membership) == [None]


def test_record_save_submit_and_amend_record_the_acting_users(
    project: Project, owner: User, colleague: User
) -> None:
    visit = _kickoff(project)
    record = _save(visit, colleague, summary="First draft")
    record = _save(visit, colleague, summary="Second draft")
    record = submit_visit_record(
        record=record, submitted_by=colleague, completed_on=datetime.date(2026, 3, 9)
    )
    amend_visit_record(record=record, amended_by=owner, reason="Typo", changes={"summary": "Final"})

    assert _history_users(record) == ["colleague", "colleague", "colleague", "owner"]
    assert [
        row.summary for row in VisitRecord.history.filter(id=record.pk).order_by("history_id")
    ] == [
        "First draft",
        "Second draft",
        "Second draft",
        "Final",
    ]
    assert _latest(visit).history_user == colleague
    assert _latest(visit).status == VisitStatus.DONE
    with translation.override("en"):
        changes = history_of(record)[0].changes
    assert [(change.field, change.old, change.new) for change in changes] == [
        ("summary", "Second draft", "Final")
    ]


def test_record_created_inside_a_request_context_has_its_author(
    project: Project, colleague: User
) -> None:
    with acting_as(colleague):
        record = _save(_kickoff(project), colleague)

    assert _history_users(record) == ["colleague"]
    assert _history_users(record.problems.get()) == ["colleague"]
    assert _history_users(record.feedback.get()) == ["colleague"]


def test_action_status_change_records_the_acting_user(project: Project, owner: User) -> None:
    with acting_as(owner):
        action = create_action(
            project=project,
            description="Weekly report",
            owner=owner,
            due_date=datetime.date(2026, 5, 1),
            created_by=owner,
        )
        mark_action_done(action=action, note="Sent")

    rows = ImprovementAction.history.filter(id=action.pk).order_by("history_id")
    assert [(row.status, row.history_user) for row in rows] == [
        (ActionStatus.OPEN, owner),
        (ActionStatus.DONE, owner),
    ]


def test_action_done_page_records_the_signed_in_user(
    client: Client, project: Project, owner: User
) -> None:
    action = create_action(
        project=project,
        description="Weekly report",
        owner=owner,
        due_date=datetime.date(2026, 5, 1),
        created_by=owner,
    )
    client.force_login(owner)

    response = client.post(
        reverse("actions:done", args=[action.pk]),
        {"done-note": "Sent", "done-done_on": "", "done-revision": action.revision},
    )

    assert response.status_code == 302
    assert _latest(action).history_user == owner
    assert _latest(action).status == ActionStatus.DONE


def test_deleting_a_project_keeps_its_history(project: Project, owner: User) -> None:
    with acting_as(owner):
        update_project(project=project, name="Renamed")
    project_id = project.pk
    visit_ids = list(project.visits.values_list("pk", flat=True))

    Project.objects.filter(pk=project_id).delete()

    assert [
        row.history_type for row in Project.history.filter(id=project_id).order_by("history_id")
    ] == ["+", "~", "-"]
    assert Visit.history.filter(id__in=visit_ids, history_type="-").count() == len(visit_ids)


def test_project_page_shows_who_changed_what(client: Client, project: Project, owner: User) -> None:
    client.force_login(owner)
    version = form_version(client, reverse("projects:edit", args=[project.pk]))
    client.post(
        reverse("projects:hold", args=[project.pk]),
        {"hold-reason": "Customer audit", "hold-version": version},
    )

    response = client.get(reverse("projects:detail", args=[project.pk]))

    entries = response.context["audit_history"]
    assert (entries[0].user, entries[0].type) == (owner, "~")
    assert [(c.field, c.old, c.new) for c in entries[0].changes] == [
        ("状态", "进行中", "暂停")  # the user's language (Simplified Chinese)
    ]
    assert 'data-testid="audit-history"' in response.content.decode()


def test_project_history_is_fresh_and_in_the_readers_language(
    client: Client, project: Project, owner: User
) -> None:
    client.force_login(owner)
    url = reverse("projects:detail", args=[project.pk])
    client.get(url)  # seen (and kept) before the change
    version = form_version(client, reverse("projects:edit", args=[project.pk]))
    client.post(
        reverse("projects:hold", args=[project.pk]),
        {"hold-reason": "Customer audit", "hold-version": version},
    )
    chinese = client.get(url).context["audit_history"][0].changes
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").context["audit_history"][0].changes
    assert [(c.field, c.old, c.new) for c in chinese] == [("状态", "进行中", "暂停")]
    assert [(c.field, c.old, c.new) for c in english] == [("status", "Active", "On hold")]


def test_customer_page_shows_its_history(client: Client, owner: User, admin_user: User) -> None:
    with acting_as(admin_user):
        customer = create_customer(name="Acme")
    client.force_login(admin_user)

    response = client.get(reverse("customers:detail", args=[customer.pk]))

    assert [(entry.user, entry.type) for entry in response.context["audit_history"]] == [
        (admin_user, "+")
    ]
    assert isinstance(customer, Customer)


def _history_lines(client: Client, url: str, language: str) -> list[str]:
    """The visible text of each history entry of a page (changes included)."""
    html = client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()
    section = html.split('data-testid="audit-history"', 1)[1].split("</section>", 1)[0]
    entries = section.split('data-testid="history-entry"')[1:]
    bodies = [re.sub(r"<[^>]*$", "", entry.split(">", 1)[1]) for entry in entries]
    return [" ".join(re.sub(r"<[^>]+>", " ", body).split()) for body in bodies]


def test_history_shows_moments_dates_and_people_as_a_person_reads_them(
    client: Client, project: Project, owner: User, colleague: User
) -> None:
    """Not "2026-04-20 02:00:00+00:00" or an owner's id: the organisation's time, the
    reader's date format, the person's name; and a visit's first recorded change (the
    planner writes no history) lists what it set instead of an empty "changed"."""
    visit = _kickoff(project)
    with acting_as(owner):
        visit = reassign_visit(visit=visit, owner=colleague)
        reassign_visit(visit=visit, owner=owner)
    record = _save(visit, colleague, summary="Draft")
    submit_visit_record(
        record=record, submitted_by=colleague, completed_on=datetime.date(2026, 3, 9)
    )
    client.force_login(owner)
    url = reverse("visits:detail", args=[visit.pk])

    english = _history_lines(client, url, "en")
    chinese = _history_lines(client, url, "zh-hans")

    assert any("submitted at: — → 20 Apr 2026 10:00" in line for line in english), english
    assert any("提交时间: — → 2026-04-20 10:00" in line for line in chinese), chinese
    assert any("completed on: — → 9 Mar 2026" in line for line in english), english
    assert any("owner: colleague → owner" in line for line in english), english
    assert not any("+00:00" in line or line.endswith("changed") for line in english), english
    (first,) = [line for line in english if "phase: Kickoff" in line]
    assert "owner · changed" in first, first
    assert "due date: 9 Mar 2026" in first, first
    assert "owner: colleague" in first, first


def test_history_leaves_out_changes_of_bookkeeping_fields_only(
    project: Project, owner: User
) -> None:
    visit = _kickoff(project)
    with acting_as(owner):
        reassign_visit(visit=visit, owner=owner)  # the same owner: nothing a reader sees
        reassign_visit(visit=visit, owner=owner)
    with translation.override("en"):
        entries = history_of(visit)
    assert [(entry.kind, bool(entry.changes)) for entry in entries] == [("changed", True)]
