"""Rate limits are counted where every web process sees the same number: the database
without Redis (each process's LocMemCache would count on its own), Redis with it."""

from __future__ import annotations

import datetime
import multiprocessing
from typing import Any

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from huifang.core import ratelimit
from huifang.core.models import RateCount
from tests.core.ratelimit_worker import HITS, PROCESSES, hit_many

pytestmark = pytest.mark.django_db


def test_counts_rise_per_client_and_scope() -> None:
    counts = [ratelimit.hit("survey-post", "10.0.0.1", window=600) for _ in range(3)]
    assert counts == [1, 2, 3]
    assert ratelimit.hit("survey-post", "10.0.0.2", window=600) == 1
    assert ratelimit.hit("bearer-failures", "10.0.0.1", window=600) == 1
    assert ratelimit.count("survey-post", "10.0.0.1") == 3
    assert ratelimit.count("survey-post", "10.0.0.3") == 0


def test_count_survives_a_cleared_process_cache() -> None:
    """Another gunicorn worker has its own LocMemCache: what it counted must count here."""
    ratelimit.hit("survey-post", "10.0.0.1", window=600)
    cache.clear()
    assert ratelimit.hit("survey-post", "10.0.0.1", window=600) == 2


def test_window_restarts_after_it_ends_and_old_rows_are_pruned() -> None:
    for _ in range(5):
        ratelimit.hit("survey-post", "10.0.0.1", window=600)
    ratelimit.hit("survey-post", "10.0.0.2", window=60)
    later = timezone.now() + datetime.timedelta(seconds=601)
    with time_machine.travel(later, tick=False):
        assert ratelimit.count("survey-post", "10.0.0.1") == 0
        assert ratelimit.hit("survey-post", "10.0.0.1", window=600) == 1
        # The other client's ended window is gone, not kept for ever.
        assert RateCount.objects.count() == 1


def test_with_redis_configured_the_shared_cache_counts(settings: Any) -> None:
    settings.REDIS_URL = "redis://configured"  # the cache itself is the test's LocMemCache
    cache.clear()
    assert [ratelimit.hit("survey-post", "10.0.0.9", window=600) for _ in range(2)] == [1, 2]
    assert ratelimit.count("survey-post", "10.0.0.9") == 2
    assert not RateCount.objects.exists()
    cache.clear()


# --- several processes ------------------------------------------------------------------


@pytest.mark.skipif(
    not django_settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"),
    reason="the embedded set-up (no Redis, file SQLite) is the one that counted per process",
)
@pytest.mark.django_db(transaction=True)
def test_separate_processes_share_one_count() -> None:
    """Three processes (as three gunicorn workers) count one client at once."""
    database = connection.settings_dict["NAME"]  # the test database, a file
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(PROCESSES)
    results = context.Queue()
    workers = [
        context.Process(target=hit_many, args=(database, barrier, results))
        for _ in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    seen = [count for _ in workers for count in results.get(timeout=60)]
    for worker in workers:
        worker.join(timeout=30)
    # Every hit got its own number: one count, no two processes reading the same.
    assert sorted(seen) == list(range(1, PROCESSES * HITS + 1))
