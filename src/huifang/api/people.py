"""Resolving users and contacts named by id in request bodies."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from huifang.core.errors import DomainError
from huifang.core.models import User
from huifang.customers.models import Contact


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


def pick_contacts(customer_id: int, pks: Iterable[int], field: str) -> list[Contact]:
    """Contacts of one customer (the project's), named by id. An unknown id and the id
    of another customer's contact get the same answer: which contacts exist outside
    the project is none of the caller's business, and both mistakes are fixed the
    same way."""
    wanted = set(pks)
    found = list(Contact.objects.filter(customer_id=customer_id, pk__in=wanted))
    if len(found) != len(wanted):
        raise DomainError(
            _("%(field)s: no such contact of the project's customer.") % {"field": field}
        )
    return found
