"""Every write to customers and their contacts.

Who may write: administrators, quality managers and project managers (the people
who set projects up and talk to customers). Executives and members read only; the
views answer them 403. The rule is ``core.access.can_edit_customers``, which the pages
and the API ask."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from huifang.core.concurrency import lock_at_version, row_version
from huifang.core.errors import DomainError
from huifang.customers.models import Contact, Customer

if TYPE_CHECKING:
    pass

CUSTOMER_FIELDS = frozenset({"name", "industry", "address", "notes"})
CONTACT_FIELDS = frozenset(
    {"name", "title", "phone", "email", "wechat_id", "preferred_channel", "language", "is_primary"}
)

# An existing contact (or None for a new one) and the values it should have.
ContactRow = tuple[Contact | None, dict[str, Any]]


def _check_fields(fields: dict[str, Any], allowed: frozenset[str]) -> None:
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")


def _check_unique_name(name: str, exclude_pk: int | None) -> None:
    clash = Customer.objects.filter(name__iexact=name.strip())
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise DomainError(_("A customer with this name already exists."))


@transaction.atomic
def create_customer(*, contacts: Sequence[ContactRow] = (), **fields: Any) -> Customer:
    """Create a customer with its contacts."""
    _check_fields(fields, CUSTOMER_FIELDS)
    _check_unique_name(str(fields.get("name", "")), None)
    customer = Customer.objects.create(**fields)
    save_contacts(customer=customer, contacts=contacts)
    return customer


def customer_version(customer: Customer) -> str:
    """What the edit page saw: the customer's details and its contacts (which other
    paths, the API and imports, change without touching the customer row)."""
    contacts = customer.contacts.order_by("pk").values_list("pk", *sorted(CONTACT_FIELDS))
    return row_version(customer, fields=sorted(CUSTOMER_FIELDS), extra=list(contacts))


@transaction.atomic
def update_customer(
    *,
    customer: Customer,
    contacts: Sequence[ContactRow] = (),
    removed: Iterable[Contact] = (),
    expected_version: str | None = None,
    **fields: Any,
) -> Customer:
    """Change a customer's details and, in the same transaction, its contacts. With
    ``expected_version`` (a page's form) a change made since is refused."""
    _check_fields(fields, CUSTOMER_FIELDS)
    locked = lock_at_version(
        Customer.objects, customer.pk, expected=expected_version, version=customer_version
    )
    if "name" in fields:
        _check_unique_name(str(fields["name"]), locked.pk)
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.save()
    save_contacts(customer=locked, contacts=contacts, removed=removed)
    return locked


def contact_version(contact: Contact) -> str:
    """One contact's version (the API's ETag): its values, which every write sets."""
    return row_version(contact, fields=sorted(CONTACT_FIELDS))


@transaction.atomic
def update_contact(
    *, contact: Contact, expected_version: str | None = None, **values: Any
) -> Contact:
    """Change one contact. With ``expected_version`` (the API's ``If-Match``) a change
    made since is refused."""
    locked = lock_at_version(
        Contact.objects.select_related("customer"),
        contact.pk,
        expected=expected_version,
        version=contact_version,
    )
    (saved,) = save_contacts(customer=locked.customer, contacts=[(locked, values)])
    return saved


@transaction.atomic
def save_contacts(
    *,
    customer: Customer,
    contacts: Sequence[ContactRow],
    removed: Iterable[Contact] = (),
) -> list[Contact]:
    """Create or update the given contacts and delete ``removed``.

    A customer has at most one primary contact. Primary flags are cleared first and
    set again afterwards, so moving the flag from one contact to another never trips
    the database's one-primary constraint halfway through."""
    for _contact, values in contacts:
        _check_fields(values, CONTACT_FIELDS)
    if sum(1 for _contact, values in contacts if values.get("is_primary")) > 1:
        raise DomainError(_("Only one contact can be the primary contact."))
    removed_pks = [contact.pk for contact in removed if contact.pk]
    for contact, _values in contacts:
        if contact is not None and contact.pk and contact.customer_id != customer.pk:
            raise DomainError(_("That contact belongs to another customer."))
    if removed_pks:
        try:
            customer.contacts.filter(pk__in=removed_pks).delete()
        except ProtectedError as error:
            raise DomainError(_("A contact that is still referenced cannot be removed.")) from error
    wants_primary = any(values.get("is_primary") for _contact, values in contacts)
    if wants_primary:
        customer.contacts.filter(is_primary=True).update(is_primary=False)
    saved: list[Contact] = []
    primary: Contact | None = None
    for contact, values in contacts:
        target = contact if contact is not None and contact.pk else Contact(customer=customer)
        for name, value in values.items():
            setattr(target, name, value)
        is_primary = bool(values.get("is_primary"))
        target.is_primary = False
        target.save()
        if is_primary:
            primary = target
        saved.append(target)
    if primary is not None:
        primary.is_primary = True
        try:
            with transaction.atomic():
                primary.save(update_fields=["is_primary"])
        except IntegrityError as error:
            raise DomainError(_("Only one contact can be the primary contact.")) from error
    return saved
