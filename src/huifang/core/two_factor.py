"""Two-factor sign-in: a TOTP authenticator app plus single-use recovery codes, kept in
django-allauth's mfa models (``Authenticator``) and checked with its TOTP and
recovery-code helpers.

Who must have it: the roles in HUIFANG_MFA_REQUIRED_ROLES (administrators always).
Anyone may turn it on from their profile. A password sign-in of a user with TOTP asks
for a code before the session is opened (views_two_factor.login_code); a user of a
required role without TOTP is sent to set it up before any other page. Single sign-on
sessions are left to the identity provider's own second factor.
"""

from __future__ import annotations

from collections.abc import Callable

import segno
from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret, validate_totp_code
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from huifang.core.errors import DomainError
from huifang.core.models import Role, User
from huifang.core.sso import SSO_BACKEND

# The session's record of a password sign-in waiting for its code.
PENDING_KEY = "huifang.two_factor.pending"
# The secret shown on the set-up page until a code confirms it.
UNCONFIRMED_KEY = "huifang.two_factor.unconfirmed"
# Wrong codes before the pending sign-in is dropped (the password is asked again, and
# the password is guarded by django-axes).
MAX_CODE_FAILURES = 5
# Seconds a pending sign-in waits for its code.
PENDING_SECONDS = 300


def required_roles() -> set[str]:
    """HUIFANG_MFA_REQUIRED_ROLES, which always holds "admin" (huifang/sso_settings.py)."""
    return set(getattr(settings, "HUIFANG_MFA_REQUIRED_ROLES", [Role.ADMIN]))


def is_required(user: User) -> bool:
    return user.role in required_roles()


def has_totp(user: User) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def unused_recovery_codes(user: User) -> int:
    codes = Authenticator.objects.filter(user=user, type=Authenticator.Type.RECOVERY_CODES).first()
    return len(RecoveryCodes(codes).get_unused_codes()) if codes else 0


def new_secret() -> str:
    return generate_totp_secret()


def qr_code_svg(user: User, secret: str) -> str:
    """The otpauth:// URL as a QR code (a data: URI for an <img>)."""
    url = get_mfa_adapter().build_totp_url(user, secret)
    return segno.make(url, error="m").svg_data_uri(scale=4)


@transaction.atomic
def activate_totp(*, user: User, secret: str, code: str) -> list[str]:
    """Turn two-factor sign-in on with ``secret`` once ``code`` proves the app has it;
    the recovery codes, to be shown once."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    if has_totp(locked):
        raise DomainError(_("Two-factor sign-in is already on."))
    if not validate_totp_code(secret, _digits(code)):
        raise DomainError(_("That code is not right. Enter the code your app shows now."))
    TOTP.activate(locked, secret)
    return RecoveryCodes.activate(locked).get_unused_codes()


@transaction.atomic
def verify_second_factor(*, user: User, code: str) -> bool:
    """Whether ``code`` is the user's current TOTP code or one of their unused recovery
    codes; a recovery code is used up by it. The rows are locked so that one code
    cannot be spent twice by two requests at once."""
    code = _digits(code)
    if not code:
        return False
    authenticators = {
        a.type: a
        for a in Authenticator.objects.select_for_update().filter(
            user=user,
            type__in=[Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES],
        )
    }
    totp = authenticators.get(Authenticator.Type.TOTP)
    if totp is None:
        return False
    if TOTP(totp).validate_code(code):
        totp.record_usage()
        return True
    codes = authenticators.get(Authenticator.Type.RECOVERY_CODES)
    if codes is not None and RecoveryCodes(codes).validate_code(code):
        codes.record_usage()
        return True
    return False


def _digits(code: str) -> str:
    return "".join(code.split())


def signed_on(request: HttpRequest) -> bool:
    """Whether this session was opened by single sign-on."""
    return request.session.get(BACKEND_SESSION_KEY) == SSO_BACKEND


class TwoFactorSetupMiddleware:
    """A user of a role that requires two-factor sign-in, signed in with a password
    and without TOTP, is sent to set it up; only that page, signing out and the
    language switch stay open to them meanwhile."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and isinstance(user, User)
            and is_required(user)
            and not signed_on(request)
            and not request.path.startswith(_open_paths())
            and not has_totp(user)
        ):
            return redirect("accounts:two_factor")
        return self.get_response(request)


def _open_paths() -> tuple[str, ...]:
    return (
        reverse("accounts:two_factor"),
        reverse("logout"),
        reverse("set_language"),
        settings.STATIC_URL,
        "/healthz",
    )
