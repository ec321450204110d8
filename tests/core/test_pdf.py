"""PDF rendering (huifang.core.pdf): the app's static files only, never the network,
and a download name in the reader's script."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote

import pytest

from huifang.core import pdf
from tests.documents import body, pdf_fonts, pdf_text, require_cjk_font


class _Recorder(BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self) -> None:
        _Recorder.requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.end_headers()
        self.wfile.write(b"body { color: red }")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def web_server() -> Iterator[str]:
    """A real HTTP server on localhost that records every request it gets."""
    _Recorder.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_pdf_fetches_nothing_from_the_network(web_server: str) -> None:
    html = (
        f'<html><head><link rel="stylesheet" href="{web_server}/style.css"></head>'
        f'<body><p>Hello</p><img src="{web_server}/logo.png">'
        f'<p style="background: url({web_server}/bg.png)">World</p></body></html>'
    )
    content = pdf.html_to_pdf(html)
    assert _Recorder.requests == []
    assert pdf_text(content).split() == ["Hello", "World"]


def test_static_file_serves_the_apps_print_stylesheet_only() -> None:
    base = pdf.BASE_URL.rstrip("/")
    stylesheet = pdf.static_file(f"{base}/static/huifang/print-document.css")
    assert stylesheet is not None
    assert "@page" in stylesheet.read_text(encoding="utf-8")
    refused = [
        "https://example.com/static/huifang/print-document.css",
        f"{base}/static/../settings.py",
        f"{base}/static/huifang/missing.css",
        f"{base}/admin/",
        "file:///etc/passwd",
    ]
    assert [url for url in refused if pdf.static_file(url) is not None] == []


def test_pdf_draws_chinese_with_a_cjk_font() -> None:
    require_cjk_font()
    content = pdf.html_to_pdf(
        '<html lang="zh-hans"><head>'
        '<link rel="stylesheet" href="/static/huifang/print-document.css"></head>'
        "<body><h1>项目回访管理制度</h1></body></html>"
    )
    assert "项目回访管理制度" in pdf_text(content)
    assert [name for name in pdf_fonts(content) if "WenQuanYi" in name or "CJK" in name] != []


def test_download_names_the_file_in_chinese_with_rfc_5987() -> None:
    response = pdf.download(b"%PDF-1.7", filename="项目回访管理制度-v3.pdf", content_type=pdf.PDF)
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f"attachment; filename*=utf-8''{quote('项目回访管理制度-v3.pdf')}"
    )
    assert body(response) == b"%PDF-1.7"
