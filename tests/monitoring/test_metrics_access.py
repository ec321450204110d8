"""Who may read /metrics: nobody while it is off (404, as if it did not exist), then a
request with the configured bearer token or from a configured address; anyone else
403, signed in or not."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from huifang.core.models import User
from tests.monitoring.conftest import TOKEN

pytestmark = pytest.mark.django_db


def _get(client: Client | None = None, **headers: Any) -> int:
    return (client or Client()).get("/metrics", **headers).status_code


def test_metrics_is_off_by_default(admin_user: User) -> None:
    signed_in = Client()
    signed_in.force_login(admin_user)
    assert (_get(), _get(signed_in), _get(HTTP_AUTHORIZATION="Bearer anything")) == (
        404,
        404,
        404,
    )


@pytest.mark.usefixtures("metrics_on")
def test_token_opens_metrics_and_nothing_else_does(admin_user: User) -> None:
    signed_in = Client()
    signed_in.force_login(admin_user)
    assert {
        "no token": _get(),
        "wrong token": _get(HTTP_AUTHORIZATION="Bearer not-the-token"),
        "token as a prefix": _get(HTTP_AUTHORIZATION=f"Bearer {TOKEN}x"),
        "other scheme": _get(HTTP_AUTHORIZATION=f"Basic {TOKEN}"),
        "administrator's session": _get(signed_in),
        "the token": _get(HTTP_AUTHORIZATION=f"Bearer {TOKEN}"),
    } == {
        "no token": 403,
        "wrong token": 403,
        "token as a prefix": 403,
        "other scheme": 403,
        "administrator's session": 403,
        "the token": 200,
    }


def test_allowed_addresses_open_metrics_without_a_token(settings: Any) -> None:
    settings.HUIFANG_METRICS_TOKEN = ""
    settings.HUIFANG_METRICS_ALLOWED_IPS = ["10.20.0.0/16", "192.0.2.7", "2001:db8::/32"]
    assert {
        address: _get(REMOTE_ADDR=address)
        for address in ("10.20.3.4", "192.0.2.7", "2001:db8::5", "::ffff:10.20.9.9")
    } == dict.fromkeys(("10.20.3.4", "192.0.2.7", "2001:db8::5", "::ffff:10.20.9.9"), 200)
    assert {
        address: _get(REMOTE_ADDR=address) for address in ("10.21.0.1", "192.0.2.8", "127.0.0.1")
    } == dict.fromkeys(("10.21.0.1", "192.0.2.8", "127.0.0.1"), 403)
    # Without a token configured, a bearer header opens nothing.
    assert _get(REMOTE_ADDR="127.0.0.1", HTTP_AUTHORIZATION="Bearer ") == 403


def test_behind_a_proxy_the_forwarded_client_address_counts(settings: Any) -> None:
    settings.HUIFANG_METRICS_ALLOWED_IPS = ["10.20.0.0/16"]
    settings.HUIFANG_TRUSTED_PROXY_COUNT = 1
    proxy = "172.16.0.1"
    assert _get(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="10.20.3.4") == 200
    # An address the client wrote itself, left of the one the proxy saw, is ignored.
    assert _get(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="10.20.3.4, 203.0.113.9") == 403


def test_an_invalid_allowed_address_is_a_configuration_error(settings: Any) -> None:
    settings.HUIFANG_METRICS_ALLOWED_IPS = ["10.20.0.0/16", "not-an-address"]
    with pytest.raises(ImproperlyConfigured, match="HUIFANG_METRICS_ALLOWED_IPS"):
        Client().get("/metrics", REMOTE_ADDR="10.20.3.4")


def test_metrics_answers_only_get(settings: Any) -> None:
    settings.HUIFANG_METRICS_TOKEN = TOKEN
    response = Client().post("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 405
