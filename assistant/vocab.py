"""The words the parts of Back Coach share: one ``StrEnum`` per vocabulary.

Every member equals the string the journal, the scenario files and the phrase
file already use (``Outcome.STOPPED_WORSE == "stopped_worse"``), so records
written before these enums existed read the same.  This module imports nothing
of the project: any layer may use it.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Final

__all__ = [
    "Context",
    "Outcome",
    "LogKind",
    "Answer",
    "YesNo",
    "Side",
    "Command",
    "Reply",
    "BargeIn",
    "Hurt",
    "CONTEXTS",
    "OUTCOMES",
    "COMMAND_INTENTS",
    "BARGE_IN_INTENTS",
    "SAFETY_INTENTS",
]


class Context(StrEnum):
    """What the engine listens for; the recognizer restricts its grammar to it.
    Global commands are accepted in every context."""

    SYMPTOM = "symptom"
    YES_NO = "yes-no"
    SIDE = "side"
    NUMBER = "number"
    ROUTINE = "routine"
    COMMAND = "command"
    #: While an exercise runs (steps, counts, holds): commands, symptoms, "ready".
    EXERCISE = "exercise"
    #: "Where is the pain?": back, buttock, thigh, below the knee.
    LOCATION = "location"


class Outcome(StrEnum):
    """How a session ended (``End.outcome``, the journal's ``sessions.outcome``)."""

    COMPLETED = "completed"
    STOPPED_WORSE = "stopped_worse"
    STOPPED_BY_USER = "stopped_by_user"
    RED_FLAG = "red_flag"
    NO_RESPONSE = "no_response"
    #: Ctrl-C, or a session the journal never saw end (a crash, a power cut).
    INTERRUPTED = "interrupted"


class LogKind(StrEnum):
    """``LogEntry.kind``: what a journal record is about."""

    SESSION_STARTED = "session_started"
    RATING = "rating"
    EXERCISE_STARTED = "exercise_started"
    EXERCISE_FINISHED = "exercise_finished"
    COMMAND = "command"
    SESSION_ENDED = "session_ended"
    #: Where the pain is (issue 12 item 5): phase, location, side.
    PAIN_LOCATION = "pain_location"


class Answer(StrEnum):
    """Answers to "Is the leg pain better, worse or the same?" (routines' ``next`` keys)."""

    BETTER = "better"
    SAME = "same"
    WORSE = "worse"


class YesNo(StrEnum):
    YES = "yes"
    NO = "no"


class Side(StrEnum):
    LEFT = "left"
    RIGHT = "right"
    BOTH = "both"
    #: Pain in the middle of the back: no painful side.
    MIDDLE = "middle"


class Command(StrEnum):
    """Global commands, heard in every context.  ``OUCH`` is "worse, stop now"."""

    PAUSE = "pause"
    RESUME = "resume"
    REPEAT = "repeat"
    SKIP = "skip"
    STOP = "stop"
    SLOWER = "slower"
    FASTER = "faster"
    HELP = "help"
    OUCH = "ouch"


class Reply(StrEnum):
    """Replies understood in every question that answer none of them."""

    #: "not sure", "I don't know", "maybe" (phrases.yaml's ``unsure`` intent).
    UNSURE = "unsure"


class BargeIn(StrEnum):
    """Intents that may cut the coach off while it speaks."""

    STOP = Command.STOP.value
    PAUSE = Command.PAUSE.value
    OUCH = Command.OUCH.value


class Hurt(StrEnum):
    """Intents that stop a movement at once: heard during an exercise, "worse" is
    taken as "ouch" (it hurts now), never as an answer to a question not asked."""

    OUCH = Command.OUCH.value
    WORSE = Answer.WORSE.value


#: The same vocabularies as plain tuples, in their canonical order (argparse
#: choices, validation messages, parametrised tests).
#: Plain ``str`` values: C extensions (PocketSphinx) take exactly a ``str``.
CONTEXTS: Final[tuple[str, ...]] = tuple(c.value for c in Context)
#: The outcomes the engine can end a session with (``interrupted`` is the journal's).
OUTCOMES: Final[tuple[str, ...]] = tuple(o.value for o in Outcome if o is not Outcome.INTERRUPTED)
COMMAND_INTENTS: Final[tuple[str, ...]] = tuple(c.value for c in Command)
BARGE_IN_INTENTS: Final[tuple[str, ...]] = tuple(b.value for b in BargeIn)
#: Answers whose confusion is the costly one (a wrong "better" for "worse", a wrong
#: "no" to a red-flag question): recognizers ask a wider margin for them.
SAFETY_INTENTS: Final[frozenset[str]] = frozenset(i.value for i in (*Answer, *YesNo))


#: The location context's intents, from the spine outwards.
LOCATIONS: Final[tuple[str, ...]] = ("back", "buttock", "thigh", "below-knee")
#: Words that name a place in a symptom answer ("it's only in my buttock now").
#: Not "leg" ("less pain in my leg" names no place) and not "spine" ("towards my
#: spine" is a direction: centralisation whatever the baseline).
_PLACE_WORDS: Final[dict[str, str]] = {
    "back": "back",
    "buttock": "buttock",
    "buttocks": "buttock",
    "bum": "buttock",
    "bottom": "buttock",
    "thigh": "thigh",
    "knee": "below-knee",
    "calf": "below-knee",
    "shin": "below-knee",
    "foot": "below-knee",
    "ankle": "below-knee",
    "toes": "below-knee",
}
#: Words that make a place named in an answer a claim about where the pain is now
#: ("it's only in my buttock now"), not about how a part feels ("my back is better").
_WHERE_WORDS: Final = frozenset({"in", "into", "only", "moved", "now"})


def named_place(text: str) -> str | None:
    """The place furthest from the spine that ``text`` says the pain is in, if any."""
    words = re.findall(r"[a-z]+", text.lower())
    if _WHERE_WORDS.isdisjoint(words):
        return None
    places = [_PLACE_WORDS[w] for w in words if w in _PLACE_WORDS]
    return max(places, key=LOCATIONS.index) if places else None
