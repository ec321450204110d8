"""Two-factor sign-in in Chromium: an administrator is made to set it up, then asked
for a code, and a recovery code works once."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

from huifang.core.models import Role
from tests.e2e.conftest import PASSWORD
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _required_for_admins(settings: Any) -> None:
    settings.HUIFANG_MFA_REQUIRED_ROLES = ["admin"]


def _password(page: Any, username: str) -> None:
    page.goto("/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: urlsplit(url).path != "/login/")


def _code(page: Any, code: str) -> None:
    page.fill("input[name=code]", code)
    page.get_by_role("button", name="Verify").click()


def test_admin_sets_up_totp_then_signs_in_with_a_code_and_a_recovery_code(
    page: Any, assets: None
) -> None:
    UserFactory.create(username="boss", role=Role.ADMIN, display_name="The Boss")
    _password(page, "boss")
    assert urlsplit(page.url).path == "/users/profile/two-factor/"
    assert page.get_by_test_id("two-factor-required").is_visible()
    assert page.locator("img[alt='QR code of the authenticator key']").is_visible()
    secret = page.get_by_test_id("totp-secret").inner_text()
    page.fill("input[name=code]", format_hotp_value(hotp_value(secret, int(time.time()) // 30)))
    page.get_by_role("button", name="Turn on").click()
    codes = page.get_by_test_id("recovery-codes").locator("li").all_inner_texts()
    assert len(codes) == 10
    page.get_by_role("link", name="Continue").click()
    page.wait_for_url(lambda url: urlsplit(url).path == "/")
    page.get_by_test_id("current-user").click()
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login/")

    _password(page, "boss")
    assert urlsplit(page.url).path == "/login/code/"
    _code(page, "00000000")
    assert page.locator(".invalid-feedback").inner_text() == "That code is not right."
    _code(page, codes[0])
    page.wait_for_url(lambda url: urlsplit(url).path == "/")
    assert page.get_by_test_id("current-user").inner_text() == "The Boss"
    page.get_by_test_id("current-user").click()
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login/")

    _password(page, "boss")
    _code(page, codes[0])  # used up
    assert page.locator(".invalid-feedback").inner_text() == "That code is not right."
    _code(page, format_hotp_value(hotp_value(secret, int(time.time()) // 30)))
    page.wait_for_url(lambda url: urlsplit(url).path == "/")
