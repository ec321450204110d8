"""Single sign-on and two-factor settings, applied by settings.py to its own namespace.

Kept apart from settings.py so that sign-in changes (this one, a directory backend)
merge without touching each other. django-allauth provides the OpenID Connect,
DingTalk and Feishu clients; the apps are configured here from ``HUIFANG_*``
variables (no SocialApp rows in the database), and only what is configured shows on
the login page (huifang.core.sso). docs/operations.md, "Single sign-on and
two-factor", is the operator's side of it.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

# The OpenID Connect app's id: its callback is /accounts/oidc/sso/login/callback/.
OIDC_PROVIDER_ID = "sso"

# Password sign-in and the session of a single sign-on (huifang.core.sso).
LOCAL_LOGIN_BACKEND = "huifang.core.sso.PasswordBackend"
SSO_BACKEND = "huifang.core.sso.SingleSignOnBackend"


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def socialaccount_providers() -> dict[str, Any]:
    """allauth's SOCIALACCOUNT_PROVIDERS with an app for each provider whose client id
    and secret are set."""
    providers: dict[str, Any] = {}
    server_url = _env("HUIFANG_OIDC_SERVER_URL")
    client_id = _env("HUIFANG_OIDC_CLIENT_ID")
    if server_url and client_id:
        providers["openid_connect"] = {
            # PKCE: a stolen authorization code is useless without this browser's verifier.
            "OAUTH_PKCE_ENABLED": True,
            "APPS": [
                {
                    "provider_id": OIDC_PROVIDER_ID,
                    "name": _env("HUIFANG_OIDC_NAME", "OpenID Connect"),
                    "client_id": client_id,
                    "secret": _env("HUIFANG_OIDC_CLIENT_SECRET"),
                    "settings": {"server_url": server_url, "oauth_pkce_enabled": True},
                }
            ],
        }
    if _env("HUIFANG_DINGTALK_CLIENT_ID"):
        providers["dingtalk"] = {
            "APPS": [
                {
                    "client_id": _env("HUIFANG_DINGTALK_CLIENT_ID"),
                    "secret": _env("HUIFANG_DINGTALK_CLIENT_SECRET"),
                }
            ]
        }
    if _env("HUIFANG_FEISHU_APP_ID"):
        providers["feishu"] = {
            "APPS": [
                {
                    "client_id": _env("HUIFANG_FEISHU_APP_ID"),
                    "secret": _env("HUIFANG_FEISHU_APP_SECRET"),
                }
            ]
        }
    return providers


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def sign_in_origins(providers: dict[str, Any]) -> list[str]:
    """Where the login page's buttons lead: Content-Security-Policy's form-action also
    governs the redirect that follows a form's POST, so each provider's sign-in
    origin is allowed there (the OpenID Connect provider's authorization endpoint is
    taken to be on its server's origin, or HUIFANG_OIDC_AUTHORIZE_ORIGIN)."""
    origins: list[str] = []
    if "openid_connect" in providers:
        server_url = providers["openid_connect"]["APPS"][0]["settings"]["server_url"]
        origins.append(_env("HUIFANG_OIDC_AUTHORIZE_ORIGIN") or _origin(server_url))
    if "dingtalk" in providers:
        origins.append("https://login.dingtalk.com")
    if "feishu" in providers:
        origins.append("https://open.feishu.cn")
    return origins


def apply(namespace: dict[str, Any]) -> None:
    """Add single sign-on to the settings in ``namespace`` (settings.py's globals)."""
    namespace["INSTALLED_APPS"] = [
        *namespace["INSTALLED_APPS"],
        "allauth",
        "allauth.account",
        "allauth.socialaccount",
        "allauth.socialaccount.providers.openid_connect",
        "allauth.socialaccount.providers.dingtalk",
        "allauth.socialaccount.providers.feishu",
        "allauth.mfa",
    ]
    middleware = list(namespace["MIDDLEWARE"])
    # allauth keeps the request it works for in a context variable; after the messages.
    middleware.insert(
        middleware.index("django.contrib.messages.middleware.MessageMiddleware") + 1,
        "allauth.account.middleware.AccountMiddleware",
    )
    # Users of the roles in HUIFANG_MFA_REQUIRED_ROLES set up two-factor sign-in first.
    middleware.insert(
        middleware.index("allauth.account.middleware.AccountMiddleware") + 1,
        "huifang.core.two_factor.TwoFactorSetupMiddleware",
    )
    namespace["MIDDLEWARE"] = middleware
    # django-axes' backend stays first. Huifang's own passwords go through a ModelBackend
    # that honours HUIFANG_LOCAL_LOGIN; the single sign-on backend only restores the
    # sessions that a sign-on opened (it never checks a password).
    namespace["AUTHENTICATION_BACKENDS"] = [
        LOCAL_LOGIN_BACKEND if backend == "django.contrib.auth.backends.ModelBackend" else backend
        for backend in namespace["AUTHENTICATION_BACKENDS"]
    ] + [SSO_BACKEND]

    providers = socialaccount_providers()
    namespace["SOCIALACCOUNT_PROVIDERS"] = providers
    directives = namespace["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]
    directives["form-action"] = [*directives["form-action"], *sign_in_origins(providers)]
    namespace["SOCIALACCOUNT_ADAPTER"] = "huifang.core.sso.SocialAccountAdapter"
    # The identity provider vouches for the person; Huifang sends no confirmation mail.
    namespace["SOCIALACCOUNT_EMAIL_VERIFICATION"] = "none"
    namespace["SOCIALACCOUNT_STORE_TOKENS"] = False
    namespace["SOCIALACCOUNT_REQUESTS_TIMEOUT"] = 10
    # Only the provider's login and callback URLs are mounted (huifang.core.sso_urls);
    # allauth's own sign-up, e-mail and password pages are not.
    namespace["ACCOUNT_EMAIL_VERIFICATION"] = "none"
    namespace["ACCOUNT_EMAIL_NOTIFICATIONS"] = False
    # allauth's own login stages (its second-factor page among them) are not used: a
    # sign-on's second factor is the identity provider's business (huifang.core.sso).
    namespace["ACCOUNT_ADAPTER"] = "huifang.core.sso.AccountAdapter"

    # Two-factor sign-in (huifang.core.two_factor): TOTP and recovery codes, kept in
    # allauth.mfa's tables. Administrators always need it; add roles with
    # HUIFANG_MFA_REQUIRED_ROLES=quality,pm (role values as in core/models.py).
    namespace["MFA_SUPPORTED_TYPES"] = ["totp", "recovery_codes"]
    namespace["MFA_TOTP_ISSUER"] = _env("HUIFANG_MFA_ISSUER", "Huifang")
    namespace["MFA_RECOVERY_CODE_COUNT"] = 10
    # A code of the previous or next 30 seconds counts too: phones' clocks drift.
    namespace["MFA_TOTP_TOLERANCE"] = 1
    # "none" requires it of nobody: for load benchmarks and throw-away installs only.
    roles = [role.strip() for role in _env("HUIFANG_MFA_REQUIRED_ROLES").split(",")]
    namespace["HUIFANG_MFA_REQUIRED_ROLES"] = (
        [] if roles == ["none"] else sorted({"admin", *filter(None, roles)})
    )

    # 0 hides the password form: people sign in through their identity provider, and
    # only superusers may still use a password, at /login/?local=1 (break-glass).
    namespace["HUIFANG_LOCAL_LOGIN"] = _flag("HUIFANG_LOCAL_LOGIN", True)
    # Match an unknown sign-on to a user of the same username (the provider's
    # preferred_username). Off: only a verified e-mail address matches.
    namespace["HUIFANG_SSO_MATCH_USERNAME"] = _flag("HUIFANG_SSO_MATCH_USERNAME", False)
    # Create a user on the first sign-on of a person no user matches, with this role.
    namespace["HUIFANG_SSO_CREATE_USERS"] = _flag("HUIFANG_SSO_CREATE_USERS", False)
    namespace["HUIFANG_SSO_DEFAULT_ROLE"] = _env("HUIFANG_SSO_DEFAULT_ROLE", "member")
