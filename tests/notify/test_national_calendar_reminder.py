"""From 1 November, while next year has neither loaded national days nor library data
with adjusted workdays, admins and quality managers are reminded weekly to load the
State Council's notice."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from huifang.core.holiday_notice import HOLIDAY, NationalDay
from huifang.core.models import User
from huifang.notify.models import Kind, Notification
from huifang.notify.sweep import run_sweep
from huifang.policy.models import NationalYearSource, Policy
from huifang.policy.national_days import load_national_year

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_english(settings: Any) -> None:
    # Commands and notifications speak the organisation's language (zh-hans by default).
    settings.LANGUAGE_CODE = "en"


D = datetime.date.fromisoformat


def reminded() -> list[tuple[str, str]]:
    return sorted(
        Notification.objects.filter(kind=Kind.NATIONAL_CALENDAR_MISSING).values_list(
            "recipient__username", "title"
        )
    )


def test_admins_and_quality_managers_are_reminded_weekly_from_november(
    policy: Policy, owner: User, quality: User, admin_user: User, executive: User
) -> None:
    run_sweep(today=D("2026-10-31"))
    assert reminded() == []

    run_sweep(today=D("2026-11-02"))
    run_sweep(today=D("2026-11-06"))  # same ISO week: no second reminder
    assert reminded() == [
        ("admin", "Load the 2027 national holidays"),
        ("quality", "Load the 2027 national holidays"),
    ]

    run_sweep(today=D("2026-11-09"))
    assert len(reminded()) == 4


def test_no_reminder_once_the_year_is_loaded_or_the_library_has_it(
    policy: Policy, quality: User
) -> None:
    run_sweep(today=D("2025-11-03"))  # chinese-calendar has 2026 with its 调休
    assert reminded() == []
    load_national_year(
        year=2027,
        days=[NationalDay(D("2027-01-01"), HOLIDAY, "元旦")],
        source=NationalYearSource.NOTICE,
        source_text="一、元旦：1月1日放假。",
        user=quality,
        today=D("2026-11-20"),
    )
    run_sweep(today=D("2026-11-23"))
    assert reminded() == []


def test_no_reminder_when_no_policy_plans_on_chinas_calendar(policy: Policy, quality: User) -> None:
    policy.versions.update(calendar="weekends")
    run_sweep(today=D("2026-11-02"))
    assert reminded() == []
