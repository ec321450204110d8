"""Exports: escaping, filters and access like the list pages."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from openpyxl import load_workbook

from huifang.core.models import User
from huifang.customers.models import Customer
from huifang.projects.models import Project
from huifang.transfer.files import escape_cell, write_csv

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=SUM(A1)", "'=SUM(A1)"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@cmd", "'@cmd"),
        ("\tx", "'\tx"),
        ("plain", "plain"),
        ("a=b", "a=b"),
        (-5, -5),
        (None, None),
    ],
)
def test_escape_cell(value: object, expected: object) -> None:
    assert escape_cell(value) == expected


def test_csv_escapes_formula_cells() -> None:
    content = write_csv(["name"], [['=HYPERLINK("x")']]).decode("utf-8-sig")
    assert content.splitlines()[1] == '"\'=HYPERLINK(""x"")"'


def _login(user: User) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def _xlsx_rows(content: bytes) -> list[list[object]]:
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_customer_export_escapes_formulas_in_xlsx(quality: User) -> None:
    Customer.objects.create(name="=cmd|' /C calc'!A0")
    rows = _xlsx_rows(_login(quality).get("/transfer/export/customers.xlsx").content)
    assert rows[1][0] == "'=cmd|' /C calc'!A0"


@pytest.mark.parametrize("kind", ["projects", "visits", "records", "actions", "customers"])
@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_every_list_exports(kind: str, fmt: str, project: Project, owner: User) -> None:
    response = _login(owner).get(f"/transfer/export/{kind}.{fmt}")
    assert response.status_code == 200
    assert f"huifang-{kind}-" in response["Content-Disposition"]


def test_export_honours_access(project: Project, outsider: User) -> None:
    rows = _xlsx_rows(_login(outsider).get("/transfer/export/visits.xlsx").content)
    assert len(rows) == 1  # the header only


def test_export_honours_the_list_filters(project: Project, owner: User) -> None:
    client = _login(owner)
    done = _xlsx_rows(client.get("/transfer/export/visits.xlsx?status=done").content)
    planned = _xlsx_rows(client.get("/transfer/export/visits.xlsx?status=planned").content)
    assert len(done) == 1
    assert len(planned) - 1 == project.visits.filter(status="planned").count()


def test_visit_export_holds_the_rows_of_a_searched_list(
    project: Project, owner: User, policy
) -> None:
    """The list's project search applies to its export too (the export once ignored it)."""
    from huifang.projects.services import create_project
    from tests.factories import CustomerFactory

    create_project(
        code="P-OTHER",
        name="Warehouse",
        customer=CustomerFactory(),
        manager=owner,
        status="active",
        cadence="monthly",
        planned_start=project.planned_start,
        planned_end=project.planned_end,
        policy=policy,
        members=[],
        today=project.planned_start,
    )
    client = _login(owner)
    listed = client.get("/visits/?q=ERP&per_page=100").context["page"].paginator.count
    rows = _xlsx_rows(client.get("/transfer/export/visits.xlsx?q=ERP").content)
    assert len(rows) - 1 == listed == project.visits.count()
    assert {row[0] for row in rows[1:]} == {"P-001"}


def test_export_unknown_kind_is_404(owner: User) -> None:
    assert _login(owner).get("/transfer/export/users.csv").status_code == 404


def test_export_needs_login(db: None) -> None:
    response = Client().get("/transfer/export/projects.csv")
    assert response.status_code == 302
