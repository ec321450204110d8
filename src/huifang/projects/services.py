"""Every write to projects and their teams. Each one that can change the visit plan
re-plans in the same transaction, so the plan can never disagree with the project."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from simple_history.utils import bulk_create_with_history

from huifang.core.concurrency import lock_at_version, row_version
from huifang.core.errors import DomainError
from huifang.projects.models import Membership, Project, ProjectHold, ProjectStatusChoices
from huifang.visits.models import Visit, VisitStatus
from huifang.visits.planning import PlanResult, plan_project_visits
from huifang.visits.scheduling import add_months

if TYPE_CHECKING:
    from huifang.core.models import User
    from huifang.customers.models import Contact

# Fields whose change can move visits.
PLANNING_FIELDS = frozenset(
    {
        "planned_start",
        "planned_end",
        "actual_start",
        "actual_end",
        "status",
        "cadence",
        "policy",
        "policy_id",
    }
)


# What the edit page shows and changes, so what its version covers.
EDITED_FIELDS = (
    "code",
    "name",
    "customer",
    "manager",
    "department",
    "description",
    "status",
    "cadence",
    "planned_start",
    "planned_end",
    "actual_start",
    "actual_end",
    "policy",
)


def project_version(project: Project) -> str:
    """The version the edit page carries: the project's fields, team and default
    contacts (see :mod:`huifang.core.concurrency`)."""
    members = project.memberships.values_list("user_id", flat=True)
    contacts = project.default_contacts.values_list("pk", flat=True)
    return row_version(project, fields=EDITED_FIELDS, extra=[sorted(members), sorted(contacts)])


DATE_FIELDS = ("planned_start", "planned_end", "actual_start", "actual_end")


def date_limits(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The first and last date a project may be given (``HUIFANG_PLANNING_HORIZON_YEARS``
    either side of today). Why: the planner creates a project's visits in one
    transaction, which on SQLite holds the only write lock; a date centuries away
    once made one request plan 196,388 visits for 70 s while every other writer
    failed. Dates further back than the horizon are not follow-ups to plan."""
    years = settings.HUIFANG_PLANNING_HORIZON_YEARS
    return add_months(today, -12 * years), add_months(today, 12 * years)


def project_date_errors(
    *, values: Mapping[str, datetime.date | None], changed: Iterable[str], today: datetime.date
) -> dict[str, str]:
    """The limits a project's dates break, by field, as messages for the user.

    Only ``changed`` dates are held to the horizon (a project entered years ago stays
    editable); the length is checked whenever a date changed. The length counts from
    the start to the end that planning uses (actual, else planned) and for the plan
    as entered: ``HUIFANG_PROJECT_MAX_YEARS`` bounds a project's visits to a few
    hundred (biweekly for ten years: 261)."""
    changed = set(changed) & set(DATE_FIELDS)
    if not changed:
        return {}
    first, last = date_limits(today)
    errors: dict[str, str] = {}
    for name in sorted(changed, key=DATE_FIELDS.index):
        value = values.get(name)
        if value is not None and not first <= value <= last:
            errors[name] = _("Enter a date between %(first)s and %(last)s.") % {
                "first": first.isoformat(),
                "last": last.isoformat(),
            }
    years = settings.HUIFANG_PROJECT_MAX_YEARS
    spans = (
        ("planned_end", values.get("planned_start"), values.get("planned_end")),
        (
            "actual_end" if values.get("actual_end") else "planned_end",
            values.get("actual_start") or values.get("planned_start"),
            values.get("actual_end") or values.get("planned_end"),
        ),
    )
    for name, start, end in spans:
        if start is None or end is None or name in errors:
            continue
        if end > add_months(start, 12 * years):
            errors[name] = ngettext(
                "A project may last at most %(years)s year: end it by %(last)s.",
                "A project may last at most %(years)s years: end it by %(last)s.",
                years,
            ) % {"years": years, "last": add_months(start, 12 * years).isoformat()}
    return errors


def _check_dates(
    project: Project, *, changed: Iterable[str] = DATE_FIELDS, today: datetime.date
) -> None:
    if project.planned_end and project.planned_end < project.planned_start:
        raise DomainError(_("The planned end cannot be before the planned start."))
    if project.actual_start and project.actual_end and project.actual_end < project.actual_start:
        raise DomainError(_("The actual end cannot be before the actual start."))
    if project.status == ProjectStatusChoices.COMPLETED and not project.actual_end:
        raise DomainError(_("A completed project needs its actual end date."))
    values = {name: getattr(project, name) for name in DATE_FIELDS}
    for name, message in project_date_errors(values=values, changed=changed, today=today).items():
        # The field's name first, as the API's other field errors: "planned_end: ...".
        raise DomainError(f"{name}: {message}")


@transaction.atomic
def create_project(
    *,
    members: Iterable[User] = (),
    default_contacts: Iterable[Contact] = (),
    today: datetime.date | None = None,
    **fields: Any,
) -> tuple[Project, PlanResult]:
    """Create a project with its team and plan its visits."""
    today = today or timezone.localdate()
    project = Project(**fields)
    _check_dates(project, today=today)
    project.save()
    _sync_hold(project, was_on_hold=False, today=today)
    set_project_team(project=project, members=members)
    project.default_contacts.set(list(default_contacts))
    return project, plan_project_visits(project=project, today=today)


