"""A process that dies right after its write committed leaves no stale page behind:
the data version (``core/dataversion.py``) moves in the same commit as the data, so
there is no moment at which the data has changed and the version has not."""

from __future__ import annotations

import signal
import subprocess
import textwrap
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from huifang.actions.models import ImprovementAction
from huifang.core import dataversion
from huifang.core.models import User
from huifang.projects.models import Project
from tests.faults.helpers import BIN, app_env

pytestmark = pytest.mark.django_db(transaction=True)

# Runs in a process of its own: creates an action through the service and dies by
# SIGKILL either as the first thing after the commit (the transaction's first on-commit
# callback, registered before anything else could register one) or just before it.
WRITE_THEN_DIE = textwrap.dedent(
    """
    import datetime, os, sys, signal
    import django
    django.setup()
    from django.db import transaction
    from huifang.actions.services import create_action
    from huifang.core.models import User
    from huifang.projects.models import Project

    def die():
        os.kill(os.getpid(), signal.SIGKILL)

    owner = User.objects.get(username="owner")
    project = Project.objects.get(code="P-001")
    with transaction.atomic():
        if sys.argv[1] == "after-commit":
            transaction.on_commit(die)
        create_action(
            project=project,
            description="Written just before the crash",
            owner=owner,
            due_date=datetime.date(2026, 4, 30),
            created_by=owner,
        )
        if sys.argv[1] == "before-commit":
            die()
    raise SystemExit("still alive after the commit")
    """
)


def _write_then_die(tmp_path: Path, when: str) -> None:
    died = subprocess.run(  # noqa: S603
        [str(BIN / "python"), "-c", WRITE_THEN_DIE, when],
        env=app_env(HUIFANG_DATA_DIR=str(tmp_path)),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert died.returncode == -signal.SIGKILL, died.stderr.decode()[-2000:]


def _open_cards(client: Client) -> list[str]:
    columns = client.get(reverse("actions:board")).context["columns"]
    return [action.description for action in columns[0].actions]


def test_no_stale_board_after_a_writer_dies_right_after_its_commit(
    project: Project, owner: User, tmp_path: Path
) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(owner)
    assert _open_cards(client) == []  # now kept under the data version
    before = dataversion.current()

    _write_then_die(tmp_path, "after-commit")

    # The write is committed (the crash came after it), and the board shows it at once.
    assert _open_cards(client) == ["Written just before the crash"]
    assert dataversion.current() > before


def test_a_writer_dying_before_its_commit_changes_nothing(
    project: Project, owner: User, tmp_path: Path
) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(owner)
    assert _open_cards(client) == []
    before = dataversion.current()

    _write_then_die(tmp_path, "before-commit")

    assert not ImprovementAction.objects.exists()
    assert dataversion.current() == before
    assert _open_cards(client) == []
