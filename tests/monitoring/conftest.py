"""/metrics switched on with a token, and a scrape parsed back as Prometheus does."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

TOKEN = "scrape-token-for-tests"
MIDDLEWARE = "huifang.monitoring.middleware.RequestMetricsMiddleware"


@pytest.fixture
def metrics_on(settings: Any) -> None:
    """As with HUIFANG_METRICS_TOKEN set: the endpoint answers to the token and the
    request middleware measures (settings.py adds it first)."""
    settings.HUIFANG_METRICS_TOKEN = TOKEN
    settings.HUIFANG_METRICS_ALLOWED_IPS = []
    settings.MIDDLEWARE = [MIDDLEWARE, *settings.MIDDLEWARE]


Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def parse(text: str) -> Samples:
    """Every sample of a scrape by (name, sorted labels)."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def scrape(client: Client | None = None) -> Samples:
    response = (client or Client()).get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/plain; version=")
    return parse(response.content.decode())
