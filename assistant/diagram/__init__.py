"""A routine's decision graph, for a physiotherapist to review.

``render(routine, "mermaid")`` gives Mermaid flowchart text (paste it into any
Mermaid viewer, or a Markdown file on GitHub/GitLab); ``render(routine, "svg")``
gives a self-contained SVG drawing made with matplotlib (no network, no
Graphviz needed).  Both show the exercises as nodes, the better / same / worse
answers as labelled arrows, where the routine finishes and where it stops, and
the rules that apply whatever the answers are.
"""

from __future__ import annotations

from typing import Final

from ..dialog.routine import Routine
from .graph import Edge, edges, global_rules
from .mermaid import to_mermaid
from .svg import to_svg

__all__ = ["FORMATS", "render", "to_mermaid", "to_svg", "edges", "Edge", "global_rules"]

FORMATS: Final[tuple[str, ...]] = ("mermaid", "svg")


def render(routine: Routine, fmt: str = "mermaid") -> str:
    """The routine's decision graph as Mermaid text or as an SVG document."""
    if fmt == "mermaid":
        return to_mermaid(routine)
    if fmt == "svg":
        return to_svg(routine)
    raise ValueError(f"unknown diagram format {fmt!r}; use one of: {', '.join(FORMATS)}")
