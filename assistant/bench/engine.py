"""The bench's own engine: a minimal session that asks and replies, counts a long
hold, or only listens, so the voice loop's timings are measured without the
dialog's pauses and questions in the way.  It runs through the real runtime."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..dialog.prompts import SYMPTOM_QUESTION
from ..events import (
    Action,
    End,
    Event,
    Heard,
    Listen,
    NotUnderstood,
    Say,
    SpeechFinished,
    StartTimer,
    TimerFired,
)
from ..vocab import Context, Outcome

__all__ = ["BenchEngine", "QUESTION"]

QUESTION = SYMPTOM_QUESTION


@dataclass
class BenchEngine:
    """A minimal session: ask, listen, reply; or count a long hold; or listen only."""

    mode: str  # "reply" | "barge" | "hold" | "idle"
    turns: int = 30
    context: Context = Context.SYMPTOM
    question: str = QUESTION
    hold_s: int = 600
    utterance: int = 0
    asked: int = 0
    replies: dict[int, Event] = field(default_factory=dict)  # reply utterance → what was heard
    deadlines: dict[int, int] = field(default_factory=dict)  # count utterance → deadline
    long_ids: list[int] = field(default_factory=list)
    question_ids: set[int] = field(default_factory=set)
    start_ms: int = 0
    clock: Any = None

    def lines(self) -> list[str]:
        """What it may say that is timed (its replies, its counts): rendered before the
        session starts, as the coach renders its own lines ahead (``assistant.ui.ahead``)."""
        from ..vocab import Answer, BargeIn, Command, Hurt, Reply, Side, YesNo

        if self.mode == "hold":
            return [self._count_text(n) for n in range(1, 11)]

        intents = [
            i.value for kind in (Answer, YesNo, Side, Command, Reply, BargeIn, Hurt) for i in kind
        ]
        return [self._reply_text(intent) for intent in dict.fromkeys(intents)] + ["Sorry?"]

    @staticmethod
    def _count_text(count: int) -> str:
        return f"{count % 10 or 10}."

    @staticmethod
    def _reply_text(intent: str) -> str:
        return f"Got it: {intent}."

    def _say(self, text: str, cacheable: bool = False) -> Say:
        self.utterance += 1
        return Say(text, self.utterance, cacheable)

    def start(self) -> list[Action]:
        if self.mode == "idle":
            return [Listen(Context.COMMAND)]
        if self.mode == "hold":
            self.start_ms = self.clock.now_ms() + 1000
            return [Listen(Context.COMMAND), StartTimer("count-1", self.start_ms + 1000)]
        return self._ask()

    def _ask(self) -> list[Action]:
        self.asked += 1
        if self.mode == "barge":
            say = self._say(
                "Lie face down with your arms by your sides, and your head turned to "
                "whichever side is comfortable. Tighten your tummy muscles a little, then "
                "let the rest of your body go loose, and breathe slowly."
            )
            self.long_ids.append(say.utterance_id)
            return [Listen(Context.COMMAND), say]
        question = self._say(self.question, cacheable=True)
        self.question_ids.add(question.utterance_id)
        return [Listen(None), question]

    def handle(self, event: Event) -> list[Action]:
        if self.mode == "hold":
            return self._hold(event)
        if isinstance(event, SpeechFinished):
            if event.utterance_id in self.question_ids:
                return [Listen(self.context)]
            if self.asked >= self.turns:
                return [End(Outcome.COMPLETED)]
            return self._ask()
        if isinstance(event, Heard | NotUnderstood):
            if self.mode == "reply":
                text = self._reply_text(event.intent) if isinstance(event, Heard) else "Sorry?"
                reply = self._say(text)
                self.replies[reply.utterance_id] = event
                return [Listen(None), reply]
            if isinstance(event, Heard) and event.intent == "stop":
                self.replies[self.utterance] = event
        return []

    def _hold(self, event: Event) -> list[Action]:
        if not isinstance(event, TimerFired):
            return []
        count = int(event.name.split("-")[1])
        deadline = self.start_ms + count * 1000
        say = self._say(self._count_text(count), cacheable=True)
        self.deadlines[say.utterance_id] = deadline
        if count >= self.hold_s:
            return [say, End(Outcome.COMPLETED)]
        return [say, StartTimer(f"count-{count + 1}", deadline + 1000)]
