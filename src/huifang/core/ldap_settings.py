"""Directory sign-in (LDAP / Active Directory) read from ``HUIFANG_LDAP_*`` variables.

:func:`ldap_settings` turns the environment into django-auth-ldap's ``AUTH_LDAP_*``
settings plus Huifang's own (which directory group gives which role). Without
``HUIFANG_LDAP_SERVER_URI`` it returns nothing and ``settings.py`` leaves the backend
out: directory sign-in is off by default. A variable that is set but wrong stops the
app at start-up (ImproperlyConfigured) rather than refusing every sign-in later.

Nothing here imports Django's app registry (``settings.py`` calls it), and python-ldap
is imported only when the directory is configured.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ImproperlyConfigured

DIRECTORY_BACKEND = "huifang.core.directory.DirectoryBackend"

# Highest first: when a person is in groups of several roles, the first of these wins.
# The organisation-wide roles come before the project roles (core.models.Role).
ROLE_RANK = ("admin", "quality", "executive", "pm", "member")

# Huifang user fields a directory attribute may fill in.
USER_FIELDS = ("display_name", "first_name", "last_name", "email", "department", "phone")
DEFAULT_USER_ATTRS = "display_name=cn,first_name=givenName,last_name=sn,email=mail"

# HUIFANG_LDAP_GROUP_TYPE: (django-auth-ldap class, default group filter).
GROUP_TYPES = {
    "groupOfNames": ("GroupOfNamesType", "(objectClass=groupOfNames)"),
    "groupOfUniqueNames": ("GroupOfUniqueNamesType", "(objectClass=groupOfUniqueNames)"),
    "activeDirectory": ("ActiveDirectoryGroupType", "(objectClass=group)"),
    "nestedActiveDirectory": ("NestedActiveDirectoryGroupType", "(objectClass=group)"),
}


def normalize_dn(dn: str) -> str:
    """A DN in one spelling (case and spaces), so the directory's answer and the
    configured group compare equal however either was written."""
    import ldap.dn

    try:
        parts = ldap.dn.str2dn(dn.strip())
    except ldap.DECODING_ERROR as error:
        raise ImproperlyConfigured(f"Not a distinguished name: {dn!r}") from error
    return str(ldap.dn.dn2str(parts)).lower()


def _directory_dn(dn: str) -> str:
    """A DN the directory sent, normalized; one that does not parse is a group no
    configured DN can name, not a reason to fail the sign-in."""
    try:
        return normalize_dn(dn)
    except ImproperlyConfigured:
        return dn.lower()


def parse_role_groups(text: str) -> list[tuple[str, str]]:
    """``admin=cn=huifang-admins,ou=groups,dc=example,dc=com;quality=cn=…`` as
    [(role, normalized group DN)]. A role may be listed more than once."""
    pairs: list[tuple[str, str]] = []
    for item in text.split(";"):
        if not item.strip():
            continue
        role, separator, dn = item.partition("=")
        role = role.strip()
        if not separator or not dn.strip():
            raise ImproperlyConfigured(
                f"HUIFANG_LDAP_ROLE_GROUPS: {item.strip()!r} is not role=group DN"
            )
        if role not in ROLE_RANK:
            raise ImproperlyConfigured(
                f"HUIFANG_LDAP_ROLE_GROUPS: unknown role {role!r} (one of {', '.join(ROLE_RANK)})"
            )
        pairs.append((role, normalize_dn(dn)))
    return pairs


def parse_user_attrs(text: str) -> dict[str, str]:
    """``display_name=cn,email=mail`` as {Huifang field: directory attribute}."""
    mapping: dict[str, str] = {}
    for item in text.split(","):
        if not item.strip():
            continue
        field, separator, attribute = (part.strip() for part in item.partition("="))
        if not separator or not attribute or field not in USER_FIELDS:
            raise ImproperlyConfigured(
                f"HUIFANG_LDAP_USER_ATTRS: {item.strip()!r} is not field=attribute "
                f"with a field among {', '.join(USER_FIELDS)}"
            )
        mapping[field] = attribute
    return mapping


def role_for_groups(
    group_dns: set[str] | frozenset[str],
    role_groups: list[tuple[str, str]],
    default_role: str = "",
) -> str | None:
    """The role a person in ``group_dns`` gets: the highest role among their mapped
    groups, else the default role, else None (refused)."""
    mine = {_directory_dn(dn) for dn in group_dns}
    roles = {role for role, dn in role_groups if dn in mine}
    for role in ROLE_RANK:
        if role in roles:
            return role
    return default_role or None


def ldap_settings(env: Mapping[str, str]) -> dict[str, Any]:
    """The settings directory sign-in needs, or {} when HUIFANG_LDAP_SERVER_URI is unset."""
    uri = env.get("HUIFANG_LDAP_SERVER_URI", "").strip()
    if not uri:
        return {}
    import ldap
    from django_auth_ldap import config

    def get(name: str, default: str = "") -> str:
        return env.get(f"HUIFANG_LDAP_{name}", default).strip()

    try:
        timeout = int(get("TIMEOUT", "5"))
    except ValueError as error:
        raise ImproperlyConfigured("HUIFANG_LDAP_TIMEOUT: a number of seconds") from error
    bind_dn = get("BIND_DN")
    result: dict[str, Any] = {
        "AUTH_LDAP_SERVER_URI": uri,
        "AUTH_LDAP_START_TLS": get("START_TLS", "0").lower() in {"1", "true", "yes", "on"},
        "AUTH_LDAP_BIND_DN": bind_dn,
        "AUTH_LDAP_BIND_PASSWORD": env.get("HUIFANG_LDAP_BIND_PASSWORD", ""),
        # Without a service account, attributes and groups are read as the person
        # signing in (their own bind), since an anonymous search usually sees nothing.
        "AUTH_LDAP_BIND_AS_AUTHENTICATING_USER": not bind_dn,
        # Active Directory answers with referrals that libldap would chase anonymously;
        # a server that cannot be reached fails the sign-in after the timeout instead
        # of holding a web worker.
        "AUTH_LDAP_CONNECTION_OPTIONS": {
            ldap.OPT_REFERRALS: 0,
            ldap.OPT_NETWORK_TIMEOUT: timeout,
            ldap.OPT_TIMEOUT: timeout,
        },
        "AUTH_LDAP_USER_ATTR_MAP": parse_user_attrs(get("USER_ATTRS", DEFAULT_USER_ATTRS)),
        # Name, e-mail and role follow the directory at every sign-in; nothing is
        # cached, so a change of group counts from the next sign-in.
        "AUTH_LDAP_ALWAYS_UPDATE_USER": True,
        "AUTH_LDAP_CACHE_TIMEOUT": 0,
    }
    template = get("USER_DN_TEMPLATE")
    search_base = get("USER_SEARCH_BASE")
    if template:
        result["AUTH_LDAP_USER_DN_TEMPLATE"] = template
    elif search_base:
        result["AUTH_LDAP_USER_SEARCH"] = config.LDAPSearch(
            search_base, ldap.SCOPE_SUBTREE, get("USER_SEARCH_FILTER", "(uid=%(user)s)")
        )
    else:
        raise ImproperlyConfigured(
            "HUIFANG_LDAP_SERVER_URI needs HUIFANG_LDAP_USER_SEARCH_BASE "
            "or HUIFANG_LDAP_USER_DN_TEMPLATE"
        )

    role_groups = parse_role_groups(get("ROLE_GROUPS"))
    default_role = get("DEFAULT_ROLE")
    if default_role and default_role not in ROLE_RANK:
        raise ImproperlyConfigured(
            f"HUIFANG_LDAP_DEFAULT_ROLE: unknown role {default_role!r} "
            f"(one of {', '.join(ROLE_RANK)})"
        )
    if not role_groups and not default_role:
        raise ImproperlyConfigured(
            "HUIFANG_LDAP_SERVER_URI needs HUIFANG_LDAP_ROLE_GROUPS or "
            "HUIFANG_LDAP_DEFAULT_ROLE: otherwise nobody could sign in"
        )
    if role_groups:
        group_base = get("GROUP_SEARCH_BASE")
        if not group_base:
            raise ImproperlyConfigured(
                "HUIFANG_LDAP_ROLE_GROUPS needs HUIFANG_LDAP_GROUP_SEARCH_BASE"
            )
        group_type = get("GROUP_TYPE", "groupOfNames")
        if group_type not in GROUP_TYPES:
            raise ImproperlyConfigured(
                f"HUIFANG_LDAP_GROUP_TYPE: {group_type!r} is not one of {', '.join(GROUP_TYPES)}"
            )
        class_name, default_filter = GROUP_TYPES[group_type]
        result["AUTH_LDAP_GROUP_SEARCH"] = config.LDAPSearch(
            group_base, ldap.SCOPE_SUBTREE, get("GROUP_SEARCH_FILTER", default_filter)
        )
        result["AUTH_LDAP_GROUP_TYPE"] = getattr(config, class_name)()
    result["HUIFANG_LDAP_ROLE_GROUPS"] = role_groups
    result["HUIFANG_LDAP_DEFAULT_ROLE"] = default_role
    return result


def with_directory_backend(backends: list[str]) -> list[str]:
    """The backends with the directory's after django-axes' check (which must stay
    first) and before local passwords: a person the directory knows signs in with the
    directory's password, and local accounts still work when it is unreachable."""
    return [backends[0], DIRECTORY_BACKEND, *backends[1:]]
