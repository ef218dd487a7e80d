"""The progress report: one self-contained HTML page, readable offline.

Charts are SVG documents embedded as ``data:`` images; the styles are inline;
a Content-Security-Policy forbids the page from loading anything else, so it
opens the same on a laptop with no network as on the physiotherapist's.
"""

from __future__ import annotations

import base64
from datetime import date, datetime
from html import escape

from ..dialog.prompts import SYMPTOM_QUESTION
from ..journal import OUTCOME_LABELS, SessionRecord
from . import charts
from .data import (
    NO_ANSWER,
    answers_by_exercise,
    date_span,
    outcome_counts,
    pain_points,
    reach_points,
    sessions_per_week,
    stops,
)
from .periods import (
    LOCATION_ORDER,
    centralisation,
    exercise_answers,
    exercise_names,
    periods_html,
    place_words,
    routine_titles,
    where_text,
)

__all__ = ["build_report", "CHART_IDS", "REACH_CHART_ID"]

#: The ``id`` of each chart's ``<img>`` in the page.
CHART_IDS: tuple[str, ...] = ("chart-pain", "chart-answers", "chart-weekly", "chart-outcomes")
#: The centralisation chart's ``id``: only when some session asked where the pain was.
REACH_CHART_ID = "chart-reach"

_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"

_CSS = """
:root { color-scheme: light; }
body { font-family: "DejaVu Sans", "Segoe UI", Helvetica, Arial, sans-serif; color: #222;
       max-width: 60rem; margin: 0 auto; padding: 1.5rem; line-height: 1.45; }
h1 { font-size: 1.7rem; margin: 0 0 .3rem; }
h2 { font-size: 1.25rem; margin: 2rem 0 .5rem; border-bottom: 2px solid #e3e3e3;
     padding-bottom: .2rem; }
.lead { font-size: 1.05rem; margin: 0; }
.muted { color: #666; font-size: .9rem; }
.cards { display: flex; flex-wrap: wrap; gap: .8rem; margin: 1.2rem 0; }
.card { border: 1px solid #ddd; border-radius: .5rem; padding: .6rem .9rem; min-width: 9rem; }
.card b { display: block; font-size: 1.5rem; }
figure { margin: .5rem 0; }
figure img { width: 100%; height: auto; display: block; }
figcaption { color: #555; font-size: .9rem; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; margin: .5rem 0; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #e6e6e6;
         vertical-align: top; }
th { background: #f5f5f5; }
td.num, th.num { text-align: right; }
details { margin: .3rem 0 1rem; }
summary { cursor: pointer; color: #0b5cab; }
.better { color: #00704f; } .worse { color: #b34700; font-weight: bold; } .same { color: #555; }
.note { background: #fff8e5; border-left: 4px solid #e6a700; padding: .5rem .8rem; }
footer { margin-top: 2.5rem; color: #666; font-size: .85rem; border-top: 1px solid #ddd;
         padding-top: .6rem; }
td ul { margin: 0; padding-left: 1.1rem; }
.stop { color: #b34700; font-weight: bold; }
.pain { white-space: nowrap; font-weight: bold; }
section.period h2 { border-bottom-color: #222; }
@page { size: A4; margin: 14mm 12mm; }
@media print {
  :root { print-color-adjust: exact; -webkit-print-color-adjust: exact; }
  body { max-width: none; padding: 0; font-size: 10pt; line-height: 1.3; }
  details, .screen-only { display: none; }
  h2 { break-after: avoid; margin-top: 1rem; }
  figure, tr, .cards { break-inside: avoid; }
  figure img { width: auto; max-width: 100%; max-height: 8.5cm; margin: 0 auto; }
  section.period { break-before: page; }
  table { font-size: 9pt; }
  footer { margin-top: 1rem; }
}
"""


def _day(d: date) -> str:
    return f"{d.day} {d:%b %Y}"


def _when(moment: datetime) -> str:
    return f"{moment.day} {moment:%b %Y, %H:%M}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _img(chart_id: str, svg: str, alt: str) -> str:
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return (
        f'<img id="{chart_id}" class="chart" alt="{escape(alt)}" '
        f'src="data:image/svg+xml;base64,{data}">'
    )


