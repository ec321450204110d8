"""Sign-in against the company directory (LDAP / Active Directory): django-auth-ldap's
backend, plus what Huifang decides about the person it finds.

Installed only when ``HUIFANG_LDAP_SERVER_URI`` is set (core/ldap_settings.py). The
directory checks the password; Huifang then

- refuses a deactivated account, whatever the directory says;
- sets the role from the person's directory groups at every sign-in (the highest
  mapped role wins); a person in no mapped group gets ``HUIFANG_LDAP_DEFAULT_ROLE``,
  or, when that is empty (the default), is refused;
- copies name and e-mail from the directory (``HUIFANG_LDAP_USER_ATTRS``).

An account the directory creates has no usable local password. A failed directory
sign-in is a failed ``authenticate()`` like a wrong local password, so django-axes
counts it. When the directory cannot be reached the request is marked, and the login
form says so instead of "wrong password" (account_forms.LoginForm).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django_auth_ldap.backend import LDAPBackend, ldap_error

from huifang.core.account_forms import DIRECTORY_FAILED
from huifang.core.account_services import apply_role
from huifang.core.ldap_settings import role_for_groups
from huifang.core.models import User


class DirectoryBackend(LDAPBackend):
    def get_or_build_user(self, username: str, ldap_user: Any) -> tuple[User, bool]:
        """Called once the directory accepted the password, before the account is
        saved: the place to refuse the person or give them their role."""
        user, built = super().get_or_build_user(username, ldap_user)
        if not built and not user.is_active:
            raise ldap_user.AuthenticationFailed("the Huifang account is deactivated")
        # Both are set with the backend (settings.py, from core/ldap_settings.py).
        role_groups = getattr(settings, "HUIFANG_LDAP_ROLE_GROUPS", [])
        default_role = getattr(settings, "HUIFANG_LDAP_DEFAULT_ROLE", "")
        group_dns = set(ldap_user.group_dns) if role_groups else set()
        role = role_for_groups(group_dns, role_groups, default_role)
        if role is None:
            raise ldap_user.AuthenticationFailed("in no directory group mapped to a role")
        apply_role(user, role)
        return user, built

    def get_user(self, user_id: int) -> User | None:
        """The signed-in user of a session started here. django-auth-ldap returns
        deactivated accounts too; Django's own backend does not, and neither do we:
        deactivating someone ends their sessions at their next request."""
        user = super().get_user(user_id)
        return user if user is not None and user.is_active else None


def _remember_directory_failure(
    sender: type, context: str, request: HttpRequest | None = None, **kwargs: Any
) -> None:
    """django-auth-ldap turns an LDAP error (server down, timeout, a refused service
    account) into "not authenticated" and sends this signal; the login form reads the
    mark to tell the person the directory, not their password, failed."""
    if request is not None:
        setattr(request, DIRECTORY_FAILED, True)


ldap_error.connect(_remember_directory_failure, sender=DirectoryBackend)
