"""The physiotherapist's pages: one printed page per period (a week or a month).

Each page lists every session of the period: the pain rating before → after,
where the pain was (when the session asked), each exercise by its name with
the answer given after it, and how the session ended and why.  A line on top
says whether the pain centralised (moved toward the back) over the period.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from html import escape

from ..dialog.location import LOCATIONS
from ..journal import OUTCOME_LABELS, SessionRecord

__all__ = [
    "LOCATION_ORDER",
    "Period",
    "centralisation",
    "exercise_names",
    "routine_titles",
    "locations_of",
    "place_words",
    "where_text",
    "periods",
    "periods_html",
]

#: Where the pain reaches, from the spine outwards (McKenzie: centralisation is
#: pain retreating up this list): the where-is-the-pain question's answers.
LOCATION_ORDER = LOCATIONS
_LOCATION_WORDS = {
    "back": "back only",
    "buttock": "buttock",
    "thigh": "thigh",
    "below-knee": "below the knee",
}
_SIDE_WORDS = {
    "left": "left side",
    "right": "right side",
    "both": "both sides",
    "middle": "in the middle",
}


def place_words() -> list[str]:
    """The chart's labels for ``LOCATION_ORDER``, from the spine outwards."""
    return [_LOCATION_WORDS[loc].removesuffix(" only") for loc in LOCATION_ORDER]


def where_text(session: SessionRecord) -> str:
    """Where the pain was and on which side, as the session recorded it ("thigh, left
    side"); an answer given again at the end of the session follows an arrow."""
    parts = []
    for place in session.locations:
        words = _LOCATION_WORDS.get(place.location, place.location)
        if place.side:
            words += f", {_SIDE_WORDS.get(place.side, place.side)}"
        parts.append(("at the end: " if place.phase == "after" else "") + words)
    return " → ".join(parts)


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive
    sessions: list[SessionRecord]

    def label(self, by: str) -> str:
        if by == "month":
            return f"{self.start:%B %Y}"
        same_month = self.start.month == self.end.month
        first = f"{self.start.day}" if same_month else f"{self.start.day} {self.start:%b}"
        return f"Week of {first}–{self.end.day} {self.end:%b %Y}"


def _start_of(day: date, by: str) -> date:
    if by == "month":
        return day.replace(day=1)
    return day - timedelta(days=day.weekday())


def _end_of(start: date, by: str) -> date:
    if by == "month":
        following = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
        return following - timedelta(days=1)
    return start + timedelta(days=6)


def periods(sessions: list[SessionRecord], by: str = "week") -> list[Period]:
    """Periods that have sessions, oldest first (a week starts on Monday)."""
    grouped: dict[date, list[SessionRecord]] = {}
    for s in sorted(sessions, key=lambda s: s.started_at):
        grouped.setdefault(_start_of(s.started_at.date(), by), []).append(s)
    return [Period(start, _end_of(start, by), group) for start, group in grouped.items()]


def locations_of(session: SessionRecord) -> list[str]:
    """Where the pain was, as the session recorded it (empty when it did not ask)."""
    return list(session.pain_locations)


def _reach(locations: Iterable[str]) -> int | None:
    """How far from the spine the pain reached (an index of ``LOCATION_ORDER``)."""
    ranks = [LOCATION_ORDER.index(loc) for loc in locations if loc in LOCATION_ORDER]
    return max(ranks) if ranks else None


def centralisation(sessions: list[SessionRecord]) -> str:
    """One sentence: did the pain move toward the back over these sessions?"""
    reaches = [r for s in sessions if (r := _reach(locations_of(s))) is not None]
    if len(reaches) >= 2:
        a, b = reaches[0], reaches[-1]
        words = [_LOCATION_WORDS[LOCATION_ORDER[i]] for i in (a, b)]
        where = f"from {words[0]} to {words[1]}"
        if b < a:
            return f"Centralising: the pain's furthest point moved toward the back, {where}."
        if b > a:
            return f"Peripheralising: the pain spread further from the back, {where}."
        return f"No change in where the pain reached ({_LOCATION_WORDS[LOCATION_ORDER[a]]})."
    if reaches:  # asked once: nothing to compare yet
        reached = _LOCATION_WORDS[LOCATION_ORDER[reaches[0]]]
        return f"Where the pain reached: {reached} (asked in one session, nothing to compare yet)."
    answers = [e.answer for s in sessions for e in s.exercises_done if e.answer]
    if not answers:
        return "The pain's location was not asked, and no exercise was answered."
    better, worse = answers.count("better"), answers.count("worse")
    return (
        "The pain's location was not asked in these sessions; after the exercises the "
        f"pain was better {better}, the same {answers.count('same')} and worse {worse} "
        f"time{'s' if worse != 1 else ''}."
    )


