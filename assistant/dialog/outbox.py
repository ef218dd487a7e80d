"""What every part of the dialog uses to act: say, listen, log, ask for timers.

Actions collect here while one event is handled and leave together
(:meth:`Outbox.flush`); nothing is done, only asked for (the sans-I/O contract).
"""

from __future__ import annotations

import re
from typing import Final

from ..clock import Clock
from ..events import Action, CancelTimer, End, Listen, Say, StartTimer, StopSpeaking
from ..vocab import Context
from .log import Record, entry

__all__ = ["Outbox"]

_SENTENCE_END: Final = re.compile(r"(?<=[.?!])\s+")
#: Words a repeated instruction may be led in with ("Now stand up straight.").
_LEAD_WORDS: Final = ("now ", "then ", "and ", "so ")


def _key(sentence: str) -> str:
    """A sentence as compared for repeats: lower case, letters only, no lead-in word."""
    key = " ".join(re.sub(r"[^a-z' ]", " ", sentence.lower()).split())
    for word in _LEAD_WORDS:
        if key.startswith(word):
            return key[len(word) :]
    return key


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
        #: The sentences of the last line the coach led with (not a reply or a question).
        self._led: frozenset[str] = frozenset()

    def now(self) -> int:
        return self._clock.now_ms()

    def flush(self) -> list[Action]:
        actions, self._actions = self._actions, []
        return actions

    def say(self, text: str, *, cacheable: bool = False, reply: bool = False) -> int:
        """Queue ``text``; its utterance id comes back in ``SpeechFinished``.

        A line the coach leads with (not ``reply``: a question, an answer to a
        command, something asked for again) never repeats a sentence of the line
        before it: routine texts are written one by one, and "Now stand up
        straight." followed by a response starting "Stand up straight." is said
        twice in a row (issue 13).  The line is kept whole if nothing else is left.
        """
        if not reply:
            text = self._fresh(text)
        self._utterance += 1
        self.last_said = text
        self._actions.append(Say(text, self._utterance, cacheable))
        return self._utterance

    def _fresh(self, text: str) -> str:
        said = {*self._led, *(_key(s) for s in _SENTENCE_END.split(self.last_said))}
        kept: list[str] = []
        for sentence in _SENTENCE_END.split(text.strip()):
            key = _key(sentence)
            if key and key not in said:
                kept.append(sentence)
                said.add(key)
        fresh = " ".join(kept) if kept else text
        self._led = frozenset(_key(s) for s in _SENTENCE_END.split(fresh))
        return fresh

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
