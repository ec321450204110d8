"""Shared fixtures: the people every access rule is tested with.

``owner`` manages the project, ``colleague`` is a member of it, ``outsider`` is a
member of the organisation with no part in it. Every rule is checked with all three.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from email.policy import default as email_policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope

from huifang.core.models import Role, User
from huifang.policy.models import Policy
from huifang.policy.services import ensure_default_policy
from huifang.projects.models import Project
from tests.factories import UserFactory, make_project


def pytest_configure(config: pytest.Config) -> None:
    from django.conf import settings

    # WhiteNoise warns on every request when the collected-static folder is missing.
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
    # Password hashing is deliberately slow; tests create many users and log in often.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Tests sign administrators in with a password everywhere; the set-up that two-factor
    # sign-in requires of them is tested on its own (tests/core/test_two_factor.py,
    # tests/e2e/test_two_factor.py), which turn the requirement back on.
    settings.HUIFANG_MFA_REQUIRED_ROLES = []


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Rate limits and throttles count in the cache; no test inherits another's."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """A test that activates a language (directly or through a request) does not
    hand it to the next test: each starts in the default, LANGUAGE_CODE."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture
def policy(db: None) -> Policy:
    return ensure_default_policy()


@pytest.fixture
def owner(db: None) -> User:
    return UserFactory.create(username="owner", role=Role.PROJECT_MANAGER)


@pytest.fixture
def colleague(db: None) -> User:
    return UserFactory.create(username="colleague", role=Role.MEMBER)


@pytest.fixture
def outsider(db: None) -> User:
    return UserFactory.create(username="outsider", role=Role.MEMBER)


@pytest.fixture
def outsider_pm(db: None) -> User:
    return UserFactory.create(username="outsider_pm", role=Role.PROJECT_MANAGER)


@pytest.fixture
def quality(db: None) -> User:
    return UserFactory.create(username="quality", role=Role.QUALITY)


@pytest.fixture
def executive(db: None) -> User:
    return UserFactory.create(username="executive", role=Role.EXECUTIVE)


@pytest.fixture
def admin_user(db: None) -> User:
    return UserFactory.create(username="admin", role=Role.ADMIN, is_staff=True, is_superuser=True)


@pytest.fixture
def project(policy: Policy, owner: User, colleague: User) -> Project:
    """An active monthly project managed by ``owner`` with ``colleague`` on the team,
    planned as of 2026-03-01."""
    return make_project(
        code="P-001", name="ERP rollout", manager=owner, policy=policy, members=[colleague]
    )


class _Inbox:
    """What a real SMTP server (aiosmtpd) received: one email.message per mail."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: object, session: object, envelope: Envelope) -> str:
        content = envelope.content or b""
        raw = content.encode() if isinstance(content, str) else content
        message = message_from_bytes(raw, policy=email_policy)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[_Inbox]:
    """A real SMTP server on localhost; Django's SMTP backend is pointed at it."""
    inbox = _Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield inbox
    finally:
        controller.stop()
