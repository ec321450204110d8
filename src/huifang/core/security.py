"""Small helpers the security settings point at: django-axes' client address, backend
and lockout page, and the bearer-token throttle of the API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_cool_off
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from huifang.core import ratelimit


def client_ip(request: HttpRequest) -> str | None:
    """The address login attempts are counted against.

    Without trusted proxies it is REMOTE_ADDR, which a client cannot forge. Behind
    ``HUIFANG_TRUSTED_PROXY_COUNT`` proxies, each appending the address it saw to
    X-Forwarded-For, the client is the entry that many places from the right; entries
    further left were written by the client and are ignored.
    """
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = int(getattr(settings, "HUIFANG_TRUSTED_PROXY_COUNT", 0) or 0)
    if proxies <= 0:
        return remote
    forwarded = [
        part.strip()
        for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    if len(forwarded) < proxies:
        return remote
    return forwarded[-proxies]


# django-axes keeps the username of every failed login in 255-character columns.
AXES_USERNAME_LENGTH = 255


def login_username(request: HttpRequest, credentials: dict[str, Any] | None = None) -> str | None:
    """The username a login attempt is counted under (django-axes' AXES_USERNAME_CALLABLE):
    the one typed, cut to the length axes can store. Django's login form does not check
    the username's length, so a longer one reached axes' INSERT, a server error on
    PostgreSQL; no account has a name that long (150 at most), so the cut name counts
    for nobody else."""
    source = credentials if credentials else getattr(request, "data", request.POST)
    username = source.get(getattr(settings, "AXES_USERNAME_FORM_FIELD", "username"))
    return username[:AXES_USERNAME_LENGTH] if isinstance(username, str) else username


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """The page a locked-out login gets (django-axes' AXES_LOCKOUT_CALLABLE)."""
    cool_off = get_cool_off(request)
    minutes = max(1, round(cool_off.total_seconds() / 60)) if cool_off else None
    return render(
        request,
        "core/lockout.html",
        {"failure_limit": settings.AXES_FAILURE_LIMIT, "cooloff_minutes": minutes},
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )


class LoginAttemptBackend(AxesStandaloneBackend):
    """django-axes' lockout check, first in AUTHENTICATION_BACKENDS.

    Web logins (the login page, the admin) always pass the request and are checked.
    ``authenticate()`` called without a request (a shell, a management command) has no
    client address to count against; it skips the check instead of raising.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if request is None:
            return None
        super().authenticate(request, username=username, password=password, **kwargs)
        return None


BEARER_FAILURES = "bearer-failures"


class BearerTokenThrottleMiddleware:
    """Login protection for the API's bearer tokens (which have no password form).

    Every API answer 401 to a request carrying ``Authorization: Bearer ...`` counts as
    one failure for the client address. After ``HUIFANG_TOKEN_FAILURE_LIMIT`` failures
    within ``AXES_COOLOFF_TIME`` (counted from the first), bearer requests from that
    address get 429 until the window ends — valid tokens included, as a locked-out
    login is refused even with the right password. Counts are shared by every process
    (:mod:`huifang.core.ratelimit`: Redis when configured, else the database).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if header[:7].lower() != "bearer ":
            return self.get_response(request)
        client = client_ip(request) or "unknown"
        limit = int(getattr(settings, "HUIFANG_TOKEN_FAILURE_LIMIT", 20))
        cool_off = get_cool_off(request)
        window = int(cool_off.total_seconds()) if cool_off else 900
        if ratelimit.count(BEARER_FAILURES, client) >= limit:
            refused = JsonResponse(
                {"detail": _("Too many requests with an invalid API token. Try again later.")},
                status=429,
            )
            refused["Retry-After"] = str(window)
            return refused
        response = self.get_response(request)
        if response.status_code == 401:
            ratelimit.hit(BEARER_FAILURES, client, window=window)
        return response
