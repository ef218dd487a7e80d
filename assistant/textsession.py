"""``backcoach run --text``: a whole session in the terminal, on the real clock.

The coach's words are printed; the answers are typed, with the same words one
would say (``better``, ``about the same``, ``pause``, ``that hurts``...), and
are understood by the same matcher as speech.  ``--fast`` makes the clock run
:data:`FAST_FACTOR` times faster while the coach is counting or talking (not
while it waits for an answer), to try a routine in a minute or two.

When the input is not a terminal (a pipe or a file), each line answers the next
question, so ``printf 'no\\nno\\nno\\nskip\\nbetter\\n' | backcoach run --text``
runs a scripted session.  End of input or Ctrl-C ends the session cleanly.
"""

from __future__ import annotations

import queue
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TextIO

from .config import Settings
from .dialog.counting import READY
from .dialog.engine import Engine
from .dialog.interpreter import Interpreter, Performer
from .dialog.routine import Routine, load_routines
from .errors import JournalError
from .events import (
    Action,
    End,
    Event,
    Heard,
    Interrupted,
    LogEntry,
    NotUnderstood,
    Say,
    SpeechFinished,
    TimerFired,
)
from .journal import Recordable, open_session_journal, record_entry
from .vocab import Context

__all__ = ["run_text", "TextSession", "ScaledClock", "FAST_FACTOR"]

#: How much faster the clock runs with ``--fast`` while the coach counts or talks.
FAST_FACTOR = 15.0

#: Exit code after Ctrl-C.
INTERRUPTED_EXIT = 130

Matcher = Callable[[str, str], Heard | NotUnderstood]


class ScaledClock:
    """Monotonic time that can run faster for a while: ``now_ms`` never jumps back."""

    def __init__(self, rate: float = 1.0, source: Callable[[], float] = time.monotonic) -> None:
        self._source = source
        self._rate = rate
        self._base_real = source()
        self._base_ms = 0.0

    @property
    def rate(self) -> float:
        return self._rate

    def set_rate(self, rate: float) -> None:
        if rate != self._rate:
            self._base_ms = self._exact_ms()
            self._base_real = self._source()
            self._rate = rate

    def _exact_ms(self) -> float:
        return self._base_ms + (self._source() - self._base_real) * 1000 * self._rate

    def now_ms(self) -> int:
        return int(self._exact_ms())

    def seconds_until(self, deadline_ms: int) -> float:
        """Real seconds until the clock shows ``deadline_ms`` at the current rate."""
        return max(0.0, (deadline_ms - self._exact_ms()) / 1000 / self._rate)


def _default_matcher() -> Matcher:
    from .asr.matcher import match_intent

    def match(text: str, context: str) -> Heard | NotUnderstood:
        return match_intent(text, context)

    return match


_EOF = object()


