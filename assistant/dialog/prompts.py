"""Every line the coach says that does not come from a routine file, in one place.

Fixed lines are constants; lines with a value in them are small functions.  The
rest of ``assistant.dialog`` says nothing that is not named here, so a reviewer
(or a translator) reads the whole voice of the coach in this file.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Final

from .prompts_intake import (
    LOCATION_OPTIONS,
    LOCATION_QUESTION,
    LOCATION_SIDE_OPTIONS,
    LOCATION_SIDE_QUESTION,
    RATING_QUESTION,
    RED_FLAG_ADVICE,
    RED_FLAG_ADVICES,
    RED_FLAG_HISTORY_ADVICE,
    RED_FLAG_QUESTIONS,
    SAFETY_NOTICE,
    THANK_YOU,
    UNSURE_LOCATION,
)

if TYPE_CHECKING:
    from .routine import Routine

#: The intake lines live in ``prompts_intake`` (for this module's size) and are
#: named here like every other line; everything else here is public as well.
__all__ = [
    "LOCATION_OPTIONS",
    "LOCATION_QUESTION",
    "LOCATION_SIDE_OPTIONS",
    "LOCATION_SIDE_QUESTION",
    "RATING_QUESTION",
    "RED_FLAG_ADVICE",
    "RED_FLAG_ADVICES",
    "RED_FLAG_HISTORY_ADVICE",
    "RED_FLAG_QUESTIONS",
    "SAFETY_NOTICE",
    "THANK_YOU",
    "UNSURE_LOCATION",
]

# ------------------------------------------------------------------ numbers

_ONES: Final = (
    *("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"),
    *("eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen"),
    *("eighteen", "nineteen"),
)
_TENS: Final = (
    *("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"),
)


def number_words(value: int) -> str:
    """0-999 in words: ``number_words(42) == "forty-two"``."""
    if value < 0:
        return "minus " + number_words(-value)
    if value < 20:
        return _ONES[value]
    if value < 100:
        tens, ones = divmod(value, 10)
        return _TENS[tens] + (f"-{_ONES[ones]}" if ones else "")
    hundreds, rest = divmod(value, 100)
    head = f"{_ONES[hundreds]} hundred"
    return head + (f" and {number_words(rest)}" if rest else "")


def _either(items: Sequence[str]) -> str:
    """Items joined for "a, b, or c" (the routine choice)."""
    return ", ".join(items[:-1]) + f", or {items[-1]}" if len(items) > 1 else items[0]


def _both(items: Sequence[str]) -> str:
    """Items joined for "a, b and c" (the summary)."""
    return ", ".join(items[:-1]) + f" and {items[-1]}" if len(items) > 1 else items[0]


# ------------------------------------------------------------------- intake


def routine_question(routine_ids: Sequence[str]) -> str:
    return f"Which routine would you like: {_either(routine_ids)}?"


def routine_options(routine_ids: Sequence[str]) -> str:
    return _either(routine_ids)


def routine_chosen(title: str, description: str) -> str:
    return f"{title}. {description}"


def rating_heard(value: int) -> str:
    return f"{number_words(value).capitalize()}. Thank you."


# --------------------------------------------------------------- questions

#: The whole of the pain (issue 12 item 3): 002 takes more back pain as a sign for
#: caution, 004 stops on more back or leg pain, 000 watches back pain and tingling.
SYMPTOM_QUESTION: Final = (
    "Thinking of all of it, in your back or leg, and any tingling: is the pain better, "
    "worse or the same?"
)
SIDE_QUESTION: Final = "Which side is the pain worse on, left or right?"
CONFIRM_WORSE: Final = "I think you said worse. Is the pain worse? Please say yes or no."
CONFIRM_BETTER: Final = "I think you said better. Is the pain better? Please say yes or no."

#: What to say to answer, by question ("Please say ...").
SYMPTOM_OPTIONS: Final = "better, worse, or the same"
YES_NO_OPTIONS: Final = "yes or no"
SIDE_OPTIONS: Final = "left or right"
RATING_OPTIONS: Final = "a number from zero to ten, or skip"

NOT_CAUGHT: Final = "Sorry, I didn't catch that."
#: The same, to typed words: nothing was misheard, the words were not understood.
NOT_UNDERSTOOD: Final = "Sorry, I didn't understand that."
#: An answer begun while the coach was still speaking: not all of it was heard.
ONE_MOMENT: Final = "One moment, I was still speaking."
NOT_AN_ANSWER: Final = "Sorry, that's not one of the answers."
NOT_SURE: Final = "I want to be sure I heard you right."
NO_ANSWER_HEARD: Final = "I didn't hear an answer."
ARE_YOU_THERE: Final = "Are you there?"
#: Said before asking again after "no" to :data:`CONFIRM_WORSE` or :data:`CONFIRM_BETTER`.
ALL_RIGHT: Final = "All right."
#: Said before asking the side again after "both".
PICK_WORSE_SIDE: Final = "Then pick the side where it is worse."
NEED_ANSWER: Final = "I need this answer before we go on."
#: Said (then "Please say ...") when the answer is "not sure", by question.
UNSURE_HELP: Final = "Take your best guess."
UNSURE_SYMPTOM: Final = "If you can't feel a difference, say the same."
UNSURE_RATING: Final = "A rough number is fine, or say skip."
UNSURE_SIDE: Final = "Choose the side where the pain is stronger."
#: What each red-flag question means, said once when the answer is "not sure".
RED_FLAG_MEANINGS: Final[tuple[str, ...]] = (
    "I mean: is it harder than usual to pass water or to hold it in, or have you leaked "
    "without meaning to?",
    "I mean: does the skin feel numb, tingly or different in the area you would sit on a saddle?",
    "I mean: has a leg or foot become weaker than it was, so it trips, drags or gives way?",
    "I mean: has a doctor ever told you that you had cancer or a broken bone in your back, or "
    "did the pain begin with a fall, an accident or a blow?",
)
#: Still "not sure" after the meaning: read as yes, the cautious answer.
UNSURE_MEANS_YES: Final = "As you're not sure, I'll take that as a yes, to be safe."
NEED_SYMPTOM: Final = "I need to know how the pain is before choosing the next exercise."


def reprompt(why: str, options: str) -> str:
    return f"{why} Please say {options}."


def with_prefix(prefix: str, question: str) -> str:
    """A short lead-in, then the question again."""
    return f"{prefix} {question}"


# ----------------------------------------------------------------- commands

COMMANDS_HELP: Final = (
    "At any time you can say pause, resume, repeat, skip, stop, slower, faster, or help. "
    "If something hurts, say ouch."
)


#: Help while the count waits for the person to get into position.
READY_HELP: Final = f"Say ready when you're in position, and I'll start counting. {COMMANDS_HELP}"


def help_for_question(options: str) -> str:
    return f"Please say {options}. {COMMANDS_HELP}"


#: The one reminder of what to do while paused.
PAUSED: Final = "We're paused. Say resume to carry on, or stop to finish."
PAUSED_BY_USER: Final = "Paused."
PAUSED_FOR_NO_ANSWER: Final = "I'll pause here."
ALREADY_PAUSED: Final = "We're already paused. Say resume when you're ready."
NOT_PAUSED: Final = "We're not paused."
JUST_FINISHING: Final = "We're just finishing."
SOUND_BACK: Final = "Sound is working again. Say resume when you're ready."
CARRY_ON: Final = "Let's carry on."
CARRYING_ON: Final = "Carrying on."
AGAIN_FROM_START: Final = "Again, from the start."
SKIPPED: Final = "Skipped."
SLOWER: Final = "Slower."
FASTER: Final = "Faster."
#: After "slower" / "faster" when no exercise with repetitions is under way.
TEMPO_LATER: Final = "Repetitions will be counted at the new pace."
SLOWEST: Final = "That's as slow as I count."
FASTEST: Final = "That's as fast as I count."
#: "Better" said during an exercise: noted; the question at the end decides.
BETTER_NOTED: Final = "Good. Keep going, and I'll ask you at the end."
#: A mild "it hurts" early in the stenosis hold (000: "Initially, you should feel
#: increased back pain and leg pain or tingling").
EARLY_INCREASE_EXPECTED: Final = (
    "A little more pain at first is expected with this one. Keep holding if you can, and "
    "tell me if it gets much worse."
)
#: After "ouch" mid-exercise.  Not "stop there", which can be heard as "stay there".
COME_OUT_AND_REST: Final = "Come out of the position slowly, and rest."
#: Said before the symptom question when "ouch" is heard while it is open.
HURTS_REST: Final = "If it hurts, stop and rest."
HURTS_ADVICE: Final = "If something hurts, stop moving and rest in a comfortable position."
STOPPING_NOW: Final = "Stopping now."


def paused_because(why: str) -> str:
    return f"{why} Say resume when you're ready."


def sound_problem(message: str) -> str:
    return f"Sound problem: {message}"


def tempo_changed(said: str, movement_s: float) -> str:
    """ "Slower." and what it means: how long each movement now takes."""
    seconds = max(1, round(movement_s))
    unit = "second" if seconds == 1 else "seconds"
    return f"{said} Each movement now takes {number_words(seconds)} {unit}."


def routine_help(routines: Iterable[tuple[str, str]]) -> str:
    """One line per routine: its title and the first sentence of its description."""
    return " ".join(f"{title}: {text.split('. ')[0].rstrip('.')}." for title, text in routines)


def skipping(exercise_name: str) -> str:
    return f"Skipping {exercise_name}."


# ---------------------------------------------------------------- exercises

#: Fills ``{side}`` when the side is not known, and ``{other_side}`` when it is "both".
UNKNOWN_SIDE: Final = "painful"
OTHER_SIDE: Final = "other"
REST_BETWEEN_SETS: Final = "Rest for a moment."
THIRTY_TO_GO: Final = "Thirty seconds to go."
TEN_SECONDS: Final = "Ten seconds."
#: The end of a hold inside a repetition (no single numbers: those count repetitions).
REP_COUNTDOWN: Final = "Three, two, one."
#: After the steps: the count starts on "ready" (or after a generous wait).
SAY_READY: Final = "Take your time. Say ready when you're in position."
#: Said when nobody said "ready" in time, a moment before the count starts.
LETS_START: Final = "Let's start."


def fill_side(text: str, side: str | None) -> str:
    """A routine line with ``{side}`` / ``{other_side}`` filled in."""
    side = side or UNKNOWN_SIDE
    other = {"left": "right", "right": "left"}.get(side, OTHER_SIDE)
    return text.replace("{side}", side).replace("{other_side}", other)


def next_exercise(name: str) -> str:
    return f"Next: {name}."


def next_one_sided(name: str) -> str:
    return f"Next: {name}. This one is done on the painful side."


#: A one-sided exercise when the pain is central or on both sides (issue 12 item 5).
NO_ONE_SIDE_MIDDLE: Final = (
    "Your pain is in the middle, and this one works on one side. Pick the side that feels "
    "worse, or the one your physiotherapist chose."
)
NO_ONE_SIDE_BOTH: Final = (
    "Your pain is on both sides, and this one works on one side. Pick the side that feels "
    "worse, or the one your physiotherapist chose."
)


def no_one_side(side: str) -> str:
    return NO_ONE_SIDE_MIDDLE if side == "middle" else NO_ONE_SIDE_BOTH


#: A "better" naming the place the pain was in at the start: asked again (location.py).
SAME_PLACE: Final = "That is where the pain was at the start."
#: Where the pain is, not understood after every reprompt: the session goes on without it.
LEAVE_IT: Final = "Let's leave that for now."
#: A "better" naming a place further from the spine than at the start: taken as worse.
FURTHER_OUT: Final = (
    "That is further from your spine than where the pain was at the start, so I'm taking "
    "it as worse."
)


def now_side(side: str | None) -> str:
    return f"Now the {side} side."


def rep_count(rep: int, cue_words: str) -> str:
    count = number_words(rep).capitalize()
    return f"{count}, {cue_words}." if cue_words else f"{count}."


def reps_done(reps: int) -> str:
    return f"That's {number_words(reps)}. Well done."


def cue(words: str) -> str:
    """A routine's cue words as said and shown, like every other count: a capital
    first letter and a full stop ("And down.")."""
    words = words.strip()
    if words and words[-1] not in ".!?":
        words += "."
    return words[:1].upper() + words[1:]


def hold_start(hold_cue: str, hold_s: int, watch: str | None) -> str:
    start = f"{cue(hold_cue).rstrip('.')}, {number_words(hold_s)} seconds."
    return f"{start} {watch}" if watch else start


def countdown(seconds: int) -> str:
    return number_words(seconds).capitalize() + "."


def extend_hold(extra_s: int) -> str:
    return (
        "Good. While it keeps easing, stay there a little longer: another "
        f"{number_words(extra_s)} seconds."
    )


# ------------------------------------------------------------------ endings

#: Not "That's the end of the routine.": at slower rates PocketSphinx's barge-in
#: spotter heard the coach's own "That's the en..." as "that's enough" and stopped it.
END_OF_ROUTINE: Final = "You have finished the routine."
WORSE_TWICE: Final = "Your pain has got worse twice today, so we'll stop here."
WORSE_GENERAL_ADVICE: Final = (
    "If the pain keeps getting worse, spreads further down your leg, or you notice numbness "
    "or weakness, contact your doctor or physiotherapist."
)
NO_RESPONSE_GOODBYE: Final = (
    "I haven't heard from you for a while, so I'll end the session here. Take care."
)
#: The summary's last words, by outcome.
GOODBYES: Final[Mapping[str, str]] = {
    "completed": "Well done. Take care, and go gently for the rest of the day.",
    "stopped_worse": "We stopped because the pain got worse. Take care.",
    "stopped_by_user": "Take care.",
}


def visit_limit(exercise_name: str) -> str:
    return f"We've done {exercise_name} as often as is useful for one session."


_TIMES: Final = {1: "", 2: " twice"}


def _times(name: str, count: int) -> str:
    return name + _TIMES.get(count, f" {number_words(count)} times")


def summary(done: Sequence[str], ratings: Mapping[str, int], outcome: str) -> str:
    """What was done (a name once per time it was done), the ratings before and
    after, and a goodbye."""
    parts: list[str] = []
    if done:
        noun = "exercise" if len(done) == 1 else "exercises"
        counts = {name: done.count(name) for name in done}
        names = [_times(name, count) for name, count in counts.items()]
        parts.append(f"Today you did {number_words(len(done))} {noun}: {_both(names)}.")
    before, after = ratings.get("before"), ratings.get("after")
    if before is not None and after is not None:
        b, a = number_words(before), number_words(after)
        parts.append(f"Your pain went from {b} to {a} out of ten.")
    goodbye = GOODBYES.get(outcome)
    if goodbye:
        parts.append(goodbye)
    return " ".join(parts)


# ------------------------------------------------------------ speech cache


def cached_lines(routines: Iterable[Routine] = ()) -> tuple[str, ...]:
    """Short lines said over and over, worth synthesising before they are needed:
    the countdown, the hold milestones and each routine's own cue words."""
    lines = [countdown(n) for n in range(1, 11)]
    lines += [TEN_SECONDS, THIRTY_TO_GO, REP_COUNTDOWN, SAY_READY, LETS_START]
    lines += [THANK_YOU, COME_OUT_AND_REST]
    for routine in routines:
        for exercise in routine.exercises:
            lines += [cue(exercise.hold_cue), cue(exercise.release_cue)]
    lines.append(SYMPTOM_QUESTION)
    return tuple(dict.fromkeys(lines))
