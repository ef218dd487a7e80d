"""What the voice loop needs of its collaborators, as typed protocols.

The loop asks only for these members; an optional capability (an output device
that can tell it went away and be reopened) is its own protocol, checked by
type rather than probed with ``getattr``.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from ..clock import Clock
from ..events import Action, Event, Heard, NotUnderstood
from ..tts.speaker import Speaker
from ..vocab import Context

__all__ = [
    "EngineLike",
    "LateBargeIns",
    "RecognizerLike",
    "LoopClock",
    "Speaker",
    "WatchedOutput",
]


class EngineLike(Protocol):
    def start(self) -> list[Action]: ...

    def handle(self, event: Event) -> list[Action]: ...


class RecognizerLike(Protocol):
    def set_context(self, context: Context | None) -> None: ...

    def accept(self, samples: Any, timestamp_ms: int) -> list[Heard | NotUnderstood]: ...

    def reset(self) -> None: ...


@runtime_checkable
class LateBargeIns(Protocol):
    """A barge-in recognizer that decides some words in the background
    (``BargeInSpotter`` with Whisper's second opinion)."""

    def late(self) -> list[Heard | NotUnderstood]:
        """What it decided since the last call."""
        ...

    def close(self) -> None:
        """Stop deciding in the background (the session is over)."""
        ...


class LoopClock(Clock, Protocol):
    """The clock the loop waits on: the real one sleeps, a virtual one jumps."""

    def sleep_until(self, deadline_ms: int) -> None: ...


@runtime_checkable
class WatchedOutput(Protocol):
    """A speaker whose device can go away and come back (``VoiceSpeaker``)."""

    @property
    def device_name(self) -> str: ...

    def check(self) -> str | None:
        """A message if the device went away, else ``None``."""
        ...

    def reopen(self) -> None:
        """Try the device again (``AudioDeviceError`` if it is still gone)."""
        ...
