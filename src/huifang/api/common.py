"""What every router shares: the caller, pagination, error responses, lookups."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest
from ninja import Field, Path, Schema
from ninja.pagination import LimitOffsetPagination

from huifang.core.listing import count_rows

if TYPE_CHECKING:
    from huifang.core.models import User

M = TypeVar("M", bound=Model)

MAX_LIMIT = 100


class ErrorOut(Schema):
    detail: str | list[dict[str, Any]]


# Documented on every operation, so a client (and schemathesis) knows each status.
READ_ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
WRITE_ERRORS: dict[int, Any] = {**READ_ERRORS, 400: ErrorOut, 409: ErrorOut}


class Paginator(LimitOffsetPagination):
    """``{"items": [...], "count": N}`` with ``?limit=`` (1–100) and ``?offset=``."""

    # The items are always read now; the count is kept under the data version unless
    # ``fresh``.
    fresh = False

    class Input(Schema):
        limit: int = Field(25, ge=1, le=MAX_LIMIT)
        offset: int = Field(0, ge=0, le=10_000_000)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_limit=MAX_LIMIT, **kwargs)

    def _items_count(self, queryset: QuerySet[Any]) -> int:
        # Exact, without counting a big table's every row on each request.
        if isinstance(queryset, QuerySet):
            return count_rows(queryset, fresh=self.fresh)
        return len(queryset)


class FreshPaginator(Paginator):
    """:class:`Paginator` counting now, for lists that filter on bookkeeping (a read
    marker), which does not move the data version (core.dataversion)."""

    fresh = True


def caller(request: HttpRequest) -> User:
    """The authenticated user (bearer token or session)."""
    user = getattr(request, "auth", None) or request.user
    return user  # type: ignore[return-value]


def get_visible(queryset: QuerySet[M], pk: int) -> M:
    """The object if the caller may see it, else 404 (an outsider learns nothing)."""
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


# Ids are bounded so an absurd number answers 422, never a database overflow.
ID_MAX = 2**31 - 1
Id = Annotated[int, Field(ge=1, le=ID_MAX)]
PathId = Annotated[int, Path(ge=1, le=ID_MAX)]

# PostgreSQL refuses NUL characters in text: refuse them at the door (422).
NO_NUL = r"^[^\x00]*$"
