"""Who sees what and who may change what: the one place that decides.

Pages, the API, exports, commands and tasks all ask this module, and no other module
decides by itself who may do what: a view or a router calls a predicate from here and
turns its answer into 404 or 403 (:func:`require`). Two questions are kept apart on
purpose, because they answer with different status codes:

* *scope* — may the user know the object exists?  Outside scope answers 404, so an
  outsider learns nothing, not even that an id is taken.  Scopes are ``Q`` filters
  that every ``visible_to(user)`` queryset applies in the database.
* *rights* — may the user change it?  A visible object without the right answers 403.

| role            | sees                                | may change                          |
|-----------------|-------------------------------------|-------------------------------------|
| admin           | everything                          | everything, users and roles         |
| quality manager | all projects                        | policy, reviews, any visit/action   |
| project manager | projects they manage or belong to   | plans/visits/records/actions of the |
|                 |                                     | projects they manage; as a member   |
|                 |                                     | elsewhere, what a member may        |
| member          | projects they belong to             | records of those projects' visits,  |
|                 |                                     | actions they own                    |
| executive       | all projects, dashboards            | nothing                             |

This module imports no app models: scopes are written as lookups along the relation
path to the project, so every app can use them without import cycles.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest

from huifang.core.models import Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from huifang.core.models import User

    AnyUser = User | AnonymousUser


class _ProjectLike(Protocol):
    pk: Any
    manager_id: Any


class _VisitLike(Protocol):
    owner_id: Any

    @property
    def project(self) -> Any: ...


def _is_staff_role(user: AnyUser, *roles: str) -> bool:
    if not user.is_authenticated:
        return False
    return bool(user.is_superuser) or getattr(user, "role", None) in roles


def sees_all_projects(user: AnyUser) -> bool:
    return _is_staff_role(user, Role.ADMIN, Role.QUALITY, Role.EXECUTIVE)


def is_admin(user: AnyUser) -> bool:
    return _is_staff_role(user, Role.ADMIN)


def is_quality_or_admin(user: AnyUser) -> bool:
    return _is_staff_role(user, Role.ADMIN, Role.QUALITY)


def is_read_only(user: AnyUser) -> bool:
    """Executives look at everything and change nothing."""
    return not user.is_authenticated or (
        getattr(user, "role", None) == Role.EXECUTIVE and not user.is_superuser
    )


def can_see_scorecards(user: AnyUser) -> bool:
    """Scorecards (every project manager's and member's figures) and the policy
    acknowledgement rates: for those who see every project, read-only included."""
    return sees_all_projects(user)


def can_read_reviews(user: AnyUser) -> bool:
    """Management reviews and meetings: those who see every project read them;
    writing them is :func:`can_manage_policy`."""
    return sees_all_projects(user)


def can_make_suggestion(user: AnyUser) -> bool:
    """Staff suggestions on the policy: everyone who may change anything at all."""
    return not is_read_only(user)


def can_acknowledge_policy(user: AnyUser) -> bool:
    """Everyone signed in confirms having read the policy in force, executives too:
    it says something about themselves and changes nothing of the follow-up work."""
    return bool(user.is_authenticated and user.is_active)


def project_scope(user: AnyUser, path: str = "") -> Q:
    """A filter matching the projects ``user`` may see.

    ``path`` is the lookup from the queried model to its project: ``""`` for
    Project itself, ``"project"`` for a visit, ``"visit__project"`` for a record.
    Membership is matched with a subquery rather than a join so that a project
    with many members never appears twice in a list.
    """
    if sees_all_projects(user):
        return Q()
    if not user.is_authenticated:
        return Q(pk__in=[])
    # One ``IN (managed UNION member of)`` subquery of project ids. An OR
    # (``manager = X OR id IN (memberships)``), the more so across a join to the
    # project, keeps PostgreSQL from using indexes and makes it guess that half of all
    # projects match: at enterprise scale it then picks whole-table plans and pays
    # for JIT compilation on every dashboard query.
    projects = apps.get_model("projects", "Project")
    managed = projects.objects.filter(manager=user).order_by().values("pk")
    member_of = user.project_memberships.order_by().values("project_id")
    return Q(**{f"{path}__in" if path else "pk__in": managed.union(member_of)})


def customer_scope(user: AnyUser) -> Q:
    """A filter on Customer matching the customers ``user`` may see.

    Organisation-wide roles see every customer, and so do project managers: they
    create projects and must pick, or first create, the customer a new project is for
    (:func:`can_create_project`). Members see only the customers of the projects in
    their scope; any other customer answers 404. A subquery keeps a customer with many
    projects from appearing twice."""
    if sees_all_projects(user) or can_create_project(user):
        return Q()
    projects = apps.get_model("projects", "Project")
    return Q(pk__in=projects.objects.filter(project_scope(user)).values("customer_id"))


# --- Rights ---------------------------------------------------------------------------
# Each takes objects the caller already loaded through a visible_to() queryset, so
# scope has been checked; these answer only "may change".


def _is_member(user: AnyUser, project: _ProjectLike) -> bool:
    memberships = getattr(user, "project_memberships", None)
    if memberships is None:
        return False
    return bool(memberships.filter(project_id=project.pk).exists())


def sees_project(user: AnyUser, project: _ProjectLike) -> bool:
    """May ``user`` know that ``project`` (already loaded) exists: the one-object form
    of :func:`project_scope`. Its manager is answered without a query, a member with
    one indexed lookup; as a filter on a one-row lookup, the scope's subqueries cost
    PostgreSQL more to plan than the lookup itself."""
    if sees_all_projects(user):
        return True
    if not user.is_authenticated:
        return False
    return project.manager_id == user.pk or _is_member(user, project)


def can_create_project(user: AnyUser) -> bool:
    return _is_staff_role(user, Role.ADMIN, Role.QUALITY, Role.PROJECT_MANAGER)


def can_choose_any_manager(user: AnyUser) -> bool:
    """Give a project to any project manager. Project managers create projects they
    manage themselves (on the form, the API and an import): handing one to somebody
    else would lock them out of it at once."""
    return is_quality_or_admin(user)


def can_edit_customers(user: AnyUser) -> bool:
    """Create and change customers and their contacts: the people who may create
    projects, because setting up a project starts with its customer. Executives and
    members read only."""
    return can_create_project(user)


def can_import(user: AnyUser) -> bool:
    """Import customers, contacts and projects from a spreadsheet: those who set
    projects and customers up. Each imported project row is then checked on its own
    (:func:`can_manage_project` for a project that exists)."""
    return can_create_project(user)


def can_manage_project(user: AnyUser, project: _ProjectLike) -> bool:
    """Edit the project, its team and its visit plan; schedule, cancel, reassign."""
    if is_quality_or_admin(user):
        return True
    return (
        _is_staff_role(user, Role.PROJECT_MANAGER)
        and project.manager_id is not None
        and project.manager_id == user.pk
    )


def can_record_visit(user: AnyUser, project: _ProjectLike) -> bool:
    """Write the record of a visit of this project (members do the recording)."""
    if can_manage_project(user, project):
        return True
    if not _is_staff_role(user, Role.PROJECT_MANAGER, Role.MEMBER):
        return False
    return _is_member(user, project)


def can_book_visit(user: AnyUser, visit: _VisitLike) -> bool:
    """Fix (or move) a visit's appointment: the project's managers and, for their own
    visit, its owner while they may record the project's visits. Only the managers
    hand a visit to someone else (:func:`can_manage_project`)."""
    if can_manage_project(user, visit.project):
        return True
    return (
        visit.owner_id is not None
        and visit.owner_id == user.pk
        and can_record_visit(user, visit.project)
    )


def can_change_action(user: AnyUser, project: _ProjectLike, owner_id: Any) -> bool:
    """Update an improvement action: the project's managers and the action's owner."""
    if can_manage_project(user, project):
        return True
    return (
        _is_staff_role(user, Role.PROJECT_MANAGER, Role.MEMBER)
        and owner_id is not None
        and owner_id == user.pk
    )


def can_manage_policy(user: AnyUser) -> bool:
    return is_quality_or_admin(user)


def can_manage_users(user: AnyUser) -> bool:
    return is_admin(user)


def require_in_scope(user: AnyUser, visible: QuerySet[Any]) -> None:
    """404 unless ``visible`` (a ``visible_to(user)`` queryset narrowed to one row)
    finds the row. Whoever sees every project is not asked (no query): pages that
    cache the row they show check the scope live with this, before the cache."""
    if not sees_all_projects(user) and not visible.exists():
        raise Http404


def signed_in_user(request: HttpRequest) -> User:
    """The request's user, for views behind ``login_required``."""
    user = request.user
    if not user.is_authenticated:
        raise PermissionDenied
    return user


def require(allowed: bool) -> None:
    """Turn a rights answer into the 403 a visible-but-forbidden object gets."""
    if not allowed:
        raise PermissionDenied
