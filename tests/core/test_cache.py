"""The shared cache answers as a miss while Redis cannot be reached, and asks Redis
again a few seconds later (a real ``redis-server`` of the test's own, killed)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from django.test import override_settings

from huifang.core import cache as resilient
from huifang.core.cache import ResilientRedisCache
from tests.faults.helpers import OwnRedis

pytestmark = pytest.mark.skipif(not OwnRedis.BINARY.exists(), reason="needs redis-server")


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[OwnRedis]:
    server = OwnRedis(tmp_path)
    server.start()
    resilient.health.down_until = 0.0
    try:
        yield server
    finally:
        server.kill()
        resilient.health.down_until = 0.0


def test_cache_calls_answer_as_a_miss_while_redis_is_gone(redis_server: OwnRedis) -> None:
    cache = ResilientRedisCache(redis_server.url, {})
    cache.set("figure", 42)
    assert cache.get("figure") == 42

    redis_server.kill()

    assert cache.get("figure", "computed again") == "computed again"
    assert cache.add("count", 1) is False
    with pytest.raises(ValueError, match="not found"):
        cache.incr("count")
    assert cache.get_many(["figure"]) == {}
    assert cache.delete("figure") is False
    cache.set("figure", 43)  # nothing stored, nothing raised


def test_after_a_failure_redis_is_left_alone_then_asked_again(
    redis_server: OwnRedis, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = ResilientRedisCache(redis_server.url, {})
    redis_server.kill()
    assert cache.get("figure") is None
    started = time.monotonic()
    for _ in range(1000):
        cache.get("figure")
    # No connection attempt while it is known to be down.
    assert time.monotonic() - started < 0.5

    redis_server.start()
    assert cache.get("figure", "still a miss") == "still a miss"  # not asked yet
    monkeypatch.setattr(resilient.health, "down_until", 0.0)
    cache.set("figure", 44)
    assert cache.get("figure") == 44


def test_two_releases_share_redis_without_reading_each_others_values(
    redis_server: OwnRedis,
) -> None:
    """A rolling deploy: old and new processes on one Redis. Each reads only what its
    own release stored; a rate-limit count is one count for both."""
    cache = ResilientRedisCache(redis_server.url, {"KEY_FUNCTION": "huifang.core.cache.make_key"})
    rate = resilient.RATE_COUNT_PREFIX + "client"
    with override_settings(HUIFANG_RELEASE="old"):
        cache.set("figures", {"csat": 80})
        cache.add(rate, 1)
    with override_settings(HUIFANG_RELEASE="new"):
        assert cache.get("figures") is None
        cache.set("figures", {"csat": 90})
        assert cache.incr(rate) == 2
    with override_settings(HUIFANG_RELEASE="old"):
        assert cache.get("figures") == {"csat": 80}
    stored = redis.Redis.from_url(redis_server.url).keys("*")
    assert sorted(stored) == [b":1:huifang:rate:client", b":1:new:figures", b":1:old:figures"]
