"""A clock the demo can set, so a year of history is made through the real services.

Every service stamps its writes with ``django.utils.timezone.now()`` (directly, through
``auto_now``/``auto_now_add``, or through django-simple-history) and reads "today"
with ``timezone.localdate()``, which calls the same function. Inside
:func:`controlled_clock` that function answers the moment the caller last set, in the
calling context only: other threads (a server sharing the process, a worker) still
read the real time, because the setting lives in a :class:`~contextvars.ContextVar`.
When the block ends the original function is back, whatever happened inside it.

Why not time-machine: it is a test dependency that patches the C-level clock of the
whole process, every thread included; the demo is production code and must leave
other threads alone.
"""

from __future__ import annotations

import datetime
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.utils import timezone

# Each reading advances the set moment by this much, so the rows one step writes
# keep the order they were written in (history, "latest first" lists) without a
# second clock source that would make the demo's timestamps differ between runs.
TICK = datetime.timedelta(milliseconds=1)

_current: ContextVar[SetClock | None] = ContextVar("huifang_clock", default=None)
_install_lock = threading.Lock()
_installed = 0
_original: Callable[[], datetime.datetime] = timezone.now


class SetClock:
    """The clock of one :func:`controlled_clock` block: real time until :meth:`set`."""

    def __init__(self, real_now: Callable[[], datetime.datetime]) -> None:
        self._real_now = real_now
        self._at: datetime.datetime | None = None

    def set(self, moment: datetime.datetime) -> datetime.datetime:
        """From now on ``timezone.now()`` is ``moment`` (ticking); never later than
        the real time, so nothing made under it is dated in the future."""
        if timezone.is_naive(moment):
            raise ValueError("the clock takes an aware datetime")
        self._at = min(moment, self._real_now())
        return self._at

    def release(self) -> None:
        """Back to the real time (still inside the block)."""
        self._at = None

    def now(self) -> datetime.datetime:
        if self._at is None:
            return self._real_now()
        reading = self._at
        self._at = reading + TICK
        # A step of many writes can tick past the real time when it was set to "now".
        return min(reading, self._real_now())


def _now() -> datetime.datetime:
    clock = _current.get()
    return clock.now() if clock is not None else _original()


@contextmanager
def controlled_clock() -> Iterator[SetClock]:
    """Run a block whose ``timezone.now()`` the caller sets (see the module docstring).

    Nested or concurrent blocks each have their own clock; the function is swapped
    while any block is open and restored when the last one closes."""
    global _installed, _original
    with _install_lock:
        if _installed == 0:
            _original = timezone.now
            timezone.now = _now
        _installed += 1
    clock = SetClock(_original)
    token = _current.set(clock)
    try:
        yield clock
    finally:
        _current.reset(token)
        with _install_lock:
            _installed -= 1
            if _installed == 0:
                timezone.now = _original
