"""What every part of the dialog uses to act: say, listen, log, ask for timers.

Actions collect here while one event is handled and leave together
(:meth:`Outbox.flush`); nothing is done, only asked for (the sans-I/O contract).
"""

from __future__ import annotations

from ..clock import Clock
from ..events import Action, CancelTimer, End, Listen, Say, StartTimer, StopSpeaking
from ..vocab import Context
from .log import Record, entry

__all__ = ["Outbox"]


class Outbox:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._actions: list[Action] = []
        self._utterance = 0
        self._timer_serial = 0
        #: The context last asked for (``None``: not listening).
        self.listening: Context | None = None
        #: The last line asked to be said.
        self.last_said = ""

    def now(self) -> int:
        return self._clock.now_ms()

    def flush(self) -> list[Action]:
        actions, self._actions = self._actions, []
        return actions

    def say(self, text: str, *, cacheable: bool = False) -> int:
        """Queue ``text``; its utterance id comes back in ``SpeechFinished``."""
        self._utterance += 1
        self.last_said = text
        self._actions.append(Say(text, self._utterance, cacheable))
        return self._utterance

    def stop_speaking(self) -> None:
        self._actions.append(StopSpeaking())

    def listen(self, context: Context | None) -> None:
        if context != self.listening:
            self.listening = context
            self._actions.append(Listen(context))

    def log(self, record: Record) -> None:
        self._actions.append(entry(record, self.now()))

    def start_timer(self, prefix: str, deadline_ms: int) -> str:
        """A timer with a fresh name, so a stale one firing is told apart."""
        self._timer_serial += 1
        name = f"{prefix}-{self._timer_serial}"
        self._actions.append(StartTimer(name, deadline_ms))
        return name

    def cancel(self, name: str | None) -> None:
        if name is not None:
            self._actions.append(CancelTimer(name))

    def end(self, action: End) -> None:
        self._actions.append(action)
