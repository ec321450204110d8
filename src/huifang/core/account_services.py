"""Every write to user accounts: created and changed by admins, profiles by their owner."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from huifang.core.concurrency import lock_at_version, row_version
from huifang.core.errors import DomainError
from huifang.core.models import Role, User

# What the users page and the profile page edit, so what their versions cover: an
# administrator's change of role does not stale a profile page, and the user's own
# e-mail change does stale the administrator's page.
USER_FIELDS = ("display_name", "email", "role", "department", "is_active")
PROFILE_FIELDS = ("display_name", "email", "language")


def user_version(user: User) -> str:
    """The version of the users page's form (see :mod:`huifang.core.concurrency`)."""
    return row_version(user, fields=USER_FIELDS)


def profile_version(user: User) -> str:
    """The version of the profile page's form."""
    return row_version(user, fields=PROFILE_FIELDS)


def apply_role(user: User, role: str) -> None:
    """The Django admin site is the administrators' back office: the admin role opens
    it (with every permission), no other role does."""
    user.role = role
    user.is_staff = user.is_superuser = role == Role.ADMIN


@transaction.atomic
def create_user(
    *,
    username: str,
    display_name: str,
    email: str,
    role: str,
    department: str,
    password: str,
) -> User:
    if User.objects.filter(username__iexact=username).exists():
        raise DomainError(_("This username is already taken."))
    user = User(
        username=username,
        display_name=display_name,
        email=email,
        department=department,
    )
    apply_role(user, role)
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise DomainError(" ".join(error.messages)) from error
    user.set_password(password)
    user.save()
    return user


@transaction.atomic
def create_sso_user(*, username: str, email: str, display_name: str, role: str) -> User:
    """A user made on their first single sign-on (HUIFANG_SSO_CREATE_USERS). They have
    no usable password: they sign in through their identity provider. The role comes
    from the configuration and may not be the administrator's: administrators are
    made by an administrator."""
    if role not in Role.values or role == Role.ADMIN:
        allowed = ", ".join(value for value in Role.values if value != Role.ADMIN)
        raise ImproperlyConfigured(f"HUIFANG_SSO_DEFAULT_ROLE must be one of {allowed}: {role!r}")
    base = (username or email.partition("@")[0] or "user")[:140]
    candidate, number = base, 1
    while User.objects.filter(username__iexact=candidate).exists():
        number += 1
        candidate = f"{base}-{number}"
    user = User(username=candidate, email=email, display_name=display_name[:80])
    apply_role(user, role)
    user.set_unusable_password()
    user.save()
    return user


def _keeps_an_admin(user: User, *, acting: User, role: str, is_active: bool) -> None:
    """An admin cannot lock themselves out: no self-demotion, no self-deactivation."""
    if user.pk != acting.pk:
        return
    if not is_active:
        raise DomainError(_("You cannot deactivate your own account."))
    if user.role == Role.ADMIN and role != Role.ADMIN:
        raise DomainError(_("You cannot take the administrator role from yourself."))


@transaction.atomic
def update_user(
    *,
    user: User,
    acting: User,
    display_name: str,
    email: str,
    role: str,
    department: str,
    is_active: bool,
    expected_version: str | None = None,
) -> User:
    locked = lock_at_version(User.objects, user.pk, expected=expected_version, version=user_version)
    _keeps_an_admin(locked, acting=acting, role=role, is_active=is_active)
    locked.display_name = display_name
    locked.email = email
    apply_role(locked, role)
    locked.department = department
    locked.is_active = is_active
    locked.save(
        update_fields=[
            "display_name",
            "email",
            "role",
            "is_staff",
            "is_superuser",
            "department",
            "is_active",
        ]
    )
    return locked


@transaction.atomic
def deactivate_user(*, user: User, acting: User, expected_version: str | None = None) -> User:
    """Deactivated users cannot sign in; their records and history stay."""
    locked = lock_at_version(User.objects, user.pk, expected=expected_version, version=user_version)
    _keeps_an_admin(locked, acting=acting, role=locked.role, is_active=False)
    locked.is_active = False
    locked.save(update_fields=["is_active"])
    return locked


@transaction.atomic
def update_profile(
    *,
    user: User,
    display_name: str,
    email: str,
    language: str,
    expected_version: str | None = None,
) -> User:
    """What every user may change about themselves."""
    locked = lock_at_version(
        User.objects, user.pk, expected=expected_version, version=profile_version
    )
    locked.display_name = display_name
    locked.email = email
    locked.language = language
    locked.save(update_fields=["display_name", "email", "language"])
    return locked
