"""Access to the single sign-on URLs of a configured provider (the access matrix
covers them unconfigured: 404 for everyone)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

DINGTALK = {"APPS": [{"client_id": "ding-app", "secret": "ding-secret"}]}


@pytest.fixture
def dingtalk(settings: Any) -> None:
    settings.SOCIALACCOUNT_PROVIDERS = {"dingtalk": DINGTALK}


def test_start_url_on_get_leads_back_to_the_login_page(dingtalk: None) -> None:
    response = Client().get("/accounts/dingtalk/login/")
    assert (response.status_code, response["Location"]) == (302, "/login/")


def test_start_url_on_post_sends_the_browser_to_the_provider(dingtalk: None) -> None:
    response = Client().post("/accounts/dingtalk/login/")
    target = urlsplit(response["Location"])
    query = parse_qs(target.query)
    assert (response.status_code, f"{target.scheme}://{target.netloc}{target.path}") == (
        302,
        "https://login.dingtalk.com/oauth2/auth",
    )
    assert (query["client_id"], query["redirect_uri"]) == (
        ["ding-app"],
        ["http://testserver/accounts/dingtalk/login/callback/"],
    )
    assert len(query["state"][0]) >= 12


def test_start_url_refuses_a_post_without_the_csrf_token(dingtalk: None) -> None:
    response = Client(enforce_csrf_checks=True).post("/accounts/dingtalk/login/")
    assert response.status_code == 403


def test_callback_without_a_started_sign_in_is_refused(dingtalk: None) -> None:
    response = Client(HTTP_ACCEPT_LANGUAGE="en").get(
        "/accounts/dingtalk/login/callback/?code=abc&state=forged"
    )
    assert response.status_code == 403
    assert 'data-reason="failed"' in response.content.decode()


def test_other_providers_stay_hidden_when_one_is_configured(dingtalk: None) -> None:
    client = Client()
    assert [
        client.post("/accounts/feishu/login/").status_code,
        client.post("/accounts/oidc/sso/login/").status_code,
        client.get("/accounts/oidc/sso/login/callback/").status_code,
    ] == [404, 404, 404]
