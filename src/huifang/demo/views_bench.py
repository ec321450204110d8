"""The benchmark's ceiling: the cheapest page the stack can serve.

It goes through the same gunicorn, middleware, session and login check as every other
page but does no work of its own, so its throughput is the ceiling the pages are
measured against (``bench/run.py``). Mounted only with ``HUIFANG_DEBUG`` or
``HUIFANG_BENCH`` set, like :func:`data_changed`; :func:`working_day` and
:func:`visit_recorded`, which write data, only with ``HUIFANG_BENCH``."""

from __future__ import annotations

import random
from dataclasses import asdict

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from huifang.core import dataversion
from huifang.core.access import is_admin, require
from huifang.demo.working_day import record_one_visit, working_day_tick


@login_required
@require_GET
def ceiling(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


# Without a CSRF token, so the load driver can call it between page requests: it
# changes no data, only retires cached figures, and exists only in bench mode.
@csrf_exempt
@login_required
@require_POST
def data_changed(request: HttpRequest) -> HttpResponse:
    """Move the data version and every month's, as a write that names no month would
    (a project edited): every cached page and figure is computed afresh. Lets the
    benchmark measure pages as they are right after such a change."""
    dataversion.bump()
    return HttpResponse("ok", content_type="text/plain")


# Like data_changed: without a CSRF token, only in bench mode, for the load driver.
@csrf_exempt
@login_required
@require_POST
def working_day(request: HttpRequest) -> JsonResponse:
    """One tick of the working-day phase (:mod:`huifang.demo.working_day`): a visit
    recorded and submitted, mail sent, notifications read. ``keep``: visit ids (comma
    separated) that must stay open. It writes data as other people, so only an
    administrator may call it, and only on a benchmark server (``HUIFANG_BENCH``)."""
    require(is_admin(request.user))
    keep = [int(pk) for pk in request.GET.get("keep", "").split(",") if pk.isdigit()]
    tick = working_day_tick(keep=keep)
    return JsonResponse(asdict(tick))


# Like working_day: without a CSRF token, only in bench mode, administrators only.
@csrf_exempt
@login_required
@require_POST
def visit_recorded(request: HttpRequest) -> JsonResponse:
    """A change as a working day makes one: a visit recorded and submitted by its owner
    (:func:`huifang.demo.working_day.record_one_visit`). The benchmark's "after a
    change" rows measure the page right after it: what it retires is what a real
    write retires (this month's figures), where :func:`data_changed` retires
    everything. ``keep``: visit ids (comma separated) that must stay open."""
    require(is_admin(request.user))
    keep = {int(pk) for pk in request.GET.get("keep", "").split(",") if pk.isdigit()}
    visit = record_one_visit(random.Random(), keep=keep)  # noqa: S311 - made-up content
    return JsonResponse({"recorded_visit": visit})
