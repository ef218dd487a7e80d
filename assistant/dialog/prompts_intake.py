"""The coach's intake lines: the safety notice, the red-flag screen, the rating
and where the pain is.  Re-exported by :mod:`assistant.dialog.prompts` (which
stays the one place to read the coach's voice); kept apart for its size.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "SAFETY_NOTICE",
    "RED_FLAG_QUESTIONS",
    "RED_FLAG_ADVICE",
    "RED_FLAG_HISTORY_ADVICE",
    "RED_FLAG_ADVICES",
    "THANK_YOU",
    "RATING_QUESTION",
    "LOCATION_QUESTION",
    "LOCATION_OPTIONS",
    "UNSURE_LOCATION",
    "LOCATION_SIDE_QUESTION",
    "LOCATION_SIDE_OPTIONS",
]

SAFETY_NOTICE: Final = (
    "Welcome to Back Coach. I'll guide you through your exercises, but I don't replace your "
    "doctor or physiotherapist. Stop whenever the pain gets worse or spreads down your leg: "
    "just say ouch, or stop. First, four quick safety questions. Please answer yes or no."
)

# The red-flag screen (issue 12 item 10).  003: "be sure to check with your doctor
# before starting any kind of exercise program"; 000: "Check with your healthcare
# provider before starting"; 004: extension needs "caution for anyone who has ...
# any known fractures in their vertebrae".  CAUTIOUS: the articles name no urinary,
# cancer or injury signs; we ask them as the issue does, the first three as signs
# of a pressed nerve (urgent care), the last as "see a doctor first".
RED_FLAG_QUESTIONS: Final[tuple[str, ...]] = (
    "Since this pain started, have you had any new trouble passing urine, or controlling "
    "your bladder or bowels?",
    "Do you have any numbness around your bottom, your genitals or the insides of your thighs?",
    "Is either leg getting weaker, for example a foot that catches or drags when you walk?",
    "Have you ever had cancer, or a fracture in your spine, or did this pain start after a "
    "fall, an accident or another injury?",
)

RED_FLAG_ADVICE: Final = (
    "Please don't do these exercises today. That sign can mean a nerve in your back is being "
    "pressed hard, and it needs checking urgently. Contact a doctor now, or go to an emergency "
    "department or call emergency services."
)
#: After a "yes" to the history question (cancer, fracture, injury).
RED_FLAG_HISTORY_ADVICE: Final = (
    "Please don't start these exercises yet. After cancer, a fracture in the spine or an "
    "injury, back pain needs a doctor's check, so please see a doctor first and ask which "
    "exercises are safe for you."
)
#: The advice a "yes" to each red-flag question gets, in the order of the questions.
RED_FLAG_ADVICES: Final[tuple[str, ...]] = (*[RED_FLAG_ADVICE] * 3, RED_FLAG_HISTORY_ADVICE)

THANK_YOU: Final = "Thank you."

RATING_QUESTION: Final = (
    "How bad is the pain right now, from zero for no pain to ten for the worst pain "
    "imaginable? Or say skip."
)


#: Where the pain is (issue 12 item 5): the baseline for centralisation (003).
LOCATION_QUESTION: Final = (
    "Where is the pain? If it reaches more than one place, say the one furthest down: "
    "your back, your buttock, your thigh, or below the knee. Or say skip."
)
LOCATION_OPTIONS: Final = "back, buttock, thigh, or below the knee, or skip"
UNSURE_LOCATION: Final = "Say the place furthest down your leg where you feel it."
LOCATION_SIDE_QUESTION: Final = "And which side is it on: left or right, both sides, or the middle?"
LOCATION_SIDE_OPTIONS: Final = "left, right, both, or middle"
