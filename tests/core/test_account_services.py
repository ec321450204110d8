from __future__ import annotations

import pytest

from huifang.core.account_services import create_user, update_user
from huifang.core.models import Role, User


@pytest.mark.django_db
def test_admin_role_opens_the_admin_site_and_losing_it_closes_it(admin_user: User) -> None:
    user = create_user(
        username="newadmin",
        display_name="New Admin",
        email="new@example.com",
        role=Role.ADMIN,
        department="IT",
        password="a-long-enough-passphrase",
    )
    assert (user.is_staff, user.is_superuser) == (True, True)
    demoted = update_user(
        user=user,
        acting=admin_user,
        display_name="New Admin",
        email="new@example.com",
        role=Role.QUALITY,
        department="IT",
        is_active=True,
    )
    demoted.refresh_from_db()
    assert (demoted.role, demoted.is_staff, demoted.is_superuser) == (Role.QUALITY, False, False)
