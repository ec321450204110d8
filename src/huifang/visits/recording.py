"""Recording what a visit found: saving the draft record, submitting and amending it.
Scheduling, reassigning, cancelling and ad-hoc visits are :mod:`huifang.visits.lifecycle`.

A record is a draft until it is submitted; drafts may be saved any number of times
and each save makes the record's problems, feedback, actions and verdicts what the
form holds, updating the rows it names by id in place (never delete and create
again: a problem's id, status and resolution, and the actions linked to it, survive).
Submitting archives it (四: 记录与跟踪): from then on the only change is an
amendment with a reason, which keeps the old and new values.

Concurrency: a record carries ``revision``. Writes claim the row with a conditional
``UPDATE ... WHERE revision = <what the writer saw>``, so of two people saving the same
draft from stale pages exactly one wins and the other is told (code ``conflict``)
instead of silently overwriting the first.

Access (who may call these) is decided by the views with :mod:`huifang.core.access`;
the services check business rules only.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Sequence
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from huifang.actions.models import ActionOrigin, ActionStatus, ActionVerification, ImprovementAction
from huifang.actions.services import (
    check_on_project_team,
    check_verification,
    create_action,
    verify_action,
)
from huifang.core.concurrency import check_version, row_version
from huifang.core.errors import DomainError
from huifang.core.history import record_change
from huifang.customers.models import Contact
from huifang.policy.queries import version_in_force
from huifang.projects.models import Project
from huifang.surveys.services import invite_after_visit
from huifang.visits.models import (
    Feedback,
    FeedbackSource,
    Problem,
    ProblemCategory,
    ProblemStatus,
    RaisedBy,
    RecordAmendment,
    RecordStatus,
    ScheduleStatus,
    Severity,
    Visit,
    VisitForm,
    VisitRecord,
    VisitStatus,
)

if TYPE_CHECKING:
    from huifang.core.models import User

# The record's own fields a form may write; planned_percent and variance_days are
# derived from the project's dates and never taken from the caller.
RECORD_FIELDS = (
    "work_completed",
    "work_outstanding",
    "schedule_status",
    "percent_complete",
    "checklist",
    "summary",
    "form",
)
FEEDBACK_SCORES = {
    "overall_satisfaction": (1, 5),
    "quality_satisfaction": (1, 5),
    "schedule_satisfaction": (1, 5),
    "communication_satisfaction": (1, 5),
    "service_satisfaction": (1, 5),
    "likelihood_to_recommend": (0, 10),
}
FEEDBACK_TEXTS = ("evaluation", "suggestions", "requirement_changes")


# --- Progress against a linear plan ----------------------------------------------------


def _round_half_up(value: Fraction) -> int:
    return math.floor(value + Fraction(1, 2))


def planned_percent(
    *, start: datetime.date, end: datetime.date | None, on: datetime.date
) -> int | None:
    """How far a linear plan expects the project to be on ``on``, in whole percent.

    ``planned = (on − start) / (end − start) × 100``, rounded half up and clamped to
    0–100. A project without an end has no plan to compare with (``None``); one
    planned to end the day it starts is 0 before that day and 100 from it.
    """
    if end is None:
        return None
    total = (end - start).days
    if total <= 0:
        return 100 if on >= end else 0
    value = _round_half_up(Fraction((on - start).days * 100, total))
    return min(100, max(0, value))


def schedule_variance_days(
    *,
    start: datetime.date,
    end: datetime.date | None,
    on: datetime.date,
    percent_complete: int | None,
) -> int | None:
    """Days ahead (positive) or behind (negative) the linear plan.

    The plan reaches ``percent_complete`` on ``start + percent_complete/100 × (end −
    start)``; the variance is that day minus ``on``, rounded half up. Example: a
    100-day project 40 % complete on day 50 is 10 days behind (−10). Unlike
    :func:`planned_percent` it is not clamped, so a project past its end still shows
    how late it is. ``None`` without an end date or without a percent complete.
    """
    if end is None or percent_complete is None:
        return None
    total = max(0, (end - start).days)
    expected_elapsed = Fraction(percent_complete * total, 100)
    return _round_half_up(expected_elapsed - (on - start).days)


def _progress(
    project: Project, on: datetime.date, percent_complete: int | None
) -> dict[str, int | None]:
    return {
        "planned_percent": planned_percent(start=project.start, end=project.end, on=on),
        "variance_days": schedule_variance_days(
            start=project.start, end=project.end, on=on, percent_complete=percent_complete
        ),
    }


def _visit_day(visit: Visit) -> datetime.date:
    """The day a draft's visit takes place: its appointment, else today."""
    if visit.scheduled_at is not None:
        return timezone.localdate(visit.scheduled_at)
    return timezone.localdate()