def _table(headers: list[str], rows: list[list[str]], numeric: set[int] | None = None) -> str:
    numeric = numeric or set()

    def cls(i: int) -> str:
        return ' class="num"' if i in numeric else ""

    head = "".join(f"<th{cls(i)}>{escape(h)}</th>" for i, h in enumerate(headers))
    body = "".join(
        "<tr>" + "".join(f"<td{cls(i)}>{cell}</td>" for i, cell in enumerate(row)) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _rating(value: int | None) -> str:
    return "–" if value is None else str(value)


def _answers_html(s: SessionRecord) -> str:
    return "<br>".join(exercise_answers(s, exercise_names())) or "–"


def _summary(sessions: list[SessionRecord]) -> str:
    counts = outcome_counts(sessions)
    ended_early = len(stops(sessions))
    exercises = sum(len(s.exercises_done) for s in sessions)
    cards = [
        ("Sessions", str(len(sessions))),
        ("Completed", str(counts["completed"])),
        ("Ended early", str(ended_early)),
        ("Exercises done", str(exercises)),
    ]
    points = pain_points(sessions)
    rated = [(p.when, p.before) for p in points if p.before is not None]
    if rated:
        (first_when, first), (last_when, last) = rated[0], rated[-1]
        if len(rated) == 1:
            cards.append((f"Pain on {first_when.day} {first_when:%b}", f"{first} / 10"))
        else:
            cards.append(
                (
                    f"First pain rating, {first_when.day} {first_when:%b} {first_when:%H:%M}",
                    f"{first} / 10",
                )
            )
            cards.append(
                (
                    f"Latest pain rating, {last_when.day} {last_when:%b} {last_when:%H:%M}",
                    f"{last} / 10",
                )
            )
    return (
        '<div class="cards">'
        + "".join(f'<div class="card"><b>{escape(v)}</b>{escape(k)}</div>' for k, v in cards)
        + "</div>"
    )


def _pain_section(sessions: list[SessionRecord]) -> str:
    points = pain_points(sessions)
    svg = charts.pain_chart(points)
    if svg is None:
        return (
            '<h2>Pain over time</h2><p class="note">No 0–10 pain ratings were given '
            "in these sessions. Back Coach asks for one at the start and at the end of each "
            "session; it can be skipped.</p>"
        )
    rows = [[escape(_when(p.when)), _rating(p.before), _rating(p.after)] for p in points]
    return (
        "<h2>Pain over time</h2>"
        "<figure>"
        + _img(
            "chart-pain",
            svg,
            "Line chart of the 0–10 pain rating before and after each session, over time",
        )
        + "<figcaption>The 0–10 pain rating given before and after each session "
        "(0 = no pain, 10 = the worst imaginable).</figcaption></figure>"
        "<details><summary>The ratings as a table</summary>"
        + _table(["Session", "Before", "After"], rows, {1, 2})
        + "</details>"
    )


def _reach_section(sessions: list[SessionRecord]) -> str:
    places = place_words()
    svg = charts.reach_chart(reach_points(sessions, LOCATION_ORDER), places)
    summary = f"<p><b>Over the whole span:</b> {escape(centralisation(sessions))}</p>"
    if svg is None:
        return "<h2>Where the pain reached</h2>" + summary
    rows = [[escape(_when(s.started_at)), escape(where_text(s))] for s in sessions if s.locations]
    return (
        "<h2>Where the pain reached</h2>"
        + summary
        + "<figure>"
        + _img(
            REACH_CHART_ID,
            svg,
            "Chart of how far from the spine the pain reached in each session, over time",
        )
        + "<figcaption>The furthest point of the pain when the session asked, from the back "
        f"outwards ({escape(' → '.join(places))}). Lower is nearer the spine: pain moving "
        "down the chart over the weeks is centralising, which is a good sign.</figcaption>"
        "</figure><details><summary>Where the pain was, as a table</summary>"
        + _table(["Session", "Where the pain was"], rows)
        + "</details>"
    )


def _answers_section(sessions: list[SessionRecord]) -> str:
    names = exercise_names()
    counts = {names.get(k, k): v for k, v in answers_by_exercise(sessions).items()}
    svg = charts.answers_chart(counts)
    if svg is None:
        return (
            '<h2>Better, same or worse, by exercise</h2><p class="note">No exercise was '
            "finished in these sessions.</p>"
        )
    rows = [
        [escape(name)] + [str(c[a]) for a in ("better", "same", "worse", NO_ANSWER)]
        for name, c in counts.items()
    ]
    return (
        "<h2>Better, same or worse, by exercise</h2>"
        "<figure>"
        + _img(
            "chart-answers",
            svg,
            "Bar chart: for each exercise, how often the pain "
            "was better, the same or worse after it",
        )
        + f"<figcaption>After each exercise Back Coach asks: “{escape(SYMPTOM_QUESTION)}” "
        "These are the answers, per exercise.</figcaption></figure>"
        "<details><summary>The answers as a table</summary>"
        + _table(["Exercise", "Better", "Same", "Worse", "No answer"], rows, {1, 2, 3, 4})
        + "</details>"
    )


def _weekly_section(sessions: list[SessionRecord]) -> str:
    weeks = sessions_per_week(sessions)
    svg = charts.weekly_chart(weeks)
    assert svg is not None  # there is at least one session
    rows = [[escape(_day(w)), str(d), str(e), str(d + e)] for w, d, e in weeks]
    return (
        "<h2>Sessions per week</h2>"
        "<figure>"
        + _img("chart-weekly", svg, "Bar chart of the number of sessions in each week")
        + "<figcaption>Sessions in each week (Monday to Sunday), completed or ended early."
        "</figcaption></figure>"
        "<details><summary>Sessions per week as a table</summary>"
        + _table(["Week starting", "Completed", "Ended early", "Total"], rows, {1, 2, 3})
        + "</details>"
    )


def _stops_section(sessions: list[SessionRecord]) -> str:
    counts = outcome_counts(sessions)
    svg = charts.outcomes_chart(counts, OUTCOME_LABELS)
    assert svg is not None
    early = stops(sessions)
    parts = [
        "<h2>How sessions ended, and why they stopped</h2><figure>",
        _img("chart-outcomes", svg, "Bar chart of how many sessions ended in each way"),
        "<figcaption>Completed sessions, and those that stopped early: because the pain got "
        "worse, because you asked, because of a warning sign (red flag), because there was no "
        "answer, or because the program was interrupted.</figcaption></figure>",
    ]
    if early:
        rows = []
        for s in early:
            last = (
                exercise_names().get(s.exercises[-1].exercise, s.exercises[-1].exercise)
                if s.exercises
                else "–"
            )
            rows.append(
                [
                    escape(_when(s.started_at)),
                    escape(routine_titles().get(s.routine or "", s.routine or "–")),
                    escape(OUTCOME_LABELS.get(s.outcome, s.outcome)),
                    escape(last),
                    escape(s.reason or "–"),
                ]
            )
        parts.append(_table(["Session", "Routine", "Ended", "Last exercise", "Reason"], rows))
    else:
        parts.append("<p>Every session was completed.</p>")
    return "".join(parts)


def _sessions_section(sessions: list[SessionRecord]) -> str:
    rows = [
        [
            escape(_when(s.started_at)),
            escape(routine_titles().get(s.routine or "", s.routine or "–")),
            escape(OUTCOME_LABELS.get(s.outcome, s.outcome))
            + (f'<br><span class="muted">{escape(s.reason)}</span>' if s.reason else ""),
            f"{_rating(s.pain_before)} → {_rating(s.pain_after)}",
            _answers_html(s),
            escape(", ".join(c.intent for c in s.commands) or "–"),
        ]
        for s in sessions
    ]
    # on paper the pages per period say all this already
    return (
        '<div class="screen-only"><h2>All sessions</h2>'
        + _table(
            ["Date", "Routine", "How it ended", "Pain", "Exercises: answer", "Commands used"],
            rows,
        )
        + "</div>"
    )


def build_report(
    sessions: list[SessionRecord], generated_at: datetime | None = None, by: str = "week"
) -> str:
    """The whole report page for ``sessions`` (at least one), as HTML text; then one
    page per ``by`` (week or month) for the physiotherapist."""
    if not sessions:
        raise ValueError("build_report needs at least one session")
    generated = generated_at or datetime.now().astimezone()
    first, last = date_span(sessions)
    span = _day(first) if first == last else f"{_day(first)} to {_day(last)}"
    title = f"Back Coach progress report, {span}"
    body = [
        f"<h1>Back Coach progress report</h1>"
        f'<p class="lead">Sessions {"on" if first == last else "from"} <b>{escape(span)}</b>: '
        f"{escape(_plural(len(sessions), 'session'))}.</p>"
        f'<p class="muted">Made {escape(_when(generated))} from the session journal on this '
        "computer.</p>",
        _summary(sessions),
        _pain_section(sessions),
        _reach_section(sessions),
        _answers_section(sessions),
        _weekly_section(sessions),
        _stops_section(sessions),
        _sessions_section(sessions),
        periods_html(sessions, by),
        "<footer>Everything in this page is self-reported by the person doing the exercises, "
        "answered by voice during each session; it is a record to discuss with a health "
        "professional, not a diagnosis. The page is self-contained: it loads nothing from the "
        "internet and can be kept, printed or emailed as it is.</footer>",
    ]
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="generator" content="Back Coach">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head>\n"
        "<body>\n" + "\n".join(body) + "\n</body></html>\n"
    )
