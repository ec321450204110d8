from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from huifang.core import health

log = logging.getLogger(__name__)


def _run(check: Callable[[], object]) -> str:
    try:
        check()
    except Exception as error:  # any failure is a failed check, named in the answer
        log.warning("health check %s failed: %s", check.__name__, type(error).__name__)
        return "failed"
    return "ok"


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers: 200 while the database (and Redis, where configured)
    answers; 503 naming the check that failed."""
    results = {name: _run(check) for name, check in health.checks().items()}
    failing = [name for name, result in results.items() if result != "ok"]
    if failing:
        return JsonResponse({"status": "error", "checks": results, "failing": failing}, status=503)
    return JsonResponse({"status": "ok", "checks": results})


@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """For deployments: 503 while migrations are pending (new code before ``huifang
    migrate``) or the database does not answer, 200 once this host can serve."""
    try:
        pending = health.pending_migrations()
    except Exception as error:  # the database is down: not ready either
        log.warning("readiness check failed: %s", type(error).__name__)
        return JsonResponse({"status": "error", "checks": {"database": "failed"}}, status=503)
    if pending:
        return JsonResponse({"status": "migrations pending", "pending": pending}, status=503)
    return JsonResponse({"status": "ok"})
