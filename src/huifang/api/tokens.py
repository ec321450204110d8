"""Every write to API tokens, and the lookup bearer authentication uses."""

from __future__ import annotations

import datetime
import hashlib
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from huifang.api.models import ApiToken
from huifang.core.errors import DomainError

if TYPE_CHECKING:
    from huifang.core.models import User

TOKEN_PREFIX = "hf_"  # noqa: S105 - a marker, not a secret
# last_used_at is written at most this often per token, not on every request.
LAST_USED_THROTTLE = datetime.timedelta(minutes=5)
MAX_EXPIRY_DAYS = 3650


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    raw: str  # shown once


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def create_api_token(*, user: User, name: str, expires_days: int | None = None) -> IssuedToken:
    """A new token for ``user``; the raw value is returned once and never stored."""
    name = name.strip()
    if not name:
        raise DomainError(_("Give the token a name."))
    if expires_days is not None and not 1 <= expires_days <= MAX_EXPIRY_DAYS:
        raise DomainError(_("A token expires after 1 to %(max)d days.") % {"max": MAX_EXPIRY_DAYS})
    if not user.is_active:
        raise DomainError(_("An inactive user cannot get a token."))
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires_at = timezone.now() + datetime.timedelta(days=expires_days) if expires_days else None
    token = ApiToken.objects.create(
        user=user,
        name=name[:80],
        token_hash=hash_token(raw),
        prefix=raw[:10],
        expires_at=expires_at,
    )
    return IssuedToken(token=token, raw=raw)


@transaction.atomic
def revoke_api_token(*, token: ApiToken) -> ApiToken:
    """Revoke a token; revoking twice keeps the first revocation time."""
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    token.refresh_from_db()
    return token


def user_for_token(raw: str) -> User | None:
    """The active user a bearer token stands for, or None. Marks the token used
    (throttled, one conditional UPDATE)."""
    if not raw:
        return None
    token = (
        ApiToken.objects.active().select_related("user").filter(token_hash=hash_token(raw)).first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_THROTTLE:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
