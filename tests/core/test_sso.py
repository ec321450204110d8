"""Single sign-on rules (huifang.core.sso): who a sign-on is, who is refused, which
providers show, and the switch that turns password sign-in off."""

from __future__ import annotations

from typing import Any

import pytest
from allauth.account.models import EmailAddress
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.models import SocialAccount, SocialLogin
from django.contrib.sessions.backends.db import SessionStore
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.test import Client, RequestFactory

from huifang.core.models import Role, User
from huifang.core.sso import SocialAccountAdapter
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

OIDC = {
    "OAUTH_PKCE_ENABLED": True,
    "APPS": [
        {
            "provider_id": "sso",
            "name": "Keycloak",
            "client_id": "huifang",
            "secret": "s3cret",
            "settings": {"server_url": "https://id.example.com/realms/acme"},
        }
    ],
}
DINGTALK = {"APPS": [{"client_id": "ding-app", "secret": "ding-secret"}]}
FEISHU = {"APPS": [{"client_id": "cli_feishu", "secret": "feishu-secret"}]}


@pytest.fixture(autouse=True)
def _oidc(settings: Any) -> None:
    """The sign-ons below come from this OpenID Connect app (provider id "sso")."""
    settings.SOCIALACCOUNT_PROVIDERS = {"openid_connect": OIDC}


def _request() -> HttpRequest:
    request = RequestFactory().get("/accounts/oidc/sso/login/callback/")
    request.session = SessionStore()
    return request


def _sign_on(
    email: str, *, verified: bool = True, username: str = "", uid: str = "sub-1"
) -> SocialLogin:
    """What allauth hands the adapter after the provider answered."""
    return SocialLogin(
        user=User(username=username, email=email, first_name="Wei", last_name="Zhang"),
        account=SocialAccount(provider="sso", uid=uid, extra_data={}),
        email_addresses=[EmailAddress(email=email, verified=verified, primary=True)],
    )


def _refusal(sociallogin: SocialLogin) -> str:
    with pytest.raises(ImmediateHttpResponse) as refused:
        SocialAccountAdapter().pre_social_login(_request(), sociallogin)
    response = refused.value.response
    assert response.status_code == 403
    return response.content.decode()


def _signs_in_as(sociallogin: SocialLogin) -> User:
    SocialAccountAdapter().pre_social_login(_request(), sociallogin)
    return sociallogin.user


# --- Matching ----------------------------------------------------------------------------


def test_sign_on_with_a_verified_email_becomes_that_user_and_is_linked() -> None:
    user = UserFactory.create(username="wei", email="Wei.Zhang@example.com")
    assert _signs_in_as(_sign_on("wei.zhang@example.com")) == user
    assert list(SocialAccount.objects.values_list("user__username", "uid")) == [("wei", "sub-1")]


def test_sign_on_with_an_unverified_email_matches_nobody() -> None:
    UserFactory.create(username="wei", email="wei@example.com")
    page = _refusal(_sign_on("wei@example.com", verified=False))
    assert 'data-reason="unknown"' in page
    assert SocialAccount.objects.count() == 0


def test_sign_on_with_an_email_two_users_share_matches_nobody() -> None:
    UserFactory.create(username="wei", email="team@example.com")
    UserFactory.create(username="li", email="team@example.com")
    assert 'data-reason="unknown"' in _refusal(_sign_on("team@example.com"))


def test_username_matches_only_when_switched_on(settings: Any) -> None:
    user = UserFactory.create(username="wei", email="old@example.com")
    assert 'data-reason="unknown"' in _refusal(_sign_on("new@example.com", username="wei"))
    settings.HUIFANG_SSO_MATCH_USERNAME = True
    assert _signs_in_as(_sign_on("new@example.com", username="WEI")) == user


def test_linked_sign_on_stays_with_its_user_after_the_email_changes() -> None:
    user = UserFactory.create(username="wei", email="wei@example.com")
    _signs_in_as(_sign_on("wei@example.com"))
    user.email = "wei.zhang@example.com"
    user.save()
    again = _sign_on("someone-else@example.com")
    again.lookup()  # as allauth does before asking the adapter
    assert _signs_in_as(again) == user


# --- Refusals ----------------------------------------------------------------------------


def test_deactivated_user_is_refused() -> None:
    UserFactory.create(username="wei", email="wei@example.com", is_active=False)
    assert 'data-reason="inactive"' in _refusal(_sign_on("wei@example.com"))


def test_linked_user_deactivated_later_is_refused() -> None:
    user = UserFactory.create(username="wei", email="wei@example.com")
    _signs_in_as(_sign_on("wei@example.com"))
    user.is_active = False
    user.save()
    again = _sign_on("wei@example.com")
    again.lookup()
    assert 'data-reason="inactive"' in _refusal(again)


