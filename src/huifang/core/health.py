"""What the probes ask: is the database answering, is Redis answering, is the schema
migrated. Each check raises when the answer is no, so a probe can name what failed.

Load balancers call ``/healthz`` every few seconds from every host: each check is one
round trip with a short timeout, never a page's worth of work."""

from __future__ import annotations

import functools
from collections.abc import Callable

import redis
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

# A Redis that does not answer fails the probe within this many seconds instead of
# holding it (redis-py waits forever by default).
REDIS_TIMEOUT_SECONDS = 1.0


@functools.cache
def redis_client(url: str) -> redis.Redis:
    """One client (and connection pool) per URL and process, shared by the probes and
    the metrics."""
    return redis.Redis.from_url(
        url,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
    )


def check_database() -> None:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")


def check_redis() -> None:
    redis_client(settings.REDIS_URL).ping()


def checks() -> dict[str, Callable[[], None]]:
    """The checks of this installation, by name: Redis only where it is configured."""
    found: dict[str, Callable[[], None]] = {"database": check_database}
    if settings.REDIS_URL:
        found["redis"] = check_redis
    return found


def pending_migrations() -> int:
    """How many migrations the code has that the database has not applied yet (the
    same plan ``huifang migrate`` would run)."""
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))
