"""A write that found the database locked answers 503 with ``Retry-After``, not 500.

On SQLite one writer holds the write lock at a time; a writer waits for it up to the
busy timeout (``HUIFANG_SQLITE_BUSY_TIMEOUT``) and then fails with "database is
locked". On PostgreSQL a statement can fail on ``lock_timeout`` (55P03) or lose a
deadlock (40P01). Nothing was written (the transaction was rolled back), so the honest
answer is "busy, try again shortly": a 500 would say the server is broken, and make
an API client give up instead of retrying.

:class:`DatabaseBusyMiddleware` answers for views (the API's too: django-ninja hands
an exception it has no handler for back to Django); :func:`server_error`, the
``handler500``, for the rare lock error raised by a middleware (a session saved after
the view), falling back to Django's own 500 page for everything else."""

from __future__ import annotations

import sys
from collections.abc import Callable

from django.db import OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import defaults

RETRY_AFTER_SECONDS = 5
# SQLite's messages when the busy timeout ran out; PostgreSQL's SQLSTATEs for a lock
# wait that timed out and for a deadlock victim.
_SQLITE_LOCKED = ("database is locked", "database table is locked")
_PG_LOCK_STATES = {"55P03", "40P01"}


def is_lock_error(error: BaseException | None) -> bool:
    if not isinstance(error, OperationalError):
        return False
    if any(text in str(error) for text in _SQLITE_LOCKED):
        return True
    cause = error.__cause__
    return getattr(cause, "sqlstate", None) in _PG_LOCK_STATES


def busy_response(request: HttpRequest) -> HttpResponse:
    message = _("The database is busy. Nothing was saved; please try again in a few seconds.")
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=503)
    else:
        response = render(request, "core/busy.html", {"message": message}, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DatabaseBusyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        return busy_response(request) if is_lock_error(exception) else None


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: Django calls it while handling the exception, so it is current."""
    if is_lock_error(sys.exc_info()[1]):
        return busy_response(request)
    return defaults.server_error(request)
