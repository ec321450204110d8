"""Customers and their contacts. ``PATCH`` follows the ETag rule of ``api/etags.py``."""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import HttpRequest, HttpResponse
from ninja import Field, Header, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import field_validator

from huifang.api.common import (
    NO_NUL,
    READ_ERRORS,
    WRITE_ERRORS,
    Paginator,
    PathId,
    caller,
    get_visible,
)
from huifang.api.etags import ETAG_ERRORS, etag, expected_version
from huifang.api.schemas import ContactOut, CustomerDetailOut, CustomerOut
from huifang.core import access
from huifang.core.models import Language
from huifang.customers import services
from huifang.customers.models import Contact, ContactChannel, Customer
from huifang.customers.queries import customer_list, visible_customers

router = Router(tags=["customers"])


class CustomerFilter(Schema):
    q: str = Field("", max_length=100, pattern=NO_NUL)


class CustomerIn(Schema):
    name: str = Field(..., min_length=1, max_length=200, pattern=NO_NUL)
    industry: str = Field("", max_length=80, pattern=NO_NUL)
    address: str = Field("", max_length=300, pattern=NO_NUL)
    notes: str = Field("", max_length=5000, pattern=NO_NUL)


class CustomerPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=200, pattern=NO_NUL)
    industry: str | None = Field(None, max_length=80, pattern=NO_NUL)
    address: str | None = Field(None, max_length=300, pattern=NO_NUL)
    notes: str | None = Field(None, max_length=5000, pattern=NO_NUL)


class ContactIn(Schema):
    name: str = Field(..., min_length=1, max_length=120, pattern=NO_NUL)
    title: str = Field("", max_length=120, pattern=NO_NUL)
    phone: str = Field("", max_length=32, pattern=NO_NUL)
    email: str = Field("", max_length=254, pattern=NO_NUL)
    wechat_id: str = Field("", max_length=64, pattern=NO_NUL)
    preferred_channel: ContactChannel = ContactChannel.PHONE
    language: Language = Language.ZH_HANS
    is_primary: bool = False

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        value = value.strip()
        if value:
            try:
                validate_email(value)
            except ValidationError as error:
                raise ValueError("not an e-mail address") from error
        return value


class ContactPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=120, pattern=NO_NUL)
    title: str | None = Field(None, max_length=120, pattern=NO_NUL)
    phone: str | None = Field(None, max_length=32, pattern=NO_NUL)
    email: str | None = Field(None, max_length=254, pattern=NO_NUL)
    wechat_id: str | None = Field(None, max_length=64, pattern=NO_NUL)
    preferred_channel: ContactChannel | None = None
    language: Language | None = None
    is_primary: bool | None = None

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return None if value is None else ContactIn._email(value)


def _require_edit(request: HttpRequest) -> None:
    access.require(access.can_edit_customers(caller(request)))


@router.get("/customers", response={200: list[CustomerOut], **READ_ERRORS})
@paginate(Paginator)
def list_customers(request: HttpRequest, filters: Query[CustomerFilter]) -> Any:
    return customer_list(caller(request), search=filters.q.strip()).order_by("name", "pk")


@router.post("/customers", response={201: CustomerDetailOut, **WRITE_ERRORS})
def create_customer(request: HttpRequest, response: HttpResponse, payload: CustomerIn) -> Any:
    _require_edit(request)
    return Status(201, _answer(response, services.create_customer(**payload.dict()).pk))


def _answer(response: HttpResponse, customer_id: int) -> Customer:
    """The customer as stored now (after a write), its version in the ``ETag`` header."""
    return _tagged(response, Customer.objects.get(pk=customer_id))


def _tagged(response: HttpResponse, customer: Customer) -> Customer:
    response["ETag"] = etag(services.customer_version(customer))
    return customer


@router.get("/customers/{int:customer_id}", response={200: CustomerDetailOut, **READ_ERRORS})
def get_customer(request: HttpRequest, response: HttpResponse, customer_id: PathId) -> Any:
    return _tagged(response, get_visible(visible_customers(caller(request)), customer_id))


@router.patch("/customers/{int:customer_id}", response={200: CustomerDetailOut, **ETAG_ERRORS})
def update_customer(
    request: HttpRequest,
    response: HttpResponse,
    customer_id: PathId,
    payload: CustomerPatch,
    if_match: str | None = Header(None, alias="If-Match"),
) -> Any:
    """Change the customer; needs ``If-Match`` with the ETag last read (stale → 409).
    The customer's version covers its contacts, as on its edit page."""
    customer = get_visible(visible_customers(caller(request)), customer_id)
    _require_edit(request)
    expected = expected_version(if_match, required=True)
    changes = payload.dict(exclude_unset=True, exclude_none=True)
    services.update_customer(customer=customer, expected_version=expected, **changes)
    return _answer(response, customer.pk)


@router.get(
    "/customers/{int:customer_id}/contacts", response={200: list[ContactOut], **READ_ERRORS}
)
@paginate(Paginator)
def list_contacts(request: HttpRequest, customer_id: PathId) -> Any:
    customer = get_visible(visible_customers(caller(request)), customer_id)
    return customer.contacts.order_by("-is_primary", "name", "pk")


@router.post("/customers/{int:customer_id}/contacts", response={201: ContactOut, **WRITE_ERRORS})
def create_contact(
    request: HttpRequest, response: HttpResponse, customer_id: PathId, payload: ContactIn
) -> Any:
    customer = get_visible(visible_customers(caller(request)), customer_id)
    _require_edit(request)
    values = payload.dict()
    values["preferred_channel"] = str(payload.preferred_channel.value)
    values["language"] = str(payload.language.value)
    (contact,) = services.save_contacts(customer=customer, contacts=[(None, values)])
    fresh = Contact.objects.get(pk=contact.pk)
    response["ETag"] = etag(services.contact_version(fresh))
    return Status(201, fresh)


@router.patch("/contacts/{int:contact_id}", response={200: ContactOut, **ETAG_ERRORS})
def update_contact(
    request: HttpRequest,
    response: HttpResponse,
    contact_id: PathId,
    payload: ContactPatch,
    if_match: str | None = Header(None, alias="If-Match"),
) -> Any:
    """Change the contact; needs ``If-Match`` with the contact's ``etag`` (from the
    customer's contacts; stale → 409)."""
    contacts = Contact.objects.filter(customer__in=visible_customers(caller(request)))
    contact = get_visible(contacts.select_related("customer"), contact_id)
    _require_edit(request)
    expected = expected_version(if_match, required=True)
    values = payload.dict(exclude_unset=True, exclude_none=True)
    for name in ("preferred_channel", "language"):
        if name in values:
            values[name] = str(getattr(payload, name).value)
    services.update_contact(contact=contact, expected_version=expected, **values)
    fresh = Contact.objects.get(pk=contact.pk)
    response["ETag"] = etag(services.contact_version(fresh))
    return fresh
