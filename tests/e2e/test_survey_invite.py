"""The staff page that invites contacts to a visit's survey, in a real browser: every
contact's box can be ticked, and the list stays above the button and the help text
(the checkboxes once floated out of their list over both)."""

from __future__ import annotations

from typing import Any

import pytest

from huifang.core.models import User
from huifang.projects.models import Project
from huifang.surveys.models import SurveyInvitation
from tests.e2e.conftest import log_in
from tests.surveys.conftest import make_contact

pytestmark = pytest.mark.django_db(transaction=True)

NAMES = ["Li Lei", "Anna Smith", "Wang Fang", "Zhao Min"]


def _box(locator: Any) -> dict[str, float]:
    box = locator.bounding_box()
    assert box is not None
    return box


@pytest.mark.parametrize(
    "viewport", [{"width": 390, "height": 844}, {"width": 1280, "height": 900}]
)
def test_every_contact_can_be_ticked_and_nothing_overlaps(
    make_page: Any, project: Project, owner: User, viewport: dict[str, int]
) -> None:
    for i, name in enumerate(NAMES):
        make_contact(
            customer=project.customer,
            name=name,
            email=f"c{i}@example.com",
            is_primary=i == 0,
        )
    visit = project.visits.get(phase="closing")
    page = make_page(viewport=viewport)
    log_in(page, "owner")
    page.goto(f"/surveys/visit/{visit.pk}/invite/")

    boxes = [
        page.get_by_role("checkbox", name=f"{name} · c{i}@example.com", exact=True)
        for i, name in enumerate(NAMES)
    ]
    labels = [page.locator("label", has_text=name) for name in NAMES]
    submit = page.get_by_role("button", name="Send invitations")
    help_text = page.get_by_text("Contacts with an e-mail address receive the link")
    lowest = max(_box(b)["y"] + _box(b)["height"] for b in boxes)
    labels_bottom = max(_box(label)["y"] + _box(label)["height"] for label in labels)
    assert _box(submit)["y"] >= max(lowest, labels_bottom)
    assert _box(help_text)["y"] >= _box(submit)["y"] + _box(submit)["height"]

    # A real click on each box (Playwright refuses if another element is on top).
    for box in boxes:
        box.click()
    assert [box.is_checked() for box in boxes] == [True] * len(NAMES)
    # Clicking the name ticks its box too.
    labels[2].click()
    assert boxes[2].is_checked() is False
    labels[2].click()
    submit.click()
    page.wait_for_load_state("load")
    invited = SurveyInvitation.objects.filter(visit=visit).values_list("contact__name", flat=True)
    assert sorted(invited) == sorted(NAMES)
