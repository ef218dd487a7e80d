"""A routine's decision graph, for a physiotherapist to review.

``render(routine, "mermaid")`` gives Mermaid flowchart text (paste it into any
Mermaid viewer, or a Markdown file on GitHub/GitLab); ``render(routine, "svg")``
gives a self-contained SVG drawing made with matplotlib (no network, no
Graphviz needed).  Both show the exercises as nodes, the better / same / worse
answers as labelled arrows, where the routine finishes and where it stops, and
the rules that apply whatever the answers are.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

from .dialog.machine import FlowMachine, routine_transitions, target_of
from .dialog.routine import DONE, STOP, Exercise, Routine
from .vocab import Answer

__all__ = ["FORMATS", "render", "to_mermaid", "to_svg", "edges", "Edge", "global_rules"]

FORMATS: Final[tuple[str, ...]] = ("mermaid", "svg")

#: Colours of the answers (the same as the progress report's).
_COLOUR = {Answer.BETTER: "#009E73", Answer.SAME: "#6E6E6E", Answer.WORSE: "#D55E00"}
_STOP_FILL, _DONE_FILL, _EX_FILL = "#FBE3D6", "#D9F2E9", "#E8F1FA"


def global_rules() -> tuple[str, ...]:
    """The rules the dialog engine applies on top of the arrows, in words."""
    from .dialog.engine import MAX_VISITS, MAX_WORSE

    return (
        "Before the first exercise: a yes to any red-flag question ends the session "
        "(red_flag, with advice to get urgent care).",
        "At any time: saying “stop” ends the session (stopped_by_user). “Ouch”, “that "
        "hurts” or “worse” during an exercise stops it at once and takes its “worse” "
        "arrow, without asking.",
        f"A {_ordinal(MAX_WORSE)} “worse” in one session stops it (stopped_worse), "
        "whatever the arrow says.",
        f"An exercise is done at most {MAX_VISITS} times per session; an arrow back to it "
        "after that finishes the routine (completed).",
        "“Skip” moves on to the next exercise in the list; no answer at all ends the "
        "session (no_response).",
    )


def _ordinal(n: int) -> str:
    return {1: "first", 2: "second", 3: "third"}.get(n, f"{n}th")


@dataclass(frozen=True)
class Edge:
    """One arrow: from an exercise to an exercise id, ``done`` or ``stop``."""

    source: str
    target: str
    answers: tuple[str, ...]

    @property
    def label(self) -> str:
        return " / ".join(self.answers)

    @property
    def colour(self) -> str:
        # Any arrow taken on "worse" (and not on "better") is in the warning colour.
        worse, better = Answer.WORSE in self.answers, Answer.BETTER in self.answers
        if worse and not better:
            return _COLOUR[Answer.WORSE]
        if better and not worse:
            return _COLOUR[Answer.BETTER]
        return _COLOUR[Answer.SAME]

    @property
    def is_self_loop(self) -> bool:
        return self.source == self.target


def edges(routine: Routine) -> list[Edge]:
    """The routine's arrows, answers with the same target merged ("better / same").

    Read from the transitions the dialog's state machine is built from, so the
    drawing cannot disagree with what the engine does (the guards that apply
    whatever the answers are listed by :func:`global_rules`).
    """
    targets: dict[str, dict[str, list[str]]] = {e.id: {} for e in routine.exercises}
    for rule in routine_transitions(routine):
        if rule["trigger"] not in tuple(Answer):
            continue  # "skip": in the rules below the drawing
        source = FlowMachine.exercise_of(rule["source"])
        assert source is not None
        targets[source].setdefault(target_of(rule["dest"]), []).append(rule["trigger"])
    return [Edge(s, t, tuple(a)) for s, by in targets.items() for t, a in by.items()]


def _short_dose(exercise: Exercise) -> str:
    parts = []
    if exercise.reps is not None:
        parts.append(f"{exercise.reps} reps")
    if exercise.hold_s is not None:
        hold = f"{exercise.hold_s} s hold"
        parts.append(hold if exercise.reps is None else f"{exercise.hold_s} s hold each")
    if exercise.sides == "each":
        parts.append("each side")
    elif exercise.sides == "affected":
        parts.append("painful side")
    text = ", ".join(parts)
    if exercise.extend_while_better and exercise.hold_max_s:
        text += f"; held longer while better (to {exercise.hold_max_s} s)"
    return text


def render(routine: Routine, fmt: str = "mermaid") -> str:
    """The routine's decision graph as Mermaid text or as an SVG document."""
    if fmt == "mermaid":
        return to_mermaid(routine)
    if fmt == "svg":
        return to_svg(routine)
    raise ValueError(f"unknown diagram format {fmt!r}; use one of: {', '.join(FORMATS)}")


