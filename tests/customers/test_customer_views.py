"""The customer pages: list, create and edit with contacts inline, and the customer's
projects and visit history.

Who may see a customer: everyone who creates projects (admin, quality, project
managers) and executives see all; a member sees the customers of their projects only.
Who may write: admin, quality and project managers; executives and members get 403.
"""

from __future__ import annotations

import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from huifang.core.models import User
from huifang.customers.models import Contact, Customer
from huifang.projects.models import Project
from tests.factories import ContactFactory, CustomerFactory
from tests.pages import contact_row, form_version, management

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _on_look_day(time_machine: Any) -> None:
    time_machine.move_to(datetime.datetime(2026, 3, 28, 9, 30, tzinfo=SHANGHAI), tick=False)


def client_for(user: User | None, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    if user is not None:
        client.force_login(user)
    return client


# --- list -----------------------------------------------------------------------------


def test_customer_list_anonymous_redirects_to_login() -> None:
    response = client_for(None).get(reverse("customers:list"))
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={reverse('customers:list')}"


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("colleague", ["Customer of P-001"]),
        ("outsider", []),
        ("executive", ["Customer of P-001", "Unrelated"]),
    ],
)
def test_customer_list_members_see_only_their_projects_customers(
    project: Project, who: str, expected: list[str], request: pytest.FixtureRequest
) -> None:
    Customer.objects.filter(pk=project.customer_id).update(name="Customer of P-001")
    CustomerFactory.create(name="Unrelated")
    response = client_for(request.getfixturevalue(who)).get(reverse("customers:list"))
    assert [c.name for c in response.context["page"].object_list] == expected


def test_customer_list_search_matches_name_and_contact(owner: User) -> None:
    acme = CustomerFactory.create(name="Acme Steel")
    ContactFactory.create(customer=acme, name="Wang Fang")
    CustomerFactory.create(name="Beta Foods")
    client = client_for(owner)

    def names(q: str) -> list[str]:
        response = client.get(reverse("customers:list"), {"q": q})
        return [c.name for c in response.context["page"].object_list]

    assert names("steel") == ["Acme Steel"]
    assert names("wang") == ["Acme Steel"]
    assert names("nothing") == []


def test_customer_list_counts_projects_and_contacts(project: Project, owner: User) -> None:
    ContactFactory.create(customer=project.customer, is_primary=True, name="Li Lei")
    ContactFactory.create(customer=project.customer)
    response = client_for(owner).get(reverse("customers:list"))
    row = response.context["page"].object_list[0]
    assert (row.project_count, row.contact_count, row.primary_contact_name) == (1, 2, "Li Lei")


def test_customer_list_query_count_does_not_grow_with_rows(owner: User) -> None:
    client = client_for(owner)
    ContactFactory.create()
    with CaptureQueriesContext(connection) as one:
        assert client.get(reverse("customers:list")).status_code == 200
    for _ in range(4):
        ContactFactory.create()
    with CaptureQueriesContext(connection) as five:
        response = client.get(reverse("customers:list"))
    assert len(response.context["page"].object_list) == 5
    assert len(five) == len(one)


# --- detail ---------------------------------------------------------------------------


def test_customer_detail_outsider_gets_404(project: Project, outsider: User) -> None:
    response = client_for(outsider).get(reverse("customers:detail", args=[project.customer_id]))
    assert response.status_code == 404


def test_customer_detail_anonymous_redirects_to_login(project: Project) -> None:
    url = reverse("customers:detail", args=[project.customer_id])
    response = client_for(None).get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={url}"


def test_customer_detail_shows_projects_contacts_and_visit_history(
    project: Project, colleague: User
) -> None:
    ContactFactory.create(customer=project.customer, name="Li Lei", is_primary=True)
    response = client_for(colleague).get(reverse("customers:detail", args=[project.customer_id]))
    assert response.status_code == 200
    assert response.context["projects"] == [project]
    assert [c.name for c in response.context["contacts"]] == ["Li Lei"]
    visits = list(project.visits.order_by("-due_date", "-pk"))
    assert [row["visit"] for row in response.context["history"]] == visits
    assert b'data-testid="edit-customer"' not in response.content


def test_customer_detail_query_count_does_not_grow_with_rows(project: Project, owner: User) -> None:
    client = client_for(owner)
    url = reverse("customers:detail", args=[project.customer_id])
    ContactFactory.create(customer=project.customer)
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    for _ in range(4):
        ContactFactory.create(customer=project.customer)
    with CaptureQueriesContext(connection) as five:
        assert client.get(url).status_code == 200
    assert len(five) == len(one)


