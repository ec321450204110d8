"""Errors as JSON ``{"detail": ...}`` with the status code that says what happened."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from huifang.core.concurrency import EditConflict
from huifang.core.errors import DomainError

if TYPE_CHECKING:
    from ninja import NinjaAPI

# DomainError codes with their own status; every other code is a 400. A conflict is
# an EditConflict, answered by its own handler below.
DOMAIN_STATUS = {"read_only": 409, "not_found": 404}


class PreconditionRequired(Exception):
    """A write that needs ``If-Match`` came without it (428)."""


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

    def conflict(request: HttpRequest, exc: Exception) -> HttpResponse:
        # The one mapping of "someone changed this first": a stale If-Match, a stale
        # version found by a service on its locked row, a stale revision, a row stored
        # meanwhile. The generic one is worded for a client holding an ETag.
        message = (
            _("Someone else changed this in the meantime. Reload it and try again.")
            if getattr(exc, "generic", True)
            else getattr(exc, "message", str(exc))
        )
        return api.create_response(request, {"detail": message}, status=409)

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
        EditConflict: conflict,
        PermissionDenied: forbidden,
        PreconditionRequired: precondition_required,
    }
    for exc_class, handler in handlers.items():
        api.add_exception_handler(exc_class, handler)