# ------------------------------------------------------------------ Mermaid


def _mid(exercise_id: str) -> str:
    return "ex_" + re.sub(r"[^A-Za-z0-9_]", "_", exercise_id)


def _mtext(text: str) -> str:
    """Text safe inside a double-quoted Mermaid label."""
    return (
        text.replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")
    )


def _ytext(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def to_mermaid(routine: Routine) -> str:
    lines = [
        "---",
        # YAML front matter: a double-quoted string, so a colon in a title is safe.
        f'title: "{_ytext(routine.title)} ({routine.id})"',
        "---",
        "flowchart TD",
        '    start_node(["Start"])',
    ]
    for exercise in routine.exercises:
        label = f"<b>{_mtext(exercise.name)}</b><br/>{exercise.id}"
        dose = _short_dose(exercise)
        if dose:
            label += f"<br/><small>{_mtext(dose)}</small>"
        lines.append(f'    {_mid(exercise.id)}["{label}"]')
    all_edges = edges(routine)
    targets = {e.target for e in all_edges}
    if DONE in targets:
        lines.append('    done_node(["Done: routine completed"])')
    if STOP in targets:
        lines.append('    stop_node{{"Stop: pain worse (stopped_worse)<br/>stop advice is given"}}')
    link_styles: list[str] = []
    lines.append(f"    start_node --> {_mid(routine.start)}")
    for index, edge in enumerate(all_edges, start=1):
        target = f"{edge.target}_node" if edge.target in (DONE, STOP) else _mid(edge.target)
        lines.append(f'    {_mid(edge.source)} -->|"{edge.label}"| {target}')
        width = "3px" if edge.answers == (Answer.WORSE,) else "2px"
        link_styles.append(f"    linkStyle {index} stroke:{edge.colour},stroke-width:{width}")
    lines += link_styles
    lines.append('    subgraph always["Whatever the arrows say"]')
    lines.append("        direction TB")
    for i, rule in enumerate(global_rules(), start=1):
        lines.append(f'        rule{i}["{_mtext(rule)}"]')
    lines.append("    end")
    lines += [
        f"    classDef exercise fill:{_EX_FILL},stroke:#0072B2,color:#111",
        f"    classDef stop fill:{_STOP_FILL},stroke:#D55E00,color:#111",
        f"    classDef done fill:{_DONE_FILL},stroke:#009E73,color:#111",
        "    classDef rule fill:#FFFFFF,stroke:#999999,color:#333,text-align:left",
        "    class " + ",".join(_mid(e.id) for e in routine.exercises) + " exercise",
        "    class " + ",".join(f"rule{i}" for i in range(1, len(global_rules()) + 1)) + " rule",
    ]
    if STOP in targets:
        lines.append("    class stop_node stop")
    if DONE in targets:
        lines.append("    class done_node done")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------- SVG

_ROW = 1.55  # vertical distance between exercises (inches)
_BOX_W, _BOX_H = 3.3, 0.95
_STOP_X = 3.55  # centre of the per-exercise stop boxes
_STOP_W, _STOP_H = 1.45, 0.55
_LINE, _GAP = 0.17, 0.12  # height of a line of the notes, and between notes


def _rows(routine: Routine) -> dict[str, float]:
    return {e.id: -i * _ROW for i, e in enumerate(routine.exercises)}


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) or text


