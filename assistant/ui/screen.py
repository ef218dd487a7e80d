"""A screen readable from the floor while the voice session runs.

The exercise, "rep 4 of 10" in block letters or a countdown bar for a hold, what
can be said now, the coach's last words, and the last thing heard with how it
was understood ("heard: 'a bit better' → better").  It follows the session
through the runtime's two outputs only: captions (who, text) and the observer
(every engine event and action), so it knows nothing of the engine's insides.

When the output is not a terminal it is the plain captions instead; ``--quiet``
shows neither (messages about devices still go to stderr).
"""

from __future__ import annotations

import functools
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rich.align import Align
from rich.console import Console, Group, RenderableType
from rich.markup import escape
from rich.panel import Panel
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from ..events import Heard, Listen, LogEntry, NotUnderstood
from .ahead import engine_wording

if TYPE_CHECKING:
    from ..dialog.routine import Exercise, Routine

__all__ = ["SessionScreen", "ScreenState", "session_screen", "WHAT_TO_SAY"]

#: What can be said in each listening context (the words a person sees first).
WHAT_TO_SAY: Mapping[str | None, str] = {
    "symptom": "better  ·  worse  ·  the same",
    "yes-no": "yes  ·  no",
    "side": "left  ·  right",
    "number": "a number from 0 to 10  ·  skip",
    "routine": "extension  ·  flexion  ·  stenosis  ·  stretches",
    "command": "pause  ·  repeat  ·  slower  ·  faster  ·  skip  ·  stop  ·  ouch",
    None: "stop  ·  pause  ·  ouch",
}
_ALWAYS = "help"


@functools.cache
def _numbers() -> dict[str, int]:
    words = engine_wording().number_words
    return {words(n): n for n in range(1000)}


def words_to_number(text: str) -> int | None:
    """``"forty-two"`` → 42, in the engine's own wording; ``None`` when not a number."""
    return _numbers().get(text.strip().lower())


_COUNT = re.compile(r"^([A-Za-z-]+)[.,]")
_HOLD = re.compile(r"\b([a-z-]+) seconds\.")


@dataclass
class ScreenState:
    """What the screen shows; updated from captions and the engine's actions."""

    routines: Mapping[str, Routine] = field(default_factory=dict)
    routine: Routine | None = None
    exercise: Exercise | None = None
    side: str | None = None
    rep: int = 0
    hold_s: int = 0
    hold_started: float | None = None
    context: str | None = None
    coach: str = ""
    heard: str = ""
    understood: str = ""
    system: str = ""
    ended: str = ""

    def on_log(self, entry: LogEntry) -> None:
        data = entry.data
        if entry.kind == "session_started":
            self.routine = self.routines.get(str(data.get("routine")))
        elif entry.kind == "exercise_started" and self.routine is not None:
            exercise_id = str(data.get("exercise"))
            if exercise_id in self.routine.exercise_ids:
                self.exercise = self.routine.exercise(exercise_id)
            self.side = data.get("side")
            self.rep, self.hold_started = 0, None
        elif entry.kind == "exercise_finished":
            self.hold_started = None
        elif entry.kind == "session_ended":
            self.ended = str(data.get("outcome", ""))

    def on_say(self, text: str) -> None:
        self.coach = text
        exercise = self.exercise
        if exercise is None:
            return
        hold = _HOLD.search(text)
        if hold and (seconds := words_to_number(hold.group(1))):
            self.hold_s, self.hold_started = seconds, time.monotonic()
            return
        if exercise.release_cue.lower() in text.lower():
            self.hold_started = None
            return
        count = _COUNT.match(text)
        if count and self.hold_started is None and exercise.reps is not None:
            value = words_to_number(count.group(1))
            if value is not None and 0 < value <= exercise.reps:
                self.rep = value

    def on_heard(self, event: Heard | NotUnderstood) -> None:
        self.heard = event.text or "…"
        self.understood = event.intent if isinstance(event, Heard) else "not understood"

    def hold_left_s(self) -> float | None:
        if self.hold_started is None:
            return None
        return max(0.0, self.hold_s - (time.monotonic() - self.hold_started))


def _big(text: str, width: int) -> RenderableType:
    """``text`` in block letters when it fits the terminal, else bold."""
    try:
        import pyfiglet

        art = pyfiglet.figlet_format(text, font="ansi_regular", width=10_000).rstrip("\n ")
    except Exception:  # no pyfiglet: large enough in bold
        art = ""
    if art and max(len(line) for line in art.splitlines()) <= width - 4:
        return Text(art, style="bold bright_white")
    return Text(text, style="bold bright_white")