@transaction.atomic
def update_project(
    *,
    project: Project,
    today: datetime.date | None = None,
    expected_version: str | None = None,
    **changes: Any,
) -> tuple[Project, PlanResult]:
    """Change a project's fields; re-plan when a field that drives the plan changed.
    With ``expected_version`` (a page's form) a change made since is refused."""
    locked = lock_at_version(
        Project.objects, project.pk, expected=expected_version, version=project_version
    )
    was_on_hold = locked.status == ProjectStatusChoices.ON_HOLD
    previous_manager_id = locked.manager_id
    changed_dates = [
        name for name, value in changes.items() if getattr(locked, name, None) != value
    ]
    for name, value in changes.items():
        setattr(locked, name, value)
    _check_dates(locked, changed=changed_dates, today=today or timezone.localdate())
    locked.save()
    _sync_hold(locked, was_on_hold=was_on_hold, today=today or timezone.localdate())
    if not {"manager", "manager_id"}.isdisjoint(changes):
        # The manager is on the team implicitly, never also as a member row.
        locked.memberships.filter(user_id=locked.manager_id).delete()
        if locked.manager_id != previous_manager_id:
            # Visits the planner gave the old manager follow the plan to the new one;
            # visits somebody scheduled or was handed keep their owner.
            Visit.objects.filter(
                project=locked, status=VisitStatus.PLANNED, owner_id=previous_manager_id
            ).update(owner_id=locked.manager_id, updated_at=timezone.now())
    if PLANNING_FIELDS.isdisjoint(changes):
        return locked, PlanResult()
    return locked, plan_project_visits(project=locked, today=today)


def _sync_hold(project: Project, *, was_on_hold: bool, today: datetime.date) -> None:
    """Keep the hold periods in step with the status however the status was changed.

    The planner reads the periods, not the status history: a hold left open after the
    status went back to active would suppress ongoing visits for good, and a missing
    one would bring back the visits that fell due during the hold."""
    is_on_hold = project.status == ProjectStatusChoices.ON_HOLD
    if is_on_hold == was_on_hold:
        return
    open_hold = project.holds.filter(ended_on__isnull=True).first()
    if is_on_hold and open_hold is None:
        ProjectHold.objects.create(project=project, started_on=today)
    elif not is_on_hold and open_hold is not None:
        open_hold.ended_on = max(today, open_hold.started_on)
        open_hold.save(update_fields=["ended_on"])


@transaction.atomic
def set_project_team(*, project: Project, members: Iterable[User]) -> None:
    """Make the project's members exactly ``members`` (the manager is implicit)."""
    wanted = {user.pk for user in members if user.pk != project.manager_id}
    current = set(project.memberships.values_list("user_id", flat=True))
    project.memberships.filter(user_id__in=current - wanted).delete()
    bulk_create_with_history(
        [Membership(project=project, user_id=user_id) for user_id in sorted(wanted - current)],
        Membership,
    )


@transaction.atomic
def put_project_on_hold(
    *,
    project: Project,
    reason: str = "",
    today: datetime.date | None = None,
    expected_version: str | None = None,
) -> tuple[Project, PlanResult]:
    today = today or timezone.localdate()
    if project.status != ProjectStatusChoices.ACTIVE:
        raise DomainError(_("Only an active project can be put on hold."))
    ProjectHold.objects.create(project=project, started_on=today, reason=reason)
    return update_project(
        project=project,
        status=ProjectStatusChoices.ON_HOLD,
        today=today,
        expected_version=expected_version,
    )


@transaction.atomic
def resume_project(
    *,
    project: Project,
    today: datetime.date | None = None,
    expected_version: str | None = None,
) -> tuple[Project, PlanResult]:
    today = today or timezone.localdate()
    if project.status != ProjectStatusChoices.ON_HOLD:
        raise DomainError(_("Only a project on hold can be resumed."))
    for hold in project.holds.filter(ended_on__isnull=True):
        hold.ended_on = today
        hold.save(update_fields=["ended_on"])
    return update_project(
        project=project,
        status=ProjectStatusChoices.ACTIVE,
        today=today,
        expected_version=expected_version,
    )


def complete_project(
    *,
    project: Project,
    actual_end: datetime.date,
    today: datetime.date | None = None,
    expected_version: str | None = None,
) -> tuple[Project, PlanResult]:
    """Completion anchors the closing visit on the actual end and drops ongoing
    visits after it."""
    return update_project(
        project=project,
        status=ProjectStatusChoices.COMPLETED,
        actual_end=actual_end,
        today=today,
        expected_version=expected_version,
    )


def cancel_project(
    *,
    project: Project,
    today: datetime.date | None = None,
    expected_version: str | None = None,
) -> tuple[Project, PlanResult]:
    """Cancelling a project cancels its visits that were only planned."""
    return update_project(
        project=project,
        status=ProjectStatusChoices.CANCELLED,
        today=today,
        expected_version=expected_version,
    )


@transaction.atomic
def update_project_with_team(
    *,
    project: Project,
    members: Iterable[User],
    default_contacts: Iterable[Contact],
    today: datetime.date | None = None,
    expected_version: str | None = None,
    **changes: Any,
) -> tuple[Project, PlanResult]:
    """The edit page's one write: the project's fields (re-planning when they drive
    the plan), its team and its default contacts, all or nothing."""
    contacts = list(default_contacts)
    updated, result = update_project(
        project=project, today=today, expected_version=expected_version, **changes
    )
    if any(contact.customer_id != updated.customer_id for contact in contacts):
        raise DomainError(_("Choose only contacts of the project's customer."))
    set_project_team(project=updated, members=members)
    updated.default_contacts.set(contacts)
    return updated, result
