"""Single sign-on: who an identity provider's person is in Huifang, and who is refused.

django-allauth runs the OpenID Connect / DingTalk / Feishu protocol (PKCE, state,
token and ID-token checks); this module decides the rest (settings in
huifang/sso_settings.py):

- a sign-on already linked to a user signs that user in;
- otherwise the person is matched by a *verified* e-mail address (and, with
  HUIFANG_SSO_MATCH_USERNAME, by username), and the sign-on is linked to that user;
- a person nobody matches is refused, or, with HUIFANG_SSO_CREATE_USERS, becomes a new
  user with HUIFANG_SSO_DEFAULT_ROLE;
- a deactivated user is refused, and so is any failed sign-on (a tampered or replayed
  state, an error from the provider), on Huifang's own page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter, get_adapter
from allauth.socialaccount.models import SocialLogin
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from huifang.core.account_services import create_sso_user
from huifang.core.models import User


class PasswordBackend(ModelBackend):
    """Huifang's own passwords. With HUIFANG_LOCAL_LOGIN=0 only superusers may use
    one (the break-glass way in when the identity provider is down); everybody else
    signs in through single sign-on. Applies to the Django admin's login too."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None or local_login_enabled() or getattr(user, "is_superuser", False):
            return user
        return None


class SingleSignOnBackend(ModelBackend):
    """Restores the sessions a single sign-on opened. It authenticates nobody by
    itself: the identity provider did that."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        return None


# The backend a single sign-on's session is restored by (in AUTHENTICATION_BACKENDS).
SSO_BACKEND = f"{SingleSignOnBackend.__module__}.{SingleSignOnBackend.__qualname__}"


def local_login_enabled() -> bool:
    return bool(getattr(settings, "HUIFANG_LOCAL_LOGIN", True))


@dataclass(frozen=True)
class ProviderButton:
    label: str
    url: str


def provider_buttons(request: HttpRequest) -> list[ProviderButton]:
    """One button for each configured provider: OpenID Connect, DingTalk, Feishu."""
    order = {"openid_connect": 0, "dingtalk": 1, "feishu": 2}
    buttons: list[tuple[int, ProviderButton]] = []
    for provider in get_adapter().list_providers(request):
        if provider.id == "dingtalk":
            label = _("Sign in with DingTalk")
        elif provider.id == "feishu":
            label = _("Sign in with Feishu")
        else:
            label = _("Sign in with %(name)s") % {"name": provider.name}
        button = ProviderButton(label=label, url=provider.get_login_url(request))
        buttons.append((order.get(provider.id, len(order)), button))
    return [button for _rank, button in sorted(buttons, key=lambda pair: pair[0])]


def configured_provider_ids(request: HttpRequest) -> set[str]:
    """The ids of the configured providers, and the app id of each OpenID Connect app."""
    ids: set[str] = set()
    for provider in get_adapter().list_providers(request):
        ids.add(provider.id)
        if provider.app is not None and provider.app.provider_id:
            ids.add(provider.app.provider_id)
    return ids


# Why a sign-on was refused, and what the person is told.
UNKNOWN = "unknown"
INACTIVE = "inactive"
FAILED = "failed"


def refused(request: HttpRequest, reason: str) -> HttpResponse:
    messages = {
        UNKNOWN: _(
            "Your sign-in worked at your organisation's identity provider, but Huifang "
            "has no user for you. Ask a Huifang administrator to add you, with the "
            "e-mail address your organisation knows you by."
        ),
        INACTIVE: _(
            "Your Huifang user has been deactivated. Ask a Huifang administrator if "
            "you need access again."
        ),
        FAILED: _(
            "The sign-in could not be completed: it was cancelled, it expired, or its "
            "answer did not match the sign-in this browser started. Please try again."
        ),
    }
    return render(
        request,
        "core/sso_refused.html",
        {"reason": reason, "message": messages[reason]},
        status=403,
    )


def matching_user(sociallogin: SocialLogin) -> User | None:
    """The one user a new sign-on belongs to: by a verified e-mail address, else (if
    allowed) by username. Two users sharing the address match nobody."""
    for address in sociallogin.email_addresses:
        if not address.verified or not address.email:
            continue
        users = list(User.objects.filter(email__iexact=address.email)[:2])
        if len(users) == 1:
            return users[0]
    username = getattr(sociallogin.user, "username", "")
    if username and getattr(settings, "HUIFANG_SSO_MATCH_USERNAME", False):
        return User.objects.filter(username__iexact=username).first()
    return None


def _new_user(sociallogin: SocialLogin) -> User | None:
    if not getattr(settings, "HUIFANG_SSO_CREATE_USERS", False):
        return None
    person = sociallogin.user
    verified = [a.email for a in sociallogin.email_addresses if a.verified and a.email]
    return create_sso_user(
        username=getattr(person, "username", ""),
        email=verified[0] if verified else "",
        display_name=person.get_full_name() if isinstance(person, User) else "",
        role=getattr(settings, "HUIFANG_SSO_DEFAULT_ROLE", "member"),
    )


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """allauth's hooks, answered by the rules above. Every way out other than a
    successful sign-in raises ImmediateHttpResponse with Huifang's refusal page, so
    none of allauth's own sign-up or error pages is ever shown."""

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        linked = sociallogin.is_existing
        user = sociallogin.user if linked else matching_user(sociallogin)
        if user is None:
            user = _new_user(sociallogin)
        if user is None:
            raise ImmediateHttpResponse(refused(request, UNKNOWN))
        if not user.is_active:
            raise ImmediateHttpResponse(refused(request, INACTIVE))
        user.backend = SSO_BACKEND  # type: ignore[union-attr]
        if not linked:
            sociallogin.connect(request, user)

    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        return False

    def on_authentication_error(
        self,
        request: HttpRequest,
        provider: Any,
        error: Any = None,
        exception: Any = None,
        extra_context: Any = None,
    ) -> None:
        raise ImmediateHttpResponse(refused(request, FAILED))


class AccountAdapter(DefaultAccountAdapter):
    """allauth's login stages without its second-factor ones: a sign-on's second
    factor is the identity provider's (Huifang's own TOTP guards password sign-in,
    huifang.core.two_factor), and allauth's pages for it are not mounted."""

    def get_login_stages(self) -> list[str]:
        stages: list[str] = super().get_login_stages()
        return [stage for stage in stages if not stage.startswith("allauth.mfa.")]
