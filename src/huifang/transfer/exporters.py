"""Exports of the list pages (projects, visits, records, actions, customers) to
.xlsx and .csv. Each export reads the list page's own filter form from the query
string and the same visible_to() scope, so a file holds exactly the rows the user
sees on the page, with every row rather than one page."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from huifang.actions.forms import ActionFilterForm
from huifang.actions.queries import filter_actions
from huifang.core.models import User
from huifang.customers.queries import customer_list, visible_customers
from huifang.projects.forms import ProjectFilterForm
from huifang.projects.models import Project
from huifang.projects.queries import project_departments, project_list, project_managers
from huifang.visits import queries as visit_queries
from huifang.visits.forms import VisitFilterForm
from huifang.visits.models import RecordStatus, Visit, VisitRecord

MAX_EXPORT_ROWS = 50_000


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: Iterable[Sequence[Any]]


def _person(user: Any) -> str:
    return str(user) if user is not None else ""


def projects_table(user: User, query: QueryDict) -> Table:
    form = ProjectFilterForm(
        query or None,
        managers=project_managers(user),
        customers=visible_customers(user).order_by("name"),
        departments=project_departments(user),
    )
    projects = project_list(
        user,
        today=timezone.localdate(),
        filters=form.filters() if form.is_bound else None,
    ).order_by("code", "pk")
    header = [
        _("Code"), _("Name"), _("Customer"), _("Project manager"), _("Department"),
        _("Status"), _("Visit cadence"), _("Planned start"), _("Planned end"),
        _("Actual start"), _("Actual end"), _("Open visits"), _("Overdue visits"),
    ]  # fmt: skip
    rows = (
        [
            p.code,
            p.name,
            p.customer.name,
            _person(p.manager),
            p.department,
            p.get_status_display(),
            p.get_cadence_display(),
            p.planned_start,
            p.planned_end,
            p.actual_start,
            p.actual_end,
            getattr(p, "open_visit_count", 0),
            getattr(p, "overdue_visit_count", 0),
        ]
        for p in projects[:MAX_EXPORT_ROWS]
    )
    return Table(header, rows)


def filter_visits(user: User, query: QueryDict) -> QuerySet[Visit]:
    """The visit list's filters (the page's own form; invalid values are ignored)."""
    form = VisitFilterForm(query or None, projects=Project.objects.visible_to(user))
    filters: dict[str, Any] = {}
    if form.is_bound:
        form.is_valid()
        filters = form.cleaned_data
    visits = visit_queries.filter_visits(user, filters, today=timezone.localdate())
    return visits.order_by("due_date", "pk")


def visits_table(user: User, query: QueryDict) -> Table:
    header = [
        _("Project"), _("Project name"), _("Customer"), _("Visit"), _("Phase"), _("Sequence"),
        _("Window opens"), _("Due date"), _("Status"), _("Owner"), _("Scheduled for"),
        _("Form"), _("Completed on"), _("On time"),
    ]  # fmt: skip
    rows = (
        [
            v.project.code,
            v.project.name,
            v.project.customer.name,
            v.name,
            v.get_phase_display(),
            v.sequence,
            v.window_start,
            v.due_date,
            v.get_status_display(),
            _person(v.owner),
            timezone.localtime(v.scheduled_at) if v.scheduled_at else None,
            v.get_form_display(),
            v.completed_on,
            "" if v.on_time is None else (_("yes") if v.on_time else _("no")),
        ]
        for v in filter_visits(user, query)[:MAX_EXPORT_ROWS]
    )
    return Table(header, rows)


def filter_records(user: User, query: QueryDict) -> QuerySet[VisitRecord]:
    records = (
        VisitRecord.objects.visible_to(user)
        .select_related("visit__project__customer", "recorded_by")
        .prefetch_related("contacts", "participants")
    )
    project = query.get("project", "")
    if project.isdigit():
        records = records.filter(visit__project_id=int(project))
    if query.get("status") in RecordStatus.values:
        records = records.filter(status=query["status"])
    return records.order_by("-visit__due_date", "pk")


def records_table(user: User, query: QueryDict) -> Table:
    header = [
        _("Project"), _("Customer"), _("Visit"), _("Due date"), _("Record status"),
        _("Recorded by"), _("Submitted at"), _("Schedule status"), _("Percent complete"),
        _("Planned percent"), _("Variance (days)"), _("Work completed"),
        _("Work outstanding"), _("Summary"), _("Form of the visit"),
        _("The customer's contacts"), _("Our staff"), _("Revision"),
    ]  # fmt: skip
    rows = (
        [
            r.visit.project.code,
            r.visit.project.customer.name,
            r.visit.name,
            r.visit.due_date,
            r.get_status_display(),
            _person(r.recorded_by),
            timezone.localtime(r.submitted_at) if r.submitted_at else None,
            r.get_schedule_status_display(),
            r.percent_complete,
            r.planned_percent,
            r.variance_days,
            r.work_completed,
            r.work_outstanding,
            r.summary,
            r.get_form_display(),
            ", ".join(contact.name for contact in r.contacts.all()),
            ", ".join(_person(person) for person in r.participants.all()),
            r.revision,
        ]
        for r in filter_records(user, query)[:MAX_EXPORT_ROWS]
    )
    return Table(header, rows)


def actions_table(user: User, query: QueryDict) -> Table:
    form = ActionFilterForm(query or None, user=user)
    actions = filter_actions(user, form.filters(), today=timezone.localdate())
    header = [
        _("Project"), _("Description"), _("Origin"), _("Owner"), _("Due date"),
        _("Status"), _("Progress note"), _("Done on"), _("Verified effective on"),
    ]  # fmt: skip
    rows = (
        [
            a.project.code,
            a.shown_description,
            a.get_origin_display(),
            _person(a.owner),
            a.due_date,
            a.get_status_display(),
            a.progress_note,
            a.done_on,
            a.closed_on,
        ]
        for a in actions.order_by("due_date", "pk")[:MAX_EXPORT_ROWS]
    )
    return Table(header, rows)


def customers_table(user: User, query: QueryDict) -> Table:
    customers = customer_list(user, search=(query.get("q") or "").strip()[:100])
    header = [
        _("Name"), _("Industry"), _("Address"), _("Primary contact"), _("Contacts"),
        _("Projects"),
    ]  # fmt: skip
    rows = (
        [
            c.name,
            c.industry,
            c.address,
            getattr(c, "primary_contact_name", "") or "",
            getattr(c, "contact_count", 0),
            getattr(c, "project_count", 0),
        ]
        for c in customers.order_by("name", "pk")[:MAX_EXPORT_ROWS]
    )
    return Table(header, rows)


EXPORTS: dict[str, Callable[[User, QueryDict], Table]] = {
    "projects": projects_table,
    "visits": visits_table,
    "records": records_table,
    "actions": actions_table,
    "customers": customers_table,
}
