"""Error pages (issue #14, item 14): 403, 404 and 500 in the base layout, in the
reader's language, with a way back; a favicon; a 403 logged as one line."""

from __future__ import annotations

import logging
import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation

from huifang.core.models import User
from huifang.core.views_errors import server_error
from huifang.projects.models import Project

pytestmark = pytest.mark.django_db


def _client(user: User | None, language: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    if user is not None:
        client.force_login(user)
    return client


def _text(content: bytes) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", content.decode()).split())


@pytest.mark.parametrize(
    ("language", "heading", "back"),
    [("en", "Page not found", "Back to my work"), ("zh-hans", "页面不存在", "返回我的工作")],
)
def test_missing_page_is_a_page_of_the_site_with_a_way_back(
    owner: User, language: str, heading: str, back: str
) -> None:
    response = _client(owner, language).get("/projects/999999/")
    assert response.status_code == 404
    html = response.content.decode()
    assert 'data-testid="current-user"' in html  # the navigation of the base layout
    assert heading in _text(response.content)
    assert f'href="/" data-testid="error-back">{back}</a>' in html


@pytest.mark.parametrize(
    ("language", "heading"), [("en", "You may not open this page"), ("zh-hans", "您无权打开此页面")]
)
def test_refused_page_is_a_page_of_the_site_with_a_way_back(
    project: Project, executive: User, language: str, heading: str
) -> None:
    response = _client(executive, language).get(reverse("projects:edit", args=[project.pk]))
    assert response.status_code == 403
    assert heading in _text(response.content)
    assert 'data-testid="error-back"' in response.content.decode()


def test_server_error_page_needs_no_database_and_speaks_the_language() -> None:
    with translation.override("zh-hans"):
        response = server_error(RequestFactory().get("/projects/"))
    assert response.status_code == 500
    text = _text(response.content)
    assert "出错了" in text
    assert 'lang="zh-hans"' in response.content.decode()


def test_api_errors_stay_json() -> None:
    response = Client().get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")


def test_favicon_is_served_from_static_and_linked_from_every_page(owner: User) -> None:
    assert finders.find("huifang/favicon.svg")
    moved = Client().get("/favicon.ico")
    assert (moved.status_code, moved["Location"]) == (302, "/static/huifang/favicon.svg")
    for client, url in ((_client(owner, "en"), "/"), (Client(), "/login/")):
        html = client.get(url).content.decode()
        assert '<link rel="icon" href="/static/huifang/favicon.svg"' in html


def test_a_refused_request_is_logged_as_one_warning_line(
    project: Project, executive: User, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="django.request")
    _client(executive, "en").get(reverse("projects:edit", args=[project.pk]))
    records = [r for r in caplog.records if r.name == "django.request"]
    assert [(r.levelname, r.getMessage(), r.exc_info) for r in records] == [
        ("WARNING", f"Forbidden (Permission denied): /projects/{project.pk}/edit/", None)
    ]