# --- Validation ------------------------------------------------------------------------


def checked_choice(value: Any, choices: type[Any], label: str) -> str:
    """``value`` if it is one of ``choices`` (a TextChoices), else a DomainError."""
    if value not in choices.values:
        raise DomainError(
            _("“%(value)s” is not a valid %(field)s.") % {"value": value, "field": label}
        )
    return str(value)


def _score(name: str, value: Any) -> int | None:
    if value is None or value == "":
        return None
    low, high = FEEDBACK_SCORES[name]
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise DomainError(
            _("%(field)s must be a whole number from %(low)d to %(high)d.")
            % {"field": name.replace("_", " "), "low": low, "high": high}
        )
    return value


def _clean_fields(visit: Visit, fields: dict[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - set(RECORD_FIELDS)
    if unknown:
        # A programming error, not a user's: forms only send the fields above.
        raise ValueError(f"not record fields: {sorted(unknown)}")
    cleaned = dict(fields)
    for name in ("work_completed", "work_outstanding", "summary"):
        if name in cleaned:
            cleaned[name] = (cleaned[name] or "").strip()
    if cleaned.get("schedule_status"):
        checked_choice(cleaned["schedule_status"], ScheduleStatus, _("schedule status"))
    elif "schedule_status" in cleaned:
        cleaned["schedule_status"] = ""
    if cleaned.get("form"):
        checked_choice(cleaned["form"], VisitForm, _("form of the visit"))
    elif "form" in cleaned:
        cleaned["form"] = ""
    percent = cleaned.get("percent_complete")
    if percent is not None and (
        not isinstance(percent, int) or isinstance(percent, bool) or not 0 <= percent <= 100
    ):
        raise DomainError(_("Percent complete must be a whole number from 0 to 100."))
    if "checklist" in cleaned:
        cleaned["checklist"] = _clean_checklist(visit, cleaned["checklist"] or {})
    return cleaned


def _clean_checklist(visit: Visit, checklist: dict[str, Any]) -> dict[str, bool]:
    if not isinstance(checklist, dict):
        raise ValueError("checklist must be a dict of item key to bool")
    version = visit.policy_version or version_in_force(
        visit.project.policy, on=timezone.localdate()
    )
    if version is not None:
        known = set(version.checklist_items.filter(phase=visit.phase).values_list("key", flat=True))
        unknown = set(checklist) - known
        if unknown:
            raise DomainError(
                _("The checklist of this visit has no item “%(key)s”.")
                % {"key": sorted(unknown)[0]}
            )
    return {str(key): bool(value) for key, value in checklist.items()}


def _problem_values(spec: dict[str, Any]) -> dict[str, Any]:
    description = (spec.get("description") or "").strip()
    if not description:
        raise DomainError(_("Describe each problem."))
    return {
        "category": checked_choice(spec.get("category"), ProblemCategory, _("problem category")),
        "severity": checked_choice(spec.get("severity", Severity.MEDIUM), Severity, _("severity")),
        "description": description,
        "raised_by": checked_choice(
            spec.get("raised_by", RaisedBy.CUSTOMER), RaisedBy, _("raised by")
        ),
        "status": checked_choice(
            spec.get("status", ProblemStatus.OPEN), ProblemStatus, _("status")
        ),
        "resolution": (spec.get("resolution") or "").strip(),
    }


def _sync_problems(
    record: VisitRecord, project: Project, author: User, problems: Sequence[dict[str, Any]]
) -> list[Problem]:
    """The record's problems as ``problems`` lists them, in that order.

    An item with ``id`` updates that problem of the record in place, so its identity
    (the actions linked to it, its history, a status or resolution set elsewhere)
    survives a draft save; one without creates a problem; the record's problems left
    out are removed.
    """
    existing = {problem.pk: problem for problem in record.problems.all()}
    result: list[Problem] = []
    created: list[Problem] = []
    kept: set[int] = set()
    for spec in problems:
        values = _problem_values(spec)
        problem_id = spec.get("id")
        if problem_id is None:
            problem = Problem(project=project, record=record, **values)
            created.append(problem)
            result.append(problem)
            continue
        if problem_id not in existing or problem_id in kept:
            raise DomainError(_("That problem was not raised in this record."))
        kept.add(problem_id)
        problem = existing[problem_id]
        changed = [name for name, value in values.items() if getattr(problem, name) != value]
        if changed:
            for name in changed:
                setattr(problem, name, values[name])
            problem._history_user = author  # type: ignore[attr-defined]
            problem.save(update_fields=changed)
        result.append(problem)
    dropped = [pk for pk in existing if pk not in kept]
    if dropped:
        Problem.objects.filter(pk__in=dropped).delete()
    if created:
        # bulk_create sets the primary keys (PostgreSQL, SQLite ≥ 3.35), so the
        # problems in ``result`` are the saved ones, with their ids.
        bulk_create_with_history(created, Problem, default_user=author)
    return result


def _sync_feedback(
    record: VisitRecord, visit: Visit, author: User, spec: dict[str, Any] | None
) -> Feedback | None:
    """The feedback given at the visit: the record's row updated in place (actions
    answering it stay linked), created, or removed when the form holds none."""
    existing = record.feedback.filter(source=FeedbackSource.VISIT).first()
    if spec is None:
        if existing is not None:
            existing.delete()
        return None
    unknown = set(spec) - {*FEEDBACK_SCORES, *FEEDBACK_TEXTS, "respondent", "received_on"}
    if unknown:
        raise ValueError(f"not feedback fields: {sorted(unknown)}")
    respondent = spec.get("respondent")
    if respondent is not None and respondent.customer_id != visit.project.customer_id:
        raise DomainError(_("The respondent must be a contact of the project's customer."))
    values: dict[str, Any] = {
        "respondent": respondent,
        "received_on": spec.get("received_on") or _visit_day(visit),
        **{name: _score(name, spec.get(name)) for name in FEEDBACK_SCORES},
        **{name: (spec.get(name) or "").strip() for name in FEEDBACK_TEXTS},
    }
    if existing is None:
        feedback = Feedback(
            project=visit.project, visit=visit, record=record, source=FeedbackSource.VISIT, **values
        )
        feedback._history_user = author  # type: ignore[attr-defined]
        feedback.save(force_insert=True)
        return feedback
    changed = [name for name, value in values.items() if getattr(existing, name) != value]
    if changed:
        for name in changed:
            setattr(existing, name, values[name])
        existing._history_user = author  # type: ignore[attr-defined]
        existing.save(update_fields=changed)
    return existing


# --- The record ------------------------------------------------------------------------


def _conflict() -> DomainError:
    return DomainError(
        _("Someone else saved this record in the meantime. Reload it and try again."),
        code="conflict",
    )


def _refuse_read_only() -> DomainError:
    return DomainError(
        _("This record is submitted and read-only; correct it with an amendment."),
        code="read_only",
    )


# ``expected_revision`` of a writer who saw no record yet (a revision starts at 1).
NO_RECORD_YET = 0


@transaction.atomic
def save_visit_record(
    *,
    visit: Visit,
    recorded_by: User,
    fields: dict[str, Any],
    problems: list[dict[str, Any]],
    feedback: dict[str, Any] | None,
    actions: list[dict[str, Any]],
    verifications: Sequence[dict[str, Any]] = (),
    expected_revision: int | None = None,
    contacts: Sequence[Contact] | None = None,
    participants: Sequence[User] | None = None,
) -> VisitRecord:
    """Create or update the visit's draft record.

    ``fields`` holds any of :data:`RECORD_FIELDS`. ``problems`` and ``feedback``
    become what the draft has: a problem item with ``id`` updates that problem of the
    record in place (its ``status`` and ``resolution`` too), one without creates it,
    and the record's problems left out are removed; the feedback row is updated in
    place. The returned record carries ``saved_problem_ids`` and ``saved_action_ids``
    (in the order given). ``actions`` are the improvement actions this record
    raises: an item with ``id`` updates that action, one without creates it, and the
    record's actions left out are removed (only while nobody has started on them).
    An action item may name ``problem_index`` (into ``problems``) or
    ``from_feedback=True`` to link what it answers. ``verifications`` are verdicts on
    earlier actions (``action``, ``result``, ``note``, ``new_due_date``): checked now,
    applied when the record is submitted. ``recorded_by`` becomes the record's author.

    ``contacts`` (the customer's) and ``participants`` (our staff) are who took part
    in the visit, with ``fields["form"]`` how it took place; ``None`` leaves them as
    they are.

    ``expected_revision`` is the revision the writer saw, :data:`NO_RECORD_YET` when
    they saw no record (pages and the API always pass one); ``None`` skips the check
    (demo data and commands).
    """
    visit = Visit.objects.select_related("project__policy", "policy_version").get(pk=visit.pk)
    if visit.status == VisitStatus.CANCELLED:
        raise DomainError(_("A cancelled visit cannot be recorded."))
    cleaned = _clean_fields(visit, fields)
    record = VisitRecord.objects.filter(visit=visit).first()
    if record is None:
        if expected_revision:  # the writer saw a record that is no longer there
            raise _conflict()
        record = _create_record(visit, recorded_by, cleaned)
    else:
        if expected_revision == NO_RECORD_YET:
            # The writer's page was opened before anybody saved a draft; somebody has
            # since: replacing that draft unseen would lose their work.
            raise _conflict()
        record = _update_record(record, visit, recorded_by, cleaned, expected_revision)
    # Rows are updated in place, never deleted and created again: a problem keeps
    # its id, status, resolution and the actions linked to it across draft saves.
    saved_problems = _sync_problems(record, visit.project, recorded_by, problems)
    saved_feedback = _sync_feedback(record, visit, recorded_by, feedback)
    saved_actions = _apply_actions(
        record, visit.project, recorded_by, actions, saved_problems, saved_feedback
    )
    _store_verifications(record, visit, recorded_by, verifications)
    _set_people(record, visit, contacts, participants)
    record.saved_problem_ids = [problem.pk for problem in saved_problems]
    record.saved_action_ids = saved_actions
    return record


def _set_people(
    record: VisitRecord,
    visit: Visit,
    contacts: Sequence[Contact] | None,
    participants: Sequence[User] | None,
) -> None:
    """Who took part: contacts of the project's customer and people on its team."""
    if contacts is not None:
        if any(contact.customer_id != visit.project.customer_id for contact in contacts):
            raise DomainError(_("Those who took part must be contacts of the project's customer."))
        record.contacts.set(contacts)
    if participants is not None:
        for person in participants:
            check_on_project_team(project=visit.project, user=person)
        record.participants.set(participants)


def _create_record(visit: Visit, recorded_by: User, cleaned: dict[str, Any]) -> VisitRecord:
    cleaned = {"form": "", **cleaned}
    progress = _progress(visit.project, _visit_day(visit), cleaned.get("percent_complete"))
    try:
        # A savepoint, so a lost race for the one-to-one leaves our transaction usable
        # long enough to say what happened.
        with transaction.atomic():
            record = VisitRecord(visit=visit, recorded_by=recorded_by, **cleaned, **progress)
            record._history_user = recorded_by  # type: ignore[attr-defined]
            record.save(force_insert=True)
            return record
    except IntegrityError as error:
        raise _conflict() from error


def _update_record(
    record: VisitRecord,
    visit: Visit,
    recorded_by: User,
    cleaned: dict[str, Any],
    expected_revision: int | None,
) -> VisitRecord:
    percent = cleaned.get("percent_complete", record.percent_complete)
    progress = _progress(visit.project, _visit_day(visit), percent)
    rows = VisitRecord.objects.filter(pk=record.pk, status=RecordStatus.DRAFT)
    if expected_revision is not None:
        rows = rows.filter(revision=expected_revision)
    claimed = rows.update(
        revision=F("revision") + 1,
        updated_at=timezone.now(),
        recorded_by=recorded_by,
        **cleaned,
        **progress,
    )
    if not claimed:
        current = VisitRecord.objects.get(pk=record.pk)
        if current.is_submitted:
            raise _refuse_read_only()
        raise _conflict()
    record.refresh_from_db()
    record_change(record, recorded_by)
    return record


def _apply_actions(
    record: VisitRecord,
    project: Project,
    author: User,
    specs: Sequence[dict[str, Any]],
    problems: list[Problem],
    feedback: Feedback | None,
) -> list[int]:
    """Returns the actions' ids in the order of ``specs``."""
    existing = {action.pk: action for action in record.actions.all()}
    kept: set[int] = set()
    ids: list[int] = []
    for spec in specs:
        problem = _problem_at(problems, spec.get("problem_index"))
        linked_feedback = None
        if spec.get("from_feedback"):
            if feedback is None:
                raise DomainError(_("An action answers feedback, but the record has none."))
            linked_feedback = feedback
        origin = spec.get("origin") or (
            ActionOrigin.PROBLEM
            if problem
            else ActionOrigin.FEEDBACK
            if linked_feedback
            else ActionOrigin.VISIT
        )
        action_id = spec.get("id")
        if action_id is None:
            created = create_action(
                project=project,
                description=spec.get("description") or "",
                owner=spec["owner"],
                due_date=spec["due_date"],
                created_by=author,
                origin=origin,
                record=record,
                problem=problem,
                feedback=linked_feedback,
            )
            ids.append(created.pk)
            continue
        if action_id not in existing or action_id in kept:
            raise DomainError(_("That action was not raised in this record."))
        kept.add(action_id)
        description = (spec.get("description") or "").strip()
        if not description:
            raise DomainError(_("Describe the improvement action."))
        check_on_project_team(project=project, user=spec["owner"])
        links: dict[str, Any] = {}
        # The record page's rows do not show what an action answers: a page save
        # keeps the links (set through the API) instead of clearing them.
        if {"problem_index", "from_feedback", "origin"} & set(spec):
            links = {"origin": origin, "problem": problem, "feedback": linked_feedback}
        ImprovementAction.objects.filter(pk=action_id).update(
            description=description,
            owner=spec["owner"],
            due_date=spec["due_date"],
            **links,
            revision=F("revision") + 1,
            updated_at=timezone.now(),
        )
        record_change(ImprovementAction.objects.get(pk=action_id), author)
        ids.append(action_id)
    dropped = [action for pk, action in existing.items() if pk not in kept]
    if any(action.status != ActionStatus.OPEN for action in dropped):
        raise DomainError(_("An action somebody has already worked on cannot be removed."))
    ImprovementAction.objects.filter(pk__in=[action.pk for action in dropped]).delete()
    return ids


def _problem_at(problems: list[Problem], index: Any) -> Problem | None:
    if index is None:
        return None
    if not isinstance(index, int) or not 0 <= index < len(problems):
        raise DomainError(_("An action refers to a problem the record does not have."))
    return problems[index]


def _store_verifications(
    record: VisitRecord, visit: Visit, author: User, specs: Sequence[dict[str, Any]]
) -> None:
    """Keep the draft's verdicts as rows of the record; they change the actions only
    when the record is submitted (see :func:`submit_visit_record`). A verdict on an
    action the draft already judged updates that row in place."""
    on = _visit_day(visit)
    existing = {row.action_id: row for row in record.verifications.all()}
    seen: set[int] = set()
    created = []
    for spec in specs:
        action: ImprovementAction = spec["action"]
        if action.pk in seen:
            raise DomainError(_("Each action can be verified once per visit record."))
        seen.add(action.pk)
        action.refresh_from_db()
        new_due_date = spec.get("new_due_date")
        check_verification(
            action=action, record=record, result=spec["result"], new_due_date=new_due_date, on=on
        )
        values = {
            "result": spec["result"],
            "note": (spec.get("note") or "").strip(),
            "new_due_date": new_due_date if spec["result"] == "not_effective" else None,
            "verified_by": author,
            "verified_on": on,
        }
        row = existing.get(action.pk)
        if row is None:
            created.append(ActionVerification(action=action, record=record, **values))
            continue
        changed = [name for name, value in values.items() if getattr(row, name) != value]
        if changed:
            for name in changed:
                setattr(row, name, values[name])
            row._history_user = author  # type: ignore[attr-defined]
            row.save(update_fields=changed)
    dropped = [row.pk for action_id, row in existing.items() if action_id not in seen]
    if dropped:
        ActionVerification.objects.filter(pk__in=dropped).delete()
    bulk_create_with_history(created, ActionVerification, default_user=author)


@transaction.atomic
def submit_visit_record(
    *,
    record: VisitRecord,
    submitted_by: User,
    completed_on: datetime.date | None = None,
    expected_revision: int | None = None,
) -> VisitRecord:
    """Archive the record and mark its visit done on ``completed_on`` (today unless
    given; a record submitted after the due date makes the visit done but late).
    The draft's verdicts on earlier actions are applied now, dated ``completed_on``.
    """
    today = timezone.localdate()
    completed_on = completed_on or today
    if completed_on > today:
        raise DomainError(_("A visit cannot be completed on a future date."))
    locked = (
        VisitRecord.objects.select_for_update(of=("self",))
        .select_related("visit__project")
        .get(pk=record.pk)
    )
    if locked.is_submitted:
        raise DomainError(_("This record is already submitted."), code="read_only")
    if expected_revision is not None and locked.revision != expected_revision:
        raise _conflict()
    visit = locked.visit
    if visit.status == VisitStatus.CANCELLED:
        raise DomainError(_("A cancelled visit cannot be recorded."))
    progress = _progress(visit.project, completed_on, locked.percent_complete)
    claimed = VisitRecord.objects.filter(
        pk=locked.pk, status=RecordStatus.DRAFT, revision=locked.revision
    ).update(
        status=RecordStatus.SUBMITTED,
        submitted_at=timezone.now(),
        recorded_by=submitted_by,
        revision=F("revision") + 1,
        updated_at=timezone.now(),
        **progress,
    )
    if not claimed:
        raise _conflict()
    Visit.objects.filter(pk=visit.pk).update(
        status=VisitStatus.DONE, completed_on=completed_on, updated_at=timezone.now()
    )
    locked.feedback.filter(source=FeedbackSource.VISIT).update(received_on=completed_on)

    pending = list(locked.verifications.select_related("action").order_by("pk"))
    ActionVerification.objects.filter(pk__in=[row.pk for row in pending]).delete()
    for row in pending:
        verify_action(
            action=row.action,
            record=locked,
            result=row.result,
            verified_by=submitted_by,
            note=row.note,
            new_due_date=row.new_due_date,
            on=completed_on,
        )
    locked.refresh_from_db()
    record_change(locked, submitted_by)
    visit.refresh_from_db()
    record_change(visit, submitted_by)
    # The policy may ask the customer for a survey after this phase (closing by
    # default); the invitation is part of the same transaction, its e-mail on commit.
    invite_after_visit(visit=locked.visit)
    return locked


@transaction.atomic
def amend_visit_record(
    *,
    record: VisitRecord,
    amended_by: User,
    reason: str,
    changes: dict[str, Any],
    problems: Sequence[dict[str, Any]] | None = None,
    feedback: dict[str, Any] | None = None,
    actions: Sequence[dict[str, Any]] | None = None,
    expected_version: str | None = None,
) -> VisitRecord:
    """Correct a submitted record, all of it: its own fields (``changes``), its
    problems (items with the ``id`` of one of the record's problems and all its
    fields), the feedback given at the visit (``feedback``, as for a draft) and its
    improvement actions (items with ``id``, ``description``, ``owner``, ``due_date``).
    ``None`` leaves that part alone; rows are corrected, never added or removed.

    The amendment keeps each changed field's old and new value (keys such as
    ``percent_complete``, ``problems.<id>.status``, ``feedback.evaluation``,
    ``actions.<id>.due_date``) and the reason, so the archive stays explainable.
    With ``expected_version`` (the amendment page's form, see
    :mod:`huifang.core.concurrency`) an amendment made since is refused."""
    reason = reason.strip()
    if not reason:
        raise DomainError(_("Say why the record is amended."))
    locked = (
        VisitRecord.objects.select_for_update(of=("self",))
        .select_related("visit__project__policy", "visit__policy_version")
        .get(pk=record.pk)
    )
    if not locked.is_submitted:
        raise DomainError(_("Only a submitted record is amended; a draft is simply saved."))
    check_version(current=row_version(locked), expected=expected_version)
    cleaned = _clean_fields(locked.visit, changes)
    if "percent_complete" in cleaned:
        visit = locked.visit
        on = visit.completed_on or timezone.localdate()
        cleaned["variance_days"] = _progress(visit.project, on, cleaned["percent_complete"])[
            "variance_days"
        ]
    diff = {
        name: {"old": _old(locked, name), "new": value}
        for name, value in cleaned.items()
        if _old(locked, name) != value
    }
    own_fields = list(diff)
    if problems is not None:
        diff.update(_amend_problems(locked, amended_by, problems))
    if feedback is not None:
        diff.update(_amend_feedback(locked, amended_by, feedback))
    if actions is not None:
        diff.update(_amend_actions(locked, amended_by, actions))
    if not diff:
        raise DomainError(_("The amendment changes nothing."))
    for name in own_fields:
        setattr(locked, name, diff[name]["new"])
    locked.revision += 1
    locked._history_user = amended_by  # type: ignore[attr-defined]
    locked.save(update_fields=[*own_fields, "revision", "updated_at"])
    RecordAmendment.objects.create(
        record=locked, reason=reason, changes=diff, amended_by=amended_by
    )
    return locked


Diff = dict[str, dict[str, Any]]


def _old(record: VisitRecord, name: str) -> Any:
    # A record made before the form of the visit was kept has NULL there: "" alike.
    value = getattr(record, name)
    return (value or "") if name == "form" else value


def _stored(value: Any) -> Any:
    """A value as the amendment's JSON keeps it: dates as ISO text, a person or a
    contact by name (what a reader of the history needs)."""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if hasattr(value, "_meta"):
        return str(value)
    return value


def _changed_fields(row: Any, values: dict[str, Any], prefix: str, author: User) -> Diff:
    """Set ``values`` on ``row``, save what changed and return it as old → new."""
    changed = [name for name, value in values.items() if getattr(row, name) != value]
    diff = {
        f"{prefix}.{name}": {"old": _stored(getattr(row, name)), "new": _stored(values[name])}
        for name in changed
    }
    if changed:
        for name in changed:
            setattr(row, name, values[name])
        row._history_user = author
        row.save(update_fields=changed)
    return diff


def _amend_problems(record: VisitRecord, author: User, specs: Sequence[dict[str, Any]]) -> Diff:
    problems = {problem.pk: problem for problem in record.problems.all()}
    diff: Diff = {}
    for spec in specs:
        problem = problems.get(spec.get("id"))  # type: ignore[arg-type]
        if problem is None:
            raise DomainError(_("That problem was not raised in this record."))
        diff.update(
            _changed_fields(problem, _problem_values(spec), f"problems.{problem.pk}", author)
        )
    return diff


def _amend_feedback(record: VisitRecord, author: User, spec: dict[str, Any]) -> Diff:
    visit = record.visit
    respondent = spec.get("respondent")
    if respondent is not None and respondent.customer_id != visit.project.customer_id:
        raise DomainError(_("The respondent must be a contact of the project's customer."))
    values: dict[str, Any] = {
        "respondent": respondent,
        **{name: _score(name, spec.get(name)) for name in FEEDBACK_SCORES},
        **{name: (spec.get(name) or "").strip() for name in FEEDBACK_TEXTS},
    }
    existing = record.feedback.filter(source=FeedbackSource.VISIT).first()
    if existing is None:
        given = {name: value for name, value in values.items() if value not in (None, "")}
        if not given:
            return {}
        created = Feedback(
            project=visit.project,
            visit=visit,
            record=record,
            source=FeedbackSource.VISIT,
            received_on=visit.completed_on or timezone.localdate(),
            **values,
        )
        created._history_user = author  # type: ignore[attr-defined]
        created.save(force_insert=True)
        return {
            f"feedback.{name}": {"old": None, "new": _stored(value)}
            for name, value in given.items()
        }
    return _changed_fields(existing, values, "feedback", author)


def _amend_actions(record: VisitRecord, author: User, specs: Sequence[dict[str, Any]]) -> Diff:
    actions = {action.pk: action for action in record.actions.select_related("owner")}
    project = record.visit.project
    diff: Diff = {}
    for spec in specs:
        action = actions.get(spec.get("id"))  # type: ignore[arg-type]
        if action is None:
            raise DomainError(_("That action was not raised in this record."))
        description = (spec.get("description") or "").strip()
        if not description:
            raise DomainError(_("Describe the improvement action."))
        check_on_project_team(project=project, user=spec["owner"])
        values = {"description": description, "owner": spec["owner"], "due_date": spec["due_date"]}
        changed = {
            f"actions.{action.pk}.{name}": {
                "old": _stored(getattr(action, name)),
                "new": _stored(value),
            }
            for name, value in values.items()
            if getattr(action, name) != value
        }
        if changed:
            # The action's own revision moves too, so its page sees the change.
            ImprovementAction.objects.filter(pk=action.pk).update(
                **values, revision=F("revision") + 1, updated_at=timezone.now()
            )
            record_change(ImprovementAction.objects.get(pk=action.pk), author)
            diff.update(changed)
    return diff
