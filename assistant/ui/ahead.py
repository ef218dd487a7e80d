"""Render the lines the coach may say next, in the background, while the person exercises.

It follows the session through the runtime's observer (the actions the engine
emits): when an exercise starts, the lines of the exercises that can come next
(its ``better``, ``same`` and ``worse`` rules in the routine file) are rendered,
so the reply to "better" starts at once.  It renders only while the coach is
quiet and not waiting for an answer (so it never slows the recogniser while
someone answers), one line at a time, and skips lines already on disk.
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ..events import Listen, LogEntry

if TYPE_CHECKING:
    from ..dialog.routine import Exercise, Routine
    from ..tts.voices import Synth

__all__ = [
    "Prerenderer",
    "answer_lines",
    "engine_wording",
    "exercise_lines",
    "fixed_lines",
    "next_exercises",
    "rating_lines",
    "reply_lines",
    "summary_start",
]

#: Nothing is rendered ahead in the first moments (the first words come first).
START_DELAY_S = 2.0

Observer = Callable[[str, object, int], None]


def engine_wording() -> Any:
    """The engine's wording (``dialog.prompts``): every line is built as it builds it."""
    from ..dialog import prompts

    return prompts


def exercise_lines(exercise: Exercise, side: str | None = None) -> list[str]:
    """What the coach says to introduce and count ``exercise``, as the engine words it."""
    from ..dialog import prompts as p
    from ..dialog.counting import build_plan

    lines = [p.next_exercise(exercise.name)]
    if exercise.one_sided:
        lines.append(p.next_one_sided(exercise.name))
    lines += [p.fill_side(text, side) for text in (*exercise.cautions, *exercise.steps)]
    lines += [cue.text for cue in build_plan(exercise)]  # every count and cue, in order
    lines += answer_lines(exercise)
    if exercise.sides != "none":
        lines += [p.now_side(s) for s in ("left", "right")]
    lines.append(p.skipping(exercise.name))
    if exercise.reps is not None:  # "slower" / "faster" at each pace the counter allows
        lines += [p.tempo_changed(said, exercise.tempo_s * f) for said, f in _tempo_steps()]
    return list(dict.fromkeys(lines))


def answer_lines(exercise: Exercise) -> list[str]:
    """What the coach says right after the symptom answer to ``exercise``: its
    responses, its stop advice, and "stay there a little longer"."""
    from ..dialog import prompts as p
    from ..dialog.counting import extension_plan

    response = [exercise.responses.for_answer(a) for a in ("better", "same", "worse")]
    lines = [text for text in (*response, exercise.stop_advice) if text]
    top, hold = exercise.hold_max_s, exercise.hold_s
    if exercise.extend_while_better and top is not None and hold:
        left = top - hold
        while left > 0:  # as the engine extends: by the hold, at most what is left
            extra = min(hold, left)
            lines.append(p.extend_hold(extra))
            lines += [cue.text for cue in extension_plan(exercise, extra)]
            left -= extra
    return lines


def summary_start(done: list[str]) -> str:
    """The first sentence of the closing summary after ``done`` (no ratings, no goodbye)."""
    from ..dialog import prompts as p

    return p.summary(done, {}, "")


def rating_lines(before: int) -> list[str]:
    """The summary's "your leg pain went from ... to ..." for each rating after."""
    from ..dialog import prompts as p

    return [p.summary([], {"before": before, "after": after}, "") for after in range(11)]


def _tempo_steps() -> list[tuple[str, float]]:
    from ..dialog import prompts as p
    from ..dialog.counting import MAX_TEMPO_FACTOR, MIN_TEMPO_FACTOR, TEMPO_STEP

    steps, factor = [], 1.0
    while factor * TEMPO_STEP <= MAX_TEMPO_FACTOR + 1e-9:
        factor *= TEMPO_STEP
        steps.append((p.SLOWER, factor))
    factor = 1.0
    while factor / TEMPO_STEP >= MIN_TEMPO_FACTOR - 1e-9:
        factor /= TEMPO_STEP
        steps.append((p.FASTER, factor))
    return steps


