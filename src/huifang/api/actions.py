"""Improvement actions: list, create, progress, done, verify.

Writes carry the action's ``revision`` (read from the action): a stale one answers
409 and changes nothing (the services' conditional UPDATE)."""

import datetime
from typing import Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from huifang.actions import queries, services
from huifang.actions.models import (
    ActionOrigin,
    ActionStatus,
    ImprovementAction,
    VerificationResult,
)
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
from huifang.api.people import pick_user
from huifang.api.schemas import ActionOut
from huifang.core import access
from huifang.projects.models import Project
from huifang.projects.queries import assignable_members
from huifang.visits.models import VisitRecord

router = Router(tags=["actions"])


class ActionFilter(Schema):
    status: ActionStatus | None = None
    owner: Id | None = None
    project: Id | None = None
    due_from: datetime.date | None = None
    due_to: datetime.date | None = None
    overdue: bool = False
    mine: bool = False
    q: str = Field("", max_length=100, pattern=NO_NUL)


class ActionIn(Schema):
    project_id: Id
    description: str = Field(..., min_length=1, max_length=5000, pattern=NO_NUL)
    owner_id: Id
    due_date: datetime.date
    origin: Literal["visit", "review", "meeting"] = "visit"


class ActionPatch(Schema):
    revision: int = Field(..., ge=1)
    note: str = Field(..., min_length=1, max_length=5000, pattern=NO_NUL)
    status: Literal["open", "in_progress"] = "in_progress"


class DoneIn(Schema):
    revision: int = Field(..., ge=1)
    note: str = Field(..., min_length=1, max_length=5000, pattern=NO_NUL)
    done_on: datetime.date | None = None


class VerifyIn(Schema):
    record_id: Id
    result: VerificationResult
    note: str = Field("", max_length=5000, pattern=NO_NUL)
    new_due_date: datetime.date | None = None


def _actions(request: HttpRequest) -> Any:
    return queries.visible_actions(caller(request))


def _changeable(request: HttpRequest, action_id: int) -> Any:
    action = get_visible(_actions(request), action_id)
    access.require(access.can_change_action(caller(request), action.project, action.owner_id))
    return action


def _fresh(action: Any) -> Any:
    return ImprovementAction.objects.select_related("owner").get(pk=action.pk)


@router.get("/actions", response={200: list[ActionOut], **READ_ERRORS})
@paginate(Paginator)
def list_actions(request: HttpRequest, filters: Query[ActionFilter]) -> Any:
    found = queries.filter_actions(
        caller(request),
        queries.ActionFilters(
            status=filters.status.value if filters.status else "",
            owner_id=filters.owner,
            project_id=filters.project,
            due_from=filters.due_from,
            due_to=filters.due_to,
            overdue_only=filters.overdue,
            mine=filters.mine,
            search=filters.q.strip(),
        ),
        today=timezone.localdate(),
    )
    return found.order_by("due_date", "pk")


@router.post("/actions", response={201: ActionOut, **WRITE_ERRORS})
def create_action(request: HttpRequest, payload: ActionIn) -> Any:
    user = caller(request)
    project = get_visible(Project.objects.visible_to(user), payload.project_id)
    access.require(access.can_manage_project(user, project))
    action = services.create_action(
        project=project,
        description=payload.description,
        owner=pick_user(assignable_members(), payload.owner_id, "owner_id"),
        due_date=payload.due_date,
        created_by=user,
        origin=ActionOrigin(payload.origin).value,
    )
    return Status(201, _fresh(action))


@router.get("/actions/{int:action_id}", response={200: ActionOut, **READ_ERRORS})
def get_action(request: HttpRequest, action_id: PathId) -> Any:
    return get_visible(_actions(request), action_id)


@router.patch("/actions/{int:action_id}", response={200: ActionOut, **WRITE_ERRORS})
def update_action(request: HttpRequest, action_id: PathId, payload: ActionPatch) -> Any:
    """A progress note (status open or in progress), at the revision last read."""
    action = _changeable(request, action_id)
    updated = services.update_action_progress(
        action=action, note=payload.note, status=payload.status, expected_revision=payload.revision
    )
    return _fresh(updated)


@router.post("/actions/{int:action_id}/done", response={200: ActionOut, **WRITE_ERRORS})
def mark_action_done(request: HttpRequest, action_id: PathId, payload: DoneIn) -> Any:
    action = _changeable(request, action_id)
    done = services.mark_action_done(
        action=action,
        note=payload.note,
        done_on=payload.done_on,
        expected_revision=payload.revision,
    )
    return _fresh(done)


@router.post("/actions/{int:action_id}/verify", response={200: ActionOut, **WRITE_ERRORS})
def verify_action(request: HttpRequest, action_id: PathId, payload: VerifyIn) -> Any:
    """A later visit's verdict: the verifier records that visit (its record)."""
    user = caller(request)
    action = get_visible(_actions(request), action_id)
    access.require(access.can_record_visit(user, action.project))
    record = get_visible(
        VisitRecord.objects.visible_to(user).select_related("visit"), payload.record_id
    )
    services.verify_action(
        action=action,
        record=record,
        result=payload.result.value,
        verified_by=user,
        note=payload.note,
        new_due_date=payload.new_due_date,
    )
    return _fresh(action)
