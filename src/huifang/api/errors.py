"""Errors as JSON ``{"detail": ...}`` with the status code that says what happened."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from huifang.core.errors import DomainError

if TYPE_CHECKING:
    from ninja import NinjaAPI

# DomainError codes with their own status; every other code is a 400.
DOMAIN_STATUS = {"conflict": 409, "read_only": 409, "not_found": 404}


class PreconditionRequired(Exception):
    """A write that needs ``If-Match`` came without it (428)."""


class PreconditionFailed(Exception):
    """``If-Match`` names a version that is no longer current (409: a stale write)."""


def install(api: NinjaAPI) -> None:
    def domain_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        code = getattr(exc, "code", "invalid")
        message = getattr(exc, "message", str(exc))
        return api.create_response(
            request, {"detail": message}, status=DOMAIN_STATUS.get(code, 400)
        )

    def forbidden(request: HttpRequest, exc: Exception) -> HttpResponse:
        return api.create_response(
            request, {"detail": _("You are not allowed to do this.")}, status=403
        )

    def precondition_required(request: HttpRequest, exc: Exception) -> HttpResponse:
        return api.create_response(
            request,
            {"detail": _("Send the If-Match header with the ETag you last read.")},
            status=428,
        )

    def stale(request: HttpRequest, exc: Exception) -> HttpResponse:
        return api.create_response(
            request,
            {"detail": _("Someone else changed this in the meantime. Reload it and try again.")},
            status=409,
        )

    def integrity(request: HttpRequest, exc: Exception) -> HttpResponse:
        # A unique or other constraint lost to data stored meanwhile (a race).
        return api.create_response(
            request,
            {"detail": _("This conflicts with data stored in the meantime. Reload and retry.")},
            status=409,
        )

    handlers: dict[type[Exception], Any] = {
        IntegrityError: integrity,
        DomainError: domain_error,
        PermissionDenied: forbidden,
        PreconditionRequired: precondition_required,
        PreconditionFailed: stale,
    }
    for exc_class, handler in handlers.items():
        api.add_exception_handler(exc_class, handler)
