"""A second opinion for Whisper: PocketSphinx on the same utterance, when Whisper
would ask again.

Whisper tiny.en and PocketSphinx fail on different clips (of Whisper's rejections
at 10 dB of room noise, PocketSphinx got two in three right), so when Whisper's
rules reject an utterance for its margins or as out of vocabulary, PocketSphinx
(its own grammar for the context, its own rejection rules) decodes the same audio.
Its answer is taken only when it is the intent Whisper itself scored best: one
engine alone being sure is not enough (PocketSphinx alone acts on some
out-of-vocabulary speech in a reverberant room, Whisper alone asked again).

What is never settled this way: Whisper's "no speech" (noise, breath, coughs),
"too long", "no candidate", "decode disagrees" (Whisper's own two opinions
differ) and "place margin".

A "better" is agreed on only in the symptom question (mid-exercise a "better" is
only noted) and only when more holds (``better_doubts``): PocketSphinx is sure of
it by its own measure, Whisper scored it clearly over "worse", and neither the
place rule nor the two engines' words put the pain somewhere else.

The other way round, a "better" Whisper is sure of is put to PocketSphinx too
(``check_better``): when PocketSphinx hears "worse" in it, the utterance is asked
again.  Whisper tiny.en can be sure and wrong: a reverberant Klatt "more pain in my
back" was written "I'm better", which fit 10 nats over the phrase said and 7 over
"worse", while PocketSphinx heard "more pain in my back".  Taking a "worse" for a
"better" is the costliest mistake the coach can make; asking again costs a turn.

An agreed answer has ``AGREED_CONFIDENCE``: enough for the dialog to act on a
plain answer or command, below what it needs to take a "worse" or a "better"
without confirming it with a yes/no question first.

PocketSphinx is loaded ahead in the decode worker once the coach listens where
"better" is an answer (``warm``), so the first "better" does not wait for it;
without it (not installed, model missing) Whisper decides alone, as before.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from ..errors import RecognizerError
from ..events import Heard, NotUnderstood
from ..vocab import Answer, Context, named_place
from .endpoint import EndpointConfig, SegmentEvent
from .verdict import Verdict
from .whisper_rules import Candidate, Thresholds, _other_place

if TYPE_CHECKING:
    from .sphinx import SphinxRecognizer

__all__ = ["AGREEABLE", "AGREED_CONFIDENCE", "SecondOpinion", "better_doubts"]

#: Whisper's rejections a second opinion may overturn: the speech was heard, the
#: margins or the out-of-vocabulary test left Whisper unsure which answer it was.
AGREEABLE = frozenset({"out of vocabulary", "small margin", "better/worse margin"})
#: An out-of-vocabulary rejection whose free decode fits this many nats better than
#: every phrase is not settled: Whisper clearly heard other speech (at 10 dB "I need
#: a glass of water.", 16 nats over "go", which PocketSphinx heard as "go on"; in a
#: reverberant room "Where are my glasses?", 10.4 nats over "one": "one out of ten").
#: At 9 the bench's every-3rd set lost a 10 dB "I don't know" (heard "I want more.",
#: 9.1 nats over "i don't know") that PocketSphinx had settled.
FAR_GAP = 10.0
#: >= the dialog's MIN_CONFIDENCE (0.7), < its WORSE_CONFIRM_BELOW and
#: BETTER_MIN_CONFIDENCE (0.8): acted on, but a "worse" or "better" is confirmed first.
AGREED_CONFIDENCE = 0.75
#: PocketSphinx's own confidence a "better" needs to be agreed on: what the dialog
#: needs to understand it at all (MIN_CONFIDENCE), so each engine alone heard it.
#: Of the 56 "better"s both heard in the safety set (clean, 10 and 5 dB, reverberant),
#: this asks 4 again (3 of 18 at 10 dB, 1 of 16 reverberant).
SPHINX_BETTER_MIN = 0.7
#: Whisper's best "better" phrase over its best "worse" one, in nats: its plain
#: margin between two intents (those 56 cleared 1.0-12.3 nats; 4 fell short).
#: Never "worse" close behind, whatever PocketSphinx heard.
BETTER_OVER_WORSE = Thresholds().margin


def best_candidate(measured: dict[str, Any]) -> Candidate | None:
    """Whisper's best-scored phrase, before its rejection rules."""
    candidates: list[Candidate] = measured.get("candidates") or []
    return max(candidates, key=lambda c: c.score) if candidates else None


def over_worse(first: Candidate, candidates: list[Candidate]) -> float:
    """How much better Whisper's best phrase scored than its best "worse" one."""
    worse = max((c.score for c in candidates if c.intent == Answer.WORSE), default=-np.inf)
    return first.score - worse


