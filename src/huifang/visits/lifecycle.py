"""A visit's outcomes other than its record: booking it with the customer, handing it
to another owner, cancelling it, marking it missed, and ad-hoc visits.

Each write locks the visit and, from a page, checks the version the user loaded
(:func:`visit_version`, :mod:`huifang.core.concurrency`). Recording what a visit found
is :mod:`huifang.visits.recording`. Access is decided by the views with
:mod:`huifang.core.access`; the services check business rules only.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from huifang.actions.services import (
    check_on_project_team,
)
from huifang.core.concurrency import lock_at_version, row_version
from huifang.core.errors import DomainError
from huifang.core.history import record_change
from huifang.customers.models import Contact
from huifang.policy.models import PhaseChoices
from huifang.projects.models import Project, ProjectStatusChoices
from huifang.visits.models import (
    OPEN_VISIT_STATUSES,
    Visit,
    VisitForm,
    VisitStatus,
)
from huifang.visits.recording import checked_choice

if TYPE_CHECKING:
    from huifang.core.models import User

# What the booking, cancel and reassign pages show and change.
VISIT_EDITED_FIELDS = ("status", "due_date", "scheduled_at", "form", "owner", "cancel_reason")


def visit_version(visit: Visit) -> str:
    """The version a visit's planning pages carry (see :mod:`huifang.core.concurrency`)."""
    contacts = visit.contacts.values_list("pk", flat=True)
    participants = visit.participants.values_list("pk", flat=True)
    return row_version(
        visit, fields=VISIT_EDITED_FIELDS, extra=[sorted(contacts), sorted(participants)]
    )


def _claim_visit(
    visit: Visit,
    statuses: Iterable[str],
    message: str,
    expected_version: str | None = None,
    **changes: Any,
) -> Visit:
    if expected_version is not None:
        lock_at_version(Visit.objects, visit.pk, expected=expected_version, version=visit_version)
    updated = Visit.objects.filter(pk=visit.pk, status__in=list(statuses)).update(
        updated_at=timezone.now(), **changes
    )
    if not updated:
        raise DomainError(message)
    visit.refresh_from_db()
    record_change(visit)
    return visit


@transaction.atomic
def mark_visit_missed(*, visit: Visit, today: datetime.date | None = None) -> Visit:
    """The visit did not take place in time (the nightly sweep, or a person).
    ``today`` lets a catching-up sweep speak for the day it runs for."""
    if visit.due_date >= (today or timezone.localdate()):
        raise DomainError(_("A visit cannot be missed before its due date has passed."))
    return _claim_visit(
        visit,
        OPEN_VISIT_STATUSES,
        _("Only a planned or scheduled visit can be marked missed."),
        status=VisitStatus.MISSED,
    )


@transaction.atomic
def cancel_visit(*, visit: Visit, reason: str, expected_version: str | None = None) -> Visit:
    """Call a visit off, saying why; a visit already done stays done."""
    reason = reason.strip()
    if not reason:
        raise DomainError(_("Say why the visit is cancelled."))
    return _claim_visit(
        visit,
        [*OPEN_VISIT_STATUSES, VisitStatus.MISSED],
        _("A visit that is done or already cancelled cannot be cancelled."),
        expected_version,
        status=VisitStatus.CANCELLED,
        cancel_reason=reason[:300],
    )


@transaction.atomic
def book_visit(
    *,
    visit: Visit,
    scheduled_at: datetime.datetime,
    form: str,
    owner: User | None = None,
    contacts: Iterable[Contact] = (),
    participants: Iterable[User] = (),
    expected_version: str | None = None,
) -> Visit:
    """Fix (or move) the appointment: when, in what form, with whom.

    Without ``contacts`` the visit keeps its contacts, or else invites the project's
    default visit contacts. A new
    ``owner`` and every participant must be on the project's team.
    """
    if scheduled_at is None:
        raise DomainError(_("Choose when the visit takes place."))
    checked_choice(form, VisitForm, _("visit form"))
    project = visit.project
    people = list(participants)
    for person in people if owner is None else [owner, *people]:
        check_on_project_team(project=project, user=person)
    # Rescheduling keeps whom the visit was already arranged with.
    invited = list(contacts) or list(visit.contacts.all()) or list(project.default_contacts.all())
    if any(contact.customer_id != project.customer_id for contact in invited):
        raise DomainError(_("Visit contacts must belong to the project's customer."))
    changes: dict[str, Any] = {
        "status": VisitStatus.SCHEDULED,
        "scheduled_at": scheduled_at,
        "form": form,
    }
    if owner is not None:
        changes["owner"] = owner
    visit = _claim_visit(
        visit,
        OPEN_VISIT_STATUSES,
        _("Only a planned or scheduled visit can be scheduled."),
        expected_version,
        **changes,
    )
    visit.contacts.set(invited)
    visit.participants.set(people)
    return visit


@transaction.atomic
def reassign_visit(*, visit: Visit, owner: User, expected_version: str | None = None) -> Visit:
    """Hand a visit that still has to happen to another member of the team."""
    check_on_project_team(project=visit.project, user=owner)
    return _claim_visit(
        visit,
        [*OPEN_VISIT_STATUSES, VisitStatus.MISSED],
        _("A visit that is done or cancelled cannot be reassigned."),
        expected_version,
        owner=owner,
    )


@transaction.atomic
def create_adhoc_visit(
    *,
    project: Project,
    due_date: datetime.date,
    owner: User,
    phase: str = PhaseChoices.ONGOING,
) -> Visit:
    """An extra visit outside the plan (临时回访). Planning never touches it."""
    checked_choice(phase, PhaseChoices, _("phase"))
    if project.status == ProjectStatusChoices.CANCELLED:
        raise DomainError(_("A cancelled project gets no more visits."))
    check_on_project_team(project=project, user=owner)
    visit = Visit.objects.create(
        project=project,
        phase=phase,
        sequence=None,
        is_adhoc=True,
        window_start=due_date,
        due_date=due_date,
        owner=owner,
    )
    visit.contacts.set(list(project.default_contacts.all()))
    return visit
