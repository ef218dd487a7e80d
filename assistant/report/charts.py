"""The report's charts, drawn with matplotlib as self-contained SVG documents.

Each function returns SVG text (or ``None`` when there is nothing to draw).  Text
is drawn as paths, so the charts look the same on any computer, with no fonts
or anything else fetched from anywhere.  Only the object-oriented ``Figure`` API
is used: no pyplot, no global backend state.
"""

from __future__ import annotations

import io
from collections import Counter
from datetime import date, datetime, time, timedelta
from typing import Any

import matplotlib
import matplotlib.dates as mdates
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, MaxNLocator

from ..vocab import Outcome
from .data import NO_ANSWER, PainPoint, ReachPoint

__all__ = [
    "COLOURS",
    "OUTCOME_COLOURS",
    "pain_chart",
    "reach_chart",
    "answers_chart",
    "weekly_chart",
    "outcomes_chart",
]

# Okabe–Ito colours: distinguishable with the common colour-vision deficiencies.
COLOURS: dict[str, str] = {
    "better": "#009E73",
    "same": "#8C8C8C",
    "worse": "#D55E00",
    NO_ANSWER: "#D9D9D9",
    "before": "#D55E00",
    "after": "#0072B2",
    "completed": "#009E73",
    "early": "#E69F00",
}
OUTCOME_COLOURS: dict[str, str] = {
    Outcome.COMPLETED: "#009E73",
    Outcome.STOPPED_WORSE: "#D55E00",
    Outcome.STOPPED_BY_USER: "#E69F00",
    Outcome.RED_FLAG: "#CC0000",
    Outcome.NO_RESPONSE: "#8C8C8C",
    Outcome.INTERRUPTED: "#56B4E9",
    "in_progress": "#D9D9D9",
}

_RC: Any = {
    "svg.fonttype": "path",
    "font.family": "DejaVu Sans",
    "font.size": 11,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titleweight": "bold",
    "axes.titlesize": 12,
}


def _svg(fig: Figure, salt: str) -> str:
    """Render ``fig`` to SVG text; ``salt`` keeps element ids unique per chart."""
    buf = io.StringIO()
    rc: Any = {**_RC, "svg.hashsalt": salt}
    with matplotlib.rc_context(rc):
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    return buf.getvalue()


def _figure(width_in: float, height_in: float) -> Figure:
    with matplotlib.rc_context(_RC):
        return Figure(figsize=(width_in, height_in), layout="constrained")


def _date_axis(ax: Any, first: datetime, last: datetime) -> None:
    """Dates under the sessions: up to three months as whole days, each date at the
    middle of its day (a session at 07:30 and one at 19:00 sit either side of it), a
    lone day padded by half a day each side; longer spans as matplotlib chooses."""
    tz = first.tzinfo
    days = (last.astimezone(tz).date() - first.date()).days
    if days <= 90:
        midnight = datetime.combine(first.date(), time(), tz)
        pad = timedelta(hours=12 if days == 0 else 2)
        ax.set_xlim(_num(midnight - pad), _num(midnight + timedelta(days=days + 1) + pad))
        step = max(1, -(-(days + 1) // 8))
        noons = [midnight + timedelta(days=d, hours=12) for d in range(0, days + 1, step)]
        ax.xaxis.set_major_locator(FixedLocator([_num(n) for n in noons]))
    else:
        ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=3, maxticks=8, tz=tz))  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b", tz=tz))  # type: ignore[no-untyped-call]


def _num(when: datetime) -> float:
    return float(mdates.date2num(when))  # type: ignore[no-untyped-call]


def pain_chart(points: list[PainPoint]) -> str | None:
    """Pain (0–10) before and after each session, over time."""
    if not points:
        return None
    with matplotlib.rc_context(_RC):
        fig = _figure(8, 3.6)
        ax = fig.add_subplot()
        for phase, marker in (("before", "o"), ("after", "s")):
            xs = [p.when for p in points if getattr(p, phase) is not None]
            ys = [getattr(p, phase) for p in points if getattr(p, phase) is not None]
            if xs:
                ax.plot(
                    xs,  # type: ignore[arg-type]
                    ys,
                    marker=marker,
                    linestyle="-",
                    linewidth=2,
                    markersize=7,
                    color=COLOURS[phase],
                    label=f"{phase} the session",
                )
        ax.set_ylim(-0.3, 10.3)
        ax.set_yticks(range(0, 11, 2))
        ax.set_ylabel("Pain (0 = none, 10 = worst)")
        ax.grid(axis="y", alpha=0.3)
        _date_axis(ax, points[0].when, points[-1].when)
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False, ncols=2)
        return _svg(fig, "pain")


