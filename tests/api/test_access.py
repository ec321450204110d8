"""Access rules for every endpoint, generated from the API's own schema.

``CASES`` names every operation of the OpenAPI schema with a request that should
succeed for the project's manager, and the status the outsider and the executive
get. ``test_every_endpoint_has_a_case`` fails when an endpoint is added without a
case, so no endpoint can slip through untested."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.utils import timezone

from huifang.api.api import api
from huifang.core.models import User
from tests.api.conftest import World

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
SOON = (TODAY + datetime.timedelta(days=20)).isoformat()


@dataclass(frozen=True)
class Case:
    path: Callable[[World], dict[str, int]] = lambda w: {}
    body: Callable[[World, User | None], Any] = lambda w, u: None
    query: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    outsider: int = 200  # what a member outside the project gets
    executive: int = 200  # what the read-only executive gets
    owner: int = 200  # the project's manager


def _pid(w: World) -> dict[str, int]:
    return {"project_id": w.project.pk}


CASES: dict[str, Case] = {
    "GET /api/v1/customers": Case(),
    "POST /api/v1/customers": Case(
        body=lambda w, u: {"name": "New customer"}, outsider=403, executive=403, owner=201
    ),
    "GET /api/v1/customers/{customer_id}": Case(
        path=lambda w: {"customer_id": w.project.customer_id}, outsider=404
    ),
    "PATCH /api/v1/customers/{customer_id}": Case(
        path=lambda w: {"customer_id": w.project.customer_id},
        body=lambda w, u: {"industry": "Retail"},
        headers={"If-Match": "*"},
        outsider=404,
        executive=403,
    ),
    "GET /api/v1/customers/{customer_id}/contacts": Case(
        path=lambda w: {"customer_id": w.project.customer_id}, outsider=404
    ),
    "POST /api/v1/customers/{customer_id}/contacts": Case(
        path=lambda w: {"customer_id": w.project.customer_id},
        body=lambda w, u: {"name": "Li", "email": "li@example.com"},
        outsider=404,
        executive=403,
        owner=201,
    ),
    "PATCH /api/v1/contacts/{contact_id}": Case(
        path=lambda w: {"contact_id": w.contact.pk},
        body=lambda w, u: {"title": "CTO", "is_primary": True},
        headers={"If-Match": "*"},
        outsider=404,
        executive=403,
    ),
    "GET /api/v1/projects": Case(),
    "POST /api/v1/projects": Case(
        body=lambda w, u: {
            "code": "P-NEW",
            "name": "New",
            "customer_id": w.project.customer_id,
            "planned_start": SOON,
        },
        outsider=403,
        executive=403,
        owner=201,
    ),
    "GET /api/v1/projects/{project_id}": Case(path=_pid, outsider=404),
    "PATCH /api/v1/projects/{project_id}": Case(
        path=_pid,
        body=lambda w, u: {"description": "Phase 2"},
        headers={"If-Match": "*"},
        outsider=404,
        executive=403,
    ),
    "GET /api/v1/policy/versions": Case(),
    "GET /api/v1/policy/versions/{version_id}": Case(path=lambda w: {"version_id": w.version.pk}),
    "GET /api/v1/visits": Case(),
    "POST /api/v1/visits": Case(
        body=lambda w, u: {
            "project_id": w.project.pk,
            "due_date": SOON,
            "owner_id": w.project.manager_id,
        },
        outsider=404,
        executive=403,
        owner=201,
    ),
    "GET /api/v1/visits/{visit_id}": Case(
        path=lambda w: {"visit_id": w.free_visit.pk}, outsider=404
    ),
    "PATCH /api/v1/visits/{visit_id}": Case(
        path=lambda w: {"visit_id": w.free_visit.pk},
        body=lambda w, u: {"owner_id": w.project.manager_id},
        headers={"If-Match": "*"},
        outsider=404,
        executive=403,
    ),
    "POST /api/v1/visits/{visit_id}/schedule": Case(
        path=lambda w: {"visit_id": w.free_visit.pk},
        body=lambda w, u: {"scheduled_at": f"{SOON}T10:00:00+08:00", "form": "phone"},
        outsider=404,
        executive=403,
    ),
    "POST /api/v1/visits/{visit_id}/cancel": Case(
        path=lambda w: {"visit_id": w.free_visit.pk},
        body=lambda w, u: {"reason": "Customer asked"},
        outsider=404,
        executive=403,
    ),
    "GET /api/v1/records": Case(),
    "GET /api/v1/records/{record_id}": Case(
        path=lambda w: {"record_id": w.submitted_record.pk}, outsider=404
    ),
    "PUT /api/v1/visits/{visit_id}/record": Case(
        path=lambda w: {"visit_id": w.free_visit.pk},
        body=lambda w, u: {"summary": "Went well", "percent_complete": 30},
        outsider=404,
        executive=403,
    ),
    "POST /api/v1/records/{record_id}/submit": Case(
        path=lambda w: {"record_id": w.draft_record.pk},
        body=lambda w, u: {"revision": w.draft_record.revision},
        outsider=404,
        executive=403,
    ),
    "POST /api/v1/records/{record_id}/amend": Case(
        path=lambda w: {"record_id": w.submitted_record.pk},
        body=lambda w, u: {
            "revision": w.submitted_record.revision,
            "reason": "Typo",
            "changes": {"summary": "Kickoff done, plan agreed"},
        },
        outsider=404,
        executive=403,
    ),
    "GET /api/v1/actions": Case(),
    "POST /api/v1/actions": Case(
        body=lambda w, u: {
            "project_id": w.project.pk,
            "description": "Weekly status mail",
            "owner_id": w.action.owner_id,
            "due_date": SOON,
        },
        outsider=404,
        executive=403,
        owner=201,
    ),
    "GET /api/v1/actions/{action_id}": Case(
        path=lambda w: {"action_id": w.action.pk}, outsider=404
    ),
    "PATCH /api/v1/actions/{action_id}": Case(
        path=lambda w: {"action_id": w.action.pk},
        body=lambda w, u: {"revision": w.action.revision, "note": "Started"},
        outsider=404,
        executive=403,
    ),
    "POST /api/v1/actions/{action_id}/done": Case(
        path=lambda w: {"action_id": w.action.pk},
        body=lambda w, u: {"revision": w.action.revision, "note": "Done"},
        outsider=404,
        executive=403,
    ),
    "POST /api/v1/actions/{action_id}/verify": Case(
        path=lambda w: {"action_id": w.action.pk},
        body=lambda w, u: {"record_id": w.draft_record.pk, "result": "not_yet"},
        outsider=404,
        executive=403,
    ),
    "GET /api/v1/surveys/invitations": Case(),
    "GET /api/v1/surveys/invitations/{invitation_id}": Case(
        path=lambda w: {"invitation_id": w.invitation_id}, outsider=404
    ),
    "POST /api/v1/surveys/invitations": Case(
        body=lambda w, u: {"visit_id": w.free_visit.pk, "contact_ids": [w.contact2.pk]},
        outsider=404,
        executive=403,
        owner=201,
    ),
    "GET /api/v1/notifications": Case(),
    # Notifications are personal: anybody else's answers 404.
    "POST /api/v1/notifications/{notification_id}/read": Case(
        path=lambda w: {"notification_id": w.notification_id}, outsider=404, executive=404
    ),
    "POST /api/v1/notifications/read-all": Case(),
    "GET /api/v1/metrics/summary": Case(query={"date_from": "2026-01-01", "date_to": "2026-12-31"}),
}


def _operations() -> list[str]:
    schema = api.get_openapi_schema()
    return sorted(
        f"{method.upper()} {path}"
        for path, methods in schema["paths"].items()
        for method in methods
    )


def test_every_endpoint_has_a_case() -> None:
    assert sorted(CASES) == _operations()


def _call(api_as: Any, user: User | None, operation: str, world: World) -> Any:
    case = CASES[operation]
    method, template = operation.split(" ", 1)
    url = template.format(**case.path(world))
    return api_as(user).call(
        method, url, body=case.body(world, user), headers=case.headers, query=case.query
    )


@pytest.mark.parametrize("operation", sorted(CASES))
def test_anonymous_gets_401(operation: str, world: World, api_as: Any) -> None:
    response = _call(api_as, None, operation, world)
    assert (response.status_code, response.json()) == (401, {"detail": "Unauthorized"})


@pytest.mark.parametrize("operation", sorted(CASES))
def test_outsider_status(operation: str, world: World, outsider: User, api_as: Any) -> None:
    response = _call(api_as, outsider, operation, world)
    assert response.status_code == CASES[operation].outsider, response.content


@pytest.mark.parametrize("operation", sorted(CASES))
def test_executive_status(operation: str, world: World, executive: User, api_as: Any) -> None:
    response = _call(api_as, executive, operation, world)
    assert response.status_code == CASES[operation].executive, response.content


@pytest.mark.parametrize("operation", sorted(CASES))
def test_owner_succeeds(operation: str, world: World, owner: User, api_as: Any) -> None:
    response = _call(api_as, owner, operation, world)
    assert response.status_code == CASES[operation].owner, response.content