# --- create and edit ------------------------------------------------------------------


@pytest.mark.parametrize("who", ["executive", "colleague"])
def test_customer_create_and_edit_refused_to_read_only_and_members(
    project: Project, who: str, request: pytest.FixtureRequest
) -> None:
    client = client_for(request.getfixturevalue(who))
    assert client.get(reverse("customers:create")).status_code == 403
    assert client.post(reverse("customers:create"), {"name": "X"}).status_code == 403
    edit = reverse("customers:edit", args=[project.customer_id])
    assert client.get(edit).status_code == 403
    assert client.post(edit, {"name": "X"}).status_code == 403


def test_customer_edit_outsider_gets_404(project: Project, outsider: User) -> None:
    response = client_for(outsider).get(reverse("customers:edit", args=[project.customer_id]))
    assert response.status_code == 404


def test_customer_create_anonymous_redirects_to_login() -> None:
    assert client_for(None).get(reverse("customers:create")).status_code == 302


def test_customer_create_with_a_primary_contact(owner: User) -> None:
    data = {"name": "Acme Steel", "industry": "Steel", "address": "", "notes": ""}
    data |= management(total=2)
    data |= contact_row(0, "Wang Fang", is_primary="on", phone="138")
    data |= contact_row(1, "")  # the empty extra row is ignored
    response = client_for(owner).post(reverse("customers:create"), data, follow=True)
    customer = Customer.objects.get(name="Acme Steel")
    assert response.redirect_chain == [(reverse("customers:detail", args=[customer.pk]), 302)]
    assert [str(m) for m in response.context["messages"]] == ["Customer Acme Steel created."]
    assert list(customer.contacts.values_list("name", "is_primary", "phone")) == [
        ("Wang Fang", True, "138")
    ]


def test_customer_create_duplicate_name_shows_error_and_keeps_input(owner: User) -> None:
    CustomerFactory.create(name="Acme Steel")
    data = {"name": "Acme Steel", "industry": "Kept industry", "address": "", "notes": ""}
    data |= management(total=1) | contact_row(0, "Kept contact")
    response = client_for(owner).post(reverse("customers:create"), data)
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["name"]
    page = response.content.decode()
    assert 'value="Kept industry"' in page
    assert 'value="Kept contact"' in page
    assert Customer.objects.count() == 1


def test_customer_edit_two_primary_contacts_shows_error_and_keeps_input(
    project: Project, owner: User
) -> None:
    customer = project.customer
    data = {"name": customer.name, "industry": "", "address": "", "notes": ""}
    data |= management(total=2)
    data |= contact_row(0, "First", is_primary="on")
    data |= contact_row(1, "Second", is_primary="on")
    response = client_for(owner).post(reverse("customers:edit", args=[customer.pk]), data)
    assert response.status_code == 200
    assert response.context["contacts"].non_form_errors() == [
        "Only one contact can be the primary contact."
    ]
    assert 'value="Second"' in response.content.decode()
    assert customer.contacts.count() == 0


def test_customer_edit_moves_primary_and_removes_a_contact(project: Project, quality: User) -> None:
    customer = project.customer
    first = ContactFactory.create(customer=customer, name="First", is_primary=True)
    second = ContactFactory.create(customer=customer, name="Second")
    gone = ContactFactory.create(customer=customer, name="Gone")
    contacts = list(customer.contacts.order_by("-is_primary", "name"))
    assert [c.name for c in contacts] == ["First", "Gone", "Second"]
    data = {"name": "Renamed", "industry": "", "address": "", "notes": ""}
    data |= management(total=4, initial=3)
    data |= contact_row(0, "First", id=first.pk, customer=customer.pk)
    data |= contact_row(1, "Gone", id=gone.pk, customer=customer.pk, DELETE="on")
    data |= contact_row(2, "Second", id=second.pk, customer=customer.pk, is_primary="on")
    data |= contact_row(3, "New one", customer=customer.pk)
    client = client_for(quality)
    page = reverse("customers:edit", args=[customer.pk])
    data["version"] = form_version(client, page)
    response = client.post(page, data)
    assert response.status_code == 302, response.context["contacts"].errors
    customer.refresh_from_db()
    assert customer.name == "Renamed"
    assert sorted(Contact.objects.filter(customer=customer).values_list("name", "is_primary")) == [
        ("First", False),
        ("New one", False),
        ("Second", True),
    ]
