"""Resolving users named by id in request bodies."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from huifang.core.errors import DomainError
from huifang.core.models import User


def pick_user(queryset: QuerySet[User], pk: int, field: str) -> User:
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise DomainError(_("%(field)s: no such user may be chosen here.") % {"field": field})
    return found


def pick_users(queryset: QuerySet[User], pks: Iterable[int], field: str) -> list[User]:
    wanted = set(pks)
    found = list(queryset.filter(pk__in=wanted))
    if len(found) != len(wanted):
        raise DomainError(_("%(field)s: no such user may be chosen here.") % {"field": field})
    return found
