"""The pages people meet when something is refused, missing or broken (403, 404, 500):
in the base layout and the reader's language, with a way back, instead of Django's
bare "Not Found" line. The JSON API keeps its own ``{"detail": …}`` errors."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.translation import get_language
from django.utils.translation import gettext as _


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": _("You may not do this.")}, status=403)
    return render(request, "core/error.html", _context(request, 403), status=403)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return render(request, "core/error.html", _context(request, 404), status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """Rendered without context processors: the error may be the database, which the
    navigation and the signed-in user need."""
    if _is_api(request):
        return JsonResponse({"detail": _("Something went wrong on our side.")}, status=500)
    context = {**_context(request, 500), "LANGUAGE_CODE": get_language(), "bare": True}
    return HttpResponse(loader.render_to_string("core/error.html", context), status=500)


def _context(request: HttpRequest, status: int) -> dict[str, Any]:
    titles = {
        403: _("You may not open this page"),
        404: _("Page not found"),
        500: _("Something went wrong"),
    }
    explanations = {
        403: _(
            "Your role does not allow this. If you need it for your work, ask a quality "
            "manager or an administrator."
        ),
        404: _(
            "The page does not exist, or it belongs to a project you are not part of. "
            "Check the address, or start again from your work."
        ),
        500: _("The page could not be shown. It has been logged; please try again in a moment."),
    }
    return {"status": status, "title": titles[status], "explanation": explanations[status]}
