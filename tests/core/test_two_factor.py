"""Two-factor sign-in (huifang.core.two_factor): who must set it up, the code asked
after the password, recovery codes that work once."""

from __future__ import annotations

import time
from typing import Any

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.test import Client

from huifang.core import two_factor
from huifang.core.models import Role, User
from huifang.core.sso import SSO_BACKEND
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
SETUP = "/users/profile/two-factor/"


@pytest.fixture(autouse=True)
def _required_for_admins(settings: Any) -> None:
    settings.HUIFANG_MFA_REQUIRED_ROLES = ["admin"]


def totp_code(secret: str, periods_ago: int = 0) -> str:
    counter = int(time.time()) // 30 - periods_ago
    return format_hotp_value(hotp_value(secret, counter))


def _client() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def _with_totp(user: User) -> tuple[str, list[str]]:
    secret = two_factor.new_secret()
    codes = two_factor.activate_totp(user=user, secret=secret, code=totp_code(secret))
    return secret, codes


def _password(client: Client, username: str, next_url: str = "") -> Any:
    data = {"username": username, "password": PASSWORD}
    return client.post("/login/" + (f"?next={next_url}" if next_url else ""), data)


# --- Setting it up -----------------------------------------------------------------------


def test_admin_without_totp_is_sent_to_set_it_up_after_password_sign_in() -> None:
    UserFactory.create(username="boss", role=Role.ADMIN)
    client = _client()
    assert _password(client, "boss").status_code == 302
    pages = [client.get(path) for path in ("/", "/projects/", "/users/")]
    assert [(page.status_code, page["Location"]) for page in pages] == [(302, SETUP)] * 3
    assert client.get(SETUP).status_code == 200


def test_setting_up_with_the_apps_code_turns_it_on_and_shows_ten_recovery_codes() -> None:
    boss = UserFactory.create(username="boss", role=Role.ADMIN)
    client = _client()
    _password(client, "boss")
    secret = client.get(SETUP).context["secret"]
    wrong = client.post(SETUP, {"code": "000000" if totp_code(secret) != "000000" else "1"})
    assert (wrong.status_code, two_factor.has_totp(boss)) == (400, False)
    done = client.post(SETUP, {"code": totp_code(secret)})
    codes = done.context["codes"]
    assert (done.status_code, len(codes), len(set(codes))) == (200, 10, 10)
    assert two_factor.has_totp(boss)
    assert client.get("/").status_code == 200


def test_setup_is_optional_for_a_role_that_does_not_require_it() -> None:
    UserFactory.create(username="q", role=Role.QUALITY)
    client = _client()
    _password(client, "q")
    assert client.get("/projects/").status_code == 200


def test_setup_is_required_for_a_role_named_in_the_setting(settings: Any) -> None:
    settings.HUIFANG_MFA_REQUIRED_ROLES = ["admin", "quality"]
    UserFactory.create(username="q", role=Role.QUALITY)
    client = _client()
    _password(client, "q")
    response = client.get("/projects/")
    assert (response.status_code, response["Location"]) == (302, SETUP)


def test_single_sign_on_session_is_not_sent_to_set_it_up() -> None:
    boss = UserFactory.create(username="boss", role=Role.ADMIN)
    client = _client()
    client.force_login(boss, backend=SSO_BACKEND)
    assert client.get("/projects/").status_code == 200


# --- Signing in --------------------------------------------------------------------------


def test_password_sign_in_asks_for_the_code_before_opening_the_session() -> None:
    boss = UserFactory.create(username="boss", role=Role.ADMIN)
    secret, _codes = _with_totp(boss)
    client = _client()
    response = _password(client, "boss", next_url="/projects/")
    assert (response.status_code, response["Location"]) == (302, "/login/code/")
    assert client.get("/projects/")["Location"].startswith("/login/")  # not signed in yet
    signed_in = client.post("/login/code/", {"code": totp_code(secret, periods_ago=1)})
    assert (signed_in.status_code, signed_in["Location"]) == (302, "/projects/")
    assert client.get("/projects/").status_code == 200


def test_wrong_code_keeps_the_user_signed_out() -> None:
    boss = UserFactory.create(username="boss", role=Role.ADMIN)
    _with_totp(boss)
    client = _client()
    _password(client, "boss")
    response = client.post("/login/code/", {"code": "12345678"})
    assert (response.status_code, "That code is not right." in response.content.decode()) == (
        400,
        True,
    )
    assert client.get("/")["Location"].startswith("/login/")


def test_five_wrong_codes_drop_the_sign_in_and_ask_for_the_password_again() -> None:
    boss = UserFactory.create(username="boss", role=Role.ADMIN)
    secret, _codes = _with_totp(boss)
    client = _client()
    _password(client, "boss")
    answers = [client.post("/login/code/", {"code": "12345678"}).status_code for _ in range(5)]
    assert answers == [400, 400, 400, 400, 302]
    late = client.post("/login/code/", {"code": totp_code(secret)})
    assert (late.status_code, late["Location"]) == (302, "/login/")
    assert client.get("/")["Location"].startswith("/login/")


def test_recovery_code_signs_in_once() -> None:
    boss = UserFactory.create(username="boss", role=Role.ADMIN)
    _secret, codes = _with_totp(boss)
    first = _client()
    _password(first, "boss")
    assert first.post("/login/code/", {"code": codes[3]}).status_code == 302
    assert first.get("/").status_code == 200
    second = _client()
    _password(second, "boss")
    assert second.post("/login/code/", {"code": codes[3]}).status_code == 400
    assert second.post("/login/code/", {"code": codes[4]}).status_code == 302
    assert two_factor.unused_recovery_codes(boss) == 8


def test_a_totp_code_is_accepted_only_once() -> None:
    boss = UserFactory.create(username="boss", role=Role.ADMIN)
    secret, _codes = _with_totp(boss)
    code = totp_code(secret)
    assert two_factor.verify_second_factor(user=boss, code=code) is True
    assert two_factor.verify_second_factor(user=boss, code=code) is False


def test_code_page_without_a_pending_sign_in_leads_to_the_login_page() -> None:
    response = _client().get("/login/code/")
    assert (response.status_code, response["Location"]) == (302, "/login/")


def test_admin_login_leads_to_the_login_page_which_asks_for_the_code() -> None:
    boss = UserFactory.create(username="boss", role=Role.ADMIN, is_staff=True, is_superuser=True)
    _with_totp(boss)
    client = _client()
    response = client.get("/admin/login/?next=/admin/core/user/")
    assert (response.status_code, response["Location"]) == (
        302,
        "/login/?next=%2Fadmin%2Fcore%2Fuser%2F",
    )
    posted = client.post("/admin/login/", {"username": "boss", "password": PASSWORD})
    assert posted["Location"] == "/login/?next=%2Fadmin%2F"
    assert client.get("/admin/").status_code == 302  # still signed out
