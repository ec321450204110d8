from __future__ import annotations

from typing import Any

import pytest

from huifang.core.models import User
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_member_logs_in_and_sees_the_home_page(page: Any, project: Any, colleague: User) -> None:
    log_in(page, colleague.username)
    assert page.locator("h1").inner_text() == "My visits"
    assert page.get_by_test_id("current-user").is_visible()


def test_login_page_in_chinese_for_a_chinese_browser(make_page: Any, db: None) -> None:
    page = make_page(locale="zh-CN")
    page.goto("/login/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
