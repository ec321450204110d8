"""Reads of customers that pages share: who may see which customer, and the list."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from huifang.core.access import customer_scope, project_scope
from huifang.customers.models import Contact, Customer
from huifang.projects.models import Project

if TYPE_CHECKING:
    from huifang.core.access import AnyUser


def visible_customers(user: AnyUser) -> QuerySet[Customer]:
    """The customers ``user`` may see (the rule: ``core.access.customer_scope``)."""
    return Customer.objects.filter(customer_scope(user))


def customer_list(user: AnyUser, *, search: str = "") -> QuerySet[Customer]:
    """Visible customers with how many of their projects the user sees and how many
    contacts they have, counted in subqueries (one query however many rows)."""
    customers = visible_customers(user)
    if search:
        contact_match = Contact.objects.filter(
            Q(name__icontains=search) | Q(email__icontains=search) | Q(phone__icontains=search)
        ).values("customer_id")
        customers = customers.filter(
            Q(name__icontains=search) | Q(industry__icontains=search) | Q(pk__in=contact_match)
        )
    project_count = (
        Project.objects.filter(project_scope(user), customer=OuterRef("pk"))
        .order_by()
        .values("customer")
        .annotate(n=Count("pk"))
        .values("n")
    )
    contact_count = (
        Contact.objects.filter(customer=OuterRef("pk"))
        .order_by()
        .values("customer")
        .annotate(n=Count("pk"))
        .values("n")
    )
    primary_name = Contact.objects.filter(customer=OuterRef("pk"), is_primary=True).values("name")[
        :1
    ]
    return customers.annotate(
        project_count=Coalesce(Subquery(project_count), 0),
        contact_count=Coalesce(Subquery(contact_count), 0),
        primary_contact_name=Subquery(primary_name),
    )
