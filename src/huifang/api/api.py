"""The REST API (``/api/v1/``): one NinjaAPI, one router per domain.

Every router calls the same services and asks :mod:`huifang.core.access` the same
questions as the pages: an object outside the caller's scope answers 404, a visible
one the caller may not change 403."""

from __future__ import annotations

from ninja import NinjaAPI

from huifang.api import (
    actions,
    customers,
    errors,
    metrics,
    notifications,
    policy,
    projects,
    records,
    surveys,
    visits,
)
from huifang.api.auth import AUTH
from huifang.api.docs import LocalSwagger

api = NinjaAPI(
    title="Huifang API",
    version="1",
    description="Project follow-up visits: customers, projects, visits, records, actions.",
    auth=AUTH,
    urls_namespace="api",
    docs=LocalSwagger(),
    docs_url="/docs",
    openapi_url="/openapi.json",
)
errors.install(api)

for module in (
    customers,
    projects,
    policy,
    visits,
    records,
    actions,
    surveys,
    notifications,
    metrics,
):
    api.add_router("/", module.router)
