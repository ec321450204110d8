"""The personal iCal feed's secret token (writes; the calendar it serves is
:mod:`huifang.workspace.ical`).

The token is a random URL-safe string shown once; only its SHA-256 is stored, so a
database leak gives nobody a working feed URL."""

from __future__ import annotations

import hashlib
import secrets
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from huifang.core.models import CalendarFeed

if TYPE_CHECKING:
    from huifang.core.models import User


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def create_calendar_feed(*, user: User) -> tuple[CalendarFeed, str]:
    """A new secret URL for ``user`` (replacing any earlier one, which stops working).
    Returns the feed and the token, which is never shown again."""
    token = secrets.token_urlsafe(32)
    feed, _created = CalendarFeed.objects.update_or_create(
        user=user,
        defaults={
            "token_hash": hash_token(token),
            "created_at": timezone.now(),
            "revoked_at": None,
        },
    )
    return feed, token


@transaction.atomic
def revoke_calendar_feed(*, user: User) -> CalendarFeed | None:
    """Stop the user's feed URL from working; None when there was none."""
    feed = CalendarFeed.objects.select_for_update().filter(user=user).first()
    if feed is None:
        return None
    if feed.revoked_at is None:
        feed.revoked_at = timezone.now()
        feed.save(update_fields=["revoked_at"])
    return feed


def feed_user(token: str) -> User | None:
    """The active user whose live feed the token opens, or None."""
    feed = (
        CalendarFeed.objects.select_related("user")
        .filter(token_hash=hash_token(token), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    return feed.user if feed is not None else None
