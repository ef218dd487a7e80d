"""One exercise: its side, its steps read out, its count, and "how is the leg now?".

The answer to the symptom question picks the routine's rule (``Flow.follow``);
"better" on a hold that may be held longer holds it longer first.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..events import Heard
from ..vocab import Answer, Context, Hurt, Side
from . import prompts
from .counting import READY_WAIT_MS, build_plan, extension_plan
from .location import NO_ONE_SIDE, compare
from .log import CommandHeard, ExerciseFinished, ExerciseStarted
from .machine import Phase, exercise_state, target_state
from .questions import Question
from .routine import Exercise

if TYPE_CHECKING:
    from .flow import Flow

__all__ = ["Exercises"]

_SIDES = frozenset(Side)
#: The only words a mild, expected "it hurts" is made of (anything else, "ouch"
#: above all, stops the movement).
_MILD_HURT = frozenset({("it", "hurts"), ("that", "hurts")})
#: ``exercise_finished.answer`` of an exercise cut short by "stop" or Ctrl-C.
STOPPED = "stopped"
#: ... and of one skipped.
SKIPPED = "skipped"


class Exercises:
    def __init__(self, flow: Flow) -> None:
        self._flow = flow
        self._out = flow.out
        #: The exercise under way (or just finished).
        self.exercise: Exercise | None = None
        self._sides_todo: list[str | None] = []
        self.current_side: str | None = None
        self._intro_utt: int | None = None
        self._interject_utt: int | None = None
        self._extended_ms = 0
        #: The answers that lengthened its hold (each a "better"), for the journal.
        self._earlier: list[str] = []
        #: "ouch" was said during it (then a "better" never holds it longer).
        self._ouch = False
        #: "skip" was said during it: asked about, but never held longer or praised.
        self._skipped = False
        #: A mild "it hurts" early in the hold was reassured (once only).
        self._reassured = False
        self._named = False
        self._done_sides: list[tuple[str | None, int, int]] = []
        #: The last symptom answer given for it and not yet logged (the "better" that
        #: lengthened a hold, or one said mid-hold): a stop or Ctrl-C keeps it.
        self.answer_given: str | None = None

    @property
    def current_id(self) -> str | None:
        return self.exercise.id if self.exercise is not None else None

    def start(self, exercise_id: str) -> None:
        self._flow.machine.go(exercise_state(exercise_id))
        self.enter()

    def enter(self) -> None:
        """Arrived at an exercise state (the machine is there already)."""
        flow = self._flow
        assert flow.routine is not None and flow.machine.exercise_id is not None
        exercise = flow.routine.exercise(flow.machine.exercise_id)
        self.exercise = exercise
        visits = flow.progress.visits
        visits[exercise.id] = visits.get(exercise.id, 0) + 1
        self._extended_ms = 0
        self._earlier = []
        self._ouch = self._skipped = self._reassured = False
        self._named = False
        self._done_sides = []
        self.answer_given = None
        self._say_nominal_response()
        side = flow.progress.side
        if exercise.one_sided and side not in (Side.LEFT, Side.RIGHT):
            flow.machine.set_phase(Phase.SIDE)
            self._out.say(prompts.next_one_sided(exercise.name))
            self._named = True
            if side is None and not flow.baseline.asked:
                flow.baseline.ask(self._side_known)
            else:
                self._side_known()
            return
        self._plan_sides(exercise)
        self._next_side(first=True)

    # ----------------------------------------------------------------- sides

    def _side_known(self) -> None:
        """At a one-sided exercise, after where the pain is was asked (or skipped)."""
        side = self._flow.progress.side
        if side in (Side.LEFT, Side.RIGHT):
            assert self.exercise is not None
            self._plan_sides(self.exercise)
            self._next_side(first=True)
            return
        if side in NO_ONE_SIDE:
            self._out.say(prompts.no_one_side(side))
        self._ask_side()

    def _ask_side(self) -> None:
        def answered(heard: Heard) -> None:
            if heard.intent in NO_ONE_SIDE:
                self._flow.ask(question, prefix=prompts.PICK_WORSE_SIDE)
                return
            self._flow.progress.side = heard.intent
            assert self.exercise is not None
            self._plan_sides(self.exercise)
            self._next_side(first=True)

        question = Question(
            key="side",
            context=Context.SIDE,
            prompt=prompts.SIDE_QUESTION,
            options=prompts.SIDE_OPTIONS,
            accepts=_SIDES,
            on_answer=answered,
            unsure_help=prompts.UNSURE_SIDE,
        )
        self._flow.ask(question)

    def _plan_sides(self, exercise: Exercise) -> None:
        side = self._flow.progress.side
        side = side if side in (Side.LEFT, Side.RIGHT) else None
        if exercise.sides == "none":
            self._sides_todo = [None]
        elif exercise.sides == "affected":
            self._sides_todo = [side]
        else:
            first = side or Side.LEFT
            self._sides_todo = [first, Side.RIGHT if first == Side.LEFT else Side.LEFT]

    def _next_side(self, *, first: bool) -> None:
        exercise = self.exercise
        assert exercise is not None
        self.current_side = self._sides_todo.pop(0)
        self._flow.counter.new_side()
        self._out.log(ExerciseStarted(exercise.id, self.current_side))
        self.introduce(again=False, first=first)

    def _fill(self, text: str) -> str:
        side = self.current_side or self._flow.progress.side
        return prompts.fill_side(text, side if side in (Side.LEFT, Side.RIGHT) else None)

    def introduce(self, *, again: bool, first: bool = True) -> None:
        """Read the steps, then wait for "ready" (issue 12 item 9: the count starts on
        "ready", or after a generous wait, never straight after the last step)."""
        exercise = self.exercise
        assert exercise is not None
        self._flow.machine.set_phase(Phase.INSTRUCTING)
        self._out.listen(Context.EXERCISE)
        steps = [self._fill(step) for step in exercise.steps]
        self._flow.last_instruction = " ".join(steps)
        if again:
            lines = [prompts.AGAIN_FROM_START, *steps]
        elif first:
            lines = [] if self._named else [prompts.next_exercise(exercise.name)]
            lines += [self._fill(caution) for caution in exercise.cautions]
            lines += steps
        else:
            changed = [self._fill(step) for step in exercise.steps if "{side}" in step]
            lines = [prompts.now_side(self.current_side), *(changed or steps)]
        lines.append(prompts.SAY_READY)
        for line in lines:
            # (read again on request: said as asked, repeats and all)
            self._intro_utt = self._out.say(line, reply=again)

    # -------------------------------------------------------------- counting

    def speech_finished(self, utterance_id: int) -> None:
        if utterance_id == self._intro_utt:
            self._intro_utt = None
            assert self.exercise is not None
            self._flow.machine.set_phase(Phase.COUNTING)
            self._flow.counter.begin(build_plan(self.exercise), wait_ms=READY_WAIT_MS)
        elif utterance_id == self._interject_utt:
            self._interject_utt = None
            if self._flow.machine.phase is Phase.COUNTING:
                self._flow.counter.carry_on()

    def interject(self, text: str) -> None:
        """Say something during the count: the count waits until it has been said."""
        self._flow.counter.freeze()
        self._interject_utt = self._out.say(text, reply=True)

    def hold_still(self) -> None:
        """A pause: freeze the count, or cut the steps off (they are read again)."""
        phase = self._flow.machine.phase
        if phase is Phase.COUNTING:
            self._flow.counter.freeze()
            self._interject_utt = None
        elif phase is Phase.INSTRUCTING:
            self._out.stop_speaking()
            self._intro_utt = None

    def stop_activity(self) -> None:
        """Cancel counting (crediting what was done) and any pending instructions."""
        self._flow.counter.stop()
        self._intro_utt = None
        self._interject_utt = None
        self._sides_todo = []

    def side_done(self) -> None:
        """The count's last cue was said."""
        if self._sides_todo:
            counter = self._flow.counter
            self._done_sides.append((self.current_side, counter.reps_done, counter.hold_ms_done))
            self._next_side(first=False)
        else:
            self.ask_symptom()

    # --------------------------------------------------------------- answers

    def ask_symptom(self, prefix: str = "") -> None:
        """The question every exercise ends with; its answer picks the next one."""
        self._flow.machine.set_phase(Phase.ASKING)
        question = Question(
            key="symptom",
            context=Context.SYMPTOM,
            prompt=prompts.SYMPTOM_QUESTION,
            options=prompts.SYMPTOM_OPTIONS,
            accepts=frozenset(Answer),
            on_answer=self._symptom_answer,
            needed_because=prompts.NEED_SYMPTOM,
            unsure_help=prompts.UNSURE_SYMPTOM,
        )
        self._flow.ask(question, prefix=prefix)

    def stopped_by_pain(self) -> None:
        """ "Ouch" (or "worse") during the movement: no question, it counts as worse,
        so nothing harder follows and the props' rule stops the session."""
        self._ouch = True
        self._flow.machine.set_phase(Phase.ASKING)
        self._symptom_answer(Heard(Answer.WORSE, "ouch"))

    def skip(self) -> None:
        """ "skip" during the movement: how is the pain? (issue 12 item 4).  The answer
        picks the next step by the routine's rules, as after a finished exercise, so
        skipping never leads into a harder stage unasked."""
        exercise = self.exercise
        assert exercise is not None
        counting = self._flow.machine.phase is Phase.COUNTING
        if not counting:
            self._out.stop_speaking()
        self.stop_activity()
        self._skipped = True
        self._out.say(prompts.skipping(exercise.name), reply=True)
        if counting:  # (in position: out of it before the question)
            self._out.say(prompts.COME_OUT_AND_REST, cacheable=True, reply=True)
        self.ask_symptom()

    def early_pain_expected(self, heard: Heard) -> bool:
        """A mild "it hurts" in the first seconds of a hold that is expected to hurt at
        first (000): reassure once and hold on.  ``False``: stop as for "ouch"."""
        exercise = self.exercise
        flow = self._flow
        if (
            heard.intent != Hurt.OUCH
            or exercise is None
            or exercise.early_increase_s is None
            or self._reassured
            or flow.machine.paused
            or flow.machine.phase is not Phase.COUNTING
            or tuple(re.findall(r"[a-z]+", heard.text.lower())) not in _MILD_HURT
            or flow.counter.hold_elapsed_ms() > exercise.early_increase_s * 1000
        ):
            return False
        self._reassured = True
        self._out.log(CommandHeard(Hurt.OUCH, exercise.id))
        self.interject(prompts.EARLY_INCREASE_EXPECTED)
        return True

    def _symptom_answer(self, heard: Heard) -> None:
        exercise = self.exercise
        assert exercise is not None
        answer = compare(heard.intent, heard.text, self._flow.progress.location)
        if answer is None:
            self.ask_symptom(prefix=prompts.SAME_PLACE)
            return
        held = not (self._ouch or self._skipped)
        if answer == Answer.BETTER and self._can_extend(exercise) and held:
            self._extend_hold(exercise)
            return
        self.log_finished(SKIPPED if self._skipped else answer)
        progress = self._flow.progress
        if answer == Answer.WORSE:
            progress.worse_count += 1
        progress.nominal = (answer, exercise.next.target(answer))
        self._flow.follow(answer)

    def _can_extend(self, exercise: Exercise) -> bool:
        top = exercise.hold_max_s
        if not exercise.extend_while_better or top is None or exercise.hold_s is None:
            return False
        return exercise.hold_s * 1000 + self._extended_ms < top * 1000

    def _extend_hold(self, exercise: Exercise) -> None:
        assert exercise.hold_s is not None and exercise.hold_max_s is not None
        left_ms = exercise.hold_max_s * 1000 - exercise.hold_s * 1000 - self._extended_ms
        extra_s = min(exercise.hold_s, left_ms // 1000)
        self._extended_ms += extra_s * 1000
        self._earlier.append(Answer.BETTER)
        self.answer_given = Answer.BETTER
        self._out.say(prompts.extend_hold(extra_s))
        self._flow.machine.set_phase(Phase.COUNTING)
        self._out.listen(Context.EXERCISE)
        self._flow.counter.begin(extension_plan(exercise, extra_s))

    def log_finished(self, answer: str) -> None:
        """One ``exercise_finished`` per side done (each side was logged as started).

        Stopped after an answer was given (in a lengthened hold, say), the answer
        given is what the journal keeps (issue 13)."""
        exercise = self.exercise
        assert exercise is not None
        earlier = tuple(self._earlier)
        if answer == STOPPED and self.answer_given is not None:
            answer = self.answer_given
            if earlier and earlier[-1] == answer:
                earlier = earlier[:-1]  # stopped in the hold that "better" lengthened
        self.answer_given = None
        self._earlier = []
        counter = self._flow.counter
        sides = [*self._done_sides, (self.current_side, counter.reps_done, counter.hold_ms_done)]
        self._done_sides = []
        for side, reps_done, hold_ms in sides:
            hold_s = round(hold_ms / 1000, 1)
            self._out.log(ExerciseFinished(exercise.id, side, reps_done, hold_s, answer, earlier))
        self._flow.progress.history.append((exercise.id, self.current_side, answer))

    def _say_nominal_response(self) -> None:
        """Say the seed's words for the answer, if we went where the rule said."""
        progress = self._flow.progress
        if progress.nominal is None or self.exercise is None:
            return
        answer, target = progress.nominal
        progress.nominal = None
        if target_state(target) != self._flow.machine.state:
            return
        previous = self.previous_exercise()
        # A skipped exercise is asked about, not praised (000: "continue the exercise
        # a few times a day" follows a hold that was done and helped).
        if previous is not None and self._flow.progress.history[-1][2] != SKIPPED:
            text = previous.responses.for_answer(answer)
            if text:
                self._out.say(text)

    def say_nominal_response(self) -> None:
        self._say_nominal_response()

    def previous_exercise(self) -> Exercise | None:
        history = self._flow.progress.history
        if not history or self._flow.routine is None:
            return None
        return self._flow.routine.exercise(history[-1][0])
