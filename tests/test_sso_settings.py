"""huifang/sso_settings.py: what the HUIFANG_* variables of single sign-on and
two-factor sign-in turn into."""

from __future__ import annotations

from typing import Any

import pytest

from huifang import sso_settings

VARIABLES = (
    "HUIFANG_OIDC_SERVER_URL",
    "HUIFANG_OIDC_CLIENT_ID",
    "HUIFANG_OIDC_CLIENT_SECRET",
    "HUIFANG_OIDC_NAME",
    "HUIFANG_OIDC_AUTHORIZE_ORIGIN",
    "HUIFANG_DINGTALK_CLIENT_ID",
    "HUIFANG_DINGTALK_CLIENT_SECRET",
    "HUIFANG_FEISHU_APP_ID",
    "HUIFANG_FEISHU_APP_SECRET",
    "HUIFANG_MFA_REQUIRED_ROLES",
    "HUIFANG_LOCAL_LOGIN",
)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)


def _applied() -> dict[str, Any]:
    namespace: dict[str, Any] = {
        "INSTALLED_APPS": ["django.contrib.auth"],
        "MIDDLEWARE": ["django.contrib.messages.middleware.MessageMiddleware"],
        "AUTHENTICATION_BACKENDS": [
            "huifang.core.security.LoginAttemptBackend",
            "django.contrib.auth.backends.ModelBackend",
        ],
        "CONTENT_SECURITY_POLICY": {"DIRECTIVES": {"form-action": ["'self'"]}},
    }
    sso_settings.apply(namespace)
    return namespace


def test_nothing_set_configures_no_provider_and_keeps_passwords() -> None:
    applied = _applied()
    assert (applied["SOCIALACCOUNT_PROVIDERS"], applied["HUIFANG_LOCAL_LOGIN"]) == ({}, True)
    assert applied["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]["form-action"] == ["'self'"]


def test_oidc_variables_make_one_app_with_pkce(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUIFANG_OIDC_SERVER_URL", "https://id.example.com/realms/acme")
    monkeypatch.setenv("HUIFANG_OIDC_CLIENT_ID", "huifang")
    monkeypatch.setenv("HUIFANG_OIDC_CLIENT_SECRET", "s3cret")
    monkeypatch.setenv("HUIFANG_OIDC_NAME", "Keycloak")
    applied = _applied()
    assert applied["SOCIALACCOUNT_PROVIDERS"] == {
        "openid_connect": {
            "OAUTH_PKCE_ENABLED": True,
            "APPS": [
                {
                    "provider_id": "sso",
                    "name": "Keycloak",
                    "client_id": "huifang",
                    "secret": "s3cret",
                    "settings": {
                        "server_url": "https://id.example.com/realms/acme",
                        "oauth_pkce_enabled": True,
                    },
                }
            ],
        }
    }
    assert applied["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]["form-action"] == [
        "'self'",
        "https://id.example.com",
    ]


def test_dingtalk_and_feishu_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUIFANG_DINGTALK_CLIENT_ID", "ding-key")
    monkeypatch.setenv("HUIFANG_DINGTALK_CLIENT_SECRET", "ding-secret")
    monkeypatch.setenv("HUIFANG_FEISHU_APP_ID", "cli_a1")
    monkeypatch.setenv("HUIFANG_FEISHU_APP_SECRET", "feishu-secret")
    applied = _applied()
    assert applied["SOCIALACCOUNT_PROVIDERS"] == {
        "dingtalk": {"APPS": [{"client_id": "ding-key", "secret": "ding-secret"}]},
        "feishu": {"APPS": [{"client_id": "cli_a1", "secret": "feishu-secret"}]},
    }


def test_axes_stays_first_and_passwords_go_through_the_switchable_backend() -> None:
    assert _applied()["AUTHENTICATION_BACKENDS"] == [
        "huifang.core.security.LoginAttemptBackend",
        "huifang.core.sso.PasswordBackend",
        "huifang.core.sso.SingleSignOnBackend",
    ]


@pytest.mark.parametrize(
    ("value", "roles"),
    [("", ["admin"]), ("quality, pm", ["admin", "pm", "quality"]), ("none", [])],
)
def test_two_factor_roles_always_include_admin_unless_none(
    monkeypatch: pytest.MonkeyPatch, value: str, roles: list[str]
) -> None:
    monkeypatch.setenv("HUIFANG_MFA_REQUIRED_ROLES", value)
    assert _applied()["HUIFANG_MFA_REQUIRED_ROLES"] == roles


def test_local_login_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUIFANG_LOCAL_LOGIN", "0")
    assert _applied()["HUIFANG_LOCAL_LOGIN"] is False
