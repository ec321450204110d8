"""The record form's "how the visit took place" section on a phone: every contact and
colleague can be ticked and reads on one line (the checkbox lists once squeezed their
names to a letter wide and spilled over the sections below)."""

from __future__ import annotations

from typing import Any

import pytest

from huifang.core.models import User
from huifang.projects.models import Project
from tests.e2e.conftest import log_in
from tests.surveys.conftest import make_contact

pytestmark = pytest.mark.django_db(transaction=True)


def test_people_who_took_part_can_be_ticked_on_a_phone(
    make_page: Any, project: Project, owner: User
) -> None:
    for index, name in enumerate(["Li Lei", "Anna Smith", "Wang Fang"]):
        make_contact(customer=project.customer, name=name, email=f"c{index}@example.com")
    visit = project.visits.get(phase="kickoff")
    page = make_page(viewport={"width": 390, "height": 844})
    log_in(page, owner.username)
    page.goto(f"/visits/{visit.pk}/record/?early=1")

    group = page.get_by_test_id("checkbox-group-contacts")
    boxes = group.get_by_role("checkbox")
    assert boxes.count() == 3
    section_bottom = page.get_by_test_id("record-how").bounding_box()
    assert section_bottom is not None
    for index in range(3):
        label = group.locator("label").nth(index).bounding_box()
        assert label is not None
        assert label["height"] < 32  # a name on one line, not a letter a line
        assert label["y"] + label["height"] <= section_bottom["y"] + section_bottom["height"]
        boxes.nth(index).click()  # refused by Playwright if something covers the box
    assert [boxes.nth(i).is_checked() for i in range(3)] == [True, True, True]
