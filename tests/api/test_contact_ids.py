"""Contacts named by id in request bodies: an unknown id and another customer's
contact get the same answer (400, one message) and change nothing, wherever a body
names contacts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from huifang.core.models import User
from huifang.projects.models import Project
from huifang.surveys.models import SurveyInvitation
from huifang.visits.models import Visit, VisitRecord
from tests.api.conftest import World
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db

UNKNOWN = 2_000_000_000


# (method, url, body naming the contact id, the field in the message, what must not change)
Endpoint = tuple[str, Callable[[World], str], Callable[[World, int], dict[str, Any]], str]

ENDPOINTS: dict[str, Endpoint] = {
    "record feedback respondent": (
        "PUT",
        lambda w: f"/api/v1/visits/{w.free_visit.pk}/record",
        lambda w, cid: {"summary": "Went well", "feedback": {"respondent_id": cid}},
        "feedback.respondent_id",
    ),
    "visit schedule": (
        "POST",
        lambda w: f"/api/v1/visits/{w.free_visit.pk}/schedule",
        lambda w, cid: {
            "scheduled_at": "2026-12-20T10:00:00+08:00",
            "form": "phone",
            "contact_ids": [w.contact.pk, cid],
        },
        "contact_ids",
    ),
    "project default contacts": (
        "POST",
        lambda w: "/api/v1/projects",
        lambda w, cid: {
            "code": "P-NEW",
            "name": "New",
            "customer_id": w.project.customer_id,
            "planned_start": "2026-12-20",
            "default_contact_ids": [w.contact.pk, cid],
        },
        "default_contact_ids",
    ),
    "survey invitation": (
        "POST",
        lambda w: "/api/v1/surveys/invitations",
        lambda w, cid: {"visit_id": w.free_visit.pk, "contact_ids": [cid]},
        "contact_ids",
    ),
}


def _state() -> tuple[int, int, int, list[str]]:
    return (
        VisitRecord.objects.count(),
        Project.objects.count(),
        SurveyInvitation.objects.count(),
        sorted(Visit.objects.values_list("status", flat=True)),
    )


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
def test_unknown_and_foreign_contact_ids_get_the_same_answer(
    endpoint: str, world: World, owner: User, api_as: Any
) -> None:
    method, url, body, field = ENDPOINTS[endpoint]
    foreign = ContactFactory.create()  # a contact of another customer
    assert foreign.customer_id != world.project.customer_id
    client = api_as(owner)
    before = _state()
    unknown = client.call(method, url(world), body(world, UNKNOWN))
    other = client.call(method, url(world), body(world, foreign.pk))
    expected = {"detail": f"{field}: no such contact of the project's customer."}
    assert (unknown.status_code, unknown.json()) == (400, expected)
    assert (other.status_code, other.json()) == (400, expected)
    assert _state() == before
