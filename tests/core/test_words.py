"""The words of everyday pages (issue #14, items 4 and 9): a label says what it means
in Simplified Chinese, where one English word has several Chinese ones."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from huifang.core.models import User
from huifang.insights.services import create_suggestion
from huifang.policy.models import Policy
from huifang.projects.models import Project

pytestmark = pytest.mark.django_db


def _page(user: User, url: str, language: str = "zh-hans") -> str:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def test_schedule_button_says_schedule_not_progress(project: Project, owner: User) -> None:
    visit = project.visits.get(phase="kickoff", sequence=1)
    chinese = _page(owner, reverse("visits:detail", args=[visit.pk]))
    assert " 安排 " in chinese
    assert "进度 编辑" not in chinese
    english = _page(owner, reverse("visits:detail", args=[visit.pk]), "en")
    assert " Schedule " in english


def test_names_of_things_are_mingcheng_and_of_people_xingming(
    project: Project, admin_user: User
) -> None:
    assert "名称" in _page(admin_user, reverse("projects:list"))
    assert "姓名" not in _page(admin_user, reverse("projects:list"))
    assert "名称" in _page(admin_user, reverse("api:tokens"))
    assert "姓名" in _page(admin_user, reverse("accounts:users"))


def test_active_accounts_are_switched_on_not_in_progress(admin_user: User) -> None:
    users = _page(admin_user, reverse("accounts:users"))
    assert "已启用" in users
    assert "进行中" not in users


def test_open_suggestion_waits_for_an_answer(policy: Policy, owner: User) -> None:
    create_suggestion(policy=policy, author=owner, text="Allow video visits")
    page = _page(owner, reverse("insights:suggestions"))
    assert "待答复" in page
    assert "未开始" not in page


def _brand(user: User, language: str) -> str:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    html = client.get(reverse("home")).content.decode()
    (brand,) = re.findall(r'<a class="navbar-brand[^"]*"[^>]*>(.*?)</a>', html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", brand).split())


def test_brand_is_named_once_in_the_pages_language(owner: User) -> None:
    assert (_brand(owner, "zh-hans"), _brand(owner, "en")) == ("回访", "Huifang")
