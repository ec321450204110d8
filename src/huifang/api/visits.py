"""Visits: the list with the page's filters, scheduling, cancelling, reassigning.

Optimistic concurrency: a visit has no revision counter, so its ETag is derived from
``updated_at`` (every service that changes a visit touches it). ``PATCH`` requires
``If-Match``; the other writes check it when sent (the rule of ``api/etags.py``). The
services of ``visits.lifecycle`` lock the row and check it (``version_of=visit_version``),
so a stale write changes nothing."""

import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, Header, Query, Router, Schema, Status
from ninja.pagination import paginate

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
from huifang.api.etags import ETAG_ERRORS, expected_version, visit_etag, visit_version
from huifang.api.people import pick_contacts, pick_user, pick_users
from huifang.api.schemas import VisitOut
from huifang.core import access
from huifang.policy.models import PhaseChoices
from huifang.projects.models import Project
from huifang.projects.queries import assignable_members
from huifang.visits import lifecycle
from huifang.visits.models import OPEN_VISIT_STATUSES, Visit, VisitForm, VisitStatus

router = Router(tags=["visits"])


class VisitFilter(Schema):
    project: Id | None = None
    status: VisitStatus | None = None
    phase: PhaseChoices | None = None
    owner: Id | None = None
    due_from: datetime.date | None = None
    due_to: datetime.date | None = None
    overdue: bool = False


class ScheduleIn(Schema):
    scheduled_at: datetime.datetime
    form: VisitForm
    owner_id: Id | None = None
    contact_ids: list[Id] = Field(default_factory=list, max_length=100)
    participant_ids: list[Id] = Field(default_factory=list, max_length=100)


class CancelIn(Schema):
    reason: str = Field(..., min_length=1, max_length=300, pattern=NO_NUL)


class VisitPatch(Schema):
    owner_id: Id


class AdhocIn(Schema):
    project_id: Id
    due_date: datetime.date
    owner_id: Id
    phase: PhaseChoices = PhaseChoices.ONGOING


def _visits(request: HttpRequest) -> Any:
    return Visit.objects.visible_to(caller(request)).select_related("project", "owner")


def _answer(response: HttpResponse, visit: Visit) -> Visit:
    fresh = Visit.objects.select_related("project", "owner").get(pk=visit.pk)
    response["ETag"] = visit_etag(fresh)
    return fresh


@router.get("/visits", response={200: list[VisitOut], **READ_ERRORS})
@paginate(Paginator)
def list_visits(request: HttpRequest, filters: Query[VisitFilter]) -> Any:
    visits = _visits(request)
    if filters.project is not None:
        visits = visits.filter(project_id=filters.project)
    if filters.status is not None:
        visits = visits.filter(status=filters.status.value)
    if filters.phase is not None:
        visits = visits.filter(phase=filters.phase.value)
    if filters.owner is not None:
        visits = visits.filter(owner_id=filters.owner)
    if filters.due_from is not None:
        visits = visits.filter(due_date__gte=filters.due_from)
    if filters.due_to is not None:
        visits = visits.filter(due_date__lte=filters.due_to)
    if filters.overdue:
        visits = visits.filter(status__in=OPEN_VISIT_STATUSES, due_date__lt=timezone.localdate())
    return visits.order_by("due_date", "pk")


@router.post("/visits", response={201: VisitOut, **WRITE_ERRORS})
def create_adhoc_visit(request: HttpRequest, response: HttpResponse, payload: AdhocIn) -> Any:
    user = caller(request)
    project = get_visible(Project.objects.visible_to(user), payload.project_id)
    access.require(access.can_manage_project(user, project))
    owner = pick_user(assignable_members(), payload.owner_id, "owner_id")
    visit = lifecycle.create_adhoc_visit(
        project=project, due_date=payload.due_date, owner=owner, phase=payload.phase.value
    )
    return Status(201, _answer(response, visit))


@router.get("/visits/{int:visit_id}", response={200: VisitOut, **READ_ERRORS})
def get_visit(request: HttpRequest, response: HttpResponse, visit_id: PathId) -> Any:
    return _answer(response, get_visible(_visits(request), visit_id))


@router.patch("/visits/{int:visit_id}", response={200: VisitOut, **ETAG_ERRORS})
def update_visit(
    request: HttpRequest,
    response: HttpResponse,
    visit_id: PathId,
    payload: VisitPatch,
    if_match: str | None = Header(None, alias="If-Match"),
) -> Any:
    """Reassign the visit; needs ``If-Match`` with the ETag last read (stale → 409)."""
    visit = get_visible(_visits(request), visit_id)
    access.require(access.can_manage_project(caller(request), visit.project))
    owner = pick_user(assignable_members(), payload.owner_id, "owner_id")
    lifecycle.reassign_visit(
        visit=visit,
        owner=owner,
        expected_version=expected_version(if_match, required=True),
        version_of=visit_version,
    )
    return _answer(response, visit)


@router.post(
    "/visits/{int:visit_id}/schedule",
    response={200: VisitOut, **ETAG_ERRORS},
    # The operation keeps the id, summary and URL name it was published with.
    operation_id="huifang_api_visits_schedule_visit",
    summary="Schedule Visit",
    url_name="schedule_visit",
)
def book_visit(
    request: HttpRequest,
    response: HttpResponse,
    visit_id: PathId,
    payload: ScheduleIn,
    if_match: str | None = Header(None, alias="If-Match"),
) -> Any:
    user = caller(request)
    visit = get_visible(_visits(request), visit_id)
    access.require(access.can_book_visit(user, visit))
    owner = None
    if payload.owner_id is not None:
        access.require(access.can_manage_project(user, visit.project))
        owner = pick_user(assignable_members(), payload.owner_id, "owner_id")
    participants = pick_users(assignable_members(), payload.participant_ids, "participant_ids")
    contacts = pick_contacts(visit.project.customer_id, payload.contact_ids, "contact_ids")
    scheduled_at = payload.scheduled_at
    if timezone.is_naive(scheduled_at):
        scheduled_at = timezone.make_aware(scheduled_at)
    lifecycle.book_visit(
        visit=visit,
        scheduled_at=scheduled_at,
        form=payload.form.value,
        owner=owner,
        contacts=contacts,
        participants=participants,
        expected_version=expected_version(if_match, required=False),
        version_of=visit_version,
    )
    return _answer(response, visit)


@router.post("/visits/{int:visit_id}/cancel", response={200: VisitOut, **ETAG_ERRORS})
def cancel_visit(
    request: HttpRequest,
    response: HttpResponse,
    visit_id: PathId,
    payload: CancelIn,
    if_match: str | None = Header(None, alias="If-Match"),
) -> Any:
    visit = get_visible(_visits(request), visit_id)
    access.require(access.can_manage_project(caller(request), visit.project))
    lifecycle.cancel_visit(
        visit=visit,
        reason=payload.reason,
        expected_version=expected_version(if_match, required=False),
        version_of=visit_version,
    )
    return _answer(response, visit)
