"""A process of ``test_ratelimit``'s several-process test. Spawned children import this
module, so it imports no model at the top: each child sets up Django itself."""

from __future__ import annotations

import os
from typing import Any

PROCESSES = 3
HITS = 12


def hit_many(database: str, barrier: Any, results: Any) -> None:
    """Count ``HITS`` events in the test's own (file) database and report the counts."""
    os.environ.pop("HUIFANG_DATABASE_URL", None)
    os.environ.pop("HUIFANG_REDIS_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "huifang.settings"
    import django

    django.setup()
    from django.db import connections

    from huifang.core import ratelimit

    connections["default"].settings_dict["NAME"] = database

    barrier.wait(timeout=30)
    results.put([ratelimit.hit("survey-post", "198.51.100.7", window=600) for _ in range(HITS)])
