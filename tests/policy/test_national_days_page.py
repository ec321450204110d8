"""The national holidays page: paste the notice, preview it, save it; or an .ics file."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from huifang.core.models import User
from huifang.policy.models import NationalYear, Policy

pytestmark = pytest.mark.django_db

NOTICES = Path(__file__).parent.parent / "core" / "notices"
URL = "/policy/national-days/"


@pytest.fixture(autouse=True)
def _december_2026(time_machine: Any) -> None:
    time_machine.move_to(datetime.datetime(2026, 12, 2, 10, tzinfo=datetime.UTC), tick=False)


def client_for(user: User, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def test_the_url_is_the_named_one() -> None:
    assert reverse("policy:national_days") == URL


def test_the_page_says_which_source_each_year_uses(policy: Policy, colleague: User) -> None:
    page = client_for(colleague).get(URL).content.decode()
    assert "2026</td>" in page
    assert "the chinese-calendar package" in page
    assert "the holidays package (holidays only, no adjusted workdays)" in page
    assert "No adjusted workdays for 2027" in page
    assert "No adjusted workdays for 2026" not in page
    assert 'data-testid="notice-form"' not in page  # looking is not loading


def test_loading_is_forbidden_without_the_policy_right(policy: Policy, colleague: User) -> None:
    response = client_for(colleague).post(URL, {"year": "2024", "text": "x", "operation": "save"})
    assert response.status_code == 403
    assert not NationalYear.objects.exists()


def test_preview_shows_each_line_with_its_days_then_save_stores_the_year(
    policy: Policy, quality: User
) -> None:
    text = (NOTICES / "2026.txt").read_text()
    client = client_for(quality)
    preview = client.post(URL, {"year": "2026", "text": text, "operation": "preview"})
    page = preview.content.decode()
    assert preview.status_code == 200
    assert page.count('data-testid="line-day"') == 33 + 6
    assert "2026-02-28 adjusted workday" in page
    assert 'value="save"' in page
    assert not NationalYear.objects.exists()  # a preview saves nothing

    saved = client.post(URL, {"year": "2026", "text": text, "operation": "save"}, follow=True)

    row = NationalYear.objects.get(year=2026)
    assert row.loaded_by == quality
    assert row.source_text == text
    assert "2026 loaded." in saved.content.decode()
    assert "the State Council&#39;s notice, loaded in Huifang" in saved.content.decode()


def test_a_line_it_cannot_read_is_shown_and_blocks_saving(policy: Policy, quality: User) -> None:
    text = (NOTICES / "2024.txt").read_text().replace("至17日", "至十七日")
    client = client_for(quality)
    preview = client.post(URL, {"year": "2024", "text": text, "operation": "preview"})
    page = preview.content.decode()
    assert preview.status_code == 400
    assert "Line 6: not understood" in page
    assert 'value="save"' not in page

    forced = client.post(URL, {"year": "2024", "text": text, "operation": "save"})

    assert forced.status_code == 400
    assert not NationalYear.objects.exists()


def test_pasted_markup_is_shown_as_text(policy: Policy, quality: User) -> None:
    text = "<script>alert('x')</script>\n一、元旦：1月1日放假<img src=x onerror=alert(1)>"
    page = client_for(quality).post(URL, {"year": "2024", "text": text, "operation": "preview"})
    body = page.content.decode()
    assert "<script>alert" not in body
    assert "<img src=x" not in body
    assert "&lt;script&gt;" in body


def test_the_page_is_in_chinese_for_chinese_readers(policy: Policy, quality: User) -> None:
    text = (NOTICES / "2024.txt").read_text().replace("共5天", "共6天")
    page = client_for(quality, "zh-hans").post(
        URL, {"year": "2024", "text": text, "operation": "preview"}
    )
    body = page.content.decode()
    assert "全国节假日" in body
    assert "第 8 行" in body


ICS = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//CN\r\n"
    "BEGIN:VEVENT\r\nUID:a\r\nDTSTART;VALUE=DATE:20270101\r\nDTEND;VALUE=DATE:20270104\r\n"
    "SUMMARY:元旦\r\nEND:VEVENT\r\n"
    "BEGIN:VEVENT\r\nUID:b\r\nDTSTART;VALUE=DATE:20270220\r\nDTEND;VALUE=DATE:20270221\r\n"
    "SUMMARY:春节 补班\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
).encode()


def test_an_ics_file_is_loaded(policy: Policy, quality: User) -> None:
    upload = SimpleUploadedFile("holidays.ics", ICS, content_type="text/calendar")
    response = client_for(quality).post(URL, {"operation": "ics", "file": upload}, follow=True)
    assert "2027 loaded." in response.content.decode()
    days = NationalYear.objects.get(year=2027).days
    assert [day["date"] for day in days if day["kind"] == "workday"] == ["2027-02-20"]


def test_a_file_that_is_not_a_calendar_is_refused(policy: Policy, quality: User) -> None:
    upload = SimpleUploadedFile("holidays.ics", b"not a calendar", content_type="text/calendar")
    response = client_for(quality).post(URL, {"operation": "ics", "file": upload})
    assert response.status_code == 400
    assert "The file is not a calendar (.ics) file." in response.content.decode()
    assert not NationalYear.objects.exists()
