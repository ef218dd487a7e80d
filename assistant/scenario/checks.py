"""Compare a finished run with the scenario's ``expect:`` block."""

from __future__ import annotations

from collections.abc import Sequence

from .model import Expect
from .result import Failure, TranscriptEntry, format_time

__all__ = ["check_expectations"]


def _list(items: Sequence[str]) -> str:
    return "[" + ", ".join(items) + "]"


def _check_exercises(
    expected: Sequence[str],
    actual: Sequence[str],
    started_at: Sequence[int],
    end: int,
    transcript: Sequence[TranscriptEntry],
) -> Failure | None:
    if list(expected) == list(actual):
        return None
    index = next(
        (i for i, (e, a) in enumerate(zip(expected, actual, strict=False)) if e != a),
        min(len(expected), len(actual)),
    )
    if index < len(expected) and index < len(actual):
        detail = f"#{index + 1} expected {expected[index]}, got {actual[index]}"
    elif index < len(expected):
        detail = f"missing from #{index + 1}: {', '.join(expected[index:])}"
    else:
        detail = f"unexpected from #{index + 1}: {', '.join(actual[index:])}"
    at = started_at[index] if index < len(started_at) else end
    # Point at the user's reply that led there, when there is one.
    at = next((i for i in range(at, -1, -1) if transcript[i].who == "user"), at)
    return Failure(
        f"exercises differ: expected {_list(expected)}, got {_list(actual)} ({detail})", at
    )


def _check_said(phrases: Sequence[str], transcript: Sequence[TranscriptEntry]) -> list[Failure]:
    """Each phrase must come after the previous one (later in the same utterance counts)."""
    coach = [(i, e) for i, e in enumerate(transcript) if e.who == "coach"]
    failures: list[Failure] = []
    line, column = 0, 0  # where the search for the next phrase starts
    previous = "the start"
    for phrase in phrases:
        needle = phrase.lower()
        found: tuple[int, int] | None = None
        for k in range(line, len(coach)):
            offset = coach[k][1].text.lower().find(needle, column if k == line else 0)
            if offset >= 0:
                found = (k, offset)
                break
        if found is not None:
            line, column = found[0], found[1] + len(needle)
            previous = f"'{phrase}' at {format_time(coach[line][1].time_ms)}"
            continue
        earlier = next((e for _, e in coach[: line + 1] if needle in e.text.lower()), None)
        where = (
            f"(it was said earlier, at {format_time(earlier.time_ms)}, out of order)"
            if earlier
            else "(never said)"
        )
        at = coach[line][0] if line < len(coach) else (coach[-1][0] if coach else None)
        failures.append(Failure(f"not said: '{phrase}' after {previous} {where}", at))
    return failures


def check_expectations(
    expect: Expect,
    *,
    exercises: Sequence[str],
    exercise_started_at: Sequence[int],
    outcome: str | None,
    heard: Sequence[str],
    transcript: Sequence[TranscriptEntry],
) -> list[Failure]:
    end = max(len(transcript) - 1, 0)
    failures: list[Failure] = []
    if expect.exercises is not None:
        failure = _check_exercises(
            expect.exercises, exercises, exercise_started_at, end, transcript
        )
        if failure:
            failures.append(failure)
    if expect.outcome is not None and expect.outcome != outcome:
        failures.append(
            Failure(f"outcome differs: expected {expect.outcome}, got {outcome or 'none'}", end)
        )
    failures.extend(_check_said(expect.said, transcript))
    for phrase in expect.not_said:
        needle = phrase.lower()
        for index, entry in enumerate(transcript):
            if entry.who == "coach" and needle in entry.text.lower():
                failures.append(Failure(f"said although it must not be: '{phrase}'", index))
                break
    if expect.heard is not None and list(expect.heard) != list(heard):
        index = next(
            (i for i, (e, a) in enumerate(zip(expect.heard, heard, strict=False)) if e != a),
            min(len(expect.heard), len(heard)),
        )
        replies = [i for i, entry in enumerate(transcript) if entry.who == "user"]
        at = replies[min(index, len(replies) - 1)] if replies else end
        failures.append(
            Failure(
                f"recognised intents differ: expected {_list(expect.heard)}, got {_list(heard)}",
                at,
            )
        )
    return failures
