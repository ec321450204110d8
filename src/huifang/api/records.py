"""Visit records with their problems, feedback and actions.

Optimistic concurrency uses the record's ``revision``: saving an existing draft,
submitting and amending need the revision last read; a stale one answers 409."""

import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from huifang.actions.models import ImprovementAction, VerificationResult
from huifang.api.common import (
    NO_NUL,
    READ_ERRORS,
    WRITE_ERRORS,
    Id,
    Paginator,
    PathId,
    caller,
    get_visible,
)
from huifang.api.errors import PreconditionRequired
from huifang.api.people import pick_contacts, pick_user, pick_users
from huifang.api.schemas import RecordDetailOut, RecordOut
from huifang.core import access
from huifang.core.concurrency import EditConflict, revision_version
from huifang.projects.queries import assignable_members
from huifang.visits import recording
from huifang.visits.models import (
    ProblemCategory,
    ProblemStatus,
    RaisedBy,
    RecordStatus,
    ScheduleStatus,
    Severity,
    Visit,
    VisitForm,
    VisitRecord,
)

router = Router(tags=["records"])
REVISION_ERRORS: dict[int, Any] = {**WRITE_ERRORS, 428: WRITE_ERRORS[400]}


class RecordFilter(Schema):
    project: Id | None = None
    status: RecordStatus | None = None


class ProblemIn(Schema):
    id: int | None = Field(
        None, description="A problem of this record to update in place; omit for a new one."
    )
    category: ProblemCategory
    severity: Severity = Severity.MEDIUM
    description: str = Field(..., min_length=1, max_length=5000, pattern=NO_NUL)
    raised_by: RaisedBy = RaisedBy.CUSTOMER
    status: ProblemStatus = ProblemStatus.OPEN
    resolution: str = Field("", max_length=5000, pattern=NO_NUL)


class FeedbackIn(Schema):
    overall_satisfaction: int | None = Field(None, ge=1, le=5)
    quality_satisfaction: int | None = Field(None, ge=1, le=5)
    schedule_satisfaction: int | None = Field(None, ge=1, le=5)
    communication_satisfaction: int | None = Field(None, ge=1, le=5)
    service_satisfaction: int | None = Field(None, ge=1, le=5)
    likelihood_to_recommend: int | None = Field(None, ge=0, le=10)
    evaluation: str = Field("", max_length=5000, pattern=NO_NUL)
    suggestions: str = Field("", max_length=5000, pattern=NO_NUL)
    requirement_changes: str = Field("", max_length=5000, pattern=NO_NUL)
    respondent_id: Id | None = None
    received_on: datetime.date | None = None


class RecordActionIn(Schema):
    id: int | None = None
    description: str = Field(..., min_length=1, max_length=5000, pattern=NO_NUL)
    owner_id: Id
    due_date: datetime.date
    problem_index: int | None = Field(None, ge=0, le=100)
    from_feedback: bool = False


class VerificationIn(Schema):
    action_id: Id
    result: VerificationResult
    note: str = Field("", max_length=5000, pattern=NO_NUL)
    new_due_date: datetime.date | None = None


class RecordFields(Schema):
    work_completed: str = Field("", max_length=20000, pattern=NO_NUL)
    work_outstanding: str = Field("", max_length=20000, pattern=NO_NUL)
    schedule_status: ScheduleStatus | None = None
    percent_complete: int | None = Field(None, ge=0, le=100)
    checklist: dict[str, bool] = Field(default_factory=dict)
    summary: str = Field("", max_length=20000, pattern=NO_NUL)
    form: VisitForm | None = Field(None, description="How the visit actually took place.")


class RecordIn(RecordFields):
    revision: int | None = Field(None, ge=1, description="Required when the draft exists.")
    contact_ids: list[Id] | None = Field(
        None, max_length=100, description="The customer's contacts who took part; omit to keep."
    )
    participant_ids: list[Id] | None = Field(
        None, max_length=100, description="Our staff who took part; omit to keep."
    )
    problems: list[ProblemIn] = Field(default_factory=list, max_length=50)
    feedback: FeedbackIn | None = None
    actions: list[RecordActionIn] = Field(default_factory=list, max_length=50)
    verifications: list[VerificationIn] = Field(default_factory=list, max_length=50)


class SubmitIn(Schema):
    revision: int = Field(..., ge=1)
    completed_on: datetime.date | None = None


class ProblemAmendIn(ProblemIn):
    id: Id


class ActionAmendIn(Schema):
    id: Id
    description: str = Field(..., min_length=1, max_length=5000, pattern=NO_NUL)
    owner_id: Id
    due_date: datetime.date


class AmendIn(Schema):
    revision: int = Field(..., ge=1)
    reason: str = Field(..., min_length=1, max_length=2000, pattern=NO_NUL)
    changes: RecordFields | None = Field(None, description="The record's own fields to correct.")
    problems: list[ProblemAmendIn] | None = Field(
        None, max_length=50, description="Corrections of the record's problems, by id."
    )
    feedback: FeedbackIn | None = Field(None, description="The feedback given at the visit.")
    actions: list[ActionAmendIn] | None = Field(
        None, max_length=50, description="Corrections of the record's actions, by id."
    )


def _feedback_spec(payload: FeedbackIn, customer_id: int) -> dict[str, Any]:
    spec = payload.dict(exclude={"respondent_id", "received_on"})
    respondent_id = payload.respondent_id
    spec["respondent"] = (
        pick_contacts(customer_id, [respondent_id], "feedback.respondent_id")[0]
        if respondent_id
        else None
    )
    return spec


