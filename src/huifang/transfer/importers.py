"""Importing customers, contacts and projects from a spreadsheet.

One function does both the preview and the import: it runs every row through the
same services the pages use, inside one transaction, and rolls the transaction back
when it is a dry run or when any row failed. So the preview shows exactly the errors
the import would hit, and an import with one bad row writes nothing (all or
nothing). Rows are matched on the customer's name (contacts: customer and contact
name) and the project's code, so importing the same file twice updates."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huifang.core import access
from huifang.core.errors import DomainError
from huifang.core.forms import EARLIEST_DATE, LATEST_DATE
from huifang.core.models import Language, User
from huifang.customers import services as customer_services
from huifang.customers.models import ContactChannel, Customer
from huifang.customers.queries import visible_customers
from huifang.policy.models import Policy
from huifang.projects import services as project_services
from huifang.projects.models import CadenceChoices, Project, ProjectStatusChoices
from huifang.projects.queries import assignable_managers, assignable_members
from huifang.transfer.files import Table, read_table

if TYPE_CHECKING:
    from django.db.models import QuerySet

# kind → (required columns, optional columns)
COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "customers": (("name",), ("industry", "address", "notes")),
    "contacts": (
        ("customer", "name"),
        ("title", "phone", "email", "wechat_id", "preferred_channel", "language", "is_primary"),
    ),
    "projects": (
        ("code", "name", "customer", "planned_start"),
        (
            "manager",
            "members",
            "department",
            "description",
            "status",
            "cadence",
            "planned_end",
            "actual_start",
            "policy",
        ),
    ),
}
KIND_LABELS = {
    "customers": gettext_lazy("Customers"),
    "contacts": gettext_lazy("Contacts"),
    "projects": gettext_lazy("Projects"),
}
TRUE_WORDS = {"1", "yes", "y", "true", "x", "是", "√"}
FALSE_WORDS = {"", "0", "no", "n", "false", "否"}


@dataclass
class RowResult:
    line: int  # the spreadsheet's row number (the header is row 1)
    label: str = ""
    action: str = ""  # "create" or "update"
    errors: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    kind: str
    rows: list[RowResult]
    applied: bool

    @property
    def ok(self) -> bool:
        return not any(row.errors for row in self.rows)

    @property
    def error_count(self) -> int:
        return sum(1 for row in self.rows if row.errors)

    @property
    def created(self) -> int:
        return sum(1 for row in self.rows if row.action == "create" and not row.errors)

    @property
    def updated(self) -> int:
        return sum(1 for row in self.rows if row.action == "update" and not row.errors)


class _Rollback(Exception):
    pass


# --- Cell parsing ---------------------------------------------------------------------


def _text(row: dict[str, Any], name: str, max_length: int = 0) -> str:
    value = row.get(name)
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if max_length and len(text) > max_length:
        raise DomainError(
            _("%(column)s: at most %(max)d characters.") % {"column": name, "max": max_length}
        )
    return text


def _required(row: dict[str, Any], name: str, max_length: int = 0) -> str:
    text = _text(row, name, max_length)
    if not text:
        raise DomainError(_("%(column)s: required.") % {"column": name})
    return text


def _date(row: dict[str, Any], name: str) -> datetime.date | None:
    value = row.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime.datetime):
        day = value.date()
    elif isinstance(value, datetime.date):
        day = value
    else:
        try:
            day = datetime.date.fromisoformat(str(value).strip().replace("/", "-"))
        except ValueError as error:
            raise DomainError(
                _("%(column)s: “%(value)s” is not a date (YYYY-MM-DD).")
                % {"column": name, "value": value}
            ) from error
    # As on the pages (core.forms): planning from year 1 or up to 9999 overflows.
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise DomainError(
            _("%(column)s: enter a date between %(earliest)s and %(latest)s.")
            % {
                "column": name,
                "earliest": EARLIEST_DATE.isoformat(),
                "latest": LATEST_DATE.isoformat(),
            }
        )
    return day


def _choice(row: dict[str, Any], name: str, choices: Any, default: str) -> str:
    text = _text(row, name)
    if not text:
        return default
    for value, label in choices.choices:
        if text.lower() == str(value).lower() or text == str(label):
            return str(value)
    allowed = ", ".join(str(value) for value in choices.values)
    raise DomainError(
        _("%(column)s: “%(value)s” is not one of %(allowed)s.")
        % {"column": name, "value": text, "allowed": allowed}
    )


def _flag(row: dict[str, Any], name: str) -> bool:
    text = _text(row, name).lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise DomainError(_("%(column)s: write yes or no.") % {"column": name})


def _user(queryset: QuerySet[User], name: str, column: str) -> User:
    found = list(queryset.filter(Q(username=name) | Q(email__iexact=name))[:2])
    if len(found) != 1:
        raise DomainError(
            _("%(column)s: no user “%(value)s” can be chosen here.")
            % {"column": column, "value": name}
        )
    return found[0]


def _customer(user: User, name: str) -> Customer:
    customer = visible_customers(user).filter(name__iexact=name).first()
    if customer is None:
        raise DomainError(_("customer: no customer “%(value)s”.") % {"value": name})
    return customer


# --- One row of each kind ----------------------------------------------------------------


def _import_customer(row: dict[str, Any], user: User, result: RowResult) -> None:
    name = _required(row, "name", 200)
    result.label = name
    fields: dict[str, Any] = {"name": name}
    for column, limit in (("industry", 80), ("address", 300), ("notes", 5000)):
        if column in row:
            fields[column] = _text(row, column, limit)
    existing = Customer.objects.filter(name__iexact=name).first()
    if existing is None:
        result.action = "create"
        customer_services.create_customer(**fields)
    else:
        result.action = "update"
        customer_services.update_customer(customer=existing, **fields)


def _import_contact(row: dict[str, Any], user: User, result: RowResult) -> None:
    customer = _customer(user, _required(row, "customer", 200))
    name = _required(row, "name", 120)
    result.label = f"{customer.name} · {name}"
    values: dict[str, Any] = {"name": name}
    for column, limit in (("title", 120), ("phone", 32), ("wechat_id", 64)):
        if column in row:
            values[column] = _text(row, column, limit)
    if "email" in row:
        email = _text(row, "email", 254)
        if email:
            try:
                validate_email(email)
            except ValidationError as error:
                raise DomainError(
                    _("email: “%(value)s” is not an e-mail address.") % {"value": email}
                ) from error
        values["email"] = email
    if "preferred_channel" in row:
        values["preferred_channel"] = _choice(
            row, "preferred_channel", ContactChannel, ContactChannel.PHONE
        )
    if "language" in row:
        values["language"] = _choice(row, "language", Language, Language.ZH_HANS)
    if "is_primary" in row:
        values["is_primary"] = _flag(row, "is_primary")
    existing = customer.contacts.filter(name__iexact=name).first()
    result.action = "update" if existing else "create"
    customer_services.save_contacts(customer=customer, contacts=[(existing, values)])


def _members(row: dict[str, Any]) -> list[User]:
    names = [name for name in re.split(r"[,;，；、\s]+", _text(row, "members")) if name]
    members = assignable_members()
    return [_user(members, name, "members") for name in names]


def _import_project(row: dict[str, Any], user: User, result: RowResult) -> None:
    code = _required(row, "code", 40)
    result.label = code
    fields: dict[str, Any] = {
        "name": _required(row, "name", 200),
        "customer": _customer(user, _required(row, "customer", 200)),
        "planned_start": _date(row, "planned_start"),
    }
    if fields["planned_start"] is None:
        raise DomainError(_("%(column)s: required.") % {"column": "planned_start"})
    for column, limit in (("department", 80), ("description", 5000)):
        if column in row:
            fields[column] = _text(row, column, limit)
    for column in ("planned_end", "actual_start"):
        if column in row:
            fields[column] = _date(row, column)
    if "cadence" in row:
        fields["cadence"] = _choice(row, "cadence", CadenceChoices, CadenceChoices.MONTHLY)
    managers = assignable_managers()
    if not access.can_choose_any_manager(user):
        managers = managers.filter(pk=user.pk)
    manager_name = _text(row, "manager")
    if manager_name:
        fields["manager"] = _user(managers, manager_name, "manager")
    if _text(row, "policy"):
        policy = Policy.objects.filter(name__iexact=_text(row, "policy")).first()
        if policy is None:
            raise DomainError(_("policy: no policy “%(value)s”.") % {"value": _text(row, "policy")})
        fields["policy"] = policy
    existing = Project.objects.filter(code=code).first()
    status = _choice(row, "status", ProjectStatusChoices, "") if "status" in row else ""
    if existing is None:
        _create_project(row, user, result, code, fields, status)
    else:
        _update_project(row, user, result, existing, fields, status)


def _create_project(
    row: dict[str, Any],
    user: User,
    result: RowResult,
    code: str,
    fields: dict[str, Any],
    status: str,
) -> None:
    result.action = "create"
    if status not in ("", ProjectStatusChoices.PLANNED, ProjectStatusChoices.ACTIVE):
        raise DomainError(_("status: a new project is planned or active."))
    fields.setdefault("manager", user if access.can_create_project(user) else None)
    if fields["manager"] is None or fields["manager"] not in assignable_managers():
        raise DomainError(_("manager: required."))
    if "policy" not in fields:
        fields["policy"] = Policy.objects.filter(is_default=True).first()
        if fields["policy"] is None:
            raise DomainError(_("policy: there is no default policy; name one."))
    project_services.create_project(
        members=_members(row) if "members" in row else (),
        code=code,
        status=status or ProjectStatusChoices.PLANNED,
        **fields,
    )


def _update_project(
    row: dict[str, Any],
    user: User,
    result: RowResult,
    project: Project,
    fields: dict[str, Any],
    status: str,
) -> None:
    result.action = "update"
    visible = Project.objects.visible_to(user).filter(pk=project.pk).exists()
    if not visible or not access.can_manage_project(user, project):
        raise DomainError(_("code: this project code is taken by a project you cannot change."))
    if status and status != project.status:
        editable = (ProjectStatusChoices.PLANNED, ProjectStatusChoices.ACTIVE)
        if status not in editable or project.status not in editable:
            raise DomainError(_("status: only planned and active can be set by import."))
        fields["status"] = status
    members = (
        _members(row)
        if "members" in row
        else [membership.user for membership in project.memberships.select_related("user")]
    )
    project_services.update_project_with_team(
        project=project,
        members=members,
        default_contacts=list(project.default_contacts.all()),
        **fields,
    )


ROW_IMPORTERS: dict[str, Callable[[dict[str, Any], User, RowResult], None]] = {
    "customers": _import_customer,
    "contacts": _import_contact,
    "projects": _import_project,
}


# --- The whole file ---------------------------------------------------------------------


def check_columns(kind: str, table: Table) -> None:
    """Refuse a file without the kind's required columns, or with nothing below its
    header (judged by the header itself: a header-only file has every column)."""
    required, _optional = COLUMNS[kind]
    missing = [name for name in required if name not in table.header]
    if missing:
        raise DomainError(
            _("The file lacks the column(s): %(columns)s. Start from the template.")
            % {"columns": ", ".join(missing)}
        )
    if not table.rows:
        raise DomainError(_("The file has a header but no rows below it: nothing to import."))


def run_import(*, kind: str, content: bytes, user: User, dry_run: bool) -> ImportReport:
    """Validate (``dry_run``) or import the file. Raises DomainError for a file that
    cannot be read at all and PermissionDenied for a user who may not import."""
    if kind not in ROW_IMPORTERS:
        raise DomainError(_("Unknown kind of import."))
    if not access.can_import(user):
        raise PermissionDenied
    table = read_table(content)
    check_columns(kind, table)
    importer = ROW_IMPORTERS[kind]
    results: list[RowResult] = []
    try:
        with transaction.atomic():
            for line, row in zip(table.lines, table.rows, strict=True):
                result = RowResult(line=line)
                try:
                    # A savepoint per row: a failed row is undone and the rows after it
                    # are still checked, so the preview lists every problem at once.
                    with transaction.atomic():
                        importer(row, user, result)
                except DomainError as error:
                    result.errors.append(error.message)
                except IntegrityError:
                    result.errors.append(_("The row contradicts data already stored."))
                results.append(result)
            if dry_run or any(result.errors for result in results):
                raise _Rollback
    except _Rollback:
        return ImportReport(kind=kind, rows=results, applied=False)
    return ImportReport(kind=kind, rows=results, applied=True)


def template_columns(kind: str) -> list[str]:
    required, optional = COLUMNS[kind]
    return [*required, *optional]