def answers_chart(counts: dict[str, Counter[str]]) -> str | None:
    """Better / same / worse answers per exercise, as stacked horizontal bars."""
    if not counts:
        return None
    names = list(counts)
    categories = ["better", "same", "worse", NO_ANSWER]
    shown = [c for c in categories if any(counts[n][c] for n in names)]
    with matplotlib.rc_context(_RC):
        fig = _figure(8, 1.2 + 0.45 * len(names))
        ax = fig.add_subplot()
        left = [0] * len(names)
        ys = list(range(len(names)))
        for cat in shown:
            widths = [counts[n][cat] for n in names]
            bars = ax.barh(ys, widths, left=left, color=COLOURS[cat], label=cat, height=0.65)
            labels = [str(w) if w else "" for w in widths]
            ax.bar_label(bars, labels=labels, label_type="center", color="white", fontsize=10)
            left = [a + b for a, b in zip(left, widths, strict=True)]
        ax.set_yticks(ys, names)
        ax.invert_yaxis()
        ax.set_xlabel("Times the exercise was done")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=len(shown), frameon=False)
        return _svg(fig, "answers")


def weekly_chart(weeks: list[tuple[date, int, int]]) -> str | None:
    """Sessions per week: completed, and ended early, stacked."""
    if not weeks:
        return None
    with matplotlib.rc_context(_RC):
        fig = _figure(8, 3.2)
        ax = fig.add_subplot()
        xs = list(range(len(weeks)))
        done = [w[1] for w in weeks]
        early = [w[2] for w in weeks]
        ax.bar(xs, done, color=COLOURS["completed"], label="completed", width=0.7)
        ax.bar(xs, early, bottom=done, color=COLOURS["early"], label="ended early", width=0.7)
        step = max(1, len(weeks) // 12)
        centre, half = (len(weeks) - 1) / 2, max(len(weeks), 5) / 2
        ax.set_xlim(centre - half, centre + half)  # a lone week is not one huge bar
        ax.set_xticks(xs[::step], [w[0].strftime("%d %b") for w in weeks][::step])
        ax.set_xlabel("Week starting (Monday)")
        ax.set_ylabel("Sessions")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylim(0, max(d + e for d, e in zip(done, early, strict=True)) + 0.5)
        ax.grid(axis="y", alpha=0.3)
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False, ncols=2)
        return _svg(fig, "weekly")


def outcomes_chart(counts: Counter[str], labels: dict[str, str]) -> str | None:
    """How sessions ended: one bar per outcome."""
    if not counts:
        return None
    order = [o for o in OUTCOME_COLOURS if counts[o]] + sorted(
        o for o in counts if o not in OUTCOME_COLOURS
    )
    with matplotlib.rc_context(_RC):
        fig = _figure(8, 1.0 + 0.45 * len(order))
        ax = fig.add_subplot()
        ys = list(range(len(order)))
        bars = ax.barh(
            ys,
            [counts[o] for o in order],
            color=[OUTCOME_COLOURS.get(o, "#999999") for o in order],
            height=0.65,
        )
        ax.bar_label(bars, padding=4)
        ax.set_yticks(ys, [labels.get(o, o) for o in order])
        ax.invert_yaxis()
        ax.set_xlabel("Sessions")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlim(0, max(counts.values()) * 1.15 + 0.5)
        return _svg(fig, "outcomes")


def reach_chart(points: list[ReachPoint], places: list[str]) -> str | None:
    """How far from the spine the pain reached, per session: the answer at the start
    (and at the end, when the session asked again), lower = nearer the back."""
    if not points:
        return None
    with matplotlib.rc_context(_RC):
        fig = _figure(8, 3.0)
        ax = fig.add_subplot()
        befores = [(p.when, p.before) for p in points if p.before is not None]
        afters = [(p.when, p.after) for p in points if p.after is not None]
        for p in points:  # before → after within a session
            if p.before is not None and p.after is not None and p.before != p.after:
                ax.annotate(
                    "",
                    xy=(mdates.date2num(p.when), p.after),  # type: ignore[no-untyped-call]
                    xytext=(mdates.date2num(p.when), p.before),  # type: ignore[no-untyped-call]
                    arrowprops={"arrowstyle": "->", "color": "#555555", "linewidth": 1.5},
                )
        for phase, pairs, marker in (("before", befores, "o"), ("after", afters, "s")):
            if pairs:
                ax.plot(
                    [w for w, _ in pairs],  # type: ignore[arg-type]
                    [r for _, r in pairs],
                    marker=marker,
                    linestyle="-" if phase == "before" else "none",
                    linewidth=2,
                    markersize=8,
                    color=COLOURS[phase],
                    label=f"{'at the start of' if phase == 'before' else 'at the end of'} "
                    "the session",
                )
        ax.set_ylim(-0.4, len(places) - 0.6)
        ax.set_yticks(range(len(places)), places)
        ax.set_ylabel("Furthest point of the pain")
        ax.grid(axis="y", alpha=0.3)
        _date_axis(ax, points[0].when, points[-1].when)
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False, ncols=2)
        return _svg(fig, "reach")
