"""Single sign-on in Chromium against a real OpenID Connect provider (django-oauth-
toolkit in its own process, tests/e2e/oidc_provider), which insists on PKCE."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from huifang.core.models import Role, User
from tests.e2e.oidc_provider import CLIENT_ID, CLIENT_SECRET, PASSWORD
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
CALLBACK = "/accounts/oidc/sso/login/callback/"


@pytest.fixture(scope="session")
def oidc_provider(live_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The provider's address; Huifang's callback on the live server is its client's
    only redirect URI."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")]),
        "OIDC_PROVIDER_DIR": str(tmp_path_factory.mktemp("oidc-provider")),
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "tests.e2e.oidc_provider", live_server.url + CALLBACK],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    address = process.stdout.readline().strip()
    assert address.startswith("http://127.0.0.1:"), "the provider did not start"
    yield address
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def sso(settings: Any, oidc_provider: str) -> str:
    """Huifang configured for the provider, as HUIFANG_OIDC_* would configure it."""
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            "OAUTH_PKCE_ENABLED": True,
            "APPS": [
                {
                    "provider_id": "sso",
                    "name": "Company SSO",
                    "client_id": CLIENT_ID,
                    "secret": CLIENT_SECRET,
                    "settings": {"server_url": oidc_provider + "/o", "oauth_pkce_enabled": True},
                }
            ],
        }
    }
    directives = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    settings.CONTENT_SECURITY_POLICY = {
        "DIRECTIVES": {**directives, "form-action": ["'self'", oidc_provider]}
    }
    return oidc_provider


def _sign_in_at_the_provider(page: Any, username: str) -> list[str]:
    """Press the login page's button and sign in at the provider; the authorization
    requests the browser made."""
    authorize: list[str] = []
    page.on("request", lambda r: authorize.append(r.url) if "/o/authorize/" in r.url else None)
    page.goto("/login/")
    page.get_by_role("button", name="Sign in with Company SSO").click()
    page.locator("#provider-username").fill(username)
    page.locator("#provider-password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    return authorize


def _signed_out(page: Any) -> bool:
    page.goto("/")
    return urlsplit(page.url).path == "/login/"


def test_sso_signs_in_the_user_with_the_verified_email_using_pkce(page: Any, sso: str) -> None:
    UserFactory.create(username="alice.wang", email="alice@example.com", display_name="Alice Wang")
    authorize = _sign_in_at_the_provider(page, "alice")
    page.wait_for_url(lambda url: urlsplit(url).path == "/")
    assert page.get_by_test_id("current-user").inner_text() == "Alice Wang"
    query = parse_qs(urlsplit(authorize[0]).query)
    assert (query["code_challenge_method"], len(query["code_challenge"][0])) == (["S256"], 43)


def test_sign_out_ends_the_huifang_session_of_a_sso_user(page: Any, sso: str) -> None:
    UserFactory.create(username="alice.wang", email="alice@example.com")
    _sign_in_at_the_provider(page, "alice")
    page.wait_for_url(lambda url: urlsplit(url).path == "/")
    page.get_by_test_id("current-user").click()
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login/")
    assert _signed_out(page)


def test_sso_refuses_a_person_no_user_matches_with_a_clear_page(page: Any, sso: str) -> None:
    UserFactory.create(username="alice.wang", email="alice@example.com")
    _sign_in_at_the_provider(page, "stranger")
    refusal = page.get_by_test_id("sso-refused")
    assert refusal.get_attribute("data-reason") == "unknown"
    assert page.locator("h1").inner_text() == "Sign-in refused"
    assert "Huifang has no user for you" in refusal.inner_text()
    assert _signed_out(page)
    assert User.objects.filter(email="stranger@example.com").exists() is False


def test_sso_does_not_match_an_unverified_email(page: Any, sso: str) -> None:
    # The provider gives mallory alice's address without vouching for it.
    UserFactory.create(username="alice.wang", email="alice@example.com")
    _sign_in_at_the_provider(page, "mallory")
    assert page.get_by_test_id("sso-refused").get_attribute("data-reason") == "unknown"
    assert _signed_out(page)


def test_sso_refuses_a_deactivated_user(page: Any, sso: str) -> None:
    UserFactory.create(username="leaver", email="leaver@example.com", is_active=False)
    _sign_in_at_the_provider(page, "leaver")
    refusal = page.get_by_test_id("sso-refused")
    assert refusal.get_attribute("data-reason") == "inactive"
    assert "has been deactivated" in refusal.inner_text()
    assert _signed_out(page)


def test_sso_refuses_a_callback_with_a_tampered_state(page: Any, sso: str) -> None:
    UserFactory.create(username="alice.wang", email="alice@example.com", role=Role.MEMBER)
    page.goto(sso + "/login/")  # signed in at the provider, not yet at Huifang
    page.locator("#provider-username").fill("alice")
    page.locator("#provider-password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("load")
    # The button's POST and the provider's answer, without following the redirects
    # (the browser context's cookies, so Huifang's session holds the real state).
    page.goto("/login/")
    token = page.locator("[data-testid=sso-providers] input[name=csrfmiddlewaretoken]")
    start = page.request.post(
        "/accounts/oidc/sso/login/",
        form={"csrfmiddlewaretoken": token.first.get_attribute("value")},
        max_redirects=0,
    )
    authorize = page.request.get(start.headers["location"], max_redirects=0)
    callback = urlsplit(authorize.headers["location"])
    assert callback.path == CALLBACK
    query = {key: values[0] for key, values in parse_qs(callback.query).items()}
    query["state"] = query["state"][::-1]
    page.goto(CALLBACK + "?" + urlencode(query))
    assert page.get_by_test_id("sso-refused").get_attribute("data-reason") == "failed"
    assert "did not match the sign-in this browser started" in page.content()
    assert _signed_out(page)
