"""The caller's own notifications (in-app inbox). Another user's answers 404."""

import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from huifang.api.common import (
    NO_NUL,
    READ_ERRORS,
    WRITE_ERRORS,
    FreshPaginator,
    PathId,
    caller,
    get_visible,
)
from huifang.notify import services
from huifang.notify.models import Notification
from huifang.notify.queries import inbox

router = Router(tags=["notifications"])


class NotificationFilter(Schema):
    q: str = Field("", max_length=100, pattern=NO_NUL)
    unread: bool = False


class NotificationOut(Schema):
    id: int
    kind: str
    project_id: int | None
    title: str
    body: str
    url: str
    created_at: datetime.datetime
    read_at: datetime.datetime | None

    # Worded in the caller's language (the request's), as the inbox page does.
    @staticmethod
    def resolve_title(obj: Notification) -> str:
        return obj.shown_title

    @staticmethod
    def resolve_body(obj: Notification) -> str:
        return obj.shown_body


class ReadAllOut(Schema):
    marked: int


@router.get("/notifications", response={200: list[NotificationOut], **READ_ERRORS})
@paginate(FreshPaginator)  # "unread" filters on a read marker: counted fresh
def list_notifications(request: HttpRequest, filters: Query[NotificationFilter]) -> Any:
    found = inbox(caller(request), search=filters.q.strip(), unread=filters.unread)
    return found.order_by("-created_at", "-pk")


@router.post(
    "/notifications/{int:notification_id}/read",
    response={200: NotificationOut, **WRITE_ERRORS},
)
def mark_read(request: HttpRequest, notification_id: PathId) -> Any:
    notification = get_visible(inbox(caller(request)), notification_id)
    return services.mark_notification_read(notification=notification)


@router.post("/notifications/read-all", response={200: ReadAllOut, **WRITE_ERRORS})
def mark_all_read(request: HttpRequest) -> Any:
    return {"marked": services.mark_all_notifications_read(user=caller(request))}
