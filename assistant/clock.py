"""Injected time.  The engine never reads the clock itself; the runtime does."""

from __future__ import annotations

import time
from typing import Protocol

__all__ = ["Clock", "MonotonicClock", "VirtualClock"]


class Clock(Protocol):
    def now_ms(self) -> int:
        """Milliseconds since an arbitrary, fixed origin; never goes backwards."""
        ...


class MonotonicClock:
    """The real clock: ``time.monotonic`` relative to when it was made."""

    def __init__(self) -> None:
        self._origin = time.monotonic()

    def now_ms(self) -> int:
        return int((time.monotonic() - self._origin) * 1000)

    def sleep_until(self, deadline_ms: int) -> None:
        delay = (deadline_ms - self.now_ms()) / 1000
        if delay > 0:
            time.sleep(delay)


class VirtualClock:
    """A clock that only moves when told to: tests and scripted sessions."""

    def __init__(self, start_ms: int = 0) -> None:
        self._now = start_ms

    def now_ms(self) -> int:
        return self._now

    def advance(self, delta_ms: int) -> None:
        if delta_ms < 0:
            raise ValueError("a virtual clock cannot go backwards")
        self._now += delta_ms

    def set(self, now_ms: int) -> None:
        if now_ms < self._now:
            raise ValueError("a virtual clock cannot go backwards")
        self._now = now_ms

    def sleep_until(self, deadline_ms: int) -> None:
        if deadline_ms > self._now:
            self._now = deadline_ms
