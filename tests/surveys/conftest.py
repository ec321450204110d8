"""Survey fixtures: a closing visit of ``project``, two contacts of its customer (one
Chinese, one English speaking) and a helper that invites through the real service."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, cast
from urllib.parse import urlparse

import pytest
from django.core.cache import cache

from huifang.core.models import User
from huifang.customers.models import Contact
from huifang.projects.models import Project
from huifang.surveys.models import SurveyInvitation
from huifang.surveys.services import invite_contacts
from huifang.visits.models import Visit
from tests.factories import ContactFactory

Invite = Callable[..., tuple[SurveyInvitation, str]]

# A happy answer as the public survey page posts it (its form's fields).
ANSWERS = {
    "q_overall": "5",
    "q_quality": "4",
    "q_schedule": "4",
    "q_communication": "5",
    "q_service": "5",
    "q_recommend": "9",
    "q_evaluation": "Good results",
    "q_suggestions": "Keep going",
}
# A happy answer as the survey service takes it (question key → value).
SERVICE_ANSWERS: dict[str, Any] = {
    "overall": 5,
    "quality": 4,
    "schedule": 4,
    "communication": 5,
    "service": 5,
    "recommend": 9,
    "evaluation": "Good results",
}


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    # The submission rate limit counts in the cache; tests must not share counts.
    cache.clear()
    yield
    cache.clear()


def make_contact(**fields: object) -> Contact:
    return cast(Contact, ContactFactory(**fields))


@pytest.fixture
def contact(project: Project) -> Contact:
    return make_contact(
        customer=project.customer,
        name="Li Lei",
        email="lilei@example.com",
        language="zh-hans",
        is_primary=True,
    )


@pytest.fixture
def contact_en(project: Project) -> Contact:
    return make_contact(
        customer=project.customer, name="Anna Smith", email="anna@example.com", language="en"
    )


@pytest.fixture
def visit(project: Project) -> Visit:
    return project.visits.get(phase="closing")


def path_of(url: str) -> str:
    return urlparse(url).path


@pytest.fixture
def invite(visit: Visit, owner: User) -> Invite:
    def _invite(contact: Contact, on: Visit | None = None) -> tuple[SurveyInvitation, str]:
        (link,) = invite_contacts(
            visit=on or visit, contacts=[contact], invited_by=owner, base_url="http://testserver"
        )
        return link.invitation, path_of(link.url)

    return _invite
