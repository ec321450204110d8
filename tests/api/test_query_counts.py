"""API lists and exports run the same number of queries for one row as for many."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from huifang.actions.services import create_action
from huifang.api.tokens import create_api_token
from huifang.core.models import User
from huifang.policy.models import Policy
from huifang.projects.models import Project
from tests.factories import make_project

pytestmark = pytest.mark.django_db

LISTS = [
    "/api/v1/projects",
    "/api/v1/visits",
    "/api/v1/actions",
    "/api/v1/customers",
    "/api/v1/records",
    "/api/v1/surveys/invitations",
    "/transfer/export/projects.csv",
    "/transfer/export/visits.csv",
    "/transfer/export/actions.csv",
    "/transfer/export/customers.csv",
]


def _another_project(n: int, policy: Policy, owner: User, colleague: User) -> Project:
    created = make_project(
        code=f"P-1{n:02d}", name=f"Project {n}", manager=owner, policy=policy, members=[colleague]
    )
    create_action(
        project=created,
        description="Follow up",
        owner=colleague,
        due_date=datetime.date(2026, 12, 1),
        created_by=owner,
    )
    return created


def _count(client: Client, url: str, headers: dict[str, Any]) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **headers)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("url", LISTS)
def test_list_query_count_does_not_grow_with_rows(
    url: str, project: Project, policy: Policy, owner: User, colleague: User
) -> None:
    client = Client()
    client.force_login(owner)
    headers: dict[str, Any] = {
        "HTTP_AUTHORIZATION": f"Bearer {create_api_token(user=owner, name='q').raw}"
    }
    _another_project(0, policy, owner, colleague)
    client.get(url, **headers)  # warm caches (content types, sessions)
    few = _count(client, url, headers)
    for n in range(1, 4):
        _another_project(n, policy, owner, colleague)
    many = _count(client, url, headers)
    assert many == few