def _arcs(routine: Routine) -> Iterator[tuple[Edge, int]]:
    """Edges that are not straight down, with their nesting depth (for spacing)."""
    order = {e.id: i for i, e in enumerate(routine.exercises)}
    n = len(routine.exercises)
    for edge in edges(routine):
        if edge.target == STOP or edge.is_self_loop:
            continue
        src = order[edge.source]
        dst = n if edge.target == DONE else order[edge.target]
        if dst == src + 1:
            continue
        yield edge, abs(dst - src)


def to_svg(routine: Routine) -> str:
    import matplotlib
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    rules = global_rules()
    rows = _rows(routine)
    n = len(routine.exercises)
    done_y = -n * _ROW
    start_y = _ROW * 0.75
    notes_top = done_y - 0.9
    notes_h = sum(_LINE * len(_wrap(r, 95).splitlines()) + _GAP for r in rules) + 0.5
    left, right = -4.3, _STOP_X + _STOP_W / 2 + 0.2
    top, bottom = start_y + 0.9, notes_top - notes_h
    # Text stays text (fonttype "none"): a reader can select and search the names and ids.
    rc: Any = {"svg.fonttype": "none", "font.family": "DejaVu Sans", "svg.hashsalt": routine.id}
    with matplotlib.rc_context(rc):
        fig = Figure(figsize=(right - left, top - bottom))
        ax = fig.add_axes((0, 0, 1, 1))
        ax.set_xlim(left, right)
        ax.set_ylim(bottom, top)
        ax.set_axis_off()

        def box(x: float, y: float, w: float, h: float, fill: str, edge: str, style: str) -> Any:
            patch = FancyBboxPatch(
                (x - w / 2, y - h / 2),
                w,
                h,
                boxstyle=style,
                facecolor=fill,
                edgecolor=edge,
                linewidth=1.5,
                zorder=3,
            )
            ax.add_patch(patch)
            return patch

        def arrow(a: Any, b: Any, colour: str, rad: float = 0.0, width: float = 1.6) -> None:
            ax.add_patch(
                FancyArrowPatch(
                    posA=_centre(a),
                    posB=_centre(b),
                    patchA=a,
                    patchB=b,
                    arrowstyle="-|>,head_length=6,head_width=3.5",
                    connectionstyle=f"arc3,rad={rad}",
                    color=colour,
                    linewidth=width,
                    shrinkA=2,
                    shrinkB=2,
                    zorder=2,
                )
            )

        def label(x: float, y: float, text: str, colour: str, ha: str = "left") -> None:
            ax.text(
                x,
                y,
                text,
                ha=ha,
                va="center",
                fontsize=8.5,
                color=colour,
                fontweight="bold",
                zorder=4,
                bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none"},
            )

        ax.text(
            left + 0.2, top - 0.35, f"{routine.title}  ({routine.id})", fontsize=14,
            fontweight="bold", va="center",
        )  # fmt: skip
        start = box(0, start_y, 1.1, 0.42, "#FFFFFF", "#333333", "round,pad=0,rounding_size=0.21")
        ax.text(0, start_y, "Start", ha="center", va="center", fontsize=10, zorder=4)
        nodes: dict[str, Any] = {}
        for exercise in routine.exercises:
            y = rows[exercise.id]
            nodes[exercise.id] = box(
                0, y, _BOX_W, _BOX_H, _EX_FILL, "#0072B2", "round,pad=0,rounding_size=0.12"
            )
            ax.text(0, y + 0.24, exercise.name, ha="center", va="center", fontsize=10.5,
                    fontweight="bold", zorder=4)  # fmt: skip
            ax.text(0, y + 0.0, exercise.id, ha="center", va="center", fontsize=8.5,
                    color="#333333", family="DejaVu Sans Mono", zorder=4)  # fmt: skip
            ax.text(0, y - 0.24, _wrap(_short_dose(exercise), 52), ha="center", va="center",
                    fontsize=7.5, color="#444444", zorder=4)  # fmt: skip
        arrow(start, nodes[routine.start], "#333333", rad=0.0 if routine.start ==
              routine.exercises[0].id else 0.35)  # fmt: skip
        done = None
        if any(e.target == DONE for e in edges(routine)):
            done = box(
                0, done_y, 2.6, 0.55, _DONE_FILL, "#009E73", "round,pad=0,rounding_size=0.27"
            )
            ax.text(0, done_y, "Done: routine completed", ha="center", va="center", fontsize=10,
                    zorder=4)  # fmt: skip
        order = {e.id: i for i, e in enumerate(routine.exercises)}
        for edge in edges(routine):
            y = rows[edge.source]
            src = nodes[edge.source]
            if edge.target == STOP:
                stop = box(_STOP_X, y, _STOP_W, _STOP_H, _STOP_FILL, "#D55E00",
                           "round,pad=0,rounding_size=0.08")  # fmt: skip
                ax.text(_STOP_X, y, "Stop\n(stopped_worse)", ha="center", va="center",
                        fontsize=8, zorder=4)  # fmt: skip
                arrow(src, stop, edge.colour, width=2.2 if edge.answers == (Answer.WORSE,) else 1.6)
                label((_BOX_W / 2 + _STOP_X - _STOP_W / 2) / 2, y + 0.17, edge.label,
                      edge.colour, ha="center")  # fmt: skip
            elif edge.is_self_loop:
                ax.text(-_BOX_W / 2 - 0.1, y, f"{edge.label}: ↻ again", ha="right",
                        va="center", fontsize=8.5, color=edge.colour)  # fmt: skip
            elif (edge.target == DONE and order[edge.source] == n - 1) or (
                edge.target != DONE and order[edge.target] == order[edge.source] + 1
            ):
                dest = done if edge.target == DONE else nodes[edge.target]
                arrow(src, dest, edge.colour)
                label(0.12, y - _ROW / 2, edge.label, edge.colour)
        # Arrows that skip rows or go back: curves on the left, wider for longer jumps.
        for edge, span in _arcs(routine):
            src = nodes[edge.source]
            dest = done if edge.target == DONE else nodes[edge.target]
            going_down = edge.target == DONE or order[edge.target] > order[edge.source]
            sy = rows[edge.source]
            ty = done_y if edge.target == DONE else rows[edge.target]
            # Leave and enter at the left edge so the curves stay clear of the column.
            # Forward jumps leave low and arrive high; arrows back leave high and
            # arrive low, so the two kinds never share an end point.
            a = (-_BOX_W / 2, sy - 0.3 if going_down else sy + 0.08)
            b = (-_BOX_W / 2, ty + 0.3 if going_down else ty - 0.08)
            if edge.target == DONE:
                b = (-1.3, done_y)
            bulge = min(0.6, (0.25 if going_down else 0.15) + 0.07 * span)
            rad = bulge if going_down else -bulge  # both bulge to the left
            ax.add_patch(
                FancyArrowPatch(
                    posA=a,
                    posB=b,
                    arrowstyle="-|>,head_length=6,head_width=3.5",
                    connectionstyle=f"arc3,rad={rad}",
                    color=edge.colour,
                    linewidth=1.6,
                    zorder=2,
                )
            )
            dx, dy = b[0] - a[0], b[1] - a[1]
            mx, my = (a[0] + b[0]) / 2 + rad * dy / 2, (a[1] + b[1]) / 2 - rad * dx / 2
            label(mx - 0.05, my, edge.label, edge.colour, ha="right")
        ax.text(left + 0.2, notes_top, "Whatever the arrows say:", fontsize=10,
                fontweight="bold", va="top")  # fmt: skip
        y = notes_top - 0.38
        for rule in rules:
            text = _wrap(rule, 95)
            ax.text(left + 0.35, y, "•", fontsize=8.5, va="top", color="#222222")
            ax.text(left + 0.5, y, text, fontsize=8.5, va="top", color="#222222")
            y -= _LINE * len(text.splitlines()) + _GAP
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None})
    return buf.getvalue()


def _centre(patch: Any) -> tuple[float, float]:
    bbox = patch.get_bbox()
    return ((bbox.x0 + bbox.x1) / 2, (bbox.y0 + bbox.y1) / 2)
