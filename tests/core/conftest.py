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

    def _use(uri: str, **overrides: str) -> None:
        for name, value in ldap_settings(directory_env(uri, **overrides)).items():
            setattr(settings, name, value)
        backends = [b for b in settings.AUTHENTICATION_BACKENDS if b != DIRECTORY_BACKEND]
        settings.AUTHENTICATION_BACKENDS = with_directory_backend(backends)

    return _use


@pytest.fixture
def directory(slapd: Slapd, use_directory: Callable[..., None], db: None) -> Iterator[Slapd]:
    """The session's directory, signed in against with the default variables."""
    use_directory(slapd.uri)
    yield slapd
    slapd.reset()