def _records(request: HttpRequest) -> Any:
    return VisitRecord.objects.visible_to(caller(request)).select_related(
        "visit", "visit__project", "recorded_by"
    )


def _writable(request: HttpRequest, record_id: int) -> VisitRecord:
    record = get_visible(_records(request), record_id)
    access.require(access.can_record_visit(caller(request), record.visit.project))
    return record


def _detail(record: VisitRecord) -> VisitRecord:
    return (
        VisitRecord.objects.select_related("visit", "recorded_by")
        .prefetch_related("contacts", "participants")
        .get(pk=record.pk)
    )


@router.get("/records", response={200: list[RecordOut], **READ_ERRORS})
@paginate(Paginator)
def list_records(request: HttpRequest, filters: Query[RecordFilter]) -> Any:
    records = _records(request)
    if filters.project is not None:
        records = records.filter(visit__project_id=filters.project)
    if filters.status is not None:
        records = records.filter(status=filters.status.value)
    return records.order_by("-updated_at", "-pk")


@router.get("/records/{int:record_id}", response={200: RecordDetailOut, **READ_ERRORS})
def get_record(request: HttpRequest, record_id: PathId) -> Any:
    return get_visible(_records(request), record_id)


@router.put("/visits/{int:visit_id}/record", response={200: RecordDetailOut, **REVISION_ERRORS})
def save_record(request: HttpRequest, visit_id: PathId, payload: RecordIn) -> Any:
    """Create or replace the visit's draft record (send ``revision`` once it exists)."""
    user = caller(request)
    visit = get_visible(Visit.objects.visible_to(user).select_related("project"), visit_id)
    project = visit.project
    access.require(access.can_record_visit(user, project))
    existing = VisitRecord.objects.filter(visit=visit).first()
    if existing is not None and payload.revision is None:
        raise PreconditionRequired
    if existing is None and payload.revision is not None:
        raise EditConflict()
    members = assignable_members()
    fields = payload.dict(include=set(recording.RECORD_FIELDS))
    fields["schedule_status"] = payload.schedule_status.value if payload.schedule_status else ""
    fields["form"] = payload.form.value if payload.form else ""
    contacts = None
    if payload.contact_ids is not None:
        contacts = pick_contacts(project.customer_id, payload.contact_ids, "contact_ids")
    participants = None
    if payload.participant_ids is not None:
        participants = pick_users(members, payload.participant_ids, "participant_ids")
    feedback = None
    if payload.feedback is not None:
        feedback = payload.feedback.dict(exclude={"respondent_id"})
        respondent_id = payload.feedback.respondent_id
        feedback["respondent"] = (
            pick_contacts(visit.project.customer_id, [respondent_id], "feedback.respondent_id")[0]
            if respondent_id
            else None
        )
    actions = [
        {
            **spec.dict(exclude={"owner_id"}),
            "owner": pick_user(members, spec.owner_id, "actions.owner_id"),
        }
        for spec in payload.actions
    ]
    verifications = [
        {
            "action": get_visible(
                ImprovementAction.objects.filter(project=project), spec.action_id
            ),
            "result": spec.result.value,
            "note": spec.note,
            "new_due_date": spec.new_due_date,
        }
        for spec in payload.verifications
    ]
    record = recording.save_visit_record(
        visit=visit,
        recorded_by=user,
        fields=fields,
        problems=[
            {key: getattr(value, "value", value) for key, value in problem.dict().items()}
            for problem in payload.problems
        ],
        feedback=feedback,
        actions=actions,
        verifications=verifications,
        contacts=contacts,
        participants=participants,
        # No revision: the caller saw no record, and one saved meanwhile is a conflict.
        expected_revision=(
            payload.revision if payload.revision is not None else recording.NO_RECORD_YET
        ),
    )
    return _detail(record)


@router.post("/records/{int:record_id}/submit", response={200: RecordDetailOut, **WRITE_ERRORS})
def submit_record(request: HttpRequest, record_id: PathId, payload: SubmitIn) -> Any:
    record = _writable(request, record_id)
    submitted = recording.submit_visit_record(
        record=record,
        submitted_by=caller(request),
        completed_on=payload.completed_on,
        expected_revision=payload.revision,
    )
    return _detail(submitted)


@router.post("/records/{int:record_id}/amend", response={200: RecordDetailOut, **WRITE_ERRORS})
def amend_record(request: HttpRequest, record_id: PathId, payload: AmendIn) -> Any:
    record = _writable(request, record_id)
    changes = payload.changes.dict(exclude_unset=True) if payload.changes is not None else {}
    if payload.changes is not None and "schedule_status" in changes:
        status = payload.changes.schedule_status
        changes["schedule_status"] = status.value if status else ""
    if payload.changes is not None and "form" in changes:
        form = payload.changes.form
        changes["form"] = form.value if form else ""
    problems = None
    if payload.problems is not None:
        problems = [
            {key: getattr(value, "value", value) for key, value in problem.dict().items()}
            for problem in payload.problems
        ]
    actions = None
    if payload.actions is not None:
        members = assignable_members()
        actions = [
            {
                **spec.dict(exclude={"owner_id"}),
                "owner": pick_user(members, spec.owner_id, "actions.owner_id"),
            }
            for spec in payload.actions
        ]
    amended = recording.amend_visit_record(
        record=record,
        amended_by=caller(request),
        reason=payload.reason,
        changes=changes,
        problems=problems,
        feedback=_feedback_spec(payload.feedback, record.visit.project.customer_id)
        if payload.feedback is not None
        else None,
        actions=actions,
        expected_version=revision_version(payload.revision),
    )
    return _detail(amended)
