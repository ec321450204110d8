"""Browser tests: a personal API token made on the profile works against the API; an
import shows a bad row in the preview, imports nothing, and imports the fixed file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from huifang.core.models import User
from huifang.customers.models import Customer
from huifang.transfer.files import write_csv
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_token_made_on_the_profile_authenticates_api_calls(page: Any, owner: User) -> None:
    log_in(page, owner.username)
    page.goto("/users/profile/")
    page.get_by_role("link", name="API tokens").click()
    page.wait_for_url("**/api/v1/tokens/")
    page.fill("input[name=name]", "laptop")
    page.get_by_role("button", name="Create token").click()
    raw = page.get_by_test_id("new-token").inner_text().strip()

    # A client without the browser's session: only the token speaks for the user.
    response = Client().get("/api/v1/projects", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert (response.status_code, response.json()) == (200, {"items": [], "count": 0})


def test_import_preview_shows_a_bad_row_then_imports_the_fixed_file(
    page: Any, quality: User, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_bytes(write_csv(["name", "industry"], [["Acme", "Retail"], ["", "Energy"]]))
    good = tmp_path / "good.csv"
    good.write_bytes(write_csv(["name", "industry"], [["Acme", "Retail"], ["Globex", "Energy"]]))
    log_in(page, quality.username)

    page.goto("/transfer/")
    page.select_option("select[name=kind]", "customers")
    page.set_input_files("input[name=file]", str(bad))
    page.get_by_role("button", name="Preview").click()
    assert "name: required." in page.locator("table").inner_text()
    assert Customer.objects.count() == 0

    page.goto("/transfer/")
    page.select_option("select[name=kind]", "customers")
    page.set_input_files("input[name=file]", str(good))
    page.get_by_role("button", name="Preview").click()
    page.get_by_role("button", name="Import").click()
    assert "2 created, 0 updated" in page.get_by_role("status").inner_text()
    assert sorted(Customer.objects.values_list("name", flat=True)) == ["Acme", "Globex"]
