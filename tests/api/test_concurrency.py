"""Stale writes answer 409 and change nothing: visits (ETag / If-Match), records and
actions (revision)."""

from __future__ import annotations

from typing import Any

import pytest

from huifang.core.models import User
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
