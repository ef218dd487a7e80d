"""What a scenario run produced, and how a difference is shown to a person."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["TranscriptEntry", "Failure", "ScenarioResult", "format_time"]


def format_time(ms: int) -> str:
    """Virtual time as ``m:ss.s``."""
    minutes, rest = divmod(ms, 60_000)
    return f"{minutes}:{rest / 1000:04.1f}"


@dataclass(frozen=True)
class TranscriptEntry:
    """One line of the session: who said what, when, and what it was heard as."""

    time_ms: int
    who: str  # "coach" | "user"
    text: str
    intent: str | None = None
    context: str | None = None
    #: What the recognizer returned, e.g. ``better ('a bit better', 0.93)``.
    recognised: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "time_s": round(self.time_ms / 1000, 3),
            "who": self.who,
            "text": self.text,
            "intent": self.intent,
        }
        if self.who == "user":
            data["context"] = self.context
            data["recognised"] = self.recognised
        return data

    def render(self) -> str:
        line = f"{format_time(self.time_ms):>8}  {self.who:<5}  {self.text}"
        if self.who == "user":
            where = f" [{self.context}]" if self.context else ""
            line += f"  -> {self.recognised or self.intent or '(pending)'}{where}"
        return line


@dataclass(frozen=True)
class Failure:
    """One way the run differed from ``expect``; ``at`` indexes the transcript."""

    message: str
    at: int | None = None


@dataclass
class ScenarioResult:
    name: str
    source: str
    engine: str
    exercises: list[str] = field(default_factory=list)
    outcome: str | None = None
    transcript: list[TranscriptEntry] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    heard: list[str] = field(default_factory=list)
    #: (exercise, answer) for each exercise finished, from the engine's journal entries.
    answers: list[tuple[str, str]] = field(default_factory=list)
    virtual_ms: int = 0
    wall_s: float = 0.0
    known_issue: str | None = None

    @property
    def passed(self) -> bool:
        """The session went as expected."""
        return not self.failures

    @property
    def status(self) -> str:
        """``passed``, ``failed``, ``known_issue`` (failed as the file says it will) or
        ``issue_fixed`` (passed although marked as a known issue)."""
        if self.known_issue is None:
            return "passed" if self.passed else "failed"
        return "issue_fixed" if self.passed else "known_issue"

    @property
    def ok(self) -> bool:
        """Counts as success for the exit status."""
        return self.status in ("passed", "known_issue")

    def to_json(self) -> dict[str, Any]:
        return {
            "scenario": self.name,
            "file": self.source,
            "engine": self.engine,
            "passed": self.passed,
            "status": self.status,
            "known_issue": self.known_issue,
            "exercises": list(self.exercises),
            "outcome": self.outcome,
            "failures": [failure.message for failure in self.failures],
            "virtual_s": round(self.virtual_ms / 1000, 3),
            "wall_s": round(self.wall_s, 3),
            "transcript": [entry.to_json() for entry in self.transcript],
        }

    def render_transcript(self) -> str:
        return "\n".join("    " + entry.render() for entry in self.transcript)

    def render_failures(self, before: int = 4, after: int = 4) -> str:
        """Each failure, with the transcript around where it happened."""
        blocks: list[str] = []
        for failure in self.failures:
            lines = [f"  - {failure.message}"]
            if failure.at is not None and self.transcript:
                at = max(0, min(failure.at, len(self.transcript) - 1))
                first = max(0, at - before)
                last = min(len(self.transcript), at + after + 1)
                lines.append("    transcript around it:")
                for index in range(first, last):
                    marker = ">>" if index == at else "  "
                    lines.append(f"    {marker} {self.transcript[index].render()}")
            blocks.append("\n".join(lines))
        return "\n".join(blocks)
