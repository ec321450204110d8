from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest

from huifang.core.models import User
from huifang.projects.models import Project
from huifang.visits.models import Visit


def local(day: str, tz: str = "Asia/Shanghai", hour: int = 9) -> datetime.datetime:
    """An instant at ``hour`` o'clock on ``day`` in the zone ``tz``."""
    return datetime.datetime.combine(
        datetime.date.fromisoformat(day), datetime.time(hour), tzinfo=ZoneInfo(tz)
    )


@pytest.fixture
def kickoff(project: Project, colleague: User) -> Visit:
    """The kickoff visit (window 2026-03-02, due 2026-03-09) owned by ``colleague``,
    so that escalation to the project manager (``owner``) is a different person."""
    visit = Visit.objects.get(project=project, phase="kickoff")
    visit.owner = colleague
    visit.save(update_fields=["owner"])
    # Only the kickoff visit is of interest; the others are far in the future.
    return visit
