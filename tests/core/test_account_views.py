"""The users and roles page (admins only) and the profile page (every user, their own)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from huifang.core.models import Role, User
from tests.factories import UserFactory
from tests.pages import form_version

pytestmark = pytest.mark.django_db

NEW_USER = {
    "username": "newbie",
    "display_name": "New Bie",
    "email": "newbie@example.com",
    "role": "pm",
    "department": "Delivery",
    "password": "a-long-enough-passphrase",
}


def _client(user: User) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


# --- Access ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["accounts:users", "accounts:user_create", "accounts:profile"])
def test_account_pages_anonymous_redirect_to_login(name: str) -> None:
    url = reverse(name)
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={url}"


@pytest.mark.parametrize("username", ["quality", "owner", "colleague", "executive"])
def test_users_pages_forbidden_for_non_admins(
    quality: User, owner: User, colleague: User, executive: User, username: str
) -> None:
    client = _client(User.objects.get(username=username))
    assert client.get(reverse("accounts:users")).status_code == 403
    assert client.get(reverse("accounts:user_create")).status_code == 403
    assert client.post(reverse("accounts:user_create"), NEW_USER).status_code == 403
    assert client.get(reverse("accounts:user_edit", args=[colleague.pk])).status_code == 403
    assert client.post(reverse("accounts:user_deactivate", args=[colleague.pk])).status_code == 403
    assert not User.objects.filter(username="newbie").exists()
    assert User.objects.get(pk=colleague.pk).is_active


def test_users_nav_link_only_for_admins(admin_user: User, quality: User) -> None:
    link = f'href="{reverse("accounts:users")}"'.encode()
    assert link in _client(admin_user).get("/").content
    assert link not in _client(quality).get("/?mine=1").content


# --- List -----------------------------------------------------------------------------


def test_users_list_search_and_role_filter(
    admin_user: User, owner: User, colleague: User, quality: User
) -> None:
    client = _client(admin_user)
    response = client.get(reverse("accounts:users"), {"role": "pm"})
    assert [user.username for user in response.context["page"]] == ["owner"]
    response = client.get(reverse("accounts:users"), {"q": "COLL"})
    assert [user.username for user in response.context["page"]] == ["colleague"]


def test_users_list_inactive_filter_and_sort(admin_user: User, owner: User) -> None:
    owner.is_active = False
    owner.save()
    client = _client(admin_user)
    response = client.get(reverse("accounts:users"), {"active": "no"})
    assert [user.username for user in response.context["page"]] == ["owner"]
    response = client.get(reverse("accounts:users"), {"sort": "-username"})
    assert [user.username for user in response.context["page"]] == ["owner", "admin"]


def test_users_list_query_count_does_not_grow_with_rows(admin_user: User) -> None:
    client = _client(admin_user)
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("accounts:users"))
    for n in range(5):
        UserFactory(username=f"extra{n}", role=Role.MEMBER)
    with CaptureQueriesContext(connection) as several:
        response = client.get(reverse("accounts:users"))
    assert len(response.context["page"]) == 6
    assert len(several) == len(one)


# --- Create, edit, deactivate ---------------------------------------------------------


def test_user_create_by_admin(admin_user: User) -> None:
    response = _client(admin_user).post(reverse("accounts:user_create"), NEW_USER)
    assert response.status_code == 302
    created = User.objects.get(username="newbie")
    assert (created.display_name, created.email, created.role, created.department) == (
        "New Bie",
        "newbie@example.com",
        "pm",
        "Delivery",
    )
    assert created.check_password("a-long-enough-passphrase")


def test_user_create_weak_password_shows_error_and_keeps_input(admin_user: User) -> None:
    response = _client(admin_user).post(
        reverse("accounts:user_create"), NEW_USER | {"password": "123"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "password": [
            "This password is too short. It must contain at least 8 characters.",
            "This password is too common.",
        ]
    }
    assert b'value="New Bie"' in response.content
    assert not User.objects.filter(username="newbie").exists()


def test_user_create_taken_username_shows_error(admin_user: User, colleague: User) -> None:
    response = _client(admin_user).post(
        reverse("accounts:user_create"), NEW_USER | {"username": "Colleague"}
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == ["This username is already taken."]


def test_user_edit_changes_role_department_active(admin_user: User, colleague: User) -> None:
    client = _client(admin_user)
    page = reverse("accounts:user_edit", args=[colleague.pk])
    response = client.post(
        page,
        {
            "display_name": "Col League",
            "email": "c@example.com",
            "role": "quality",
            "department": "QA",
            "version": form_version(client, page),
        },
    )
    assert response.status_code == 302
    colleague.refresh_from_db()
    assert (colleague.role, colleague.department, colleague.is_active) == ("quality", "QA", False)


def test_user_edit_admin_cannot_demote_self(admin_user: User) -> None:
    client = _client(admin_user)
    page = reverse("accounts:user_edit", args=[admin_user.pk])
    response = client.post(
        page,
        {
            "display_name": "",
            "email": "",
            "role": "member",
            "department": "",
            "is_active": "on",
            "version": form_version(client, page),
        },
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "You cannot take the administrator role from yourself."
    ]
    admin_user.refresh_from_db()
    assert admin_user.role == "admin"


def test_user_deactivate(admin_user: User, colleague: User) -> None:
    client = _client(admin_user)
    action = reverse("accounts:user_deactivate", args=[colleague.pk])
    page = reverse("accounts:user_edit", args=[colleague.pk])
    version = form_version(client, page, action=action)
    response = client.post(action, {"deactivate-version": version})
    assert response.status_code == 302
    colleague.refresh_from_db()
    assert colleague.is_active is False


def test_user_edit_unknown_user_404(admin_user: User) -> None:
    assert _client(admin_user).get(reverse("accounts:user_edit", args=[9999])).status_code == 404


# --- Profile --------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["colleague", "executive", "admin"])
def test_profile_every_user_edits_own(
    colleague: User, executive: User, admin_user: User, username: str
) -> None:
    user = User.objects.get(username=username)
    client = _client(user)
    page = reverse("accounts:profile")
    response = client.post(
        page,
        {
            "display_name": "Me",
            "email": "me@example.com",
            "language": "en",
            "version": form_version(client, page),
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.display_name, user.email, user.language) == ("Me", "me@example.com", "en")


def test_profile_changes_only_own_account(colleague: User, owner: User) -> None:
    client = _client(colleague)
    page = reverse("accounts:profile")
    response = client.post(
        page,
        {
            "display_name": "Me",
            "email": "me@example.com",
            "language": "",
            "version": form_version(client, page),
        },
    )
    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.display_name == ""


def test_profile_language_preference_takes_effect(colleague: User) -> None:
    client = _client(colleague)
    page = reverse("accounts:profile")
    client.post(
        page,
        {
            "display_name": "",
            "email": "",
            "language": "zh-hans",
            "version": form_version(client, page),
        },
    )
    response = client.get(reverse("accounts:profile"))
    assert '<html lang="zh-hans">' in response.content.decode()


def test_profile_invalid_email_shows_error_and_keeps_input(colleague: User) -> None:
    client = _client(colleague)
    page = reverse("accounts:profile")
    response = client.post(
        page,
        {
            "display_name": "Kept",
            "email": "nope",
            "language": "",
            "version": form_version(client, page),
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {"email": ["Enter a valid email address."]}
    assert b'value="Kept"' in response.content


def test_profile_has_password_change_and_notification_block(colleague: User) -> None:
    response = _client(colleague).get(reverse("accounts:profile"))
    assert reverse("accounts:password_change").encode() in response.content


def test_password_change(colleague: User) -> None:
    client = _client(colleague)
    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": "correct-horse-battery",
            "new_password1": "another-long-passphrase",
            "new_password2": "another-long-passphrase",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_change_done")
    colleague.refresh_from_db()
    assert colleague.check_password("another-long-passphrase")


@pytest.mark.parametrize(
    "name",
    ["accounts:users", "accounts:user_create", "accounts:profile", "accounts:password_change"],
)
def test_account_pages_render_in_chinese(admin_user: User, name: str) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(admin_user)
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert '<html lang="zh-hans">' in response.content.decode()


def test_profile_links_to_notification_preferences(client, colleague) -> None:
    client.force_login(colleague)
    response = client.get("/users/profile/")
    assert response.status_code == 200
    assert 'href="/notifications/preferences/"' in response.content.decode()
