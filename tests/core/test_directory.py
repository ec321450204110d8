"""Directory sign-in (core/directory.py, core/ldap_settings.py) against a real slapd:
people sign in through the login page with their directory password, get their name,
e-mail and role from the directory, and local accounts keep working."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from huifang.core.account_services import deactivate_user
from huifang.core.ldap_settings import (
    DIRECTORY_BACKEND,
    ROLE_RANK,
    ldap_settings,
    role_for_groups,
)
from huifang.core.models import Role, User
from tests.core.slapd import (
    BASE_DN,
    PEOPLE,
    PERSONS,
    Slapd,
    directory_env,
    group_dn,
    start_slapd,
)
from tests.factories import UserFactory

LOCAL_PASSWORD = "correct-horse-battery"  # the factories' password
WRONG_PASSWORD_EN = "Please enter a correct username and password."
DIRECTORY_DOWN_EN = "the company directory did not answer"
DIRECTORY_DOWN_ZH = "公司目录服务没有响应"


def password_of(uid: str) -> str:
    return PERSONS[uid][3]


def sign_in(client: Client, username: str, password: str, language: str = "en") -> Any:
    return client.post(
        "/login/",
        {"username": username, "password": password},
        REMOTE_ADDR="10.0.0.7",
        HTTP_ACCEPT_LANGUAGE=language,
    )


def signed_in_as(client: Client) -> User | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


# --- signing in -------------------------------------------------------------------------


def test_directory_person_signs_in_on_the_login_page_and_gets_name_email_and_role(
    client: Client, directory: Slapd
) -> None:
    response = sign_in(client, "li.lei", password_of("li.lei"))

    assert response.status_code == 302
    assert response["Location"] == "/"
    user = signed_in_as(client)
    assert user is not None
    assert (user.username, user.display_name, user.first_name, user.last_name, user.email) == (
        "li.lei",
        "Lei Li",
        "Lei",
        "Li",
        "li.lei@example.com",
    )
    assert user.role == Role.QUALITY
    assert (user.is_staff, user.is_superuser) == (False, False)
    # Signed in: the home page sends a quality manager on to the management dashboard.
    home = client.get("/", HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert (home.status_code, home.redirect_chain) == (200, [("/insights/management/", 302)])


def test_account_made_by_the_directory_has_no_local_password(
    client: Client, directory: Slapd, settings: Any
) -> None:
    sign_in(client, "li.lei", password_of("li.lei"))

    user = User.objects.get(username="li.lei")
    assert user.has_usable_password() is False
    # With the directory off, the directory password opens nothing.
    client.logout()
    backends = [b for b in settings.AUTHENTICATION_BACKENDS if b != DIRECTORY_BACKEND]
    settings.AUTHENTICATION_BACKENDS = backends
    assert sign_in(client, "li.lei", password_of("li.lei")).status_code == 200
    assert signed_in_as(client) is None


def test_wrong_directory_password_is_refused_and_creates_no_account(
    client: Client, directory: Slapd
) -> None:
    response = sign_in(client, "li.lei", "not-the-password")

    assert response.status_code == 200
    assert WRONG_PASSWORD_EN in response.content.decode()
    assert signed_in_as(client) is None
    assert User.objects.filter(username="li.lei").exists() is False


def test_unknown_name_is_refused(client: Client, directory: Slapd) -> None:
    response = sign_in(client, "nobody", "whatever-password")

    assert response.status_code == 200
    assert WRONG_PASSWORD_EN in response.content.decode()
    assert signed_in_as(client) is None


def test_person_in_several_mapped_groups_gets_the_highest_role(
    client: Client, directory: Slapd
) -> None:
    # wang.fang is in huifang-admins and huifang-quality.
    assert sign_in(client, "wang.fang", password_of("wang.fang")).status_code == 302

    user = User.objects.get(username="wang.fang")
    assert user.role == Role.ADMIN
    # The admin role opens the users page and the Django admin, as for accounts made there.
    assert (user.is_staff, user.is_superuser) == (True, True)
    assert client.get("/users/", HTTP_ACCEPT_LANGUAGE="en").status_code == 200


def test_role_and_email_follow_the_directory_at_the_next_sign_in(
    client: Client, directory: Slapd
) -> None:
    sign_in(client, "li.lei", password_of("li.lei"))
    assert User.objects.get(username="li.lei").role == Role.QUALITY
    client.logout()

    # IT moves li.lei from the quality group to the project managers' group.
    directory.set_group_members("huifang-quality", ["wang.fang"])
    directory.set_group_members("huifang-pms", ["li.lei"])
    # …and an administrator's change of role in Huifang is overwritten, too.
    User.objects.filter(username="li.lei").update(role=Role.EXECUTIVE)
    directory.set_mail("li.lei", "lei.li@example.com")
    assert sign_in(client, "li.lei", password_of("li.lei")).status_code == 302

    user = User.objects.get(username="li.lei")
    assert (user.role, user.email) == (Role.PROJECT_MANAGER, "lei.li@example.com")
    assert User.objects.filter(username="li.lei").count() == 1


def test_admin_role_is_taken_away_when_the_person_leaves_the_admin_group(
    client: Client, directory: Slapd
) -> None:
    sign_in(client, "wang.fang", password_of("wang.fang"))
    client.logout()
    directory.set_group_members("huifang-admins", [])

    assert sign_in(client, "wang.fang", password_of("wang.fang")).status_code == 302
    user = User.objects.get(username="wang.fang")
    assert (user.role, user.is_staff, user.is_superuser) == (Role.QUALITY, False, False)
    assert client.get("/users/", HTTP_ACCEPT_LANGUAGE="en").status_code == 403


def test_person_in_no_mapped_group_is_refused(client: Client, directory: Slapd) -> None:
    # zhao.min is only in "sales", which no role is mapped to.
    response = sign_in(client, "zhao.min", password_of("zhao.min"))

    assert response.status_code == 200
    assert WRONG_PASSWORD_EN in response.content.decode()
    assert signed_in_as(client) is None
    assert User.objects.filter(username="zhao.min").exists() is False


def test_person_taken_out_of_every_mapped_group_can_no_longer_sign_in(
    client: Client, directory: Slapd
) -> None:
    sign_in(client, "li.lei", password_of("li.lei"))
    client.logout()
    directory.set_group_members("huifang-quality", ["wang.fang"])

    assert sign_in(client, "li.lei", password_of("li.lei")).status_code == 200
    assert signed_in_as(client) is None
    # The account and its history stay; only signing in is refused.
    assert User.objects.get(username="li.lei").role == Role.QUALITY


def test_person_in_no_mapped_group_gets_the_default_role_when_one_is_set(
    client: Client, directory: Slapd, use_directory: Callable[..., None]
) -> None:
    use_directory(directory.uri, DEFAULT_ROLE="member")

    assert sign_in(client, "zhao.min", password_of("zhao.min")).status_code == 302
    assert User.objects.get(username="zhao.min").role == Role.MEMBER
    # The default never lowers a mapped role.
    client.logout()
    sign_in(client, "li.lei", password_of("li.lei"))
    assert User.objects.get(username="li.lei").role == Role.QUALITY


def test_deactivated_account_is_refused_though_the_directory_accepts_the_password(
    client: Client, directory: Slapd
) -> None:
    sign_in(client, "li.lei", password_of("li.lei"))
    client.logout()
    admin = UserFactory.create(username="it-admin", role=Role.ADMIN)
    deactivate_user(user=User.objects.get(username="li.lei"), acting=admin)
    directory.set_group_members("huifang-pms", ["li.lei"])

    response = sign_in(client, "li.lei", password_of("li.lei"))

    assert response.status_code == 200
    assert WRONG_PASSWORD_EN in response.content.decode()
    assert signed_in_as(client) is None
    user = User.objects.get(username="li.lei")
    assert (user.is_active, user.role) == (False, Role.QUALITY)


def test_people_found_through_a_dn_template_without_a_service_account(
    client: Client, directory: Slapd, use_directory: Callable[..., None]
) -> None:
    use_directory(
        directory.uri,
        BIND_DN="",
        BIND_PASSWORD="",
        USER_SEARCH_BASE="",
        USER_DN_TEMPLATE=f"uid=%(user)s,{PEOPLE}",
    )

    assert sign_in(client, "wang.fang", password_of("wang.fang")).status_code == 302
    user = User.objects.get(username="wang.fang")
    assert (user.role, user.email) == (Role.ADMIN, "wang.fang@example.com")
    client.logout()
    assert sign_in(client, "wang.fang", "not-the-password").status_code == 200
    assert signed_in_as(client) is None


# --- local accounts and lockout ----------------------------------------------------------


def test_local_account_still_signs_in_with_its_local_password(
    client: Client, directory: Slapd
) -> None:
    local = UserFactory.create(username="local.admin", role=Role.ADMIN)

    assert sign_in(client, "local.admin", LOCAL_PASSWORD).status_code == 302
    assert signed_in_as(client) == local


def test_wrong_directory_passwords_count_for_the_lockout(client: Client, directory: Slapd) -> None:
    statuses = [sign_in(client, "li.lei", "not-the-password").status_code for _ in range(5)]

    assert statuses == [200, 200, 200, 200, 429]
    response = sign_in(client, "li.lei", password_of("li.lei"))
    assert response.status_code == 429
    assert "Too many failed log-ins" in response.content.decode()
    assert signed_in_as(client) is None


# --- the directory cannot be reached -----------------------------------------------------


def test_directory_down_local_accounts_sign_in_and_directory_people_are_told_why(
    client: Client, use_directory: Callable[..., None], db: None
) -> None:
    own = start_slapd()
    try:
        use_directory(own.uri)
        assert sign_in(client, "li.lei", password_of("li.lei")).status_code == 302
        client.logout()
        local = UserFactory.create(username="local.pm", role=Role.PROJECT_MANAGER)
    finally:
        own.stop()

    assert sign_in(client, "local.pm", LOCAL_PASSWORD).status_code == 302
    assert signed_in_as(client) == local
    client.logout()

    response = sign_in(client, "li.lei", password_of("li.lei"))
    assert response.status_code == 200
    page = response.content.decode()
    assert DIRECTORY_DOWN_EN in page
    assert WRONG_PASSWORD_EN not in page
    assert signed_in_as(client) is None
    chinese = sign_in(client, "li.lei", password_of("li.lei"), language="zh-hans")
    assert DIRECTORY_DOWN_ZH in chinese.content.decode()


def test_directory_that_never_answers_fails_the_sign_in_after_the_timeout(
    client: Client, use_directory: Callable[..., None], db: None
) -> None:
    # A server that accepts the connection and then says nothing (a hung directory,
    # a firewall that swallows the answers).
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        use_directory(f"ldap://127.0.0.1:{silent.getsockname()[1]}", TIMEOUT="1")
        started = time.monotonic()

        response = sign_in(client, "li.lei", password_of("li.lei"))

        elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert DIRECTORY_DOWN_EN in response.content.decode()
    # Looking the person up is one wait; it does not hold the web worker longer.
    assert 1 <= elapsed < 4


def test_wrong_local_password_while_the_directory_is_up_says_wrong_password(
    client: Client, directory: Slapd
) -> None:
    UserFactory.create(username="local.member")

    page = sign_in(client, "local.member", "not-the-password").content.decode()

    assert WRONG_PASSWORD_EN in page
    assert DIRECTORY_DOWN_EN not in page


# --- configuration -----------------------------------------------------------------------


def test_directory_sign_in_is_off_without_a_server_uri(settings: Any) -> None:
    assert ldap_settings({}) == {}
    assert ldap_settings({"HUIFANG_LDAP_USER_SEARCH_BASE": PEOPLE}) == {}
    assert DIRECTORY_BACKEND not in settings.AUTHENTICATION_BACKENDS
    assert settings.AUTHENTICATION_BACKENDS[0] == "huifang.core.security.LoginAttemptBackend"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"ROLE_GROUPS": f"boss={group_dn('huifang-admins')}"}, "unknown role 'boss'"),
        ({"ROLE_GROUPS": "admin"}, "is not role=group DN"),
        ({"ROLE_GROUPS": "admin=not a dn"}, "Not a distinguished name"),
        ({"USER_SEARCH_BASE": ""}, "needs HUIFANG_LDAP_USER_SEARCH_BASE"),
        ({"GROUP_SEARCH_BASE": ""}, "needs HUIFANG_LDAP_GROUP_SEARCH_BASE"),
        ({"GROUP_TYPE": "posix"}, "HUIFANG_LDAP_GROUP_TYPE: 'posix'"),
        ({"ROLE_GROUPS": ""}, "otherwise nobody could sign in"),
        ({"DEFAULT_ROLE": "guest"}, "HUIFANG_LDAP_DEFAULT_ROLE: unknown role 'guest'"),
        ({"USER_ATTRS": "password=userPassword"}, "HUIFANG_LDAP_USER_ATTRS"),
        ({"TIMEOUT": "5s"}, "HUIFANG_LDAP_TIMEOUT: a number of seconds"),
    ],
)
def test_a_wrong_variable_stops_the_app_with_its_name(
    overrides: dict[str, str], message: str
) -> None:
    with pytest.raises(ImproperlyConfigured, match=message):
        ldap_settings(directory_env("ldap://127.0.0.1:1", **overrides))


def test_active_directory_variables_give_its_group_type_and_filter() -> None:
    found = ldap_settings(
        directory_env(
            "ldaps://dc1.corp.example.com",
            USER_SEARCH_FILTER="(sAMAccountName=%(user)s)",
            GROUP_TYPE="nestedActiveDirectory",
        )
    )

    assert type(found["AUTH_LDAP_GROUP_TYPE"]).__name__ == "NestedActiveDirectoryGroupType"
    assert found["AUTH_LDAP_GROUP_SEARCH"].filterstr == "(objectClass=group)"
    assert found["AUTH_LDAP_USER_SEARCH"].filterstr == "(sAMAccountName=%(user)s)"


def test_every_role_is_ranked_and_group_names_compare_in_any_spelling() -> None:
    assert set(ROLE_RANK) == set(Role.values)
    groups = [("pm", f"cn=huifang-pms,ou=groups,{BASE_DN}"), ("executive", f"cn=x,{BASE_DN}")]
    mapped = ldap_settings(
        directory_env(
            "ldap://127.0.0.1:1", ROLE_GROUPS=";".join(f"{role}={dn}" for role, dn in groups)
        )
    )["HUIFANG_LDAP_ROLE_GROUPS"]

    assert role_for_groups({"CN=Huifang-PMs, OU=Groups, DC=Example, DC=Com"}, mapped) == "pm"
    assert role_for_groups({f"CN=X, {BASE_DN}", f"cn=huifang-pms,ou=groups,{BASE_DN}"}, mapped) == (
        "executive"
    )
    assert role_for_groups({f"cn=sales,ou=groups,{BASE_DN}"}, mapped) is None
    assert role_for_groups({"not a dn", f"cn=x,{BASE_DN}"}, mapped) == "executive"


def test_refused_service_account_tells_directory_people_the_directory_failed(
    client: Client, directory: Slapd, use_directory: Callable[..., None]
) -> None:
    use_directory(directory.uri, BIND_PASSWORD="not-the-reader-password")
    UserFactory.create(username="local.member")

    page = sign_in(client, "li.lei", password_of("li.lei")).content.decode()

    assert DIRECTORY_DOWN_EN in page
    assert signed_in_as(client) is None
    assert sign_in(client, "local.member", LOCAL_PASSWORD).status_code == 302


def test_deactivating_a_directory_person_ends_their_session(
    client: Client, directory: Slapd
) -> None:
    sign_in(client, "li.lei", password_of("li.lei"))
    admin = UserFactory.create(username="it-admin", role=Role.ADMIN)
    deactivate_user(user=User.objects.get(username="li.lei"), acting=admin)

    response = client.get("/projects/", HTTP_ACCEPT_LANGUAGE="en")

    assert (response.status_code, response["Location"]) == (302, "/login/?next=/projects/")


def test_profile_of_a_directory_person_sends_password_changes_to_the_company(
    client: Client, directory: Slapd
) -> None:
    sign_in(client, "li.lei", password_of("li.lei"))

    page = client.get("/users/profile/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "change its password where your IT department tells you" in page
    assert "/users/profile/password/" not in page
    client.logout()
    UserFactory.create(username="local.member")
    sign_in(client, "local.member", LOCAL_PASSWORD)
    page = client.get("/users/profile/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "/users/profile/password/" in page
    assert "your IT department" not in page
