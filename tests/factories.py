"""factory_boy factories for the domain. Tests build data with these or, for anything
with a workflow (projects, records, actions), with the real services: ``make_project``
creates a project through ``create_project``, so its visits are planned."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

import factory
from django.contrib.contenttypes.models import ContentType

from huifang.core.models import Role, User
from huifang.customers.models import Contact, Customer
from huifang.notify.models import Channel, Delivery, Notification
from huifang.policy.models import Policy
from huifang.projects.models import Project
from huifang.projects.services import create_project


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    role = Role.MEMBER
    password = factory.django.Password("correct-horse-battery")


class CustomerFactory(factory.django.DjangoModelFactory[Customer]):
    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"Customer {n}")
    industry = "Manufacturing"


class ContactFactory(factory.django.DjangoModelFactory[Contact]):
    class Meta:
        model = Contact

    customer = factory.SubFactory(CustomerFactory)
    name = factory.Sequence(lambda n: f"Contact {n}")
    email = factory.LazyAttribute(lambda contact: f"contact{contact.name[-1]}@example.com")


# The project most tests need: active, monthly, running from March to August 2026 and
# planned the day before it starts.
PLANNED_START = datetime.date(2026, 3, 2)
PLANNED_END = datetime.date(2026, 8, 31)
PLANNED_ON = datetime.date(2026, 3, 1)


def make_project(
    *,
    code: str,
    manager: User,
    policy: Policy,
    name: str = "",
    customer: Customer | None = None,
    status: str = "active",
    cadence: str = "monthly",
    planned_start: datetime.date = PLANNED_START,
    planned_end: datetime.date | None = PLANNED_END,
    members: Iterable[User] = (),
    today: datetime.date = PLANNED_ON,
    **fields: Any,
) -> Project:
    """A project created with the real service (its team set and its visits planned on
    ``today``), for a customer of its own unless ``customer`` is given."""
    created, _result = create_project(
        code=code,
        name=name or f"Project {code}",
        customer=customer if customer is not None else CustomerFactory.create(),
        manager=manager,
        status=status,
        cadence=cadence,
        planned_start=planned_start,
        planned_end=planned_end,
        policy=policy,
        members=members,
        today=today,
        **fields,
    )
    return created


def make_email_deliveries(user: User, statuses: Iterable[str]) -> list[Delivery]:
    """One notification to ``user`` per status, each with an e-mail delivery in it."""
    deliveries = []
    for index, status in enumerate(statuses):
        notification = Notification.objects.create(
            recipient=user,
            kind="visit_overdue",
            subject_type=ContentType.objects.get_for_model(User),
            subject_id=user.pk,
            occasion=f"test:{status}:{index}",
            idempotency_key=f"test:{status}:{index}",
            title="Visit overdue",
        )
        deliveries.append(
            Delivery.objects.create(notification=notification, channel=Channel.EMAIL, status=status)
        )
    return deliveries
