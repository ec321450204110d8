"""No lost writes on the pages: two people edit the same thing from the same loaded page.

Every edit form carries the version of the row it was built from. In each case of
``CASES`` both people load their page, the first saves, the second saves from the page
they loaded before: they get 409, their input is still in the form, and the database
keeps the first person's change. The 409 page carries the version now stored, so the
second person's deliberate second save goes through.

A new edit form joins by adding a function to ``CASES`` that builds its scenario.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from huifang.core.concurrency import EditConflict, lock_at_version, row_version
from huifang.core.models import Role, User
from huifang.customers.models import Customer
from huifang.insights.models import Review, Suggestion, TrainingAttendance
from huifang.insights.services import create_review, create_suggestion, create_training_session
from huifang.notify.models import EndpointKind, NotificationPreference, WebhookEndpoint
from huifang.policy.models import Policy, PolicyVersion
from huifang.policy.queries import version_in_force
from huifang.policy.services import create_policy_draft
from huifang.projects.models import Project
from huifang.projects.services import put_project_on_hold
from huifang.surveys.queries import current_questionnaire
from huifang.surveys.questionnaires import ensure_default_questionnaire
from huifang.visits.models import Visit, VisitRecord
from huifang.visits.recording import save_visit_record, submit_visit_record
from tests.factories import CustomerFactory, UserFactory
from tests.pages import loaded, submitted

pytestmark = pytest.mark.django_db

CONFLICT = "Someone else changed this while you were editing it."
NEXT_STEP = "Review the current values, then"


def client_for(user: User) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


@dataclass(frozen=True)
class Edit:
    """One person's edit: the page they load, the form on it (its action; empty for
    a form posting to the page) and what they type (``None`` unticks a checkbox)."""

    user: User
    page: str
    values: dict[str, str | None]
    action: str = ""

    @property
    def target(self) -> str:
        return self.action or self.page


@dataclass(frozen=True)
class Scenario:
    first: Edit
    second: Edit
    # What the database holds of the disputed values, and what each edit leaves there.
    stored: Callable[[], Any]
    after_first: Any
    after_second: Any
    # Statuses of a successful save (a redirect, unless the page says otherwise).
    saved: int = 302
    extra: dict[str, Any] = field(default_factory=dict)


def typed(data: dict[str, Any], values: dict[str, str | None]) -> dict[str, Any]:
    data = dict(data)
    for name, value in values.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = [value]
    return data


def second_admin() -> User:
    return UserFactory.create(username="admin2", role=Role.ADMIN, is_staff=True, is_superuser=True)


def _visit(project: Project) -> Visit:
    return project.visits.filter(status="planned").order_by("due_date").first()  # type: ignore[return-value]


def _project_status(project: Project) -> Callable[[], Any]:
    def stored() -> Any:
        fresh = Project.objects.get(pk=project.pk)
        return (fresh.description, fresh.status)

    return stored


def _project_description_edit(user: User, project: Project) -> Edit:
    return Edit(
        user, reverse("projects:edit", args=[project.pk]), {"description": "Changed by one"}
    )


# --- The scenarios ------------------------------------------------------------------------


def customer_edit(request: pytest.FixtureRequest) -> Scenario:
    project: Project = request.getfixturevalue("project")
    owner, quality = request.getfixturevalue("owner"), request.getfixturevalue("quality")
    page = reverse("customers:edit", args=[project.customer_id])
    return Scenario(
        first=Edit(owner, page, {"industry": "Steel"}),
        second=Edit(quality, page, {"industry": "Cement"}),
        stored=lambda: Customer.objects.get(pk=project.customer_id).industry,
        after_first="Steel",
        after_second="Cement",
    )


def project_edit(request: pytest.FixtureRequest) -> Scenario:
    project: Project = request.getfixturevalue("project")
    owner, quality = request.getfixturevalue("owner"), request.getfixturevalue("quality")
    page = reverse("projects:edit", args=[project.pk])
    return Scenario(
        first=Edit(owner, page, {"description": "Scope agreed"}),
        second=Edit(quality, page, {"description": "Scope widened"}),
        stored=lambda: Project.objects.get(pk=project.pk).description,
        after_first="Scope agreed",
        after_second="Scope widened",
    )


def project_hold(request: pytest.FixtureRequest) -> Scenario:
    project: Project = request.getfixturevalue("project")
    owner, quality = request.getfixturevalue("owner"), request.getfixturevalue("quality")
    page = reverse("projects:edit", args=[project.pk])
    return Scenario(
        first=_project_description_edit(owner, project),
        second=Edit(
            quality,
            page,
            {"hold-reason": "Customer audit"},
            action=reverse("projects:hold", args=[project.pk]),
        ),
        stored=_project_status(project),
        after_first=("Changed by one", "active"),
        after_second=("Changed by one", "on_hold"),
    )


def project_resume(request: pytest.FixtureRequest) -> Scenario:
    project: Project = request.getfixturevalue("project")
    owner, quality = request.getfixturevalue("owner"), request.getfixturevalue("quality")
    put_project_on_hold(project=project, reason="Waiting")
    page = reverse("projects:edit", args=[project.pk])
    return Scenario(
        first=_project_description_edit(owner, project),
        second=Edit(quality, page, {}, action=reverse("projects:resume", args=[project.pk])),
        stored=_project_status(project),
        after_first=("Changed by one", "on_hold"),
        after_second=("Changed by one", "active"),
    )


def project_complete(request: pytest.FixtureRequest) -> Scenario:
    project: Project = request.getfixturevalue("project")
    owner, quality = request.getfixturevalue("owner"), request.getfixturevalue("quality")
    page = reverse("projects:edit", args=[project.pk])
    return Scenario(
        first=_project_description_edit(owner, project),
        second=Edit(
            quality,
            page,
            {"complete-actual_end": "2026-08-28"},
            action=reverse("projects:complete", args=[project.pk]),
        ),
        stored=_project_status(project),
        after_first=("Changed by one", "active"),
        after_second=("Changed by one", "completed"),
    )


def project_cancel(request: pytest.FixtureRequest) -> Scenario:
    project: Project = request.getfixturevalue("project")
    owner, quality = request.getfixturevalue("owner"), request.getfixturevalue("quality")
    page = reverse("projects:edit", args=[project.pk])
    return Scenario(
        first=_project_description_edit(owner, project),
        second=Edit(quality, page, {}, action=reverse("projects:cancel", args=[project.pk])),
        stored=_project_status(project),
        after_first=("Changed by one", "active"),
        after_second=("Changed by one", "cancelled"),
    )


def visit_schedule(request: pytest.FixtureRequest) -> Scenario:
    project: Project = request.getfixturevalue("project")
    owner, quality = request.getfixturevalue("owner"), request.getfixturevalue("quality")
    visit = _visit(project)
    page = reverse("visits:schedule", args=[visit.pk])
    day = (timezone.localdate() + datetime.timedelta(days=7)).isoformat()

    def stored() -> str:
        scheduled = Visit.objects.get(pk=visit.pk).scheduled_at
        return timezone.localtime(scheduled).strftime("%H:%M") if scheduled else ""

    return Scenario(
        first=Edit(owner, page, {"scheduled_at": f"{day}T10:00", "form": "face_to_face"}),
        second=Edit(quality, page, {"scheduled_at": f"{day}T15:30", "form": "face_to_face"}),
        stored=stored,
        after_first="10:00",
        after_second="15:30",
    )


def visit_reassign(request: pytest.FixtureRequest) -> Scenario:
    project: Project = request.getfixturevalue("project")
    owner, quality = request.getfixturevalue("owner"), request.getfixturevalue("quality")
    colleague = request.getfixturevalue("colleague")
    visit = _visit(project)
    page = reverse("visits:reassign", args=[visit.pk])
    return Scenario(
        first=Edit(owner, page, {"owner": str(colleague.pk)}),
        second=Edit(quality, page, {"owner": str(owner.pk)}),
        stored=lambda: Visit.objects.get(pk=visit.pk).owner_id,
        after_first=colleague.pk,
        after_second=owner.pk,
    )


def visit_cancel(request: pytest.FixtureRequest) -> Scenario:
    project: Project = request.getfixturevalue("project")
    owner, quality = request.getfixturevalue("owner"), request.getfixturevalue("quality")
    colleague = request.getfixturevalue("colleague")
    visit = _visit(project)

    def stored() -> tuple[int | None, str]:
        fresh = Visit.objects.get(pk=visit.pk)
        return (fresh.owner_id, fresh.status)

    return Scenario(
        first=Edit(
            owner, reverse("visits:reassign", args=[visit.pk]), {"owner": str(colleague.pk)}
        ),
        second=Edit(
            quality, reverse("visits:cancel", args=[visit.pk]), {"reason": "Customer moved"}
        ),
        stored=stored,
        after_first=(colleague.pk, "planned"),
        after_second=(colleague.pk, "cancelled"),
    )


def record_amendment(request: pytest.FixtureRequest) -> Scenario:
    project: Project = request.getfixturevalue("project")
    owner, colleague = request.getfixturevalue("owner"), request.getfixturevalue("colleague")
    visit = _visit(project)
    draft = save_visit_record(
        visit=visit,
        recorded_by=colleague,
        fields={"summary": "Kickoff held"},
        problems=[],
        feedback=None,
        actions=[],
    )
    submit_visit_record(record=draft, submitted_by=colleague)
    page = reverse("visits:amend", args=[visit.pk])
    return Scenario(
        first=Edit(owner, page, {"summary": "Kickoff held on site", "reason": "Precision"}),
        second=Edit(colleague, page, {"summary": "Kickoff held online", "reason": "Typo"}),
        stored=lambda: VisitRecord.objects.get(pk=draft.pk).summary,
        after_first="Kickoff held on site",
        after_second="Kickoff held online",
    )


def _draft(request: pytest.FixtureRequest) -> PolicyVersion:
    policy: Policy = request.getfixturevalue("policy")
    return create_policy_draft(
        policy=policy, based_on=version_in_force(policy, on=timezone.localdate())
    )


def policy_draft(request: pytest.FixtureRequest) -> Scenario:
    draft = _draft(request)
    quality = request.getfixturevalue("quality")
    page = reverse("policy:edit_draft", args=[draft.pk])
    return Scenario(
        first=Edit(quality, page, {"reminder_lead_days": "4"}),
        second=Edit(request.getfixturevalue("admin_user"), page, {"reminder_lead_days": "5"}),
        stored=lambda: PolicyVersion.objects.get(pk=draft.pk).reminder_lead_days,
        after_first=4,
        after_second=5,
    )


def policy_publish(request: pytest.FixtureRequest) -> Scenario:
    draft = _draft(request)
    quality = request.getfixturevalue("quality")

    def stored() -> tuple[int, str]:
        fresh = PolicyVersion.objects.get(pk=draft.pk)
        return (fresh.reminder_lead_days, fresh.status)

    return Scenario(
        first=Edit(
            quality, reverse("policy:edit_draft", args=[draft.pk]), {"reminder_lead_days": "4"}
        ),
        second=Edit(
            request.getfixturevalue("admin_user"),
            reverse("policy:publish", args=[draft.pk]),
            {"effective_from": timezone.localdate().isoformat(), "change_note": "Sooner"},
        ),
        stored=stored,
        after_first=(4, "draft"),
        after_second=(4, "published"),
    )


def user_edit(request: pytest.FixtureRequest) -> Scenario:
    colleague: User = request.getfixturevalue("colleague")
    page = reverse("accounts:user_edit", args=[colleague.pk])
    return Scenario(
        first=Edit(request.getfixturevalue("admin_user"), page, {"department": "Sales"}),
        second=Edit(second_admin(), page, {"department": "Service"}),
        stored=lambda: User.objects.get(pk=colleague.pk).department,
        after_first="Sales",
        after_second="Service",
    )


def user_deactivate(request: pytest.FixtureRequest) -> Scenario:
    colleague: User = request.getfixturevalue("colleague")
    page = reverse("accounts:user_edit", args=[colleague.pk])

    def stored() -> tuple[str, bool]:
        fresh = User.objects.get(pk=colleague.pk)
        return (fresh.department, fresh.is_active)

    return Scenario(
        first=Edit(request.getfixturevalue("admin_user"), page, {"department": "Sales"}),
        second=Edit(
            second_admin(),
            page,
            {},
            action=reverse("accounts:user_deactivate", args=[colleague.pk]),
        ),
        stored=stored,
        after_first=("Sales", True),
        after_second=("Sales", False),
    )


def profile(request: pytest.FixtureRequest) -> Scenario:
    owner: User = request.getfixturevalue("owner")
    page = reverse("accounts:profile")
    # The same person in two browser tabs.
    return Scenario(
        first=Edit(owner, page, {"display_name": "Wang Fang"}),
        second=Edit(owner, page, {"display_name": "Fang Wang"}),
        stored=lambda: User.objects.get(pk=owner.pk).display_name,
        after_first="Wang Fang",
        after_second="Fang Wang",
    )


def notification_preferences(request: pytest.FixtureRequest) -> Scenario:
    owner: User = request.getfixturevalue("owner")
    page = reverse("notify:preferences")

    def stored() -> tuple[bool, bool]:
        preference = NotificationPreference.objects.filter(user=owner).first()
        return (preference.email, preference.webhook) if preference else (True, True)

    return Scenario(
        first=Edit(owner, page, {"email": None}),
        second=Edit(owner, page, {"webhook": None}),
        stored=stored,
        after_first=(False, True),
        after_second=(True, False),
    )


def webhook_endpoint(request: pytest.FixtureRequest) -> Scenario:
    endpoint = WebhookEndpoint.objects.create(
        name="Team chat", kind=EndpointKind.GENERIC, url="https://chat.example.com/hook"
    )
    page = reverse("notify:webhook_edit", args=[endpoint.pk])
    return Scenario(
        first=Edit(request.getfixturevalue("admin_user"), page, {"name": "Delivery chat"}),
        second=Edit(second_admin(), page, {"name": "Quality chat"}),
        stored=lambda: WebhookEndpoint.objects.get(pk=endpoint.pk).name,
        after_first="Delivery chat",
        after_second="Quality chat",
    )


def review_findings(request: pytest.FixtureRequest) -> Scenario:
    quality: User = request.getfixturevalue("quality")
    today = timezone.localdate()
    review = create_review(
        title="Q3 review",
        period_start=today - datetime.timedelta(days=90),
        period_end=today,
        created_by=quality,
    )
    page = reverse("insights:review", args=[review.pk])
    return Scenario(
        first=Edit(quality, page, {"findings": "Visits are late in June"}),
        second=Edit(
            request.getfixturevalue("admin_user"), page, {"findings": "Surveys go unanswered"}
        ),
        stored=lambda: Review.objects.get(pk=review.pk).findings,
        after_first="Visits are late in June",
        after_second="Surveys go unanswered",
    )


def suggestion_answer(request: pytest.FixtureRequest) -> Scenario:
    policy: Policy = request.getfixturevalue("policy")
    suggestion = create_suggestion(
        policy=policy, author=request.getfixturevalue("colleague"), text="Visit every week"
    )
    page = reverse("insights:suggestion_answer", args=[suggestion.pk])
    return Scenario(
        first=Edit(
            request.getfixturevalue("quality"),
            page,
            {"status": "adopted", "response": "From next month"},
        ),
        second=Edit(
            request.getfixturevalue("admin_user"),
            page,
            {"status": "declined", "response": "Too often for small projects"},
        ),
        stored=lambda: Suggestion.objects.get(pk=suggestion.pk).status,
        after_first="adopted",
        after_second="declined",
    )


def training_scores(request: pytest.FixtureRequest) -> Scenario:
    colleague: User = request.getfixturevalue("colleague")
    session = create_training_session(
        date=timezone.localdate(),
        topic="Recording a visit",
        trainer=None,
        scores={colleague: None},
    )
    page = reverse("insights:training", args=[session.pk])
    field_name = f"score_{colleague.pk}"
    return Scenario(
        first=Edit(request.getfixturevalue("quality"), page, {field_name: "80"}),
        second=Edit(request.getfixturevalue("admin_user"), page, {field_name: "65"}),
        stored=lambda: TrainingAttendance.objects.get(session=session, user=colleague).score,
        after_first=80,
        after_second=65,
    )


def questionnaire(request: pytest.FixtureRequest) -> Scenario:
    ensure_default_questionnaire()
    page = reverse("surveys:questionnaire_edit", args=["closing"])
    return Scenario(
        first=Edit(request.getfixturevalue("quality"), page, {"title_en": "After the project"}),
        second=Edit(request.getfixturevalue("admin_user"), page, {"title_en": "How did we do?"}),
        stored=lambda: current_questionnaire("closing").title_en,  # type: ignore[union-attr]
        after_first="After the project",
        after_second="How did we do?",
    )


CASES: dict[str, Callable[[pytest.FixtureRequest], Scenario]] = {
    "customer edit": customer_edit,
    "project edit": project_edit,
    "project hold": project_hold,
    "project resume": project_resume,
    "project complete": project_complete,
    "project cancel": project_cancel,
    "visit schedule": visit_schedule,
    "visit reassign": visit_reassign,
    "visit cancel": visit_cancel,
    "record amendment": record_amendment,
    "policy draft": policy_draft,
    "policy publish": policy_publish,
    "user edit": user_edit,
    "user deactivate": user_deactivate,
    "profile": profile,
    "notification preferences": notification_preferences,
    "webhook endpoint": webhook_endpoint,
    "review findings": review_findings,
    "suggestion answer": suggestion_answer,
    "training scores": training_scores,
    "questionnaire": questionnaire,
}


@pytest.mark.parametrize("build", CASES.values(), ids=CASES.keys())
def test_second_save_from_a_stale_page_conflicts_keeps_input_then_saves_on_purpose(
    build: Callable[[pytest.FixtureRequest], Scenario], request: pytest.FixtureRequest
) -> None:
    scenario = build(request)
    first, second = scenario.first, scenario.second
    one, two = client_for(first.user), client_for(second.user)
    # Both load their page before either saves.
    first_data = typed(loaded(one, first.page, action=first.action), first.values)
    second_data = typed(loaded(two, second.page, action=second.action), second.values)

    saved = one.post(first.target, first_data)
    assert saved.status_code == scenario.saved
    assert scenario.stored() == scenario.after_first

    refused = two.post(second.target, second_data)
    assert refused.status_code == 409
    page = refused.content.decode()
    assert CONFLICT in page
    assert NEXT_STEP in page
    assert scenario.stored() == scenario.after_first
    # The form comes back with what the second person typed ...
    again = submitted(refused, page=second.page, action=second.action)
    for name, value in second.values.items():
        assert again.get(name) == (None if value is None else [value]), name

    # ... and with the version now stored: saving again is deliberate, and succeeds.
    resaved = two.post(second.target, again)
    assert resaved.status_code == scenario.saved
    assert scenario.stored() == scenario.after_second


def test_a_page_loaded_before_versions_existed_is_refused_as_out_of_date(
    project: Project, owner: User
) -> None:
    client = client_for(owner)
    page = reverse("customers:edit", args=[project.customer_id])
    data = typed(loaded(client, page), {"industry": "Steel"})
    del data["version"]
    response = client.post(page, data)
    assert response.status_code == 200
    assert "This page is out of date: reload it and make your changes again." in (
        response.content.decode()
    )
    assert Customer.objects.get(pk=project.customer_id).industry != "Steel"


def test_the_conflict_is_explained_in_chinese(project: Project, owner: User, quality: User) -> None:
    page = reverse("customers:edit", args=[project.customer_id])
    one, two = client_for(owner), Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    two.force_login(quality)
    first = typed(loaded(one, page), {"industry": "Steel"})
    second = typed(loaded(two, page), {"industry": "Cement"})
    assert one.post(page, first).status_code == 302
    response = two.post(page, second)
    assert response.status_code == 409
    text = response.content.decode()
    assert "其他人在您编辑期间修改了此内容。" in text
    assert "请先核对当前的值，然后再次保存" in text


@pytest.mark.django_db(transaction=True)
def test_a_version_is_checked_only_inside_the_write_transaction() -> None:
    # Outside the transaction a lock would end before the write it is meant to guard.
    customer = CustomerFactory.create()
    with pytest.raises(RuntimeError):
        lock_at_version(Customer.objects, customer.pk, expected=None, version=row_version)


def test_a_stale_version_changes_nothing_and_names_the_conflict(project: Project) -> None:
    from django.db import transaction

    customer = Customer.objects.get(pk=project.customer_id)
    stale = row_version(customer, fields=["industry"])
    Customer.objects.filter(pk=customer.pk).update(industry="Changed elsewhere")
    with pytest.raises(EditConflict) as raised, transaction.atomic():
        lock_at_version(
            Customer.objects,
            customer.pk,
            expected=stale,
            version=lambda row: row_version(row, fields=["industry"]),
        )
    assert raised.value.code == "conflict"


def test_versions_follow_the_revision_else_the_stamp_and_values(project: Project) -> None:
    record_like = Review(findings="a")
    assert row_version(record_like, fields=["findings"]) != row_version(
        Review(findings="b"), fields=["findings"]
    )
    customer = Customer.objects.get(pk=project.customer_id)
    before = row_version(customer)
    customer.save()  # a new updated_at, same values
    assert row_version(customer) != before
    # Without a stamp the fields are required: a version over nothing would never change.
    with pytest.raises(ValueError, match="needs the fields its version covers"):
        row_version(Review(findings="a"))
