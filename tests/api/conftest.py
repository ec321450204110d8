"""A small world for API tests: one project with visits, a submitted and a draft
record, actions, a survey invitation and a notification; tokens per role."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from huifang.actions.models import ImprovementAction
from huifang.actions.services import create_action
from huifang.api.tokens import create_api_token
from huifang.core.models import User
from huifang.customers.models import Contact
from huifang.notify.models import Kind
from huifang.notify.services import notify
from huifang.policy.models import PolicyVersion
from huifang.projects.models import Project
from huifang.surveys.services import invite_contacts
from huifang.visits.models import Visit, VisitRecord
from huifang.visits.recording import save_visit_record, submit_visit_record
from tests.factories import ContactFactory


@dataclass
class World:
    project: Project
    contact: Contact
    contact2: Contact
    submitted_visit: Visit
    draft_visit: Visit
    free_visit: Visit
    submitted_record: VisitRecord
    draft_record: VisitRecord
    action: ImprovementAction
    version: PolicyVersion
    notification_id: int
    invitation_id: int


def _record(visit: Visit, user: User, summary: str) -> VisitRecord:
    return save_visit_record(
        visit=visit,
        recorded_by=user,
        fields={"summary": summary},
        problems=[],
        feedback=None,
        actions=[],
    )


@pytest.fixture
def world(project: Project, owner: User, colleague: User) -> World:
    contact: Contact = ContactFactory(customer=project.customer, name="Wang")  # type: ignore[assignment]
    contact2: Contact = ContactFactory(customer=project.customer, name="Zhao")  # type: ignore[assignment]
    visits = list(project.visits.order_by("due_date", "pk")[:3])
    submitted = _record(visits[0], colleague, "kickoff done")
    submitted = submit_visit_record(
        record=submitted, submitted_by=colleague, completed_on=visits[0].due_date
    )
    draft = _record(visits[1], colleague, "draft")
    action = create_action(
        project=project,
        description="Fix the reports",
        owner=colleague,
        due_date=timezone.localdate() + datetime.timedelta(days=10),
        created_by=owner,
    )
    invitation = invite_contacts(visit=visits[0], contacts=[contact], invited_by=owner)[0]
    notification = notify(
        recipient=owner, kind=Kind.ACTION_DUE_SOON, subject=action, occasion="test"
    )
    assert notification is not None
    return World(
        project=project,
        contact=contact,
        contact2=contact2,
        submitted_visit=visits[0],
        draft_visit=visits[1],
        free_visit=visits[2],
        submitted_record=submitted,
        draft_record=draft,
        action=action,
        version=PolicyVersion.objects.published().first(),  # type: ignore[arg-type]
        notification_id=notification.pk,
        invitation_id=invitation.invitation.pk,
    )


def bearer(user: User) -> dict[str, Any]:
    issued = create_api_token(user=user, name="test")
    return {"HTTP_AUTHORIZATION": f"Bearer {issued.raw}"}


class ApiClient:
    """A Django test client that speaks JSON with a bearer token."""

    def __init__(self, user: User | None) -> None:
        self.client = Client()
        self.headers = bearer(user) if user is not None else {}
        self.headers["HTTP_ACCEPT_LANGUAGE"] = "en"

    def call(
        self,
        method: str,
        url: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        query: dict[str, Any] | None = None,
    ) -> Any:
        extra = {
            **self.headers,
            **{f"HTTP_{k.upper().replace('-', '_')}": v for k, v in (headers or {}).items()},
        }
        handler = getattr(self.client, method.lower())
        if method == "GET":
            return handler(url, query or {}, **extra)
        import json

        return handler(url, json.dumps(body or {}), content_type="application/json", **extra)


@pytest.fixture
def api_as() -> Any:
    return ApiClient
