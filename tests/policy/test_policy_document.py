"""The policy document (制度文本): generated from a version's settings, in both languages."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import translation

from huifang.core.models import User
from huifang.policy.document import build_document, rule_timing
from huifang.policy.models import CompanyDay, Policy
from huifang.policy.services import create_policy_draft
from tests.documents import EN_HEADINGS, ZH_HEADINGS

pytestmark = pytest.mark.django_db


def _get(user: User, url: str, language: str) -> str:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_document_in_english_has_every_section(policy: Policy, colleague: User) -> None:
    html = _get(colleague, reverse("policy:current"), "en")
    assert '<html lang="en">' in html
    assert [heading for heading in EN_HEADINGS if heading in html] == EN_HEADINGS
    assert "within 7 days after the project starts" in html
    assert "within 7 days after the project ends" in html
    assert "Face to face, Phone, E-mail, Online meeting" in html
    assert "≥ 90.0%" in html


def test_document_in_chinese_has_every_section(policy: Policy, colleague: User) -> None:
    html = _get(colleague, reverse("policy:current"), "zh-hans")
    assert '<html lang="zh-hans">' in html
    assert [heading for heading in ZH_HEADINGS if heading in html] == ZH_HEADINGS
    assert "项目启动后 7 日内进行首次回访" in html
    assert "项目完成后 7 日内" in html
    assert "项目目标已与客户确认" in html
    assert "面对面、电话" in html


def test_document_follows_users_language_preference(policy: Policy, colleague: User) -> None:
    colleague.language = "en"
    colleague.save()
    html = _get(colleague, reverse("policy:current"), "zh-hans")
    assert '<html lang="en">' in html
    assert "1. Purpose and significance" in html


def test_document_links_print_stylesheet(policy: Policy, colleague: User) -> None:
    html = _get(colleague, reverse("policy:current"), "en")
    assert "/static/policy/print.css" in html
    assert "data-print" in html


def test_draft_document_is_marked_draft(policy: Policy, quality: User) -> None:
    draft = create_policy_draft(policy=policy, based_on=policy.versions.get(number=1))
    html = _get(quality, reverse("policy:version", args=[draft.pk]), "en")
    assert "DRAFT" in html
    assert "This is a draft: it is not in force until it is published." in html
    assert reverse("policy:edit_draft", args=[draft.pk]) in html


@time_machine.travel(datetime.datetime(2026, 6, 1, 10, 0), tick=False)
def test_document_says_which_years_lack_adjusted_workdays(policy: Policy, colleague: User) -> None:
    html = _get(colleague, reverse("policy:current"), "en")
    assert html.count('data-testid="no-adjusted-workdays"') == 1
    assert "For 2027, the official calendar with adjusted workdays is not yet available" in html


@time_machine.travel(datetime.datetime(2026, 6, 1, 10, 0), tick=False)
def test_document_weekend_calendar_has_no_adjusted_workday_note(policy: Policy) -> None:
    draft = create_policy_draft(policy=policy)
    draft.calendar = "weekends"
    draft.save()
    with translation.override("en"):
        document = build_document(draft, today=datetime.date(2026, 6, 1))
    assert document.years_without_adjusted_workdays == []
    assert document.calendar_label == "Weekends off"


def test_document_lists_company_days(policy: Policy, colleague: User) -> None:
    CompanyDay.objects.create(date=datetime.date(2099, 12, 31), kind="holiday", name="Party")
    html = _get(colleague, reverse("policy:current"), "en")
    assert "Party" in html
    assert "Company holiday" in html


@pytest.mark.parametrize(
    ("anchor", "offset", "window", "expected"),
    [
        ("start", 0, 7, "within 7 days after the project starts"),
        ("end", 0, 7, "within 7 days after the project ends"),
        ("end", 30, 7, "between day 30 and day 37 after the project ends"),
        ("start", -10, 5, "between 10 and 5 days before the project starts"),
        ("start", -3, 10, "from 3 days before to 7 days after the project starts"),
    ],
)
def test_rule_timing_in_words(anchor: str, offset: int, window: int, expected: str) -> None:
    with translation.override("en"):
        assert rule_timing(anchor=anchor, offset_days=offset, window_days=window) == expected


def test_rule_timing_in_chinese() -> None:
    with translation.override("zh-hans"):
        assert rule_timing(anchor="start", offset_days=0, window_days=7) == "项目启动后 7 日内"
        assert (
            rule_timing(anchor="end", offset_days=30, window_days=7)
            == "项目完成后第 30 日至第 37 日"
        )
