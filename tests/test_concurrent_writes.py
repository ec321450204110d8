"""No lost writes on the embedded database: several processes (as several web workers
would be) write through the services to one file-backed SQLite database at the same
time; none sees "database is locked" and every row arrives.

The workers are started with the ``spawn`` method, so this module imports no model at
the top: each child sets up Django itself against the temporary data directory."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

PROCESSES = 4
WRITES = 25
ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(
    not settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"),
    reason="about SQLite's single writer; PostgreSQL has row locks",
)


def _django(data_dir: str) -> None:
    os.environ.pop("HUIFANG_DATABASE_URL", None)
    os.environ["HUIFANG_DATA_DIR"] = data_dir
    os.environ["DJANGO_SETTINGS_MODULE"] = "huifang.settings"
    import django

    django.setup()


def _write(data_dir: str, worker: int, barrier: Any, results: Any) -> None:
    """Create ``WRITES`` customers (each with a contact) and change a shared customer
    as often: an insert-only and a read-modify-write workload at once."""
    _django(data_dir)
    from huifang.customers.models import Customer
    from huifang.customers.services import create_customer, update_customer

    errors: list[str] = []
    barrier.wait(timeout=30)
    for number in range(WRITES):
        try:
            create_customer(
                name=f"Worker {worker} customer {number}",
                contacts=[(None, {"name": f"Contact {worker}-{number}"})],
            )
            shared = Customer.objects.get(name="Shared")
            update_customer(customer=shared, industry=f"Worker {worker} write {number}")
        except Exception as error:
            errors.append(f"{type(error).__name__}: {error}")
    results.put((worker, errors))


def _huifang(data_dir: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HUIFANG_DATA_DIR": data_dir}
    env.pop("HUIFANG_DATABASE_URL", None)
    return subprocess.run(  # noqa: S603 (our own command line)
        [str(Path(sys.executable).parent / "huifang"), *arguments],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def _count(data_dir: str) -> tuple[int, int]:
    import sqlite3

    with sqlite3.connect(Path(data_dir) / "huifang.sqlite3") as db:
        customers = db.execute("SELECT COUNT(*) FROM customers_customer").fetchone()[0]
        contacts = db.execute("SELECT COUNT(*) FROM customers_contact").fetchone()[0]
    return int(customers), int(contacts)


def test_parallel_service_writes_to_sqlite_file_are_never_locked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = str(tmp_path)
    # The children inherit this environment; importing this module there loads settings.
    monkeypatch.setenv("HUIFANG_DATA_DIR", data_dir)
    monkeypatch.delenv("HUIFANG_DATABASE_URL", raising=False)
    _huifang(data_dir, "migrate", "--no-input")
    _huifang(
        data_dir,
        "shell",
        "-c",
        "from huifang.customers.services import create_customer; create_customer(name='Shared')",
    )
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(PROCESSES)
    results = context.Queue()
    workers = [
        context.Process(target=_write, args=(data_dir, worker, barrier, results))
        for worker in range(PROCESSES)
    ]
    started = time.monotonic()
    for process in workers:
        process.start()
    outcomes = dict(results.get(timeout=60) for _ in workers)
    for process in workers:
        process.join(timeout=10)

    assert [process.exitcode for process in workers] == [0] * PROCESSES
    assert outcomes == {worker: [] for worker in range(PROCESSES)}
    assert _count(data_dir) == (1 + PROCESSES * WRITES, PROCESSES * WRITES)
    assert time.monotonic() - started < 60
