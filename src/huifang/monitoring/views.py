"""``/metrics``: off unless configured, then open to a bearer token or to addresses.

Not a page: no login, no session. With neither ``HUIFANG_METRICS_TOKEN`` nor
``HUIFANG_METRICS_ALLOWED_IPS`` set the URL answers 404, as if it did not exist;
otherwise a request with the token (``Authorization: Bearer …``) or from an allowed
address (the client address as the login protection sees it, so behind proxies
``HUIFANG_TRUSTED_PROXY_COUNT`` applies) gets the figures and anyone else 403."""

from __future__ import annotations

import functools
import hmac
import ipaddress
import os
from collections.abc import Iterator

import prometheus_client
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.views.decorators.http import require_GET
from prometheus_client import CollectorRegistry, multiprocess
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from huifang.core.security import client_ip
from huifang.monitoring.collector import FollowUpCollector

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@functools.cache
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    try:
        return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)
    except ValueError as error:
        raise ImproperlyConfigured(f"HUIFANG_METRICS_ALLOWED_IPS: {error}") from error


def _from_allowed_address(request: HttpRequest) -> bool:
    networks = _networks(tuple(settings.HUIFANG_METRICS_ALLOWED_IPS))
    try:
        address = ipaddress.ip_address(client_ip(request) or "")
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped  # a server bound to [::] sees IPv4 clients so
    return any(address in network for network in networks)


def _has_token(request: HttpRequest) -> bool:
    token: str = settings.HUIFANG_METRICS_TOKEN
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not token or header[:7].lower() != "bearer ":
        return False
    return hmac.compare_digest(header[7:].strip().encode(), token.encode())


class _ThisProcess(Collector):
    """The request metrics (and the process' memory and CPU) of this process."""

    def collect(self) -> Iterator[Metric]:
        yield from prometheus_client.REGISTRY.collect()


def _registry() -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Several gunicorn workers: each writes its request metrics to files in that
        # directory and any of them adds them all up (`huifang serve` manages it).
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    registry.register(FollowUpCollector())
    return registry


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not settings.HUIFANG_METRICS_TOKEN and not settings.HUIFANG_METRICS_ALLOWED_IPS:
        raise Http404
    if not (_has_token(request) or _from_allowed_address(request)):
        return HttpResponseForbidden("Forbidden\n", content_type="text/plain")
    return HttpResponse(
        prometheus_client.generate_latest(_registry()),
        content_type=prometheus_client.CONTENT_TYPE_LATEST,
    )
