"""``backcoach routines``: list, show, validate or draw the exercise routines."""

from __future__ import annotations

import argparse
import importlib
from pathlib import Path

from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from ..dialog.routine import (
    ANSWERS,
    DONE,
    STOP,
    Routine,
    load_routine,
    load_routines,
    routine_files,
    validate_routine_files,
)
from ..paths import dialogs_dir
from ..sources import article_title
from ._common import Subparsers, add_command_group, console, err_console

__all__ = ["register"]

#: Exit code when ``--diagram`` is asked for but diagrams are not available.
NOT_AVAILABLE_EXIT = 3


def _list(args: argparse.Namespace) -> int:
    routines = load_routines()
    table = Table(title="Routines", show_lines=False)
    table.add_column("id", style="bold")
    table.add_column("title")
    table.add_column("exercises")
    for routine in routines.values():
        table.add_row(routine.id, routine.title, ", ".join(routine.exercise_ids))
    console.print(table)
    return 0


def _target(text: str) -> str:
    if text == DONE:
        return "done (finish the routine)"
    if text == STOP:
        return "stop (stop with advice)"
    return text


def _show(args: argparse.Namespace) -> int:
    routine = load_routine(args.id)
    if args.diagram:
        return _diagram(routine, args.format)
    console.print(f"[bold]{routine.title}[/bold] ({routine.id})")
    console.print(routine.description)
    console.print(f"Starts with: {routine.start}")
    for number, exercise in enumerate(routine.exercises, 1):
        console.print()
        console.print(f"[bold]{number}. {exercise.name}[/bold]  [dim]{exercise.id}[/dim]")
        sources = "; ".join(article_title(src) for src in [exercise.source, *exercise.also_from])
        _field("source", sources)
        _field("position", exercise.position)
        _field("dose", exercise.dose())
        _field("steps", "")
        for step in exercise.steps:
            _item("-", _sides(step))
        if exercise.cautions:
            _field("cautions", "")
            for caution in exercise.cautions:
                _item("!", _sides(caution))
        _field("next", "")
        for answer in ANSWERS:
            _item(f"{answer}:", _target(exercise.next.target(answer)))
    return 0


def _sides(text: str) -> str:
    """``{side}`` filled for reading: the coach says the side it was told, left or right."""
    return text.replace("{side}", "left/right").replace("{other_side}", "right/left")


def _field(label: str, value: str) -> None:
    text = Text(f"{label + ':':<10}", style="cyan")
    text.append(value)
    console.print(Padding(text, (0, 0, 0, 3), expand=False))


def _item(mark: str, value: str) -> None:
    table = Table.grid(padding=(0, 1))
    table.add_column(no_wrap=True)
    table.add_column()
    table.add_row(mark, Text(value))
    console.print(Padding(table, (0, 0, 0, 5), expand=False))


def _diagram(routine: Routine, fmt: str) -> int:
    try:
        diagram = importlib.import_module("assistant.diagram")
    except ModuleNotFoundError as exc:
        if exc.name != "assistant.diagram":
            raise
        err_console.print("diagrams: not available yet")
        return NOT_AVAILABLE_EXIT
    text: str = diagram.render(routine, fmt)
    console.print(text, markup=False, highlight=False, soft_wrap=True)
    return 0


def _validate(args: argparse.Namespace) -> int:
    paths: list[Path] = list(args.files) if args.files else routine_files()
    if not paths:
        err_console.print(f"no routine files in {dialogs_dir()}", markup=False)
        return 1
    errors = validate_routine_files(paths)
    for line in errors:
        err_console.print(line, markup=False, highlight=False, soft_wrap=True)
    if errors:
        return 1
    names = ", ".join(path.name for path in paths)
    console.print(f"OK: {len(paths)} routine file(s) valid ({names})", markup=False)
    return 0


def register(subparsers: Subparsers, summary: str) -> None:
    actions = add_command_group(subparsers, "routines", summary, "action", "ACTION", "actions")

    listing = actions.add_parser("list", help="list the routines and their exercises")
    listing.set_defaults(func=_list)

    show = actions.add_parser("show", help="show one routine: every exercise, dose and rule")
    show.add_argument("id", help="routine id (extension, flexion, stenosis, stretches) or file")
    show.add_argument("--diagram", action="store_true", help="draw the routine instead")
    show.add_argument(
        "--format", choices=["mermaid", "svg"], default="mermaid", help="diagram format"
    )
    show.set_defaults(func=_show)

    validate = actions.add_parser(
        "validate", help="check routine files (default: all in dialogs/); non-zero on errors"
    )
    validate.add_argument("files", nargs="*", type=Path, metavar="FILE", help="routine files")
    validate.set_defaults(func=_validate)
