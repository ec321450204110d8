"""The benchmark's ceiling: the cheapest page the stack can serve.

It goes through the same gunicorn, middleware, session and login check as every other
page but does no work of its own, so its throughput is the ceiling the pages are
measured against (``bench/run.py``). Mounted only with ``HUIFANG_DEBUG`` or
``HUIFANG_BENCH`` set."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET


@login_required
@require_GET
def ceiling(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")
