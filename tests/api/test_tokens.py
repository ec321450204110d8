"""Personal API tokens: hashed, shown once, expiry, revocation, page and command."""

from __future__ import annotations

import datetime
import io
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from huifang.api.models import ApiToken
from huifang.api.tokens import create_api_token, hash_token, revoke_api_token, user_for_token
from huifang.core.errors import DomainError
from huifang.core.models import User

pytestmark = pytest.mark.django_db


def _get(raw: str) -> int:
    return Client().get("/api/v1/projects", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code


def test_token_is_stored_hashed(owner: User) -> None:
    issued = create_api_token(user=owner, name="ci")
    stored = ApiToken.objects.get(pk=issued.token.pk)
    assert stored.token_hash == hash_token(issued.raw)
    assert issued.raw not in {stored.token_hash, stored.prefix}
    assert issued.raw.startswith(stored.prefix)


def test_token_authenticates_and_marks_last_used(owner: User) -> None:
    issued = create_api_token(user=owner, name="ci")
    assert _get(issued.raw) == 200
    issued.token.refresh_from_db()
    assert issued.token.last_used_at is not None


def test_revoked_token_gets_401(owner: User) -> None:
    issued = create_api_token(user=owner, name="ci")
    revoke_api_token(token=issued.token)
    assert _get(issued.raw) == 401


def test_expired_token_gets_401(owner: User) -> None:
    issued = create_api_token(user=owner, name="ci", expires_days=1)
    assert _get(issued.raw) == 200
    with time_machine.travel(timezone.now() + datetime.timedelta(days=2)):
        assert user_for_token(issued.raw) is None


def test_wrong_token_gets_401(owner: User) -> None:
    create_api_token(user=owner, name="ci")
    assert _get("hf_not-a-token") == 401


def test_token_of_inactive_user_gets_401(owner: User) -> None:
    issued = create_api_token(user=owner, name="ci")
    owner.is_active = False
    owner.save()
    assert _get(issued.raw) == 401


def test_token_needs_a_name(owner: User) -> None:
    with pytest.raises(DomainError):
        create_api_token(user=owner, name="  ")


def test_token_page_creates_and_shows_the_token_once(owner: User) -> None:
    client = Client()
    client.force_login(owner)
    created = client.post("/api/v1/tokens/", {"name": "laptop", "expires_days": "30"})
    token = ApiToken.objects.get(user=owner)
    listed = client.get("/api/v1/tokens/")
    raw = created.context["issued"].raw
    assert created.status_code == 200
    assert raw in created.content.decode()
    assert raw not in listed.content.decode()
    assert token.prefix in listed.content.decode()
    assert token.expires_at is not None


def test_token_page_keeps_input_on_error(owner: User) -> None:
    client = Client()
    client.force_login(owner)
    response = client.post("/api/v1/tokens/", {"name": "laptop", "expires_days": "0"})
    assert ApiToken.objects.count() == 0
    assert 'value="laptop"' in response.content.decode()


def test_token_page_revokes_only_own_tokens(owner: User, colleague: User) -> None:
    mine = create_api_token(user=owner, name="mine").token
    theirs = create_api_token(user=colleague, name="theirs").token
    client = Client()
    client.force_login(owner)
    other = client.post(f"/api/v1/tokens/{theirs.pk}/revoke/")
    own = client.post(f"/api/v1/tokens/{mine.pk}/revoke/")
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (other.status_code, own.status_code) == (404, 302)
    assert mine.revoked_at is not None
    assert theirs.revoked_at is None


def test_token_page_needs_login(db: None) -> None:
    response = Client().get("/api/v1/tokens/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_token_command_creates_and_revokes(owner: User) -> None:
    out = io.StringIO()
    call_command(
        "token",
        "create",
        "owner",
        "--name",
        "cron",
        "--expires-days",
        "7",
        stdout=out,
        stderr=io.StringIO(),
    )
    raw = out.getvalue().strip()
    token = ApiToken.objects.get(user=owner)
    assert (token.name, user_for_token(raw)) == ("cron", owner)
    call_command("token", "revoke", str(token.pk), stdout=io.StringIO())
    assert user_for_token(raw) is None


def test_profile_links_to_tokens(owner: User) -> None:
    client = Client()
    client.force_login(owner)
    response: Any = client.get("/users/profile/")
    assert "/api/v1/tokens/" in response.content.decode()