def reply_lines() -> list[str]:
    """The coach's replies to answers and commands anywhere in a session, as the
    engine words them: the rating heard back, every reprompt of every question,
    the help, the pauses."""
    from ..dialog import prompts as p

    lines = [p.rating_heard(value) for value in range(11)]
    general = (p.NOT_CAUGHT, p.NOT_AN_ANSWER, p.NOT_SURE, p.NO_ANSWER_HEARD, p.ARE_YOU_THERE)
    for options, unsure in (
        (p.SYMPTOM_OPTIONS, (p.UNSURE_SYMPTOM,)),
        (p.RATING_OPTIONS, (p.UNSURE_RATING,)),
        (p.SIDE_OPTIONS, (p.UNSURE_SIDE,)),
        (p.LOCATION_OPTIONS, (p.UNSURE_LOCATION,)),
        (p.LOCATION_SIDE_OPTIONS, (p.UNSURE_SIDE,)),
        (p.YES_NO_OPTIONS, (p.UNSURE_HELP, *p.RED_FLAG_MEANINGS)),
    ):
        lines += [p.reprompt(why, options) for why in (*general, *unsure)]
        lines.append(p.help_for_question(options))
    lines += [p.paused_because(why) for why in (p.PAUSED_FOR_NO_ANSWER, p.PAUSED_BY_USER)]
    return list(dict.fromkeys(lines))


def fixed_lines() -> list[str]:
    """Every fixed sentence the engine may say (its constants), the counts first."""
    module = engine_wording()
    lines: list[str] = []
    cached = getattr(module, "cached_lines", None)
    if cached is not None:
        lines += list(cached())
    for name, value in vars(module).items():
        if not name.isupper() or name.startswith("_"):
            continue
        if isinstance(value, str):
            values = [value]
        elif isinstance(value, tuple):
            values = [v for v in value if isinstance(v, str)]
        elif isinstance(value, Mapping):
            values = [v for v in value.values() if isinstance(v, str)]
        else:
            continue
        # whole sentences only (not fragments such as "yes or no")
        lines += [v for v in values if v.rstrip().endswith((".", "?", "!"))]
    return list(dict.fromkeys(lines + reply_lines()))


def next_exercises(routine: Routine, exercise_id: str) -> list[Exercise]:
    """The exercises the routine's rules can move to after ``exercise_id``."""
    ids = set(routine.exercise_ids)
    current = routine.exercise(exercise_id)
    targets = [current.next.target(answer) for answer in ("better", "same", "worse")]
    return [routine.exercise(t) for t in dict.fromkeys(targets) if t in ids]


