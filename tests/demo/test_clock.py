"""The demo's clock: services read the moment it is set to, in its own context only,
never a moment in the future, and the real clock is back when the block ends."""

from __future__ import annotations

import datetime
import threading
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from huifang.demo.clock import TICK, controlled_clock

UTC = datetime.UTC


def _real_now_is_back() -> bool:
    return timezone.now.__module__ == "django.utils.timezone" and abs(
        timezone.now() - datetime.datetime.now(UTC)
    ) < datetime.timedelta(seconds=5)


def test_clock_set_moment_is_what_now_and_localdate_read() -> None:
    moment = datetime.datetime(2024, 3, 1, 9, 30, tzinfo=UTC)
    with controlled_clock() as clock:
        clock.set(moment)
        first, second = timezone.now(), timezone.now()
        clock.set(moment + datetime.timedelta(days=3))
        later_day = timezone.localdate(timezone=UTC)

    # Each reading ticks, so rows written in one step keep their order.
    assert (first, second) == (moment, moment + TICK)
    assert later_day == datetime.date(2024, 3, 4)
    assert _real_now_is_back()


def test_clock_never_runs_ahead_of_the_real_time() -> None:
    with controlled_clock() as clock:
        at = clock.set(datetime.datetime.now(UTC) + datetime.timedelta(days=2))
        read = timezone.now()

    assert at <= datetime.datetime.now(UTC)
    assert read <= datetime.datetime.now(UTC)


def test_clock_leaves_other_threads_on_the_real_time() -> None:
    seen: list[datetime.datetime] = []
    with controlled_clock() as clock:
        clock.set(datetime.datetime(2024, 3, 1, tzinfo=UTC))
        worker = threading.Thread(target=lambda: seen.append(timezone.now()))
        worker.start()
        worker.join()
        here = timezone.now()

    assert here.year == 2024
    assert abs(seen[0] - datetime.datetime.now(UTC)) < datetime.timedelta(seconds=5)


def _build_that_fails() -> None:
    with controlled_clock() as clock:
        clock.set(datetime.datetime(2024, 3, 1, tzinfo=UTC))
        raise RuntimeError("a failed demo build")


def test_clock_is_restored_when_the_block_fails() -> None:
    with pytest.raises(RuntimeError, match="failed demo"):
        _build_that_fails()

    assert _real_now_is_back()


def test_clock_nested_blocks_each_keep_their_moment() -> None:
    with controlled_clock() as outer:
        outer.set(datetime.datetime(2024, 1, 1, tzinfo=UTC))
        with controlled_clock() as inner:
            inner.set(datetime.datetime(2025, 1, 1, tzinfo=UTC))
            assert timezone.now().year == 2025
        assert timezone.now().year == 2024
        outer.release()
        assert _real_now_is_back() is False  # still swapped while the block is open
        assert abs(timezone.now() - datetime.datetime.now(UTC)) < datetime.timedelta(seconds=5)

    assert _real_now_is_back()


def test_clock_refuses_a_naive_moment() -> None:
    with controlled_clock() as clock, pytest.raises(ValueError, match="aware"):
        clock.set(datetime.datetime(2024, 3, 1, 9, 30))


@given(
    moment=st.datetimes(
        min_value=datetime.datetime(2000, 1, 1),
        max_value=datetime.datetime(2100, 1, 1),
        timezones=st.sampled_from([UTC, ZoneInfo("Asia/Shanghai"), ZoneInfo("America/New_York")]),
    )
)
def test_clock_reads_any_past_moment_and_caps_any_future_one(moment: datetime.datetime) -> None:
    with controlled_clock() as clock:
        before = datetime.datetime.now(UTC)
        clock.set(moment)
        read = timezone.now()
        day = timezone.localdate(timezone=moment.tzinfo)

    if moment < before:
        assert read == moment
        assert day == (moment + TICK).date()  # the second reading, one tick later
    else:
        assert before <= read <= datetime.datetime.now(UTC)
    assert _real_now_is_back()
