"""The scenario file, as typed data (see ``audio_fixtures/scenarios/README.md``).

A scenario is one scripted session: which routine, the user's replies (spoken by
espeak-ng, read from a recording, or silence), and what must come out of it.
Structure is checked here (pydantic, unknown keys rejected); what depends on the
outside world (routine and exercise ids, WAV files) is checked by the loader.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..asr.registry import engine_names
from ..events import CONTEXTS

__all__ = ["Turn", "Expect", "Scenario", "ENGINES", "spoken_text"]

#: Recognizers a scenario may ask for.  ``text`` skips audio: the ``say:`` text
#: goes straight through the intent matcher.
ENGINES: tuple[str, ...] = engine_names()

_YAML_WORDS = {True: "yes", False: "no"}


def spoken_text(value: Any) -> Any:
    """YAML 1.1 reads a bare ``no`` as ``False`` and ``5`` as an int; say them as words."""
    if isinstance(value, bool):
        return _YAML_WORDS[value]
    if isinstance(value, int | float):
        return str(value)
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Turn(_Strict):
    """One reply of the user (exactly one of ``say``, ``wav``, ``silence_s``)."""

    context: str | None = None
    after: str | None = None
    during: str | None = None
    say: str | None = None
    wav: str | None = None
    silence_s: float | None = Field(default=None, ge=0, le=3600)
    #: Extension: the espeak-ng voice for this ``say:`` (defaults to the scenario's).
    voice: str | None = None

    @field_validator("say", "after", mode="before")
    @classmethod
    def _words(cls, value: Any) -> Any:
        return spoken_text(value)

    @property
    def kind(self) -> Literal["say", "wav", "silence"]:
        if self.say is not None:
            return "say"
        if self.wav is not None:
            return "wav"
        return "silence"

    def describe(self) -> str:
        if self.say is not None:
            return f'say "{self.say}"'
        if self.wav is not None:
            return f"wav {self.wav}"
        return f"{self.silence_s:g} s of silence"


class Expect(_Strict):
    """What the session must produce; every key is optional."""

    exercises: list[str] | None = None
    outcome: str | None = None
    said: list[str] = Field(default_factory=list)
    #: Extension: substrings the assistant must never say.
    not_said: list[str] = Field(default_factory=list)
    #: Extension: the intents recognised from the user's turns, in order
    #: (``not_understood`` and ``silence`` for turns that gave none).
    heard: list[str] | None = None

    @field_validator("said", "not_said", "heard", mode="before")
    @classmethod
    def _words(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [spoken_text(item) for item in value]
        return value


class Scenario(_Strict):
    routine: str
    start: str | None = None
    engine: str | None = None
    defaults: dict[str, str] = Field(default_factory=dict)
    turns: list[Turn] = Field(default_factory=list)
    expect: Expect = Field(default_factory=Expect)
    #: Extensions: a one-line description, the side for one-sided exercises,
    #: and the espeak-ng voice and rate used to speak ``say:`` turns.
    description: str | None = None
    side: str | None = None
    voice: str = "en-us+klatt2"
    rate_wpm: int = Field(default=150, ge=80, le=400)
    #: Extension: give up (and fail) when the session runs longer than this.
    max_minutes: float = Field(default=90, gt=0, le=600)
    #: Extension: a known bug makes this scenario fail; say which.  A failure is
    #: then reported as "known issue" (not counted); a pass says the issue is fixed
    #: and counts as a failure until the key is removed.  It applies to the
    #: scenario's own engine only (not when ``--engine`` picks another).
    known_issue: str | None = Field(default=None, min_length=1)

    @field_validator("defaults", mode="before")
    @classmethod
    def _default_words(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {key: spoken_text(item) for key, item in value.items()}
        return value

    @staticmethod
    def contexts() -> tuple[str, ...]:
        return CONTEXTS
