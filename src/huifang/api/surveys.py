"""Survey invitations: who was asked, what happened, inviting contacts of a visit.
The raw link is returned once, when the invitation is made (only its hash is kept)."""

import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from huifang.api.common import (
    READ_ERRORS,
    WRITE_ERRORS,
    Id,
    Paginator,
    PathId,
    caller,
    get_visible,
)
from huifang.api.people import pick_contacts
from huifang.core import access
from huifang.surveys import services
from huifang.surveys.models import SurveyInvitation
from huifang.visits.models import Visit

router = Router(tags=["surveys"])


class InvitationFilter(Schema):
    project: Id | None = None
    visit: Id | None = None


class InvitationOut(Schema):
    id: int
    project_id: int
    visit_id: int
    contact_id: int
    contact_name: str
    language: str
    state: str
    sent_at: datetime.datetime | None
    opened_at: datetime.datetime | None
    responded_at: datetime.datetime | None
    revoked_at: datetime.datetime | None
    expires_at: datetime.datetime

    @staticmethod
    def resolve_contact_name(obj: Any) -> str:
        return str(obj.contact.name)

    @staticmethod
    def resolve_state(obj: Any) -> str:
        state = obj.state()
        return str(getattr(state, "value", state))


class IssuedOut(Schema):
    invitation: InvitationOut
    url: str


class InviteIn(Schema):
    visit_id: Id
    contact_ids: list[Id] = Field(..., min_length=1, max_length=50)


def _invitations(request: HttpRequest) -> Any:
    return SurveyInvitation.objects.visible_to(caller(request)).select_related("contact")


@router.get("/surveys/invitations", response={200: list[InvitationOut], **READ_ERRORS})
@paginate(Paginator)
def list_invitations(request: HttpRequest, filters: Query[InvitationFilter]) -> Any:
    invitations = _invitations(request)
    if filters.project is not None:
        invitations = invitations.filter(project_id=filters.project)
    if filters.visit is not None:
        invitations = invitations.filter(visit_id=filters.visit)
    return invitations.order_by("-created_at", "-pk")


@router.get(
    "/surveys/invitations/{int:invitation_id}", response={200: InvitationOut, **READ_ERRORS}
)
def get_invitation(request: HttpRequest, invitation_id: PathId) -> Any:
    return get_visible(_invitations(request), invitation_id)


@router.post("/surveys/invitations", response={201: list[IssuedOut], **WRITE_ERRORS})
def invite_contacts(request: HttpRequest, payload: InviteIn) -> Any:
    user = caller(request)
    visit = get_visible(Visit.objects.visible_to(user).select_related("project"), payload.visit_id)
    access.require(access.can_book_visit(user, visit))
    contacts = pick_contacts(visit.project.customer_id, payload.contact_ids, "contact_ids")
    issued = services.invite_contacts(visit=visit, contacts=contacts, invited_by=user)
    return Status(201, [{"invitation": link.invitation, "url": link.url} for link in issued])