def better_doubts(
    measured: dict[str, Any], first: Candidate, heard: Heard, over: float
) -> list[str]:
    """Why a "better" both engines heard is still not taken (empty: it is taken);
    ``over``: Whisper's best phrase over its best "worse" one (``over_worse``)."""
    candidates: list[Candidate] = measured["candidates"]
    doubts = []
    if measured["context"] != Context.SYMPTOM:
        doubts.append("not the symptom question")
    if heard.confidence < SPHINX_BETTER_MIN:
        doubts.append("pocketsphinx unsure")
    if over < BETTER_OVER_WORSE:
        doubts.append("worse close behind")
    # Whisper's own place rule, which its margins rejected the utterance before
    if _other_place(first, candidates, measured["text"], Thresholds()):
        doubts.append("place margin")
    if named_place(heard.text) != named_place(first.text):
        doubts.append("another place")
    return doubts


def _int16(wave: npt.NDArray[np.float32]) -> npt.NDArray[np.int16]:
    return np.round(wave * 32768.0).clip(-32768, 32767).astype(np.int16)


class SecondOpinion:
    """A PocketSphinx recognizer fed whole utterances offline, in the thread that
    judges them (the Whisper recognizer's decode worker, or the caller's)."""

    def __init__(self, endpoint: EndpointConfig | None = None) -> None:
        self._endpoint = endpoint
        self._sphinx: SphinxRecognizer | None = None
        self._unavailable = False
        # warm() runs in the decode worker; an utterance ended with no early decode
        # is judged in the caller's thread, maybe while PocketSphinx is loading
        self._loading = threading.Lock()

    def _recognizer(self) -> SphinxRecognizer | None:
        with self._loading:
            if self._sphinx is None and not self._unavailable:
                try:
                    from .sphinx import SphinxRecognizer

                    self._sphinx = SphinxRecognizer(endpoint=self._endpoint)
                except (ImportError, RecognizerError):
                    self._unavailable = True  # Whisper decides alone
        return self._sphinx

    def warm(self) -> None:
        """Load PocketSphinx now (in the decode worker, before it is needed)."""
        self._recognizer()

    def _listening(self, context: str) -> SphinxRecognizer | None:
        """PocketSphinx, listening in ``context`` (None: there is none)."""
        sphinx = self._recognizer()
        if sphinx is not None:
            sphinx.set_context(context)
        return sphinx

    def check_better(
        self, verdict: Verdict, wave: npt.NDArray[np.float32], event: SegmentEvent, context: str
    ) -> Verdict:
        """``verdict``, or asked again when it is a "better" Whisper decided alone and
        PocketSphinx's grammar, in one pass and before its own rejection rules, hears
        "worse" in the same utterance: ~20 ms, where its full judgement took ~110 ms
        and put the bench's reply p95 over 500 ms."""
        heard = verdict.result
        if not isinstance(heard, Heard) or heard.intent != Answer.BETTER:
            return verdict
        if verdict.reason != "ok":  # agreed on by both engines (settle) already
            return verdict
        sphinx = self._listening(context)
        if sphinx is None or sphinx.first_guess(_int16(wave), event) != Answer.WORSE:
            return verdict
        scores = {**verdict.scores, "sphinx_worse": 1.0}
        said = NotUnderstood(heard.text, heard.start_ms, heard.end_ms)
        return Verdict(said, "pocketsphinx heard worse", scores)

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
        first = best_candidate(measured)
        far = verdict.reason == "out of vocabulary" and verdict.scores.get("gap", 0.0) > FAR_GAP
        if first is None or far:
            return verdict
        intent = first.intent
        sphinx = self._listening(measured["context"])
        if sphinx is None:
            return verdict
        heard = sphinx._finish(_int16(wave), event)  # the same framed utterance Whisper judged
        agrees = isinstance(heard, Heard) and heard.intent == intent
        scores = {**verdict.scores, "sphinx_agrees": float(agrees)}
        over = over_worse(first, measured["candidates"])
        if intent == Answer.BETTER:
            scores["better_over_worse"] = round(over, 2)
        if not isinstance(heard, Heard) or not agrees:
            return replace(verdict, scores=scores)
        scores["sphinx_confidence"] = heard.confidence
        if intent == Answer.BETTER:
            doubts = better_doubts(measured, first, heard, over)
            scores.update({f"better doubt: {doubt}": 1.0 for doubt in doubts})
            if doubts:
                return replace(verdict, scores=scores)
        agreed = Heard(intent, heard.text, AGREED_CONFIDENCE, event.start_ms, event.end_ms)
        return Verdict(agreed, f"agreed ({verdict.reason})", scores)
