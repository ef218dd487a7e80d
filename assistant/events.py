"""Events that flow into the dialog engine and actions that flow out of it.

These frozen dataclasses are the whole contract between the sans-I/O engine and
the world (recognizer, clock, speaker, journal).  Times are integers in
milliseconds on the injected clock (``*_ms``); durations carry their unit in the
name (``hold_s``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

__all__ = [
    "CONTEXTS",
    "COMMAND_INTENTS",
    "OUTCOMES",
    "Context",
    "Outcome",
    "Event",
    "Action",
    "Heard",
    "NotUnderstood",
    "Silence",
    "TimerFired",
    "SpeechFinished",
    "DeviceLost",
    "DeviceRestored",
    "Interrupted",
    "Say",
    "Listen",
    "StopSpeaking",
    "StartTimer",
    "CancelTimer",
    "LogEntry",
    "End",
]

Context = Literal["symptom", "yes-no", "side", "number", "routine", "command"]
#: Listening contexts.  The recognizer restricts its grammar to the context the
#: engine asks for; global commands are accepted in every context.
CONTEXTS: Final[tuple[str, ...]] = ("symptom", "yes-no", "side", "number", "routine", "command")

#: Intents the recognizer may return (``Heard.intent``), by context:
#:   symptom: better | worse | same
#:   yes-no:  yes | no
#:   side:    left | right | both
#:   number:  "0" .. "10"
#:   routine: extension | flexion | stenosis | stretches
#:   command (global, accepted in every context): the names below.
COMMAND_INTENTS: Final[tuple[str, ...]] = (
    "pause",
    "resume",
    "repeat",
    "skip",
    "stop",
    "slower",
    "faster",
    "help",
    "ouch",
)

Outcome = Literal["completed", "stopped_worse", "stopped_by_user", "red_flag", "no_response"]
OUTCOMES: Final[tuple[str, ...]] = (
    "completed",
    "stopped_worse",
    "stopped_by_user",
    "red_flag",
    "no_response",
)


# --------------------------------------------------------------------- events


@dataclass(frozen=True)
class Heard:
    """The recognizer understood an utterance as ``intent``."""

    intent: str
    text: str
    confidence: float = 1.0
    start_ms: int = 0
    end_ms: int = 0


@dataclass(frozen=True)
class NotUnderstood:
    """Speech (or noise) was detected but matched no intent with confidence."""

    text: str = ""
    start_ms: int = 0
    end_ms: int = 0


@dataclass(frozen=True)
class Silence:
    """Nothing was said for ``duration_ms`` while listening."""

    duration_ms: int


@dataclass(frozen=True)
class TimerFired:
    """A timer the engine started with ``StartTimer`` reached its deadline."""

    name: str
    timestamp_ms: int


@dataclass(frozen=True)
class SpeechFinished:
    """The speaker finished (or was cut off while) saying utterance ``utterance_id``."""

    utterance_id: int
    timestamp_ms: int
    interrupted: bool = False


@dataclass(frozen=True)
class DeviceLost:
    """An audio device went away (unplugged, busy); ``message`` says which and why."""

    device: str
    message: str


@dataclass(frozen=True)
class DeviceRestored:
    """A lost audio device is usable again."""

    device: str


@dataclass(frozen=True)
class Interrupted:
    """The user pressed Ctrl-C (or the process is being shut down)."""


Event = (
    Heard
    | NotUnderstood
    | Silence
    | TimerFired
    | SpeechFinished
    | DeviceLost
    | DeviceRestored
    | Interrupted
)


# -------------------------------------------------------------------- actions


@dataclass(frozen=True)
class Say:
    """Speak ``text``.  ``cacheable`` marks short prompts worth caching (numbers, "relax")."""

    text: str
    utterance_id: int = 0
    cacheable: bool = False


@dataclass(frozen=True)
class Listen:
    """Listen for an answer in ``context`` (``None`` means: stop listening)."""

    context: str | None


@dataclass(frozen=True)
class StopSpeaking:
    """Cut off whatever is being spoken now (barge-in)."""


@dataclass(frozen=True)
class StartTimer:
    """Fire ``TimerFired(name)`` when the clock reaches ``deadline_ms`` (absolute)."""

    name: str
    deadline_ms: int


@dataclass(frozen=True)
class CancelTimer:
    name: str


@dataclass(frozen=True)
class LogEntry:
    """A record for the session journal.

    ``kind`` is one of: ``session_started`` (routine, engine), ``rating``
    (phase: before|after, value), ``exercise_started`` (exercise, side),
    ``exercise_finished`` (exercise, side, reps_done, hold_s_done, answer),
    ``command`` (intent, exercise), ``session_ended`` (outcome, reason).
    """

    kind: str
    timestamp_ms: int
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class End:
    """The session is over with ``outcome``; ``reason`` is a short human sentence."""

    outcome: str
    reason: str = ""


Action = Say | Listen | StopSpeaking | StartTimer | CancelTimer | LogEntry | End
