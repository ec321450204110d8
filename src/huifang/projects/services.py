"""Every write to projects and their teams. Each one that can change the visit plan
re-plans in the same transaction, so the plan can never disagree with the project."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from huifang.core.concurrency import lock_at_version, row_version
from huifang.core.errors import DomainError
from huifang.projects.models import Membership, Project, ProjectHold, ProjectStatusChoices
from huifang.visits.models import Visit, VisitStatus
from huifang.visits.services import PlanResult, plan_project_visits

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


def _check_dates(project: Project) -> None:
    if project.planned_end and project.planned_end < project.planned_start:
        raise DomainError(_("The planned end cannot be before the planned start."))
    if project.actual_start and project.actual_end and project.actual_end < project.actual_start:
        raise DomainError(_("The actual end cannot be before the actual start."))
    if project.status == ProjectStatusChoices.COMPLETED and not project.actual_end:
        raise DomainError(_("A completed project needs its actual end date."))


@transaction.atomic
def create_project(
    *,
    members: Iterable[User] = (),
    default_contacts: Iterable[Contact] = (),
    today: datetime.date | None = None,
    **fields: Any,
) -> tuple[Project, PlanResult]:
    """Create a project with its team and plan its visits."""
    project = Project(**fields)
    _check_dates(project)
    project.save()
    _sync_hold(project, was_on_hold=False, today=today or timezone.localdate())
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
    for name, value in changes.items():
        setattr(locked, name, value)
    _check_dates(locked)
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
