"""Optimistic concurrency over HTTP, one rule for every resource the API changes in
place (visits, projects, customers, contacts; records and actions carry their
``revision`` in the body instead):

- a read answers with an ``ETag`` (the header, and ``etag`` in the body, since a list
  item has no header of its own);
- ``PATCH`` needs ``If-Match`` with it: without it **428**, with a stale or unknown one
  **409** and nothing changes; ``*`` is a deliberate overwrite of whatever is stored.
  Other writes (schedule, cancel) check ``If-Match`` when it is sent.

The comparison runs in the service, on the row it locked for the write (through
``core.concurrency.lock_at_version``), so a writer between the read and the write is
always seen; a stale version is an ``EditConflict``, which ``api/errors.py`` answers."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from huifang.api.common import WRITE_ERRORS, ErrorOut
from huifang.api.errors import PreconditionRequired

if TYPE_CHECKING:
    from huifang.visits.models import Visit

ETAG_ERRORS: dict[int, Any] = {**WRITE_ERRORS, 428: ErrorOut}


def etag(version: str) -> str:
    """The ``ETag`` header's value for a version (a strong, quoted tag)."""
    return f'"{version}"'


def visit_version(visit: Visit) -> str:
    """A visit has no revision counter: its version is derived from ``updated_at``
    (every service that changes a visit touches it)."""
    stamp = f"{visit.pk}:{visit.updated_at.isoformat()}"
    return hashlib.sha256(stamp.encode()).hexdigest()[:20]


def visit_etag(visit: Visit) -> str:
    return etag(visit_version(visit))


def expected_version(if_match: str | None, *, required: bool) -> str | None:
    """The version the client last read, from its ``If-Match`` header; ``None`` when
    nothing is to be checked (``*``, or no header where it is optional)."""
    value = (if_match or "").strip()
    if not value:
        if required:
            raise PreconditionRequired
        return None
    if value == "*":
        return None
    # Anything but one strong tag (a weak W/"…" tag, a list, a bare word) names no
    # version we issued and so can never match: the write is refused as stale.
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value
