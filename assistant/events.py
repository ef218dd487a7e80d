"""Events that flow into the dialog engine and actions that flow out of it.

These frozen dataclasses are the whole contract between the sans-I/O engine and
the world (recognizer, clock, speaker, journal).  Times are integers in
milliseconds on the injected clock (``*_ms``); durations carry their unit in the
name (``hold_s``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .vocab import COMMAND_INTENTS, CONTEXTS, OUTCOMES, Context, LogKind, Outcome

__all__ = [
    "CONTEXTS",
    "COMMAND_INTENTS",
    "OUTCOMES",
    "Context",
    "Outcome",
    "LogKind",
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
    "TalkedOver",
    "Say",
    "Listen",
    "StopSpeaking",
    "StartTimer",
    "CancelTimer",
    "LogEntry",
    "End",
]

# The vocabularies (contexts, outcomes, log kinds, commands) live in
# ``assistant.vocab``; they are re-exported here because every event user needs them.
#: Intents the recognizer may return (``Heard.intent``), by context:
#:   symptom: better | worse | same          (``vocab.Answer``) | unsure
#:   yes-no:  yes | no                       (``vocab.YesNo``) | unsure
#:   side:    left | right | both            (``vocab.Side``) | middle
#:   number:  "0" .. "10"
#:   routine: a routine id | explain | unsure
#:   exercise: better | worse | ready
#:   location: back | buttock | thigh | below-knee | unsure
#:   command (global, accepted in every context): ``vocab.Command``.


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


@dataclass(frozen=True)
class TalkedOver:
    """Someone began speaking before the coach had finished and went on after it: the
    start was not listened to, so what was said is not known (``*_ms``: the speech)."""

    start_ms: int = 0
    end_ms: int = 0


Event = (
    Heard
    | NotUnderstood
    | Silence
    | TimerFired
    | SpeechFinished
    | DeviceLost
    | DeviceRestored
    | Interrupted
    | TalkedOver
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

    context: Context | None


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
    """A record for the session journal; ``assistant.dialog.log`` builds each kind
    with its typed fields (``session_started``: routine, start_exercise, engine;
    ``rating``: phase, value; ``exercise_started``: exercise, side;
    ``exercise_finished``: exercise, side, reps_done, hold_s_done, answer, earlier;
    ``command``: intent, exercise; ``session_ended``: outcome, reason;
    ``pain_location``: phase, location, side).
    """

    kind: LogKind
    timestamp_ms: int
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class End:
    """The session is over with ``outcome``; ``reason`` is a short human sentence."""

    outcome: Outcome
    reason: str = ""


Action = Say | Listen | StopSpeaking | StartTimer | CancelTimer | LogEntry | End
