"""Words the engine says that do not come from a routine file."""

from __future__ import annotations

from typing import Final

__all__ = [
    "number_words",
    "SAFETY_NOTICE",
    "RED_FLAG_QUESTIONS",
    "RED_FLAG_ADVICE",
    "SYMPTOM_QUESTION",
    "SIDE_QUESTION",
    "RATING_QUESTION",
    "COMMANDS_HELP",
    "WORSE_TWICE",
    "WORSE_GENERAL_ADVICE",
]

_ONES: Final = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS: Final = [
    "_",
    "_",
    "twenty",
    "thirty",
    "forty",
    "fifty",
    "sixty",
    "seventy",
    "eighty",
    "ninety",
]


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


SAFETY_NOTICE: Final = (
    "Welcome to Back Coach. I'll guide you through your exercises, but I don't replace your "
    "doctor or physiotherapist. Stop whenever the pain gets worse or spreads down your leg: "
    "just say ouch, or stop. First, three quick safety questions. Please answer yes or no."
)

RED_FLAG_QUESTIONS: Final[tuple[str, ...]] = (
    "Since this pain started, have you had any new trouble controlling your bladder or bowels?",
    "Do you have any numbness around your bottom, your genitals or the insides of your thighs?",
    "Is either leg getting weaker, for example a foot that catches or drags when you walk?",
)

RED_FLAG_ADVICE: Final = (
    "Please don't do these exercises today. That sign can mean a nerve in your back is being "
    "pressed hard, and it needs checking urgently. Contact a doctor now, or go to an emergency "
    "department or call emergency services."
)

SYMPTOM_QUESTION: Final = "Is the leg pain better, worse or the same?"
SIDE_QUESTION: Final = "Which side is the leg pain on, left or right?"
RATING_QUESTION: Final = (
    "How bad is the leg pain right now, from zero for no pain to ten for the worst pain "
    "imaginable? Or say skip."
)

COMMANDS_HELP: Final = (
    "At any time you can say pause, resume, repeat, skip, stop, slower, faster, or help. "
    "If something hurts, say ouch."
)

WORSE_TWICE: Final = "Your leg pain has got worse twice today, so we'll stop here."

WORSE_GENERAL_ADVICE: Final = (
    "If the pain keeps getting worse, spreads further down your leg, or you notice numbness "
    "or weakness, contact your doctor or physiotherapist."
)
