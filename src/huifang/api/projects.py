"""Projects with their teams. ``PATCH`` follows the ETag rule of ``api/etags.py``."""

import datetime
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
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
from huifang.api.etags import ETAG_ERRORS, etag, expected_version
from huifang.api.people import pick_contacts, pick_user, pick_users
from huifang.api.schemas import ProjectDetailOut, ProjectOut
from huifang.core import access
from huifang.core.concurrency import EditConflict
from huifang.core.errors import DomainError
from huifang.customers.queries import visible_customers
from huifang.policy.models import Policy
from huifang.projects import services
from huifang.projects.models import CadenceChoices, Project, ProjectStatusChoices
from huifang.projects.queries import (
    ProjectFilters,
    assignable_managers,
    assignable_members,
    project_list,
)

router = Router(tags=["projects"])

# Hold, resume, complete and cancel have their own rules on the project's page; the
# API (like the edit form) moves a project only between planned and active.
EditableStatus = Literal["planned", "active"]


class ProjectFilter(Schema):
    q: str = Field("", max_length=100, pattern=NO_NUL)
    status: ProjectStatusChoices | None = None
    manager: Id | None = None
    customer: Id | None = None
    department: str = Field("", max_length=80, pattern=NO_NUL)


class ProjectIn(Schema):
    code: str = Field(..., min_length=1, max_length=40, pattern=NO_NUL)
    name: str = Field(..., min_length=1, max_length=200, pattern=NO_NUL)
    customer_id: Id
    manager_id: Id | None = None
    department: str = Field("", max_length=80, pattern=NO_NUL)
    description: str = Field("", max_length=5000, pattern=NO_NUL)
    status: EditableStatus = "planned"
    cadence: CadenceChoices = CadenceChoices.MONTHLY
    planned_start: datetime.date
    planned_end: datetime.date | None = None
    actual_start: datetime.date | None = None
    policy_id: Id | None = None
    member_ids: list[Id] = Field(default_factory=list, max_length=200)
    default_contact_ids: list[Id] = Field(default_factory=list, max_length=200)


class ProjectPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=200, pattern=NO_NUL)
    manager_id: Id | None = None
    department: str | None = Field(None, max_length=80, pattern=NO_NUL)
    description: str | None = Field(None, max_length=5000, pattern=NO_NUL)
    status: EditableStatus | None = None
    cadence: CadenceChoices | None = None
    planned_start: datetime.date | None = None
    planned_end: datetime.date | None = None
    actual_start: datetime.date | None = None
    member_ids: list[Id] | None = Field(None, max_length=200)


def _detail_queryset(request: HttpRequest) -> Any:
    return (
        Project.objects.visible_to(caller(request))
        .select_related("customer", "manager")
        .prefetch_related("default_contacts")
    )


def _manager_choices(request: HttpRequest) -> Any:
    user = caller(request)
    managers = assignable_managers()
    if not access.can_choose_any_manager(user):
        managers = managers.filter(pk=user.pk)
    return managers


@router.get("/projects", response={200: list[ProjectOut], **READ_ERRORS})
@paginate(Paginator)
def list_projects(request: HttpRequest, filters: Query[ProjectFilter]) -> Any:
    user = caller(request)
    manager = assignable_managers().filter(pk=filters.manager).first() if filters.manager else None
    found = project_list(
        user,
        today=timezone.localdate(),
        filters=ProjectFilters(
            search=filters.q.strip(),
            status=filters.status.value if filters.status else "",
            manager=manager,
            customer_id=filters.customer,
            department=filters.department,
        ),
    )
    if filters.manager and manager is None:
        found = found.none()
    return found.order_by("code", "pk")


@router.post("/projects", response={201: ProjectDetailOut, **WRITE_ERRORS})
def create_project(request: HttpRequest, response: HttpResponse, payload: ProjectIn) -> Any:
    user = caller(request)
    access.require(access.can_create_project(user))
    customer = get_visible(visible_customers(user), payload.customer_id)
    manager = pick_user(_manager_choices(request), payload.manager_id or user.pk, "manager_id")
    policy = (
        Policy.objects.filter(pk=payload.policy_id).first()
        if payload.policy_id
        else Policy.objects.filter(is_default=True).first()
    )
    if policy is None:
        raise DomainError(_("policy_id: no such policy."))
    if Project.objects.filter(code=payload.code.strip()).exists():
        raise EditConflict(_("code: a project with this code already exists."))
    members = pick_users(assignable_members(), payload.member_ids, "member_ids")
    contacts = pick_contacts(customer.pk, payload.default_contact_ids, "default_contact_ids")
    project, _result = services.create_project(
        members=members,
        default_contacts=contacts,
        code=payload.code.strip(),
        name=payload.name.strip(),
        customer=customer,
        manager=manager,
        department=payload.department,
        description=payload.description,
        status=payload.status,
        cadence=payload.cadence.value,
        planned_start=payload.planned_start,
        planned_end=payload.planned_end,
        actual_start=payload.actual_start,
        policy=policy,
    )
    return Status(201, _answer(request, response, project.pk))


def _answer(request: HttpRequest, response: HttpResponse, project_id: int) -> Project:
    """The project as stored now (after a write), its version in the ``ETag`` header."""
    return _tagged(response, _detail_queryset(request).get(pk=project_id))


def _tagged(response: HttpResponse, project: Project) -> Project:
    response["ETag"] = etag(services.project_version(project))
    return project


@router.get("/projects/{int:project_id}", response={200: ProjectDetailOut, **READ_ERRORS})
def get_project(request: HttpRequest, response: HttpResponse, project_id: PathId) -> Any:
    return _tagged(response, get_visible(_detail_queryset(request), project_id))


@router.patch("/projects/{int:project_id}", response={200: ProjectDetailOut, **ETAG_ERRORS})
def update_project(
    request: HttpRequest,
    response: HttpResponse,
    project_id: PathId,
    payload: ProjectPatch,
    if_match: str | None = Header(None, alias="If-Match"),
) -> Any:
    """Change the project; needs ``If-Match`` with the ETag last read (stale → 409)."""
    project = get_visible(_detail_queryset(request), project_id)
    access.require(access.can_manage_project(caller(request), project))
    expected = expected_version(if_match, required=True)
    if project.status not in (ProjectStatusChoices.PLANNED, ProjectStatusChoices.ACTIVE) and (
        payload.status is not None
    ):
        raise DomainError(_("status: this project's status changes on its own page."))
    changes = payload.dict(exclude_unset=True, exclude_none=True)
    member_ids = changes.pop("member_ids", None)
    if "manager_id" in changes:
        changes["manager"] = pick_user(
            _manager_choices(request) | assignable_managers().filter(pk=project.manager_id),
            changes.pop("manager_id"),
            "manager_id",
        )
    if "cadence" in changes:
        changes["cadence"] = payload.cadence.value if payload.cadence else None
    if member_ids is None:
        services.update_project(project=project, expected_version=expected, **changes)
    else:
        services.update_project_with_team(
            project=project,
            members=pick_users(assignable_members(), member_ids, "member_ids"),
            default_contacts=list(project.default_contacts.all()),
            expected_version=expected,
            **changes,
        )
    return _answer(request, response, project.pk)
