"""The routine's decision graph as a self-contained SVG drawing (matplotlib).

Exercises in a column, top to bottom; the arrows to the next exercise go straight
down, those that skip rows or go back curve on the left, each "stop" has its own
box on the right, and the rules that apply whatever the arrows say are listed
underneath.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Iterator
from typing import Any

from ..dialog.routine import DONE, STOP, Routine
from ..vocab import Answer
from .graph import DONE_FILL, EX_FILL, STOP_FILL, Edge, edges, global_rules, short_dose

__all__ = ["to_svg"]

_ROW = 1.55  # vertical distance between exercises (inches)
_BOX_W, _BOX_H = 3.3, 0.95
_STOP_X = 3.55  # centre of the per-exercise stop boxes
_STOP_W, _STOP_H = 1.45, 0.55
_LINE, _GAP = 0.17, 0.12  # height of a line of the notes, and between notes
_ARROW = "-|>,head_length=6,head_width=3.5"


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width)) or text


def _centre(patch: Any) -> tuple[float, float]:
    bbox = patch.get_bbox()
    return ((bbox.x0 + bbox.x1) / 2, (bbox.y0 + bbox.y1) / 2)


class _Drawing:
    """One routine's figure: its geometry, and the boxes and arrows drawn on it."""

    def __init__(self, routine: Routine) -> None:
        from matplotlib.figure import Figure

        self.routine = routine
        self.rules = global_rules()
        self.edges = edges(routine)
        self.rows = {e.id: -i * _ROW for i, e in enumerate(routine.exercises)}
        self.order = {e.id: i for i, e in enumerate(routine.exercises)}
        self.n = len(routine.exercises)
        self.done_y = -self.n * _ROW
        self.start_y = _ROW * 0.75
        self.notes_top = self.done_y - 0.9
        notes_h = sum(_LINE * len(_wrap(r, 95).splitlines()) + _GAP for r in self.rules) + 0.5
        self.left, right = -4.3, _STOP_X + _STOP_W / 2 + 0.2
        self.top, bottom = self.start_y + 0.9, self.notes_top - notes_h
        self.fig = Figure(figsize=(right - self.left, self.top - bottom))
        self.ax = self.fig.add_axes((0, 0, 1, 1))
        self.ax.set_xlim(self.left, right)
        self.ax.set_ylim(bottom, self.top)
        self.ax.set_axis_off()
        self.nodes: dict[str, Any] = {}
        self.done: Any = None

    # ---------------------------------------------------------------- pieces

    def box(self, x: float, y: float, w: float, h: float, fill: str, edge: str, style: str) -> Any:
        from matplotlib.patches import FancyBboxPatch

        patch = FancyBboxPatch(
            (x - w / 2, y - h / 2), w, h, boxstyle=style, facecolor=fill, edgecolor=edge,
            linewidth=1.5, zorder=3,
        )  # fmt: skip
        self.ax.add_patch(patch)
        return patch

    def arrow(self, a: Any, b: Any, colour: str, rad: float = 0.0, width: float = 1.6) -> None:
        from matplotlib.patches import FancyArrowPatch

        self.ax.add_patch(
            FancyArrowPatch(
                posA=_centre(a), posB=_centre(b), patchA=a, patchB=b, arrowstyle=_ARROW,
                connectionstyle=f"arc3,rad={rad}", color=colour, linewidth=width,
                shrinkA=2, shrinkB=2, zorder=2,
            )
        )  # fmt: skip

    def label(self, x: float, y: float, text: str, colour: str, ha: str = "left") -> None:
        self.ax.text(
            x, y, text, ha=ha, va="center", fontsize=8.5, color=colour, fontweight="bold",
            zorder=4,
            bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none"},
        )  # fmt: skip

    # ----------------------------------------------------------------- parts

    def nodes_and_start(self) -> None:
        routine, ax = self.routine, self.ax
        ax.text(
            self.left + 0.2, self.top - 0.35, f"{routine.title}  ({routine.id})", fontsize=14,
            fontweight="bold", va="center",
        )  # fmt: skip
        start_y = self.start_y
        start = self.box(
            0, start_y, 1.1, 0.42, "#FFFFFF", "#333333", "round,pad=0,rounding_size=0.21"
        )
        ax.text(0, start_y, "Start", ha="center", va="center", fontsize=10, zorder=4)
        for exercise in routine.exercises:
            y = self.rows[exercise.id]
            self.nodes[exercise.id] = self.box(
                0, y, _BOX_W, _BOX_H, EX_FILL, "#0072B2", "round,pad=0,rounding_size=0.12"
            )
            ax.text(0, y + 0.24, exercise.name, ha="center", va="center", fontsize=10.5,
                    fontweight="bold", zorder=4)  # fmt: skip
            ax.text(0, y + 0.0, exercise.id, ha="center", va="center", fontsize=8.5,
                    color="#333333", family="DejaVu Sans Mono", zorder=4)  # fmt: skip
            ax.text(0, y - 0.24, _wrap(short_dose(exercise), 52), ha="center", va="center",
                    fontsize=7.5, color="#444444", zorder=4)  # fmt: skip
        self.arrow(start, self.nodes[routine.start], "#333333", rad=0.0 if routine.start ==
                   routine.exercises[0].id else 0.35)  # fmt: skip
        if any(e.target == DONE for e in self.edges):
            self.done = self.box(
                0, self.done_y, 2.6, 0.55, DONE_FILL, "#009E73", "round,pad=0,rounding_size=0.27"
            )
            ax.text(0, self.done_y, "Done: routine completed", ha="center", va="center",
                    fontsize=10, zorder=4)  # fmt: skip

    def _next_in_column(self, edge: Edge) -> bool:
        if edge.target == DONE:
            return self.order[edge.source] == self.n - 1
        return self.order[edge.target] == self.order[edge.source] + 1

    def straight_edges(self) -> None:
        """Stops, self-loops and arrows to the very next exercise."""
        for edge in self.edges:
            y = self.rows[edge.source]
            src = self.nodes[edge.source]
            if edge.target == STOP:
                stop = self.box(_STOP_X, y, _STOP_W, _STOP_H, STOP_FILL, "#D55E00",
                                "round,pad=0,rounding_size=0.08")  # fmt: skip
                self.ax.text(_STOP_X, y, "Stop\n(stopped_worse)", ha="center", va="center",
                             fontsize=8, zorder=4)  # fmt: skip
                width = 2.2 if edge.answers == (Answer.WORSE,) else 1.6
                self.arrow(src, stop, edge.colour, width=width)
                self.label((_BOX_W / 2 + _STOP_X - _STOP_W / 2) / 2, y + 0.17, edge.label,
                           edge.colour, ha="center")  # fmt: skip
            elif edge.is_self_loop:
                self.ax.text(-_BOX_W / 2 - 0.1, y, f"{edge.label}: ↻ again", ha="right",
                             va="center", fontsize=8.5, color=edge.colour)  # fmt: skip
            elif self._next_in_column(edge):
                dest = self.done if edge.target == DONE else self.nodes[edge.target]
                self.arrow(src, dest, edge.colour)
                self.label(0.12, y - _ROW / 2, edge.label, edge.colour)

    def _arcs(self) -> Iterator[tuple[Edge, int]]:
        """Edges that are not straight down, with their nesting depth (for spacing)."""
        for edge in self.edges:
            if edge.target == STOP or edge.is_self_loop:
                continue
            src = self.order[edge.source]
            dst = self.n if edge.target == DONE else self.order[edge.target]
            if dst != src + 1:
                yield edge, abs(dst - src)

    def arcs(self) -> None:
        """Arrows that skip rows or go back: curves on the left, wider for longer jumps."""
        from matplotlib.patches import FancyArrowPatch

        for edge, span in self._arcs():
            going_down = edge.target == DONE or self.order[edge.target] > self.order[edge.source]
            sy = self.rows[edge.source]
            ty = self.done_y if edge.target == DONE else self.rows[edge.target]
            # Leave and enter at the left edge so the curves stay clear of the column.
            # Forward jumps leave low and arrive high; arrows back leave high and
            # arrive low, so the two kinds never share an end point.
            a = (-_BOX_W / 2, sy - 0.3 if going_down else sy + 0.08)
            b = (-_BOX_W / 2, ty + 0.3 if going_down else ty - 0.08)
            if edge.target == DONE:
                b = (-1.3, self.done_y)
            bulge = min(0.6, (0.25 if going_down else 0.15) + 0.07 * span)
            rad = bulge if going_down else -bulge  # both bulge to the left
            self.ax.add_patch(
                FancyArrowPatch(
                    posA=a, posB=b, arrowstyle=_ARROW, connectionstyle=f"arc3,rad={rad}",
                    color=edge.colour, linewidth=1.6, zorder=2,
                )
            )  # fmt: skip
            dx, dy = b[0] - a[0], b[1] - a[1]
            mx, my = (a[0] + b[0]) / 2 + rad * dy / 2, (a[1] + b[1]) / 2 - rad * dx / 2
            self.label(mx - 0.05, my, edge.label, edge.colour, ha="right")

    def notes(self) -> None:
        ax, x = self.ax, self.left
        ax.text(x + 0.2, self.notes_top, "Whatever the arrows say:", fontsize=10,
                fontweight="bold", va="top")  # fmt: skip
        y = self.notes_top - 0.38
        for rule in self.rules:
            text = _wrap(rule, 95)
            ax.text(x + 0.35, y, "•", fontsize=8.5, va="top", color="#222222")
            ax.text(x + 0.5, y, text, fontsize=8.5, va="top", color="#222222")
            y -= _LINE * len(text.splitlines()) + _GAP


def to_svg(routine: Routine) -> str:
    import matplotlib

    # Text stays text (fonttype "none"): a reader can select and search the names and ids.
    rc: Any = {"svg.fonttype": "none", "font.family": "DejaVu Sans", "svg.hashsalt": routine.id}
    with matplotlib.rc_context(rc):
        drawing = _Drawing(routine)
        drawing.nodes_and_start()
        drawing.straight_edges()
        drawing.arcs()
        drawing.notes()
        buf = io.StringIO()
        drawing.fig.savefig(buf, format="svg", metadata={"Date": None})
    return buf.getvalue()