class Prerenderer:
    """A background thread that renders queued lines into the synthesiser's cache."""

    def __init__(
        self,
        synth: Synth,
        routines: Mapping[str, Routine] | None = None,
        busy: Callable[[], bool] = lambda: False,
        lines: Iterable[str] = (),
    ) -> None:
        self.synth = synth
        self.routines = dict(routines or {})
        self._busy = busy
        self._queue: collections.deque[str] = collections.deque()
        self._seen: set[str] = set()
        self._cond = threading.Condition()
        self._free = False  # rendering only while the person exercises
        self._closed = False
        self._routine: Routine | None = None
        self._side: str | None = None
        self._done: list[str] = []  # exercises done, by name (as the summary says them)
        self.rendered = 0
        self._not_before = time.monotonic() + START_DELAY_S
        self.add(lines)
        self._thread = threading.Thread(target=self._work, daemon=True, name="prerender")
        self._thread.start()

    def add(self, texts: Iterable[str], first: bool = False) -> None:
        """Queue lines (``first``: before those already waiting)."""
        with self._cond:
            texts = list(dict.fromkeys(texts))
            if first:  # those still waiting move up too
                waiting = set(texts)
                rest = [t for t in self._queue if t not in waiting]
                ahead = [t for t in texts if t not in self._seen or t in self._queue]
                self._queue = collections.deque(ahead + rest)
                self._seen.update(texts)
            else:
                fresh = [t for t in texts if t not in self._seen]
                self._seen.update(fresh)
                self._queue.extend(fresh)
            self._cond.notify()

    def add_one(self, text: str) -> None:
        self.add([text])

    def observe(self, kind: str, item: object, now_ms: int) -> None:
        """The runtime's observer: follows listening contexts and exercises."""
        if isinstance(item, Listen):
            with self._cond:
                # only while exercising: a line in progress when someone starts to
                # answer would slow the recognizer (a line takes up to a second)
                self._free = item.context == "command"
                self._cond.notify()
        elif isinstance(item, LogEntry):
            self._follow(item.kind, item.data)

    def chain(self, other: Observer | None) -> Observer:
        """An observer that feeds this one and then ``other``."""

        def both(kind: str, item: object, now_ms: int) -> None:
            self.observe(kind, item, now_ms)
            if other is not None:
                other(kind, item, now_ms)

        return both

    def _follow(self, kind: str, data: Mapping[str, Any]) -> None:
        if kind == "session_started":
            self._routine = self.routines.get(str(data.get("routine")))
            start = data.get("start_exercise")
            if self._routine is not None and start in self._routine.exercise_ids:
                self.add(exercise_lines(self._routine.exercise(str(start))), first=True)
        elif kind == "exercise_started" and self._routine is not None:
            self._side = data.get("side") or self._side
            exercise_id = str(data.get("exercise"))
            if exercise_id in self._routine.exercise_ids:
                # first what follows this exercise's answer (or a "stop": the summary's
                # first sentence, the rest renders while it plays), then what comes next
                current = self._routine.exercise(exercise_id)
                lines = answer_lines(current)
                lines.append(summary_start([*self._done, current.name]))
                for exercise in next_exercises(self._routine, exercise_id):
                    lines += exercise_lines(exercise, self._side)
                self.add(lines, first=True)

        elif kind == "rating" and data.get("phase") == "before":
            self.add(rating_lines(int(data.get("value", 0))))
        elif kind == "exercise_finished" and self._routine is not None:
            exercise_id = str(data.get("exercise"))
            if exercise_id in self._routine.exercise_ids and data.get("answer") != "skipped":
                name = self._routine.exercise(exercise_id).name
                if name not in self._done:
                    self._done.append(name)

    def _work(self) -> None:
        while True:
            with self._cond:
                while not self._closed and not (self._queue and self._free):
                    self._cond.wait(0.2)
                if self._closed:
                    return
                text = self._queue.popleft()
            if self._busy() or time.monotonic() < self._not_before:
                with self._cond:
                    self._queue.appendleft(text)
                    self._cond.wait(0.05)
                continue
            try:
                # a line on disk costs nothing: Piper's model (~90 MB, and up to ~100
                # MB more while it renders) is loaded only for a line that is not
                if not self.synth.cached(text):
                    self.synth.warm_one(text)
                    self.rendered += 1
            except Exception:  # rendering ahead is only an optimisation
                continue

    def close(self, wait_s: float = 10.0) -> None:
        """Stop, and wait for a line being rendered (it is written to the cache)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=wait_s)


def render_ahead(
    synth: Synth, speaker: Any, routines: Mapping[str, Routine] | None = None
) -> Prerenderer:
    """A ``Prerenderer`` for a voice session: every fixed line, then the routine's
    next lines as the session goes; it waits while ``speaker`` renders a line.
    ``routines``: those the session loaded (loading them again costs start-up time)."""
    if routines is None:
        from ..dialog.routine import load_routines
        from ..errors import AssistantError

        try:
            routines = load_routines()
        except AssistantError:  # the engine reports a broken routine file itself
            routines = {}
    ahead = Prerenderer(synth, routines, busy=lambda: bool(speaker.rendering), lines=fixed_lines())
    closing = getattr(speaker, "on_close", None)
    if closing is not None:  # closing the speaker first stops rendering ahead
        closing.append(ahead.close)
    return ahead
