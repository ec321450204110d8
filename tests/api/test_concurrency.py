"""Stale writes answer 409 and change nothing: visits, projects, customers and
contacts (ETag / If-Match, one rule: api/etags.py), records and actions (revision)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from huifang.core.models import User
from huifang.customers.models import Contact, Customer
from huifang.customers.services import update_contact, update_customer
from huifang.projects.models import Project
from huifang.projects.services import update_project
from tests.api.conftest import World

pytestmark = pytest.mark.django_db


def test_visit_patch_with_stale_etag_gets_409_and_changes_nothing(
    world: World, owner: User, colleague: User, api_as: Any
) -> None:
    client = api_as(owner)
    url = f"/api/v1/visits/{world.free_visit.pk}"
    etag = client.call("GET", url)["ETag"]
    first = client.call("PATCH", url, {"owner_id": colleague.pk}, headers={"If-Match": etag})
    second = client.call("PATCH", url, {"owner_id": owner.pk}, headers={"If-Match": etag})
    world.free_visit.refresh_from_db()
    assert (first.status_code, second.status_code) == (200, 409)
    assert first["ETag"] != etag
    assert world.free_visit.owner_id == colleague.pk
    assert "detail" in second.json()


def test_visit_patch_without_if_match_gets_428(world: World, owner: User, api_as: Any) -> None:
    response = api_as(owner).call(
        "PATCH", f"/api/v1/visits/{world.free_visit.pk}", {"owner_id": owner.pk}
    )
    assert response.status_code == 428


def test_visit_cancel_with_stale_etag_gets_409(world: World, owner: User, api_as: Any) -> None:
    response = api_as(owner).call(
        "POST",
        f"/api/v1/visits/{world.free_visit.pk}/cancel",
        {"reason": "No longer needed"},
        headers={"If-Match": '"stale"'},
    )
    world.free_visit.refresh_from_db()
    assert (response.status_code, world.free_visit.status) == (409, "planned")


def test_record_save_with_stale_revision_gets_409(world: World, owner: User, api_as: Any) -> None:
    url = f"/api/v1/visits/{world.draft_visit.pk}/record"
    revision = world.draft_record.revision
    client = api_as(owner)
    first = client.call("PUT", url, {"revision": revision, "summary": "first"})
    second = client.call("PUT", url, {"revision": revision, "summary": "second"})
    world.draft_record.refresh_from_db()
    assert (first.status_code, second.status_code) == (200, 409)
    assert world.draft_record.summary == "first"


def test_record_save_of_existing_draft_without_revision_gets_428(
    world: World, owner: User, api_as: Any
) -> None:
    response = api_as(owner).call(
        "PUT", f"/api/v1/visits/{world.draft_visit.pk}/record", {"summary": "x"}
    )
    assert response.status_code == 428


def test_record_submit_with_stale_revision_gets_409(world: World, owner: User, api_as: Any) -> None:
    response = api_as(owner).call(
        "POST",
        f"/api/v1/records/{world.draft_record.pk}/submit",
        {"revision": world.draft_record.revision + 5},
    )
    world.draft_record.refresh_from_db()
    assert (response.status_code, world.draft_record.status) == (409, "draft")


def test_action_update_with_stale_revision_gets_409(
    world: World, colleague: User, api_as: Any
) -> None:
    client = api_as(colleague)
    url = f"/api/v1/actions/{world.action.pk}"
    revision = world.action.revision
    first = client.call("PATCH", url, {"revision": revision, "note": "Started"})
    second = client.call("PATCH", url, {"revision": revision, "note": "Overwrite"})
    world.action.refresh_from_db()
    assert (first.status_code, second.status_code) == (200, 409)
    assert world.action.progress_note == "Started"


# --- Projects, customers, contacts: the visits' rule ------------------------------------


@dataclass(frozen=True)
class Resource:
    """A resource changed in place: where to read its ETag, where to PATCH it, and
    two different changes with the field that shows which one won."""

    read: Callable[[World], str]
    write: Callable[[World], str]
    etag: Callable[[Any, World], str]  # from the read's response
    first: dict[str, Any]
    second: dict[str, Any]
    stored: Callable[[World], Any]


def _customer(w: World) -> str:
    return f"/api/v1/customers/{w.project.customer_id}"


def _contact_etag(response: Any, w: World) -> str:
    (item,) = [c for c in response.json()["items"] if c["id"] == w.contact.pk]
    return str(item["etag"])


RESOURCES = {
    "project": Resource(
        read=lambda w: f"/api/v1/projects/{w.project.pk}",
        write=lambda w: f"/api/v1/projects/{w.project.pk}",
        etag=lambda r, w: str(r["ETag"]),
        first={"description": "Phase 2"},
        second={"description": "Phase 3"},
        stored=lambda w: Project.objects.get(pk=w.project.pk).description,
    ),
    "customer": Resource(
        read=_customer,
        write=_customer,
        etag=lambda r, w: str(r["ETag"]),
        first={"industry": "Retail"},
        second={"industry": "Energy"},
        stored=lambda w: Customer.objects.get(pk=w.project.customer_id).industry,
    ),
    "contact": Resource(
        read=lambda w: f"{_customer(w)}/contacts",
        write=lambda w: f"/api/v1/contacts/{w.contact.pk}",
        etag=_contact_etag,
        first={"title": "CTO"},
        second={"title": "CFO"},
        stored=lambda w: Contact.objects.get(pk=w.contact.pk).title,
    ),
}


@pytest.mark.parametrize("kind", sorted(RESOURCES))
def test_patch_with_stale_etag_gets_409_and_changes_nothing(
    kind: str, world: World, owner: User, api_as: Any
) -> None:
    resource = RESOURCES[kind]
    client = api_as(owner)
    read = client.call("GET", resource.read(world))
    etag = resource.etag(read, world)
    url = resource.write(world)
    first = client.call("PATCH", url, resource.first, headers={"If-Match": etag})
    second = client.call("PATCH", url, resource.second, headers={"If-Match": etag})
    assert (first.status_code, second.status_code) == (200, 409), second.content
    assert resource.stored(world) == next(iter(resource.first.values()))
    assert second.json() == {
        "detail": "Someone else changed this in the meantime. Reload it and try again."
    }
    # The new ETag, from the answer, lets the second writer apply on top deliberately.
    assert first["ETag"] != etag
    third = client.call("PATCH", url, resource.second, headers={"If-Match": first["ETag"]})
    assert third.status_code == 200
    assert resource.stored(world) == next(iter(resource.second.values()))


@pytest.mark.parametrize("bogus", ['"not-a-version"', 'W/"x"', "garbage", '"a", "b"'])
@pytest.mark.parametrize("kind", sorted(RESOURCES))
def test_patch_with_bogus_if_match_gets_409(
    kind: str, bogus: str, world: World, owner: User, api_as: Any
) -> None:
    resource = RESOURCES[kind]
    before = resource.stored(world)
    response = api_as(owner).call(
        "PATCH", resource.write(world), resource.first, headers={"If-Match": bogus}
    )
    assert response.status_code == 409
    assert resource.stored(world) == before


@pytest.mark.parametrize("kind", sorted(RESOURCES))
def test_patch_without_if_match_gets_428(kind: str, world: World, owner: User, api_as: Any) -> None:
    resource = RESOURCES[kind]
    before = resource.stored(world)
    response = api_as(owner).call("PATCH", resource.write(world), resource.first)
    assert response.status_code == 428
    assert resource.stored(world) == before


@pytest.mark.parametrize("kind", sorted(RESOURCES))
def test_a_page_edit_in_between_makes_the_api_etag_stale(
    kind: str, world: World, owner: User, api_as: Any
) -> None:
    """The ETag is the edit page's version: a change made on a page (or by any other
    service call) since the read is seen."""
    resource = RESOURCES[kind]
    client = api_as(owner)
    etag = resource.etag(client.call("GET", resource.read(world)), world)
    if kind == "project":
        update_project(project=world.project, name="Renamed on the page")
    elif kind == "customer":
        update_customer(customer=world.project.customer, notes="Edited on the page")
    else:
        update_contact(contact=world.contact, phone="123")
    response = client.call(
        "PATCH", resource.write(world), resource.first, headers={"If-Match": etag}
    )
    assert response.status_code == 409


def test_an_outsider_learns_nothing_from_if_match(
    world: World, outsider: User, api_as: Any
) -> None:
    response = api_as(outsider).call(
        "PATCH", f"/api/v1/projects/{world.project.pk}", {"description": "x"}
    )
    assert response.status_code == 404


def test_get_and_body_carry_the_same_etag(world: World, owner: User, api_as: Any) -> None:
    client = api_as(owner)
    for url in (f"/api/v1/projects/{world.project.pk}", _customer(world)):
        response = client.call("GET", url)
        assert response["ETag"] == response.json()["etag"]
