"""Fixtures of the core tests: a real OpenLDAP server for directory sign-in."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from huifang.core.ldap_settings import (
    DIRECTORY_BACKEND,
    ldap_settings,
    with_directory_backend,
)
from tests.core.slapd import Slapd, directory_env, start_slapd


@pytest.fixture(scope="session")
def slapd() -> Iterator[Slapd]:
    """One directory server for the session; tests that change its groups put them
    back (``directory``)."""
    server = start_slapd()
    yield server
    server.stop()


@pytest.fixture
def use_directory(settings: Any) -> Callable[..., None]:
    """Turn directory sign-in on for this test as the environment would:
    ``use_directory(uri, DEFAULT_ROLE="member")``."""

    applied: set[str] = set()

    def _use(uri: str, **overrides: str) -> None:
        wanted = ldap_settings(directory_env(uri, **overrides))
        # A second call starts afresh: what the first set and this one does not is gone.
        for name in applied - wanted.keys():
            delattr(settings, name)
        for name, value in wanted.items():
            setattr(settings, name, value)
        applied.clear()
        applied.update(wanted)
        backends = [b for b in settings.AUTHENTICATION_BACKENDS if b != DIRECTORY_BACKEND]
        settings.AUTHENTICATION_BACKENDS = with_directory_backend(backends)

    return _use


@pytest.fixture
def directory(slapd: Slapd, use_directory: Callable[..., None], db: None) -> Iterator[Slapd]:
    """The session's directory, signed in against with the default variables."""
    use_directory(slapd.uri)
    yield slapd
    slapd.reset()
