"""Every write to improvement actions (改进措施) and their verification.

The life cycle lives here, not in the model: open → in_progress → done (awaiting
verification) → verified_effective, or, when a later visit finds the action did not
work, reopened with a new due date (and round again). Each write bumps ``revision``
with a conditional UPDATE whose WHERE clause names the state the caller saw, so two
people changing the same action at once cannot both win: the second is told, instead
of silently overwriting the first.

Access (who may call these) is decided by the views with :mod:`huifang.core.access`;
the services check business rules only.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from huifang.actions.models import (
    OPEN_ACTION_STATUSES,
    ActionOrigin,
    ActionStatus,
    ActionVerification,
    ImprovementAction,
    VerificationResult,
)
from huifang.core.concurrency import EditConflict
from huifang.core.errors import DomainError
from huifang.core.history import record_change
from huifang.projects.models import Membership, Project

if TYPE_CHECKING:
    from huifang.core.models import User
    from huifang.visits.models import Feedback, Problem, VisitRecord


def is_on_project_team(*, project: Project, user: User) -> bool:
    """The project's manager or one of its members: the people work can be given to."""
    if user.pk is not None and user.pk == project.manager_id:
        return True
    return Membership.objects.filter(project=project, user_id=user.pk).exists()


def check_on_project_team(*, project: Project, user: User) -> None:
    if not is_on_project_team(project=project, user=user):
        raise DomainError(
            _("%(user)s is not on the team of project %(project)s.")
            % {"user": user, "project": project.code}
        )


def _conflict() -> EditConflict:
    return EditConflict(
        _("Someone else changed this action in the meantime. Reload it and try again.")
    )


def _claim(
    action: ImprovementAction,
    *,
    statuses: Iterable[str],
    expected_revision: int | None,
    **changes: Any,
) -> ImprovementAction:
    """Write ``changes`` only if the action is still in one of ``statuses`` (and at
    ``expected_revision`` when given); otherwise raise. One UPDATE, so the check and
    the write cannot be split by another writer."""
    allowed = list(statuses)
    rows = ImprovementAction.objects.filter(pk=action.pk, status__in=allowed)
    if expected_revision is not None:
        rows = rows.filter(revision=expected_revision)
    updated = rows.update(revision=F("revision") + 1, updated_at=timezone.now(), **changes)
    if updated:
        action.refresh_from_db()
        record_change(action)
        return action
    current = ImprovementAction.objects.filter(pk=action.pk).values_list("status", "revision")
    found = current.first()
    if found is None:
        raise DomainError(_("This action no longer exists."), code="not_found")
    status, revision = found
    if expected_revision is not None and revision != expected_revision:
        raise _conflict()
    raise DomainError(
        _("This cannot be done while the action is “%(status)s”.")
        % {"status": ActionStatus(status).label}
    )


@transaction.atomic
def create_action(
    *,
    project: Project,
    description: str,
    owner: User,
    due_date: datetime.date,
    created_by: User,
    origin: str = ActionOrigin.VISIT,
    record: VisitRecord | None = None,
    problem: Problem | None = None,
    feedback: Feedback | None = None,
    description_key: str | None = None,
    description_params: dict[str, Any] | None = None,
) -> ImprovementAction:
    """A new open action. Its owner must be on the project's team: work given to
    someone outside it would have nobody answerable for it on the project. A
    system-made action also passes the message key and parameters of its words
    (``actions.wording``), shown in the reader's language."""
    description = description.strip()
    if not description:
        raise DomainError(_("Describe the improvement action."))
    if origin not in ActionOrigin.values:
        raise DomainError(_("Unknown action origin “%(origin)s”.") % {"origin": origin})
    check_on_project_team(project=project, user=owner)
    if record is not None and record.visit.project_id != project.pk:
        raise DomainError(_("The visit record belongs to another project."))
    for linked in (problem, feedback):
        if linked is not None and linked.project_id != project.pk:
            raise DomainError(_("The problem or feedback belongs to another project."))
    return ImprovementAction.objects.create(
        project=project,
        origin=origin,
        record=record,
        problem=problem,
        feedback=feedback,
        description=description,
        description_key=description_key,
        description_params=description_params,
        owner=owner,
        due_date=due_date,
        created_by=created_by,
    )


@transaction.atomic
def update_action_progress(
    *,
    action: ImprovementAction,
    note: str,
    status: str = ActionStatus.IN_PROGRESS,
    expected_revision: int | None = None,
) -> ImprovementAction:
    """Note progress on an action still being worked on. ``status`` may stay what it
    is or move between open and in progress; done and verified need their own steps."""
    note = note.strip()
    if not note:
        raise DomainError(_("Describe the progress."))
    if status not in {ActionStatus.OPEN, ActionStatus.IN_PROGRESS, action.status}:
        raise DomainError(_("A progress note can only keep an action open or in progress."))
    return _claim(
        action,
        statuses=OPEN_ACTION_STATUSES,
        expected_revision=expected_revision,
        status=status,
        progress_note=note,
    )


