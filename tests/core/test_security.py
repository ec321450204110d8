"""Login protection (django-axes), the Content-Security-Policy header, secure cookies
and a clean ``check --deploy`` with production settings."""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.contrib.auth import authenticate
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse
from django.utils import timezone

from huifang.api.tokens import create_api_token
from huifang.core.models import User
from huifang.core.security import client_ip
from huifang.projects.models import Project
from huifang.surveys.services import invite_contacts
from tests.factories import ContactFactory

PASSWORD = "correct-horse-battery"  # the factories' password
LOGIN = "/login/"
EXPECTED_CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def csp_of(response: Any) -> dict[str, str]:
    """The Content-Security-Policy header as {directive: sources}."""
    directives = [
        part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";")
    ]
    return {name: sources for name, sources in directives}  # noqa: C416


def post_login(
    client: Client, username: str, password: str, ip: str = "10.0.0.1", path: str = LOGIN
) -> Any:
    return client.post(
        path,
        {"username": username, "password": password},
        REMOTE_ADDR=ip,
        HTTP_ACCEPT_LANGUAGE="en",
    )


def fail(client: Client, username: str, times: int, ip: str = "10.0.0.1") -> list[int]:
    return [post_login(client, username, "wrong-password", ip).status_code for _ in range(times)]


def is_logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


# --- lockout --------------------------------------------------------------------------


def test_login_locked_after_five_failures_even_with_the_right_password(
    client: Client, owner: User
) -> None:
    # The fifth wrong password already answers with the lockout page.
    assert fail(client, owner.username, 5) == [200, 200, 200, 200, 429]
    response = post_login(client, owner.username, PASSWORD)
    assert response.status_code == 429
    assert "Too many failed log-ins" in response.content.decode()
    assert "Try again in 15 minutes." in response.content.decode()
    assert is_logged_in(client) is False


def test_login_four_failures_do_not_lock(client: Client, owner: User) -> None:
    assert fail(client, owner.username, 4) == [200, 200, 200, 200]
    response = post_login(client, owner.username, PASSWORD)
    assert response.status_code == 302
    assert is_logged_in(client) is True


def test_login_lockout_expires_after_cool_off(client: Client, owner: User) -> None:
    fail(client, owner.username, 5)
    start = timezone.now()
    with time_machine.travel(start + datetime.timedelta(minutes=16), tick=False):
        response = post_login(client, owner.username, PASSWORD)
        assert response.status_code == 302
        assert is_logged_in(client) is True


def test_login_attempt_during_lockout_restarts_cool_off(client: Client, owner: User) -> None:
    fail(client, owner.username, 5)
    start = timezone.now()
    with time_machine.travel(start + datetime.timedelta(minutes=14), tick=False):
        assert post_login(client, owner.username, PASSWORD).status_code == 429
    with time_machine.travel(start + datetime.timedelta(minutes=16), tick=False):
        assert post_login(client, owner.username, PASSWORD).status_code == 429
    with time_machine.travel(start + datetime.timedelta(minutes=32), tick=False):
        assert post_login(client, owner.username, PASSWORD).status_code == 302


def test_login_success_resets_the_failure_count(client: Client, owner: User) -> None:
    fail(client, owner.username, 4)
    assert post_login(client, owner.username, PASSWORD).status_code == 302
    client.logout()
    fail(client, owner.username, 4)
    response = post_login(client, owner.username, PASSWORD)
    assert response.status_code == 302
    assert is_logged_in(client) is True


def test_login_lockout_is_per_username_and_address(
    client: Client, owner: User, colleague: User
) -> None:
    fail(client, owner.username, 5)
    # The same username from another address, and another username from the same one.
    assert post_login(client, owner.username, PASSWORD, ip="10.0.0.2").status_code == 302
    client.logout()
    assert post_login(client, colleague.username, PASSWORD).status_code == 302
    client.logout()
    assert post_login(client, owner.username, PASSWORD).status_code == 429


def test_admin_login_takes_no_password_and_leads_to_the_guarded_login_page(
    client: Client, admin_user: User
) -> None:
    # The admin signs in through the login page (lockout, second factor): its own
    # login form would have been a second door.
    path = reverse("admin:login")
    response = post_login(client, admin_user.username, PASSWORD, path=path)
    assert (response.status_code, response["Location"]) == (302, "/login/?next=%2Fadmin%2F")
    assert is_logged_in(client) is False


def test_authenticate_without_request_still_works(owner: User) -> None:
    assert authenticate(username=owner.username, password=PASSWORD) == owner
    assert authenticate(username=owner.username, password="wrong-password") is None


def test_client_ip_ignores_forwarded_for_without_trusted_proxies(settings: Any) -> None:
    settings.HUIFANG_TRUSTED_PROXY_COUNT = 0
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert client_ip(request) == "10.0.0.9"


def test_client_ip_behind_one_trusted_proxy_takes_the_rightmost(settings: Any) -> None:
    settings.HUIFANG_TRUSTED_PROXY_COUNT = 1
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7"
    )
    assert client_ip(request) == "203.0.113.7"


