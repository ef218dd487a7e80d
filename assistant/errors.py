"""One error family for everything a user can get wrong.

Every message is a single line that names the file, key or device involved and
says what to do.  The CLI prints ``str(error)`` and exits non-zero; it never
shows a traceback for an ``AssistantError``.
"""

from __future__ import annotations

__all__ = [
    "AssistantError",
    "ConfigError",
    "RoutineError",
    "ScenarioError",
    "AudioDeviceError",
    "RecognizerError",
    "ModelNotFoundError",
    "SpeechOutputError",
    "JournalError",
]


class AssistantError(Exception):
    """Base class: a problem the user can fix, with a one-line message."""

    exit_code: int = 2


class ConfigError(AssistantError):
    """The configuration file or a command-line setting is invalid."""


class RoutineError(AssistantError):
    """A routine file under dialogs/ is malformed."""


class ScenarioError(AssistantError):
    """A scripted-session (scenario) file is malformed."""


class AudioDeviceError(AssistantError):
    """An audio device is missing, busy or was unplugged."""


class RecognizerError(AssistantError):
    """The speech recognizer could not be set up or could not decode."""


class ModelNotFoundError(RecognizerError):
    """A speech model (for example Vosk's) is not installed."""


class SpeechOutputError(AssistantError):
    """Speech synthesis (pyttsx3 / espeak-ng) is not available."""


class JournalError(AssistantError):
    """The session journal (SQLite) is locked, corrupt or not writable."""


def describe_yaml_error(exc: Exception) -> str:
    """``at line N (problem)`` for a PyYAML error, for a one-line message naming the file."""
    mark = getattr(exc, "problem_mark", None)
    where = f" at line {mark.line + 1}" if mark is not None else ""
    problem = getattr(exc, "problem", None) or "syntax error"
    return f"not valid YAML{where} ({problem})"
