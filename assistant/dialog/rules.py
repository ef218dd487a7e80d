"""The clinical rules that apply whatever a routine's arrows say, in one place.

Where each rule acts: the confidence rules in ``questions.Asker.answer``; the
limits in ``flow.Flow`` (machine guards); what "worse" and "ouch" do in
``commands.Commands.ouch`` and ``exercise.Exercises.symptom_answer``; the intake
steps in ``intake.Intake``; what ends a session in ``closing.Closing``.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "MIN_CONFIDENCE",
    "BETTER_MIN_CONFIDENCE",
    "WORSE_CONFIRM_BELOW",
    "MAX_WORSE",
    "MAX_VISITS",
]

#: Below this confidence an intent is treated as not understood.
MIN_CONFIDENCE: Final = 0.7
#: A "better" below this confidence is never acted on: the question is asked again.
BETTER_MIN_CONFIDENCE: Final = 0.8
#: A "worse" below this confidence is confirmed with a yes/no question.
WORSE_CONFIRM_BELOW: Final = 0.8
#: The second "worse" of a session stops it.
MAX_WORSE: Final = 2
#: An exercise is started at most this often in one session; a rule leading to it
#: again ends the routine instead, so no answer pattern can loop for ever.
MAX_VISITS: Final = 2
