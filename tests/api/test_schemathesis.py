"""Property-based run of the whole API against its own OpenAPI schema (schemathesis,
in process through WSGI) with the tokens of an administrator and of a member: no
server errors, and every response matches the schema (status code and body)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from huifang.api.tokens import create_api_token
from huifang.core.models import User
from tests.api.conftest import World

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())

CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


@pytest.fixture
def bearer_tokens(world: World, admin_user: User, colleague: User) -> Iterator[list[str]]:
    # Like Django's test client: the test's transaction must survive each request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield [
            create_api_token(user=admin_user, name="schemathesis").raw,
            create_api_token(user=colleague, name="schemathesis").raw,
        ]
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=5,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case: Any, bearer_tokens: list[str]) -> None:
    for raw in bearer_tokens:
        case.call_and_validate(headers={"Authorization": f"Bearer {raw}"}, checks=CHECKS)