@transaction.atomic
def mark_action_done(
    *,
    action: ImprovementAction,
    note: str,
    done_on: datetime.date | None = None,
    expected_revision: int | None = None,
) -> ImprovementAction:
    """The owner says the action is carried out; a later visit verifies the effect.
    With ``expected_revision`` (a page's form) a change made in between is refused."""
    note = note.strip()
    if not note:
        raise DomainError(_("Describe how the action was carried out."))
    today = timezone.localdate()
    done_on = done_on or today
    if done_on > today:
        raise DomainError(_("An action cannot be done on a future date."))
    return _claim(
        action,
        statuses=OPEN_ACTION_STATUSES,
        expected_revision=expected_revision,
        status=ActionStatus.DONE,
        done_on=done_on,
        done_note=note,
    )


def check_verification(
    *,
    action: ImprovementAction,
    record: VisitRecord,
    result: str,
    new_due_date: datetime.date | None,
    on: datetime.date,
) -> None:
    """The business rules of a verification, shared by :func:`verify_action` and the
    visit record form (which checks them when a draft is saved)."""
    if result not in VerificationResult.values:
        raise DomainError(_("Unknown verification result “%(result)s”.") % {"result": result})
    if action.project_id != record.visit.project_id:
        raise DomainError(_("An action can only be verified at a visit of its own project."))
    if action.record_id is not None and action.record_id == record.pk:
        raise DomainError(_("An action is verified at a later visit, not the one that raised it."))
    if result == VerificationResult.NOT_YET:
        if action.status == ActionStatus.VERIFIED_EFFECTIVE:
            raise DomainError(_("This action is already verified as effective."))
    elif action.status != ActionStatus.DONE:
        raise DomainError(_("Only an action marked done can be verified as effective or not."))
    elif action.done_on is not None and on < action.done_on:
        raise DomainError(_("A visit before the action was done cannot judge its effect."))
    if result == VerificationResult.NOT_EFFECTIVE and (new_due_date is None or new_due_date <= on):
        raise DomainError(
            _("An action found not effective needs a new due date after %(date)s.")
            % {"date": formats.date_format(on)}
        )


@transaction.atomic
def verify_action(
    *,
    action: ImprovementAction,
    record: VisitRecord,
    result: str,
    verified_by: User,
    note: str = "",
    new_due_date: datetime.date | None = None,
    on: datetime.date | None = None,
) -> ActionVerification:
    """A later visit's verdict on an action (四: 在后续回访中对改进效果进行评估和验证).

    * effective: the action is closed (``verified_effective``, ``closed_on``);
    * not effective: it is reopened with ``new_due_date``, which must fall after the
      verification day ``on`` (today unless given);
    * not yet: nothing changes but the verdict is kept, so the next visit asks again.

    One verdict per action per record (a database constraint backs this up).
    """
    on = on or timezone.localdate()
    check_verification(
        action=action, record=record, result=result, new_due_date=new_due_date, on=on
    )
    if ActionVerification.objects.filter(action=action, record=record).exists():
        raise DomainError(_("This action has already been verified in this visit record."))
    expected_status = action.status
    if result == VerificationResult.EFFECTIVE:
        _claim(
            action,
            statuses=[ActionStatus.DONE],
            expected_revision=action.revision,
            status=ActionStatus.VERIFIED_EFFECTIVE,
            closed_on=on,
        )
    elif result == VerificationResult.NOT_EFFECTIVE:
        # The action is no longer done; its done note stays as the history of the
        # attempt, and the verdict row says why it was reopened.
        _claim(
            action,
            statuses=[ActionStatus.DONE],
            expected_revision=action.revision,
            status=ActionStatus.REOPENED,
            due_date=new_due_date,
            done_on=None,
        )
    else:
        # Nothing about the action changes, but the verdict must be taken against the
        # state the verifier saw.
        _claim(action, statuses=[expected_status], expected_revision=action.revision)
    try:
        with transaction.atomic():
            return ActionVerification.objects.create(
                action=action,
                record=record,
                result=result,
                note=note.strip(),
                new_due_date=new_due_date if result == VerificationResult.NOT_EFFECTIVE else None,
                verified_by=verified_by,
                verified_on=on,
            )
    except IntegrityError as error:
        raise EditConflict(
            _("This action has already been verified in this visit record.")
        ) from error
