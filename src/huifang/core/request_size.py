"""Refuse an oversized request body before anything reads it.

Django reads a multipart body in full (to a temporary file above
FILE_UPLOAD_MAX_MEMORY_SIZE) before a form can say that an attachment is over its
10 MB: a 100 MB upload cost its whole transfer, disk and a worker thread for as long
as the client took to send it. This WSGI middleware, wrapped around the application
in ``huifang/wsgi.py`` (what gunicorn serves), looks at ``Content-Length`` first and
answers **413** without reading a byte of the body when it is over
``HUIFANG_MAX_REQUEST_MB``.

A chunked body (``Transfer-Encoding: chunked``, no length) cannot be judged from its
headers, and Django would see it as empty (it reads ``CONTENT_LENGTH`` bytes). It is
read here, at most the limit plus one byte, into a spooled temporary file: over the
limit it is refused the same way, otherwise Django gets it with its length set.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

from django.conf import settings
from django.core.handlers.wsgi import WSGIRequest
from django.utils import translation
from django.utils.translation import gettext as _

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

_CHUNK = 64 * 1024


def max_request_bytes() -> int:
    return int(settings.HUIFANG_MAX_REQUEST_MB) * 1024 * 1024


class RequestSizeLimit:
    """WSGI middleware: bodies over ``max_bytes`` (default: the setting) get 413."""

    def __init__(self, app: WSGIApp, *, max_bytes: int | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        limit = self.max_bytes if self.max_bytes is not None else max_request_bytes()
        length = _content_length(environ)
        if length is not None:
            if length > limit:
                return _too_large(environ, start_response, limit)
        elif "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
            body = _read_bounded(environ["wsgi.input"], limit)
            if body is None:
                return _too_large(environ, start_response, limit)
            environ["wsgi.input"] = body
            environ["CONTENT_LENGTH"] = str(body.seek(0, 2))
            body.seek(0)
            return _Closing(self.app(environ, start_response), body)
        return self.app(environ, start_response)


class _Closing:
    """The application's response, closing the spooled body when the server closes
    the response (PEP 3333), i.e. once the request is over."""

    def __init__(self, response: Iterable[bytes], body: IO[bytes]) -> None:
        self.response = response
        self.body = body

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.response)

    def close(self) -> None:
        try:
            close = getattr(self.response, "close", None)
            if close is not None:
                close()
        finally:
            self.body.close()


def _content_length(environ: dict[str, Any]) -> int | None:
    """The declared length; a malformed one counts as none (Django reads nothing)."""
    try:
        return int(environ.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None


def _read_bounded(stream: IO[bytes], limit: int) -> IO[bytes] | None:
    """The body copied to a spooled file, or None once it passes ``limit`` bytes."""
    # Closed by _Closing when the request is over (or below, when refused).
    spool = tempfile.SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE)  # noqa: SIM115
    size = 0
    while chunk := stream.read(min(_CHUNK, limit + 1 - size)):
        size += len(chunk)
        if size > limit:
            spool.close()
            return None
        spool.write(chunk)
    return spool


def _too_large(environ: dict[str, Any], start_response: Callable[..., Any], limit: int) -> Any:
    # A WSGIRequest reads nothing of the body until asked: it only tells us the
    # language (cookie, Accept-Language) and whether this is an API call.
    request = WSGIRequest(environ)
    megabytes = limit // (1024 * 1024)
    with translation.override(translation.get_language_from_request(request)):
        message = _("The request is too large: at most %(size)s MB can be sent.") % {
            "size": megabytes
        }
    if request.path.startswith("/api/"):
        body = json.dumps({"detail": message}, ensure_ascii=False).encode()
        content_type = "application/json"
    else:
        body = message.encode()
        content_type = "text/plain; charset=utf-8"
    start_response(
        "413 Content Too Large",
        [("Content-Type", content_type), ("Content-Length", str(len(body)))],
    )
    return [body]
