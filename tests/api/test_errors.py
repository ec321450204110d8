"""Error bodies, validation messages, pagination bounds, session auth with CSRF."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from huifang.core.models import User
from tests.api.conftest import World

pytestmark = pytest.mark.django_db


def test_validation_error_names_the_field(owner: User, world: World, api_as: Any) -> None:
    response = api_as(owner).call("POST", "/api/v1/customers", {"name": ""})
    body = response.json()
    assert response.status_code == 422
    assert body["detail"][0]["loc"][-1] == "name"


def test_domain_error_is_400_with_detail(owner: User, world: World, api_as: Any) -> None:
    name = world.project.customer.name
    response = api_as(owner).call("POST", "/api/v1/customers", {"name": name})
    assert (response.status_code, response.json()) == (
        400,
        {"detail": "A customer with this name already exists."},
    )


def test_unknown_object_is_404_json(owner: User, world: World, api_as: Any) -> None:
    response = api_as(owner).call("GET", "/api/v1/projects/999999")
    assert (response.status_code, response.json()) == (404, {"detail": "Not Found"})


def test_list_paginates_with_bounded_limit(owner: User, world: World, api_as: Any) -> None:
    client = api_as(owner)
    page = client.call("GET", "/api/v1/visits", query={"limit": 2, "offset": 1})
    too_big = client.call("GET", "/api/v1/visits", query={"limit": 1000})
    body = page.json()
    assert (page.status_code, len(body["items"])) == (200, 2)
    assert body["count"] == world.project.visits.count()
    assert too_big.status_code == 422


def test_visit_list_filters_by_status_and_due_range(owner: User, world: World, api_as: Any) -> None:
    response = api_as(owner).call(
        "GET",
        "/api/v1/visits",
        query={"status": "done", "due_to": world.submitted_visit.due_date.isoformat()},
    )
    assert [item["id"] for item in response.json()["items"]] == [world.submitted_visit.pk]


def test_session_write_without_csrf_is_refused(owner: User, world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    read = client.get("/api/v1/projects")
    write = client.post(
        "/api/v1/customers", {"name": "Via session"}, content_type="application/json"
    )
    assert (read.status_code, write.status_code) == (200, 403)


def test_session_write_with_csrf_works(owner: User, world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    client.get("/transfer/")  # any page sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    response = client.post(
        "/api/v1/customers",
        {"name": "Via session"},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert response.status_code == 201


def test_openapi_and_docs_are_served_without_a_cdn(world: World) -> None:
    client = Client()
    schema = client.get("/api/v1/openapi.json")
    docs = client.get("/api/v1/docs")
    html = docs.content.decode()
    assert (schema.status_code, docs.status_code) == (200, 200)
    assert "/static/api/swagger/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()


def test_metrics_summary_returns_the_metric_names(owner: User, world: World, api_as: Any) -> None:
    response = api_as(owner).call(
        "GET", "/api/v1/metrics/summary", query={"date_from": "2026-01-01", "date_to": "2026-12-31"}
    )
    metrics = response.json()["metrics"]
    assert {"on_time_rate", "completion_rate", "csat", "nps"} <= set(metrics)


def test_metrics_summary_with_reversed_period_is_400(
    owner: User, api_as: Any, world: World
) -> None:
    response = api_as(owner).call(
        "GET", "/api/v1/metrics/summary", query={"date_from": "2026-12-31", "date_to": "2026-01-01"}
    )
    assert response.status_code == 400