# --- Content-Security-Policy ------------------------------------------------------------


def test_csp_header_on_login_page(client: Client, db: None) -> None:
    response = client.get(LOGIN)
    assert response.status_code == 200
    assert csp_of(response) == EXPECTED_CSP


def test_csp_header_on_home_page(client: Client, owner: User) -> None:
    client.force_login(owner)
    response = client.get("/")
    assert response.status_code == 200
    assert csp_of(response) == EXPECTED_CSP


def test_csp_header_on_public_survey_page(client: Client, project: Project, owner: User) -> None:
    contact = ContactFactory.create(customer=project.customer, email="c@example.com")
    (link,) = invite_contacts(
        visit=project.visits.get(phase="closing"),
        contacts=[contact],
        invited_by=owner,
        base_url="http://testserver",
    )
    response = client.get(link.url.removeprefix("http://testserver"))
    assert response.status_code == 200
    assert csp_of(response) == EXPECTED_CSP


def test_csp_header_on_admin(client: Client, admin_user: User) -> None:
    client.force_login(admin_user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert csp_of(response) == EXPECTED_CSP


def test_csp_header_on_lockout_page(client: Client, owner: User) -> None:
    fail(client, owner.username, 5)
    response = post_login(client, owner.username, PASSWORD)
    assert csp_of(response) == EXPECTED_CSP


@pytest.mark.parametrize("path", ["/login/", "/admin/login/"], ids=["login", "admin-login"])
def test_pages_have_no_inline_script(client: Client, db: None, path: str) -> None:
    html = client.get(path, follow=True).content.decode()  # the admin's leads to ours
    assert "<script>" not in html
    assert " style=" not in html


# --- cookies and check --deploy ---------------------------------------------------------

PRODUCTION = {
    "DEBUG": False,
    "SECRET_KEY": secrets.token_urlsafe(60),
    "ALLOWED_HOSTS": ["huifang.example.com"],
    "SESSION_COOKIE_SECURE": True,
    "CSRF_COOKIE_SECURE": True,
    "SECURE_SSL_REDIRECT": True,
    "SECURE_HSTS_SECONDS": 31_536_000,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
    "SECURE_HSTS_PRELOAD": True,
}


def test_check_deploy_clean_with_production_settings(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Set by tests/e2e/conftest.py for Playwright's event loop; never in production.
    monkeypatch.delenv("DJANGO_ALLOW_ASYNC_UNSAFE", raising=False)
    with override_settings(**PRODUCTION):
        call_command("check", "--deploy", fail_level="WARNING")


def test_check_deploy_fails_with_embedded_defaults(db: None) -> None:
    from django.core.management.base import SystemCheckError

    with pytest.raises(SystemCheckError, match=r"security\.W004"):
        call_command("check", "--deploy", fail_level="WARNING")


def test_cookies_secure_and_https_enforced_with_production_settings(
    client: Client, owner: User
) -> None:
    with override_settings(**{**PRODUCTION, "ALLOWED_HOSTS": ["testserver"]}):
        assert client.get(LOGIN).status_code == 301  # plain HTTP goes to HTTPS
        assert client.get("/healthz").status_code == 200  # the load balancer's probe
        response = client.post(
            LOGIN, {"username": owner.username, "password": PASSWORD}, secure=True
        )
        assert response.status_code == 302
        assert response.cookies["sessionid"]["secure"] is True
        assert response.cookies["sessionid"]["httponly"] is True
        assert response["Strict-Transport-Security"] == (
            "max-age=31536000; includeSubDomains; preload"
        )
        login_page = Client().get(LOGIN, secure=True)
        assert login_page.cookies["csrftoken"]["secure"] is True


# --- API bearer tokens --------------------------------------------------------------------

API_PATH = "/api/v1/projects"


@pytest.fixture
def fresh_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def api_get(client: Client, token: str, ip: str = "10.0.0.1") -> Any:
    return client.get(API_PATH, HTTP_AUTHORIZATION=f"Bearer {token}", REMOTE_ADDR=ip)


def test_api_wrong_tokens_lock_the_address_even_for_a_valid_token(
    client: Client, owner: User, fresh_cache: None
) -> None:
    valid = create_api_token(user=owner, name="script").raw
    assert api_get(client, valid).status_code == 200
    statuses = [api_get(client, f"hf_guess{n}").status_code for n in range(20)]
    assert statuses == [401] * 20
    response = api_get(client, valid)
    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    assert api_get(client, valid, ip="10.0.0.2").status_code == 200  # another address
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=16), tick=False):
        assert api_get(client, valid).status_code == 200


def test_api_valid_tokens_and_sessions_never_count(
    client: Client, owner: User, fresh_cache: None
) -> None:
    valid = create_api_token(user=owner, name="script").raw
    for _ in range(25):
        assert api_get(client, valid).status_code == 200
    client.force_login(owner)
    for _ in range(25):
        assert client.get(API_PATH, REMOTE_ADDR="10.0.0.1").status_code == 200
