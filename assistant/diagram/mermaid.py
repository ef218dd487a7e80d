"""The routine's decision graph as Mermaid flowchart text."""

from __future__ import annotations

import re

from ..dialog.routine import DONE, STOP, Routine
from ..vocab import Answer
from .graph import DONE_FILL, EX_FILL, STOP_FILL, edges, global_rules, short_dose

__all__ = ["to_mermaid"]


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
        dose = short_dose(exercise)
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
        f"    classDef exercise fill:{EX_FILL},stroke:#0072B2,color:#111",
        f"    classDef stop fill:{STOP_FILL},stroke:#D55E00,color:#111",
        f"    classDef done fill:{DONE_FILL},stroke:#009E73,color:#111",
        "    classDef rule fill:#FFFFFF,stroke:#999999,color:#333,text-align:left",
        "    class " + ",".join(_mid(e.id) for e in routine.exercises) + " exercise",
        "    class " + ",".join(f"rule{i}" for i in range(1, len(global_rules()) + 1)) + " rule",
    ]
    if STOP in targets:
        lines.append("    class stop_node stop")
    if DONE in targets:
        lines.append("    class done_node done")
    return "\n".join(lines) + "\n"