class TextSession:
    """Drives an :class:`Engine` from typed lines and prints what the coach says."""

    def __init__(
        self,
        engine: Engine,
        clock: ScaledClock,
        *,
        lines: Iterable[str],
        out: TextIO,
        interactive: bool,
        fast: bool = False,
        fast_factor: float = FAST_FACTOR,
        matcher: Matcher | None = None,
        journal: Recordable | None = None,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.out = out
        self.interactive = interactive
        self.fast = fast
        self.fast_factor = fast_factor
        self.match = matcher or _default_matcher()
        self.journal = journal
        self.journal_problems: list[str] = []
        self.end: End | None = None
        self._interpreter = Interpreter(_Terminal(self))
        self._timers = self._interpreter.timers
        self._events: deque[Event] = deque()
        self._typed: queue.Queue[object] = queue.Queue()
        self._held: deque[str] = deque()
        self._eof = False
        reader = threading.Thread(target=self._read, args=(lines,), daemon=True)
        reader.start()

    def _read(self, lines: Iterable[str]) -> None:
        try:
            for line in lines:
                self._typed.put(line)
        except (OSError, ValueError):
            pass
        self._typed.put(_EOF)

    # ------------------------------------------------------------ output

    def _print(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def _apply(self, actions: Iterable[Action]) -> None:
        self._interpreter.apply(actions)

    def _record(self, entry: LogEntry) -> None:
        record_entry(self.journal, entry, self.journal_problems, lambda m: self._print(f"({m})"))

    def _send(self, event: Event) -> None:
        self._apply(self.engine.handle(event))

    # -------------------------------------------------------------- loop

    def run(self) -> int:
        """Run the whole session; return the exit code."""
        try:
            self._apply(self.engine.start())
            while not self.engine.finished:
                self._turn()
        except KeyboardInterrupt:
            self._print("")
            self._print("Interrupted: ending the session.")
            if not self.engine.finished:
                self._send(Interrupted())
            return INTERRUPTED_EXIT
        return 0

    def _turn(self) -> None:
        if self._events:
            self._send(self._events.popleft())
            return
        self._fire_due_timers()
        if self.engine.finished:
            return
        if self.fast:
            self.clock.set_rate(1.0 if self.engine.awaiting_answer else self.fast_factor)
        if not self.interactive and self._held and self._held_line_is_due():
            self._answer(self._held.popleft())
            return
        if self._eof and not self._held and (self.engine.awaiting_answer or self.interactive):
            self._print("End of input: ending the session.")
            self._send(Interrupted())
            return
        deadline = self._timers.next_deadline()
        wait = self.clock.seconds_until(deadline) if deadline is not None else 1.0
        try:
            item = self._typed.get(timeout=min(wait, 1.0))
        except queue.Empty:
            return
        if item is _EOF:
            self._eof = True
        elif isinstance(item, str) and item.strip():
            if self.interactive:
                self._answer(item)
            else:
                self._held.append(item)

    def _held_line_is_due(self) -> bool:
        """A piped line answers the open question; a piped "ready" also starts a count
        that waits for it (any other line waits for the question after the count)."""
        if self.engine.awaiting_answer:
            return True
        if not self.engine.waiting_for_ready:
            return False
        heard = self.match(self._held[0].strip(), Context.EXERCISE)
        return isinstance(heard, Heard) and heard.intent == READY

    def _fire_due_timers(self) -> None:
        now = self.clock.now_ms()
        while (due := self._timers.pop_due(now)) is not None:
            name, deadline = due
            self._send(TimerFired(name, deadline))
            while self._events:
                self._send(self._events.popleft())

    def _answer(self, line: str) -> None:
        text = line.strip()
        if not self.interactive:
            self._print(f"You: {text}")
        context = self.engine.listening_context or Context.COMMAND
        self._send(self.match(text, context))


_HINTS: Mapping[str, str] = {
    Context.SYMPTOM: "better, worse or same",
    Context.YES_NO: "yes or no",
    Context.SIDE: "left or right",
    Context.NUMBER: "0 to 10, or skip",
    Context.ROUTINE: "extension, flexion, stenosis or stretches",
}


class _Terminal(Performer):
    """The text session's part of the actions: print, and speech ends at once."""

    def __init__(self, session: TextSession) -> None:
        self._session = session

    def say(self, say: Say) -> None:
        session = self._session
        session._print(f"Coach: {say.text}")
        session._events.append(SpeechFinished(say.utterance_id, session.clock.now_ms()))

    def listen(self, context: Context | None) -> None:
        if context not in (None, Context.COMMAND, Context.EXERCISE) and self._session.interactive:
            self._session._print(f"  (type your answer: {_HINTS.get(context or '', '')})")

    def record(self, entry: LogEntry) -> None:
        self._session._record(entry)

    def end(self, end: End) -> None:
        self._session.end = end


def _open_journal(out: TextIO) -> Any:
    def notify(message: str) -> None:
        out.write(f"({message})\n")

    return open_session_journal(notify)


def run_text(
    settings: Settings,
    fast: bool,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    routines: Mapping[str, Routine] | None = None,
    journal: bool = True,
    rate: float | None = None,
) -> int:
    """A full session in the terminal; returns the exit code (0, or 130 after Ctrl-C).

    ``rate`` overrides the clock speed while the coach counts (tests use a large one).
    """
    stdin = stdin if stdin is not None else sys.stdin
    out = stdout if stdout is not None else sys.stdout
    routines = routines if routines is not None else load_routines()
    routine_id = None if settings.routine == "ask" else settings.routine
    clock = ScaledClock()
    engine = Engine(routines, clock, routine_id=routine_id, recognizer="text", typed=True)
    interactive = stdin.isatty()
    if interactive:
        out.write(
            "Back Coach (text mode). Type your answers as you would say them; "
            "type 'help' at any time. Ctrl-C ends the session.\n"
        )
    store = _open_journal(out) if journal else None
    session = TextSession(
        engine,
        clock,
        lines=iter(stdin.readline, ""),
        out=out,
        interactive=interactive,
        fast=fast or rate is not None,
        fast_factor=rate if rate is not None else FAST_FACTOR,
        journal=store,
    )
    try:
        code = session.run()
    finally:
        if store is not None:
            try:
                store.close(interrupted=session.end is None)
            except JournalError as exc:
                out.write(f"(journal: {exc})\n")
    if session.end is not None:
        out.write(f"Session ended: {session.end.outcome.replace('_', ' ')}.\n")
    return code