def test_refusal_page_is_in_chinese_for_a_chinese_browser() -> None:
    request = _request()
    request.META["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    from django.utils import translation

    with translation.override("zh-hans"), pytest.raises(ImmediateHttpResponse) as refused:
        SocialAccountAdapter().pre_social_login(request, _sign_on("nobody@example.com"))
    page = refused.value.response.content.decode()
    assert "登录被拒绝" in page
    assert "回访系统中没有您的用户" in page


# --- Creating users ----------------------------------------------------------------------


def test_unknown_person_is_created_with_the_configured_role_when_switched_on(
    settings: Any,
) -> None:
    settings.HUIFANG_SSO_CREATE_USERS = True
    settings.HUIFANG_SSO_DEFAULT_ROLE = "pm"
    user = _signs_in_as(_sign_on("new.person@example.com", username="new.person"))
    created = User.objects.get(pk=user.pk)
    assert (created.username, created.email, created.role) == (
        "new.person",
        "new.person@example.com",
        Role.PROJECT_MANAGER,
    )
    assert (created.is_staff, created.has_usable_password()) == (False, False)
    assert SocialAccount.objects.get().user == created


def test_created_user_gets_a_free_username(settings: Any) -> None:
    settings.HUIFANG_SSO_CREATE_USERS = True
    UserFactory.create(username="wei", email="wei@example.com")
    user = _signs_in_as(_sign_on("wei@other.example.com", username="wei"))
    assert user.username == "wei-2"


def test_created_user_has_no_email_the_provider_did_not_verify(settings: Any) -> None:
    settings.HUIFANG_SSO_CREATE_USERS = True
    user = _signs_in_as(_sign_on("claimed@example.com", verified=False, username="claimer"))
    assert (user.username, user.email) == ("claimer", "")


def test_default_role_may_not_be_administrator(settings: Any) -> None:
    settings.HUIFANG_SSO_CREATE_USERS = True
    settings.HUIFANG_SSO_DEFAULT_ROLE = "admin"
    with pytest.raises(ImproperlyConfigured):
        SocialAccountAdapter().pre_social_login(_request(), _sign_on("new@example.com"))
    assert User.objects.count() == 0


# --- The login page ----------------------------------------------------------------------


def _buttons(client: Client, path: str = "/login/") -> list[str]:
    from html.parser import HTMLParser

    found: list[str] = []

    class Parser(HTMLParser):
        action = ""

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag == "form":
                self.action = dict(attrs).get("action") or ""

        def handle_data(self, data: str) -> None:
            if self.action.startswith("/accounts/") and data.strip():
                found.append(f"{data.strip()} → {self.action}")
                self.action = ""

    Parser().feed(client.get(path).content.decode())
    return found


def test_login_page_shows_no_provider_when_none_is_configured(settings: Any) -> None:
    settings.SOCIALACCOUNT_PROVIDERS = {}
    assert _buttons(Client(HTTP_ACCEPT_LANGUAGE="en")) == []


def test_login_page_shows_only_the_configured_providers(settings: Any) -> None:
    settings.SOCIALACCOUNT_PROVIDERS = {"openid_connect": OIDC, "feishu": FEISHU}
    assert _buttons(Client(HTTP_ACCEPT_LANGUAGE="en")) == [
        "Sign in with Keycloak → /accounts/oidc/sso/login/",
        "Sign in with Feishu → /accounts/feishu/login/",
    ]
    settings.SOCIALACCOUNT_PROVIDERS = {"dingtalk": DINGTALK}
    assert _buttons(Client(HTTP_ACCEPT_LANGUAGE="zh-hans")) == [
        "钉钉登录 → /accounts/dingtalk/login/"
    ]


# --- Password sign-in switched off -------------------------------------------------------


def _password_login(client: Client, username: str) -> int:
    response = client.post("/login/", {"username": username, "password": "correct-horse-battery"})
    return response.status_code


def test_without_local_login_the_page_has_no_password_form(settings: Any) -> None:
    settings.HUIFANG_LOCAL_LOGIN = False
    settings.SOCIALACCOUNT_PROVIDERS = {"dingtalk": DINGTALK}
    page = Client(HTTP_ACCEPT_LANGUAGE="en").get("/login/").content.decode()
    assert ('name="password"' in page, "Sign in with DingTalk" in page) == (False, True)


def test_without_local_login_a_member_cannot_use_a_password(settings: Any) -> None:
    settings.HUIFANG_LOCAL_LOGIN = False
    UserFactory.create(username="wei", role=Role.MEMBER)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert _password_login(client, "wei") == 200  # the form again, with its error
    assert client.get("/").status_code == 302


def test_without_local_login_a_superuser_signs_in_at_the_break_glass_page(
    settings: Any,
) -> None:
    settings.HUIFANG_LOCAL_LOGIN = False
    UserFactory.create(username="root", role=Role.ADMIN, is_superuser=True, is_staff=True)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    page = client.get("/login/?local=1").content.decode()
    assert 'name="password"' in page
    assert "only superusers may sign in here" in page
    assert _password_login(client, "root") == 302
    assert client.get("/").status_code == 200


def test_with_local_login_a_member_signs_in_with_a_password() -> None:
    UserFactory.create(username="wei", role=Role.MEMBER)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert _password_login(client, "wei") == 302
    assert client.get("/").status_code == 200
