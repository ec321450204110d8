"""Customer pages: the list, create and edit with the contacts inline, and the
customer's projects and visit history. Writes: see customers/services.py for who may."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from huifang.core import access
from huifang.core.concurrency import conflict_shown
from huifang.core.errors import DomainError
from huifang.core.history import history_of
from huifang.core.listing import paginate, sort_queryset
from huifang.customers import services
from huifang.customers.forms import (
    CustomerEditForm,
    CustomerForm,
    CustomerSearchForm,
    contact_formset,
)
from huifang.customers.models import Customer
from huifang.customers.queries import customer_list as list_customers
from huifang.customers.queries import visible_customers
from huifang.projects.models import Project
from huifang.visits.models import Visit

SORTS: dict[str, tuple[str, ...] | str] = {
    "name": "name",
    "industry": "industry",
    "projects": "project_count",
}
HISTORY_LIMIT = 100


def _get_customer(request: HttpRequest, pk: int) -> Customer:
    """A customer the user may see (404 otherwise)."""
    return get_object_or_404(visible_customers(request.user), pk=pk)


@login_required
@require_http_methods(["GET"])
def customer_list(request: HttpRequest) -> HttpResponse:
    user = access.signed_in_user(request)
    form = CustomerSearchForm(request.GET or None)
    search = form.cleaned_data["q"].strip() if form.is_valid() else ""
    customers, sorting = sort_queryset(
        request, list_customers(user, search=search), allowed=SORTS, default="name"
    )
    return render(
        request,
        "customers/customer_list.html",
        {
            "form": form,
            "page": paginate(request, customers),
            "sorting": sorting,
            "can_edit": access.can_edit_customers(user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def customer_create(request: HttpRequest) -> HttpResponse:
    user = access.signed_in_user(request)
    access.require(access.can_edit_customers(user))
    form = CustomerForm(request.POST or None)
    contacts = contact_formset(request.POST or None, None)
    if request.method == "POST" and form.is_valid() and contacts.is_valid():
        try:
            customer = services.create_customer(contacts=contacts.rows(), **form.cleaned_data)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Customer %(name)s created.") % {"name": customer.name})
            return redirect("customers:detail", pk=customer.pk)
    return render(
        request,
        "customers/customer_form.html",
        {"form": form, "contacts": contacts, "customer": None},
    )


@login_required
@require_http_methods(["GET", "POST"])
def customer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = access.signed_in_user(request)
    customer = _get_customer(request, pk)
    access.require(access.can_edit_customers(user))
    version = services.customer_version(customer)
    form = CustomerEditForm(request.POST or None, instance=customer, version=version)
    contacts = contact_formset(request.POST or None, customer)
    status = 200
    if request.method == "POST" and form.is_valid() and contacts.is_valid():
        try:
            with conflict_shown(
                form,
                lambda: _get_customer(request, pk),
                version=services.customer_version,
                current=lambda now: CustomerEditForm(instance=now),
            ) as conflict:
                customer = services.update_customer(
                    customer=customer,
                    contacts=contacts.rows(),
                    removed=contacts.removed(),
                    expected_version=form.expected_version,
                    **form.field_values(),
                )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            if not conflict:
                messages.success(request, _("Customer %(name)s saved.") % {"name": customer.name})
                return redirect("customers:detail", pk=customer.pk)
            status = conflict.status
    return render(
        request,
        "customers/customer_form.html",
        {"form": form, "contacts": contacts, "customer": customer},
        status=status,
    )


@login_required
@require_http_methods(["GET"])
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = access.signed_in_user(request)
    customer = _get_customer(request, pk)
    today = timezone.localdate()
    projects = (
        Project.objects.visible_to(user)
        .filter(customer=customer)
        .select_related("manager")
        .order_by("-planned_start", "code")
    )
    visits = list(
        Visit.objects.visible_to(user)
        .filter(project__customer=customer)
        .select_related("project", "owner")
        .order_by("-due_date", "-pk")[:HISTORY_LIMIT]
    )
    context: dict[str, Any] = {
        "customer": customer,
        "contacts": list(customer.contacts.all()),
        "projects": list(projects),
        "history": [{"visit": visit, "days_late": visit.days_late(today)} for visit in visits],
        "history_limit": HISTORY_LIMIT,
        "can_edit": access.can_edit_customers(user),
        "audit_history": history_of(customer),
    }
    return render(request, "customers/customer_detail.html", context)