def _pain(s: SessionRecord) -> str:
    def one(value: int | None) -> str:
        return "–" if value is None else str(value)

    return f"{one(s.pain_before)} → {one(s.pain_after)}"


def _pain_change(sessions: list[SessionRecord]) -> str:
    """The pain rating at the start of the period's first and last rated sessions, and
    how much a session changed it on average."""
    before = [s.pain_before for s in sessions if s.pain_before is not None]
    pairs = [
        s.pain_after - s.pain_before
        for s in sessions
        if s.pain_before is not None and s.pain_after is not None
    ]
    if not before:
        return "No 0–10 pain rating was given."
    text = f"Pain before a session: {before[0]} at first, {before[-1]} at the end."
    if pairs:
        mean = sum(pairs) / len(pairs)
        text += f" A session changed it by {mean:+.1f} on average ({len(pairs)} rated twice)."
    return text


def exercise_answers(s: SessionRecord, names: Mapping[str, str]) -> list[str]:
    """Each exercise of ``s`` by its name (and side) with the answer after it, as HTML."""
    parts = []
    for ex in s.exercises:
        name = escape(names.get(ex.exercise, ex.exercise) + (f" ({ex.side})" if ex.side else ""))
        if not ex.finished:
            parts.append(f"{name}: <i>not finished</i>")
        else:
            spans = (f'<span class="{escape(a)}">{escape(a)}</span>' for a in ex.said)
            parts.append(f"{name}: " + " → ".join(spans))
    return parts


def _exercises(s: SessionRecord, names: Mapping[str, str]) -> str:
    rows = "".join(f"<li>{part}</li>" for part in exercise_answers(s, names))
    return f"<ul>{rows}</ul>" if rows else "–"


def _ended(s: SessionRecord) -> str:
    label = escape(OUTCOME_LABELS.get(s.outcome, s.outcome))
    css = "" if s.outcome == "completed" else ' class="stop"'
    reason = f'<br><span class="muted">{escape(s.reason)}</span>' if s.reason else ""
    return f"<span{css}>{label}</span>{reason}"


def _period_html(
    period: Period, by: str, names: Mapping[str, str], titles: Mapping[str, str]
) -> str:
    sessions = period.sessions
    asked = any(locations_of(s) for s in sessions)
    head = ["Date", "Routine", "Pain (0–10) before → after"]
    head += ["Where the pain was"] if asked else []
    head += ["Exercises: answer after each", "How it ended"]
    rows = []
    for s in sessions:
        cells = [
            escape(f"{s.started_at:%a} {s.started_at.day} {s.started_at:%b, %H:%M}"),
            escape(titles.get(s.routine or "", s.routine or "–")),
            f'<span class="pain">{_pain(s)}</span>',
        ]
        if asked:
            cells.append(escape(where_text(s) or "not asked"))
        cells += [_exercises(s, names), _ended(s)]
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    stops = sum(s.outcome != "completed" for s in sessions)
    n = len(sessions)
    return (
        f'<section class="period"><h2>{escape(period.label(by))}</h2>'
        f'<p class="lead">{n} session{"s" if n != 1 else ""}, {stops} ended early. '
        f"{escape(_pain_change(sessions))}</p>"
        f"<p><b>Centralisation:</b> {escape(centralisation(sessions))}</p>"
        "<table><thead><tr>"
        + "".join(f"<th>{escape(h)}</th>" for h in head)
        + "</tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table></section>"
    )


def periods_html(sessions: list[SessionRecord], by: str = "week") -> str:
    """Every period's page, oldest first, with exercises and routines by their names."""
    names, titles = _names()
    return "".join(_period_html(p, by, names, titles) for p in periods(sessions, by))


def exercise_names() -> dict[str, str]:
    return _names()[0]


def routine_titles() -> dict[str, str]:
    return _names()[1]


@functools.cache
def _names() -> tuple[dict[str, str], dict[str, str]]:
    """exercise id → name and routine id → title, from the routine files."""
    from ..dialog.routine import load_routines
    from ..errors import AssistantError

    try:
        routines = load_routines()
    except AssistantError:  # a broken routine file must not stop the report
        return {}, {}
    names = {e.id: e.name for r in routines.values() for e in r.exercises}
    return names, {r.id: r.title for r in routines.values()}
