"""Request counts and latencies for Prometheus.

Labels are bounded whatever the traffic: the method (unknown verbs count as
``other``), the URL's route name (never the path, which holds ids and survey tokens)
and the status class (``2xx`` …). Installed only when ``/metrics`` is switched on
(settings.py), so an installation without monitoring pays nothing."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from prometheus_client import Histogram

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

REQUEST_SECONDS = Histogram(
    "huifang_http_request_duration_seconds",
    "Time from the request reaching Django to its response, by route.",
    ["method", "route", "status"],
    # Pages answer in tens of milliseconds; the tail up to the gunicorn timeout (60 s).
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
)


def route_of(request: HttpRequest) -> str:
    """The URL name the request resolved to (``projects:detail``,
    ``api-1.0.0:list_visits``), or what it was when it resolved to none."""
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return match.view_name or "unnamed"
    if request.path.startswith(settings.STATIC_URL):
        return "static"  # answered by WhiteNoise before URL resolution
    return "unmatched"


class RequestMetricsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        method = request.method if request.method in METHODS else "other"
        REQUEST_SECONDS.labels(
            method=method, route=route_of(request), status=f"{response.status_code // 100}xx"
        ).observe(time.perf_counter() - started)
        return response
