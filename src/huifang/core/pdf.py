"""PDF documents from print templates, with WeasyPrint, and the download response.

Two rules hold for every document:

- Nothing is fetched from the network. WeasyPrint would fetch any URL a template
  names; ``StaticOnlyFetcher`` serves the app's own static files (the print
  stylesheet) and refuses every other URL, so a document renders the same on a
  machine without Internet access and never calls out while a user waits.
- Chinese is drawn with a CJK font installed from the operating system's packages
  (``fonts-wqy-microhei`` or ``fonts-noto-cjk``; fontconfig finds them). The print
  stylesheet names them first; nothing is downloaded at run time.
"""

from __future__ import annotations

import io
import mimetypes
from pathlib import Path
from typing import Any, cast

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import FileResponse, HttpRequest
from django.template.loader import render_to_string
from django.utils._os import safe_join

# Relative URLs in a print template ("/static/...") resolve against this base. The
# ``.invalid`` domain never resolves (RFC 2606), and the fetcher answers it alone.
BASE_URL = "https://huifang.invalid/"

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def static_file(url: str) -> Path | None:
    """The file of the app's static ``url`` (under BASE_URL + STATIC_URL), else None."""
    prefix = BASE_URL.rstrip("/") + settings.STATIC_URL
    if not url.startswith(prefix):
        return None
    relative = url[len(prefix) :].split("?")[0].split("#")[0]
    if not relative or ".." in Path(relative).parts:
        return None
    found = finders.find(relative)
    if isinstance(found, str):
        return Path(found)
    try:
        path = Path(safe_join(str(settings.STATIC_ROOT), relative))
    except ValueError:
        return None
    return path if path.is_file() else None


def _fetcher() -> Any:
    # Imported here: WeasyPrint loads Pango when imported, which only documents need.
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnlyFetcher(URLFetcher):
        """Serves the app's static files; any other URL is an error (never fetched)."""

        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
            path = static_file(url)
            if path is None:
                raise ValueError(f"not fetched: {url}")
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(
                url, path.read_bytes(), {"Content-Type": content_type}, status=200
            )

    return StaticOnlyFetcher()


def html_to_pdf(html: str) -> bytes:
    from weasyprint import HTML

    # write_pdf() without a target returns the document's bytes.
    return cast(bytes, HTML(string=html, base_url=BASE_URL, url_fetcher=_fetcher()).write_pdf())


def render_pdf(template_name: str, context: dict[str, Any], request: HttpRequest) -> bytes:
    """The PDF of a print template, rendered in the request's language."""
    return html_to_pdf(render_to_string(template_name, context, request=request))


def download(content: bytes, *, filename: str, content_type: str) -> FileResponse:
    """An attachment named ``filename``: Django writes an RFC 5987 ``filename*`` for
    names that are not plain ASCII (项目回访管理制度-v3.pdf) and an ASCII fallback."""
    return FileResponse(
        io.BytesIO(content), as_attachment=True, filename=filename, content_type=content_type
    )
