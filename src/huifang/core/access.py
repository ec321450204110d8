"""Who sees what and who may change what: the one place that decides.

Pages, the API, exports, commands and tasks all ask this module. Two questions are
kept apart on purpose, because they answer with different status codes:

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
from django.db.models import Q
from django.http import HttpRequest

from huifang.core.models import Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from huifang.core.models import User

    AnyUser = User | AnonymousUser


class _ProjectLike(Protocol):
    pk: Any
    manager_id: Any


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
