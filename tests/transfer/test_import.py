"""Import of customers, contacts and projects: preview, all or nothing, idempotent."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import translation
from openpyxl import Workbook

from huifang.core.models import User
from huifang.customers.models import Contact, Customer
from huifang.policy.models import Policy
from huifang.projects.models import Project
from huifang.transfer.files import write_csv
from huifang.transfer.importers import run_import

pytestmark = pytest.mark.django_db


def _xlsx(rows: list[list[Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


CUSTOMERS = [["name", "industry"], ["Acme", "Retail"], ["Globex", "Energy"]]


def test_customers_import_from_xlsx_creates(quality: User) -> None:
    report = run_import(kind="customers", content=_xlsx(CUSTOMERS), user=quality, dry_run=False)
    assert (report.applied, report.created, report.updated) == (True, 2, 0)
    assert list(Customer.objects.values_list("name", "industry")) == [
        ("Acme", "Retail"),
        ("Globex", "Energy"),
    ]


def test_import_twice_updates_instead_of_duplicating(quality: User) -> None:
    run_import(kind="customers", content=_xlsx(CUSTOMERS), user=quality, dry_run=False)
    changed = [["name", "industry"], ["acme", "Wholesale"], ["Globex", "Energy"]]
    report = run_import(kind="customers", content=_xlsx(changed), user=quality, dry_run=False)
    assert (report.created, report.updated) == (0, 2)
    assert Customer.objects.count() == 2
    assert Customer.objects.get(name__iexact="acme").industry == "Wholesale"


def test_a_bad_row_imports_nothing(quality: User) -> None:
    rows = [["name", "industry"], ["Acme", "Retail"], ["", "Energy"], ["Initech", "x" * 81]]
    report = run_import(kind="customers", content=_xlsx(rows), user=quality, dry_run=False)
    assert report.applied is False
    assert [(row.line, bool(row.errors)) for row in report.rows] == [
        (2, False),
        (3, True),
        (4, True),
    ]
    assert Customer.objects.count() == 0


def test_dry_run_writes_nothing(quality: User) -> None:
    report = run_import(kind="customers", content=_xlsx(CUSTOMERS), user=quality, dry_run=True)
    assert (report.ok, report.applied, report.created) == (True, False, 2)
    assert Customer.objects.count() == 0


def test_contacts_import_from_csv(quality: User) -> None:
    run_import(kind="customers", content=_xlsx(CUSTOMERS), user=quality, dry_run=False)
    content = write_csv(
        ["customer", "name", "email", "is_primary", "preferred_channel"],
        [["Acme", "Li Lei", "li@example.com", "yes", "email"]],
    )
    report = run_import(kind="contacts", content=content, user=quality, dry_run=False)
    contact = Contact.objects.get()
    assert report.created == 1
    assert (contact.customer.name, contact.email, contact.is_primary) == (
        "Acme",
        "li@example.com",
        True,
    )


def test_projects_import_with_manager_and_members_by_username_or_email(
    quality: User, owner: User, colleague: User, policy: Policy
) -> None:
    Customer.objects.create(name="Acme")
    rows = [
        ["code", "name", "customer", "planned_start", "manager", "members", "status"],
        ["X-1", "Warehouse", "Acme", "2026-03-02", "owner", colleague.email, "active"],
    ]
    first = run_import(kind="projects", content=_xlsx(rows), user=quality, dry_run=False)
    rows[1][1] = "Warehouse 2"
    second = run_import(kind="projects", content=_xlsx(rows), user=quality, dry_run=False)
    project = Project.objects.get()
    assert (first.created, second.updated) == (1, 1)
    assert (project.name, project.manager, project.status) == ("Warehouse 2", owner, "active")
    assert list(project.memberships.values_list("user__username", flat=True)) == ["colleague"]
    assert project.visits.exists()


def test_projects_import_refuses_unknown_people(quality: User, policy: Policy) -> None:
    Customer.objects.create(name="Acme")
    rows = [
        ["code", "name", "customer", "planned_start", "manager"],
        ["X-1", "Warehouse", "Acme", "2026-03-02", "nobody"],
    ]
    with translation.override("en"):
        report = run_import(kind="projects", content=_xlsx(rows), user=quality, dry_run=False)
    assert report.rows[0].errors == ["manager: no user “nobody” can be chosen here."]
    assert Project.objects.count() == 0


def test_pm_cannot_update_a_project_of_another_manager(project: Project, outsider_pm: User) -> None:
    rows = [
        ["code", "name", "customer", "planned_start"],
        [project.code, "Taken over", project.customer.name, "2026-03-02"],
    ]
    report = run_import(kind="projects", content=_xlsx(rows), user=outsider_pm, dry_run=False)
    project.refresh_from_db()
    assert report.applied is False
    assert project.name == "ERP rollout"


def test_file_that_is_not_a_spreadsheet_is_refused(quality: User) -> None:
    from huifang.core.errors import DomainError

    with pytest.raises(DomainError):
        run_import(kind="customers", content=b"PK\x03\x04garbage", user=quality, dry_run=True)
    with pytest.raises(DomainError):
        run_import(kind="customers", content=b"\x00\x01\x02", user=quality, dry_run=True)


def test_missing_required_column_is_refused(quality: User) -> None:
    from huifang.core.errors import DomainError

    with pytest.raises(DomainError, match="name"):
        run_import(
            kind="customers", content=_xlsx([["industry"], ["x"]]), user=quality, dry_run=True
        )


def _login(user: User) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def test_preview_page_shows_row_errors_and_writes_nothing(quality: User) -> None:
    rows = [["name", "industry"], ["Acme", ""], ["", "Energy"]]
    client = _login(quality)
    response = client.post(
        "/transfer/import/preview/",
        {"kind": "customers", "file": SimpleUploadedFile("c.xlsx", _xlsx(rows))},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "name: required." in html
    assert 'name="upload_id"' not in html
    assert Customer.objects.count() == 0


def test_preview_then_confirm_imports(quality: User) -> None:
    client = _login(quality)
    preview = client.post(
        "/transfer/import/preview/",
        {"kind": "customers", "file": SimpleUploadedFile("c.xlsx", _xlsx(CUSTOMERS))},
    )
    upload_id = preview.context["upload_id"]
    assert Customer.objects.count() == 0
    done = client.post("/transfer/import/confirm/", {"upload_id": upload_id})
    assert (done.status_code, Customer.objects.count()) == (200, 2)
    assert done.context["report"].applied is True


def test_upload_over_5_mb_is_refused(quality: User) -> None:
    big = b"name\n" + b"a" * (5 * 1024 * 1024 + 1)
    response = _login(quality).post(
        "/transfer/import/preview/",
        {"kind": "customers", "file": SimpleUploadedFile("c.csv", big)},
    )
    assert response.status_code == 400
    assert "larger than 5 MB" in response.content.decode()


@pytest.mark.parametrize("role", ["executive", "colleague"])
def test_import_is_refused_to_read_only_and_members(role: str, request: Any) -> None:
    user = request.getfixturevalue(role)
    response = _login(user).post(
        "/transfer/import/preview/",
        {"kind": "customers", "file": SimpleUploadedFile("c.xlsx", _xlsx(CUSTOMERS))},
    )
    assert response.status_code == 403


def test_import_pages_need_login(db: None) -> None:
    response = Client().get("/transfer/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_template_download_has_the_columns(quality: User, fmt: str) -> None:
    response = _login(quality).get(f"/transfer/templates/projects.{fmt}")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]


def test_import_command_dry_run_and_import(quality: User, admin_user: User, tmp_path: Any) -> None:
    path = tmp_path / "customers.xlsx"
    path.write_bytes(_xlsx(CUSTOMERS))
    out = io.StringIO()
    call_command("import", str(path), "--kind", "customers", "--dry-run", stdout=out)
    assert Customer.objects.count() == 0
    call_command("import", str(path), "--kind", "customers", stdout=out)
    assert Customer.objects.count() == 2


def test_import_command_with_bad_row_fails_and_imports_nothing(
    admin_user: User, tmp_path: Any
) -> None:
    path = tmp_path / "customers.csv"
    path.write_bytes(write_csv(["name", "industry"], [["Acme", ""], ["", "Energy"]]))
    with pytest.raises(CommandError):
        call_command("import", str(path), "--kind", "customers", stderr=io.StringIO())
    assert Customer.objects.count() == 0
