"""A project's dates are bounded, so planning one project is bounded work (issue 16:
2460-09-11 … 9988-05-19 planned 196,388 visits for 70 s under SQLite's write lock).
Every path that sets a project's dates refuses what is out of bounds: the form, the
API (create and PATCH), the import and the service under them (the admin's path).

Everything is looked at on 2026-12-02: dates from 2016-12-02 to 2036-12-02 are
accepted, and a project lasts ten years at most."""

from __future__ import annotations

import datetime
import io
import time
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook

from huifang.api.tokens import create_api_token
from huifang.core.errors import DomainError
from huifang.core.models import User
from huifang.customers.models import Customer
from huifang.policy.models import Policy
from huifang.projects.models import Project
from huifang.projects.services import create_project, update_project
from huifang.transfer.importers import run_import
from huifang.visits.models import Visit
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 12, 2)


@pytest.fixture(autouse=True)
def _on_look_day(time_machine: Any) -> None:
    time_machine.move_to(datetime.datetime(2026, 12, 2, 9, 30), tick=False)


def _api(user: User) -> Client:
    token = create_api_token(user=user, name="script").raw
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_ACCEPT_LANGUAGE="en")


def _payload(customer: Customer, **dates: str) -> dict[str, Any]:
    return {"code": "FAR-1", "name": "Far away", "customer_id": customer.pk, **dates}


def test_api_refuses_the_dates_of_the_issue_without_planning(owner: User, policy: Policy) -> None:
    customer = CustomerFactory.create()
    started = time.monotonic()
    response = _api(owner).post(
        "/api/v1/projects",
        _payload(customer, planned_start="2460-09-11", planned_end="9988-05-19"),
        content_type="application/json",
    )
    assert time.monotonic() - started < 5
    assert response.status_code == 400
    assert response.json() == {
        "detail": "planned_start: Enter a date between 2016-12-02 and 2036-12-02."
    }
    assert not Project.objects.exists()
    assert not Visit.objects.exists()


def test_api_refuses_a_project_longer_than_ten_years(owner: User, policy: Policy) -> None:
    response = _api(owner).post(
        "/api/v1/projects",
        _payload(CustomerFactory.create(), planned_start="2017-01-01", planned_end="2027-01-02"),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "detail": "planned_end: A project may last at most 10 years: end it by 2027-01-01."
    }


def test_api_patch_refuses_a_date_beyond_the_horizon(
    owner: User, policy: Policy, project: Project
) -> None:
    response = _api(owner).patch(
        f"/api/v1/projects/{project.pk}",
        {"planned_end": "2036-12-03"},
        content_type="application/json",
        HTTP_IF_MATCH="*",
    )
    assert response.status_code == 400
    assert response.json()["detail"].startswith("planned_end: Enter a date between")
    project.refresh_from_db()
    assert project.planned_end == datetime.date(2026, 8, 31)


def test_form_shows_the_limits_next_to_the_fields_and_keeps_input(
    owner: User, policy: Policy
) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(owner)
    response = client.post(
        reverse("projects:create"),
        {
            "code": "FAR-2",
            "name": "Far away",
            "customer": CustomerFactory.create().pk,
            "manager": owner.pk,
            "status": "active",
            "cadence": "biweekly",
            "planned_start": "2460-09-11",
            "planned_end": "2470-05-19",  # (the date field itself refuses years after 2999)
            "policy": policy.pk,
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["planned_start"] == ["Enter a date between 2016-12-02 and 2036-12-02."]
    assert errors["planned_end"] == ["Enter a date between 2016-12-02 and 2036-12-02."]
    assert 'value="2470-05-19"' in response.content.decode()
    assert not Project.objects.exists()


def test_form_error_is_in_chinese_for_a_chinese_reader(owner: User, policy: Policy) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(owner)
    response = client.post(
        reverse("projects:create"),
        {
            "code": "FAR-3",
            "name": "Far away",
            "customer": CustomerFactory.create().pk,
            "manager": owner.pk,
            "status": "active",
            "cadence": "monthly",
            "planned_start": "2020-01-01",
            "planned_end": "2031-01-01",
            "policy": policy.pk,
        },
    )
    assert response.context["form"].errors["planned_end"] == [
        "项目周期最长 10 年：结束日期不得晚于 2030-01-01。"
    ]


def test_import_refuses_a_row_beyond_the_horizon(quality: User, policy: Policy) -> None:
    Customer.objects.create(name="Acme")
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["code", "name", "customer", "planned_start", "planned_end"])
    sheet.append(["X-1", "Warehouse", "Acme", "2026-03-02", "2460-05-19"])
    content = io.BytesIO()
    workbook.save(content)
    with translation.override("en"):
        report = run_import(
            kind="projects", content=content.getvalue(), user=quality, dry_run=False
        )
    assert report.rows[0].errors == ["planned_end: Enter a date between 2016-12-02 and 2036-12-02."]
    assert not Project.objects.exists()


def test_service_refuses_actual_dates_too(owner: User, policy: Policy, project: Project) -> None:
    with translation.override("en"), pytest.raises(DomainError) as refused:
        update_project(project=project, actual_start=datetime.date(1999, 1, 1), today=TODAY)
    assert refused.value.message.startswith("actual_start: Enter a date between")


def test_a_project_entered_before_the_limits_stays_editable(
    owner: User, policy: Policy, project: Project
) -> None:
    """Only the dates being changed are held to the horizon: a project whose (old)
    start is now more than ten years ago can still be renamed or given a new end."""
    Project.objects.filter(pk=project.pk).update(planned_start=datetime.date(2015, 1, 5))
    project.refresh_from_db()
    renamed, _ = update_project(project=project, name="Renamed", today=TODAY)
    assert renamed.name == "Renamed"
    ended, _ = update_project(project=renamed, planned_end=datetime.date(2024, 12, 31), today=TODAY)
    assert ended.planned_end == datetime.date(2024, 12, 31)


def test_longest_biweekly_project_plans_quickly(owner: User, policy: Policy) -> None:
    """The longest project accepted: ten years of biweekly visits, planned in one
    transaction well inside a second or two (measured: see the report)."""
    started = time.monotonic()
    created, result = create_project(
        code="LONG-1",
        name="Ten years",
        customer=CustomerFactory.create(),
        manager=owner,
        status="active",
        cadence="biweekly",
        planned_start=datetime.date(2026, 12, 7),
        planned_end=datetime.date(2036, 12, 2),
        policy=policy,
        today=TODAY,
    )
    elapsed = time.monotonic() - started
    assert created.visits.count() == len(result.created) == 261  # kickoff, 259 ongoing, closing
    print(f"created and planned 261 visits in {elapsed:.2f} s")
    assert elapsed < 3, f"planning took {elapsed:.2f} s"
