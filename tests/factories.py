"""factory_boy factories for the domain. Tests build data with these or, for anything
with a workflow (projects, records, actions), with the real services."""

from __future__ import annotations

import factory

from huifang.core.models import Role, User
from huifang.customers.models import Contact, Customer


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
