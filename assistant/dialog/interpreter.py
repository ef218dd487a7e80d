"""The driver's side of the engine contract: carry out actions, keep the timers.

Every driver (the voice runtime, the text session, the scripted-session
:class:`~assistant.dialog.driver.Driver`, the benches through the runtime) hands
the engine's actions to one :class:`Interpreter`.  It keeps the timer table and
calls a :class:`Performer` for what only the driver can do (speak, listen,
journal).  A new action type is one more ``case`` here and one more
``Performer`` method with a default, and nothing else: ``assert_never`` makes
mypy refuse an action type this ``match`` does not handle.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import assert_never

from ..events import (
    Action,
    CancelTimer,
    End,
    Listen,
    LogEntry,
    Say,
    StartTimer,
    StopSpeaking,
)
from ..vocab import Context

__all__ = ["Interpreter", "Performer", "Timers"]


class Timers:
    """The timer table: each live timer's name and absolute deadline (ms)."""

    def __init__(self) -> None:
        self._deadlines: dict[str, int] = {}

    def start(self, name: str, deadline_ms: int) -> None:
        self._deadlines[name] = deadline_ms

    def cancel(self, name: str) -> None:
        self._deadlines.pop(name, None)

    def deadline(self, name: str) -> int | None:
        """The deadline of ``name`` (``None``: cancelled, fired or never started)."""
        return self._deadlines.get(name)

    def next_deadline(self) -> int | None:
        return min(self._deadlines.values(), default=None)

    def pop_due(self, until_ms: int) -> tuple[str, int] | None:
        """The earliest timer due by ``until_ms``, taken off the table (ties: first started)."""
        if not self._deadlines:
            return None
        name, deadline = min(self._deadlines.items(), key=lambda item: item[1])
        if deadline > until_ms:
            return None
        del self._deadlines[name]
        return name, deadline

    def __len__(self) -> int:
        return len(self._deadlines)

    def __contains__(self, name: object) -> bool:
        return name in self._deadlines


class Performer:
    """What a driver does with the actions only it can carry out; the defaults
    do nothing, so a driver overrides only what it has."""

    def say(self, say: Say) -> None:
        """Speak (or print) ``say.text``; report ``SpeechFinished(say.utterance_id)``."""

    def stop_speaking(self) -> None:
        """Cut off the speech under way and drop what is queued."""

    def listen(self, context: Context | None) -> None:
        """Listen in ``context`` (``None``: stop listening)."""

    def record(self, entry: LogEntry) -> None:
        """Keep ``entry`` for the journal."""

    def end(self, end: End) -> None:
        """The session is over (after the speech queued before it)."""

    def timer_started(self, name: str, deadline_ms: int) -> None:
        """A timer went into the table (a driver that queues its own events uses it)."""


class Interpreter:
    """Carries out the engine's actions in order: timers here, the rest by ``performer``."""

    def __init__(
        self, performer: Performer, observer: Callable[[Action], None] | None = None
    ) -> None:
        self.performer = performer
        self.timers = Timers()
        self._observer = observer

    def apply(self, actions: Iterable[Action]) -> None:
        for action in actions:
            if self._observer is not None:
                self._observer(action)
            self.perform(action)

    def perform(self, action: Action) -> None:
        performer = self.performer
        match action:
            case Say():
                performer.say(action)
            case Listen():
                performer.listen(action.context)
            case StopSpeaking():
                performer.stop_speaking()
            case StartTimer():
                self.timers.start(action.name, action.deadline_ms)
                performer.timer_started(action.name, action.deadline_ms)
            case CancelTimer():
                self.timers.cancel(action.name)
            case LogEntry():
                performer.record(action)
            case End():
                performer.end(action)
            case _:
                assert_never(action)
