"""``backcoach voice prepare``: render the coach's lines ahead, once, for the set voice."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ._common import Subparsers, add_command_group, console, err_console
from .run import add_settings_flags, settings_from_args

if TYPE_CHECKING:
    from ..tts.piper import PiperSynth

__all__ = ["register", "INTERRUPTED_EXIT"]

#: Exit code after Ctrl-C (what is on disk stays: the next run goes on from there).
INTERRUPTED_EXIT = 130


def _prepare(args: argparse.Namespace) -> int:
    from ..dialog.routine import load_routines
    from ..paths import cache_dir
    from ..tts.voices import is_piper, piper_available, piper_model
    from ..ui.prepare import opening_lines, session_lines

    settings = settings_from_args(args)
    if not is_piper(settings.voice):
        console.print(
            f"Voice '{settings.voice}' is espeak-ng, which renders a line in milliseconds: "
            "nothing to prepare.",
            soft_wrap=True,
        )
        return 0
    missing = piper_available()
    if missing is not None:
        err_console.print(f"backcoach voice prepare: {missing}; 'make run' installs it.")
        return 1
    from ..errors import SpeechOutputError
    from ..tts.piper import PiperSynth

    try:  # a voice that is not there: exit 1 too (make run then starts the session)
        synth = PiperSynth(piper_model(settings.voice), None, settings.rate_wpm, 1.0, cache_dir())
    except SpeechOutputError as exc:
        err_console.print(f"backcoach voice prepare: {exc}")
        return 1
    routines = load_routines()
    which = opening_lines if args.opening else session_lines
    lines = which(routines, settings.routine)
    todo = [line for line in lines if not synth.cached(line)]
    where = f"{synth.voice}, rate {settings.rate_wpm}"
    if not todo:
        console.print(f"The voice is ready: {len(lines)} lines on disk ({where}).", soft_wrap=True)
        return 0
    try:
        rendered = _render(synth, todo, f"Preparing the voice ({where})")
    except KeyboardInterrupt:
        left = sum(not synth.cached(line) for line in todo)
        err_console.print(
            f"Stopped: {len(lines) - left} of {len(lines)} lines are on disk, each one whole; "
            "run 'backcoach voice prepare' again to go on."
        )
        return INTERRUPTED_EXIT
    finally:
        synth.close()
    console.print(
        f"The voice is ready: {len(lines)} lines on disk ({rendered} rendered now).",
        soft_wrap=True,
    )
    return 0


def _render(synth: PiperSynth, todo: list[str], title: str) -> int:
    """Render with a progress bar measured in words (a line's time goes with its length)."""
    from rich.progress import (
        BarColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeRemainingColumn,
    )

    from ..ui.prepare import prepare

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[done]}/{task.fields[lines]} lines"),
        TimeRemainingColumn(),
        console=console,
    ) as bar:
        words = sum(len(line.split()) for line in todo)
        task = bar.add_task(title, total=words, done=0, lines=len(todo))
        count = 0

        def advance(line: str, rendered: bool) -> None:
            nonlocal count
            count += 1
            bar.update(task, advance=len(line.split()), done=count)

        return prepare(synth, todo, advance)


def register(subparsers: Subparsers, summary: str) -> None:
    actions = add_command_group(subparsers, "voice", summary, "action", "ACTION", "actions")
    prepare = actions.add_parser(
        "prepare",
        help="render every line the coach knows in advance, so sessions start at once "
        "(once per voice and rate; quick when done)",
        description="Render every line a session can say that is known in advance (the "
        "opening, counts, cues, questions, replies, the routine's exercises) into the "
        "voice's cache on disk. Stopped with Ctrl-C, it goes on from there next time.",
    )
    # the settings flags of 'backcoach run' (make run passes its ARGS on): the voice,
    # rate and routine to prepare; the others are accepted and mean nothing here
    add_settings_flags(prepare)
    prepare.add_argument(
        "--opening",
        action="store_true",
        help="only what a session says before its first exercise (a minute or less)",
    )
    prepare.set_defaults(func=_prepare)