def render(state: ScreenState, width: int) -> RenderableType:
    """The whole screen for ``state`` (pure: the tests render it too)."""
    parts: list[RenderableType] = []
    exercise = state.exercise
    if exercise is not None:
        title = exercise.name + (f"  ({state.side} side)" if state.side else "")
        parts.append(Text(title.upper(), style="bold black on bright_yellow", justify="center"))
        left = state.hold_left_s()
        if left is not None:
            parts.append(Align.center(_big(f"{round(left)} s", width)))
            done = state.hold_s - left
            bar = Table.grid(expand=True)  # (a bare bar ends no line in a Group)
            bar.add_row(ProgressBar(total=state.hold_s, completed=done, style="grey30"))
            parts.append(bar)
            parts.append(Text(f"hold: {round(left)} of {state.hold_s} seconds left"))
        elif exercise.reps is not None:
            parts.append(Align.center(_big(f"{state.rep} / {exercise.reps}", width)))
            parts.append(Text(f"rep {state.rep} of {exercise.reps}", justify="center"))
    elif state.routine is not None:
        parts.append(Text(state.routine.title.upper(), style="bold black on bright_yellow"))
    parts.append(Text(""))
    say = WHAT_TO_SAY.get(state.context, WHAT_TO_SAY["command"])
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold bright_cyan", no_wrap=True)
    table.add_column(style="bold bright_white")
    table.add_row("You can say:", f"{say}  ·  {_ALWAYS}")
    if state.heard:
        table.add_row("Heard:", f"'{state.heard}' → {state.understood}")
    if state.coach:
        table.add_row("Coach:", state.coach)
    if state.system:
        table.add_row(Text("Note:", style="bold bright_yellow"), state.system)
    if state.ended:
        table.add_row("Session:", f"ended ({state.ended.replace('_', ' ')})")
    parts.append(table)
    return Panel(Group(*parts), title="Back Coach", border_style="bright_white", padding=(1, 2))


class SessionScreen:
    """A full-screen ``rich.live.Live`` view of the session, refreshed 4 times a second.

    It is the runtime's ``Captions`` (``said`` / ``heard`` / ``state``) and its
    observer (``observe``: the engine's actions, for the exercise and what can be
    said).  It takes over the terminal at the session's first action; ``close``
    gives it back and prints the notes it showed (device problems, how it ended)."""

    def __init__(self, console: Console, routines: Mapping[str, Routine] | None = None) -> None:
        from rich.live import Live

        self.console = console
        self.state_ = ScreenState(routines=dict(routines or {}))
        self.notes: list[str] = []
        self._lock = threading.Lock()
        self._live = Live(
            console=console,
            screen=True,
            auto_refresh=True,
            refresh_per_second=4,
            get_renderable=self._renderable,
        )
        self._started = False
        self._closed = False

    def _start(self) -> None:
        if not self._started and not self._closed:
            self._started = True
            self._live.start()

    def _renderable(self) -> RenderableType:
        with self._lock:
            return render(self.state_, self.console.width)

    # ---------------------------------------------------------------- Captions

    def said(self, text: str) -> None:
        with self._lock:
            self.state_.on_say(text)

    def heard(self, result: Heard | NotUnderstood, *, barge_in: bool = False) -> None:
        with self._lock:
            self.state_.on_heard(result)

    def state(self, text: str) -> None:
        with self._lock:
            self.state_.system = text
            self.notes.append(text)

    # ---------------------------------------------------------------- observer

    def observe(self, kind: str, item: object, now_ms: int) -> None:
        self._start()
        with self._lock:
            if isinstance(item, LogEntry):
                self.state_.on_log(item)
            elif isinstance(item, Listen):
                self.state_.context = item.context

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._started:
            self._live.stop()
        err = Console(stderr=True, highlight=False)
        for note in self.notes:  # the screen is gone: keep what it said, as the captions do
            err.print(f"[bold yellow]backcoach:[/] {escape(note)}")


def session_screen(quiet: bool, console: Console | None = None) -> SessionScreen | None:
    """The floor-readable screen when the output is a terminal; ``None`` (the plain
    captions) when it is not, or with ``--quiet``."""
    console = console or Console(highlight=False)
    if quiet or not console.is_terminal or console.is_dumb_terminal:
        return None
    return SessionScreen(console, _routines())


def _routines() -> dict[str, Any]:
    from ..dialog.routine import load_routines
    from ..errors import AssistantError

    try:
        return dict(load_routines())
    except AssistantError:
        return {}
