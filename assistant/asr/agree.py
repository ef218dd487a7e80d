"""A second opinion for Whisper: PocketSphinx on the same utterance, when Whisper
would ask again.

Whisper tiny.en and PocketSphinx fail on different clips (of Whisper's rejections
at 10 dB of room noise, PocketSphinx got two in three right), so when Whisper's
rules reject an utterance for its margins or as out of vocabulary, PocketSphinx
(its own grammar for the context, its own rejection rules) decodes the same audio.
Its answer is taken only when it is the intent Whisper itself scored best: one
engine alone being sure is not enough (PocketSphinx alone acts on some
out-of-vocabulary speech in a reverberant room, Whisper alone asked again).

What is never settled this way:

* Whisper's "no speech" (noise, breath, coughs), "too long", "no candidate",
  "decode disagrees" (Whisper's own two opinions differ) and "place margin";
* a "better": the dialog never acts on a doubtful one, and an answer both engines
  had to agree on is doubtful.

An agreed answer has ``AGREED_CONFIDENCE``: enough for the dialog to act on a
plain answer or command, below what it needs to take a "worse" without
confirming it (and below a "better"'s, were one ever let through).

PocketSphinx is loaded on the first utterance that needs it; without it (not
installed, model missing) Whisper decides alone, as before.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from ..errors import RecognizerError
from ..events import Heard
from .endpoint import EndpointConfig, SegmentEvent
from .verdict import Verdict

if TYPE_CHECKING:
    from .sphinx import SphinxRecognizer

__all__ = ["AGREEABLE", "AGREED_CONFIDENCE", "NEVER_AGREED", "SecondOpinion"]

#: Whisper's rejections a second opinion may overturn: the speech was heard, the
#: margins or the out-of-vocabulary test left Whisper unsure which answer it was.
AGREEABLE = frozenset({"out of vocabulary", "small margin", "better/worse margin"})
#: Answers never taken on agreement: a doubtful "better" is never acted on.
NEVER_AGREED = frozenset({"better"})
#: >= the dialog's MIN_CONFIDENCE (0.7), < its WORSE_CONFIRM_BELOW and
#: BETTER_MIN_CONFIDENCE (0.8): acted on, but a "worse" is confirmed first.
AGREED_CONFIDENCE = 0.75


def best_intent(measured: dict[str, Any]) -> str | None:
    """The intent of Whisper's best-scored phrase, before its rejection rules."""
    candidates = measured.get("candidates") or []
    if not candidates:
        return None
    intent: str = max(candidates, key=lambda c: c.score).intent
    return intent


class SecondOpinion:
    """A PocketSphinx recognizer fed whole utterances offline (in the caller's thread:
    the Whisper recognizer's decode worker)."""

    def __init__(self, endpoint: EndpointConfig | None = None) -> None:
        self._endpoint = endpoint
        self._sphinx: SphinxRecognizer | None = None
        self._unavailable = False

    def _recognizer(self) -> SphinxRecognizer | None:
        if self._sphinx is None and not self._unavailable:
            try:
                from .sphinx import SphinxRecognizer

                self._sphinx = SphinxRecognizer(endpoint=self._endpoint)
            except (ImportError, RecognizerError):
                self._unavailable = True  # Whisper decides alone
        return self._sphinx

    def settle(
        self,
        verdict: Verdict,
        measured: dict[str, Any],
        wave: npt.NDArray[np.float32],
        event: SegmentEvent,
    ) -> Verdict:
        """``verdict``, or the answer both engines agree on when Whisper would ask again."""
        if isinstance(verdict.result, Heard) or verdict.reason not in AGREEABLE:
            return verdict
        intent = best_intent(measured)
        if intent is None or intent in NEVER_AGREED:
            return verdict
        sphinx = self._recognizer()
        if sphinx is None:
            return verdict
        sphinx.set_context(measured["context"])
        audio = np.round(wave * 32768.0).clip(-32768, 32767).astype(np.int16)
        heard = sphinx._finish(audio, event)  # the same framed utterance Whisper judged
        agrees = isinstance(heard, Heard) and heard.intent == intent
        scores = {**verdict.scores, "sphinx_agrees": float(agrees)}
        if not agrees:
            return replace(verdict, scores=scores)
        assert isinstance(heard, Heard)
        agreed = Heard(intent, heard.text, AGREED_CONFIDENCE, event.start_ms, event.end_ms)
        return Verdict(agreed, f"agreed ({verdict.reason})", scores)
