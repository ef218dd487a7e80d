"""Whisper engine: tiny.en on CTranslate2 (int8, CPU), scored per listening context.

Each endpointed utterance is encoded once, on a short window (CTranslate2 takes
mel input much shorter than Whisper's 30 s: ~3 s costs a tenth of the time with
the same accuracy).  Then:

* a free greedy decode says what was most likely said, with Whisper's no-speech
  probability;
* a few candidate phrases of the context are scored on the same encoder output
  (``Whisper.align``: per-token probabilities, in one batch): a short canonical
  phrase per answer of the context and the phrases closest to the free decode.
  Scoring every phrase would cost ~10 ms each (151 symptom phrases: ~1.7 s).

``decide`` (``whisper_rules.py``) turns those scores into an answer or "not
understood".  The silero VAD shipped with faster-whisper tells speech from noise.
When Whisper would ask again, PocketSphinx gives a second opinion (``agree.py``).
"""

from __future__ import annotations

import difflib
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ..events import Heard, NotUnderstood
from ..vocab import Answer
from . import phrases
from .agree import SecondOpinion
from .endpoint import EndpointConfig, SegmentEvent
from .matcher import answers_anywhere, match_intent, normalize
from .protocol import Result
from .utterance import UtteranceRecognizer
from .verdict import Verdict
from .whisper_model import _vad, load_model, voiced_at_least
from .whisper_phrases import _phrase_intents, _phrases_by_intent, answer_prompt, canonical_phrases
from .whisper_rules import SAFETY_INTENTS, SYMPTOM_PAIR, Candidate, Thresholds, decide

__all__ = ["WhisperRecognizer", "canonical_phrases"]

#: Phrases closest to the free decode that are scored beside the canonical ones.
NEAREST = 3
#: ... and each answer's phrasings closest to it.
PER_ANSWER = 2
#: The matcher's confidence for a keyword (an exact phrase is 1.0, a typo 0.6).
KEYWORD_CONFIDENCE = 0.8


class _Stale(Exception):
    """The utterance went on: its early decode gives up."""


def another_answer(verdict: Verdict, untold: list[str]) -> Verdict:
    """``verdict``, or asked again when a free decode is exactly an answer of some
    listening context but not this one's intent: a reverberant British "left" in the
    yes/no question, written "left", scored 3 nats nearer "yes" than "no" and was
    taken as *yes*; a "no" while paused was agreed into *resume*.  A word the coach
    knows, said where it is no answer, is never turned into one."""
    heard = verdict.result
    if not isinstance(heard, Heard):
        return verdict
    for text in untold:
        means = answers_anywhere(text)
        if means and heard.intent not in means:
            said = NotUnderstood(text, heard.start_ms, heard.end_ms)
            return Verdict(said, "another answer", verdict.scores)
    return verdict


def _give_up(stale: threading.Event | None) -> None:
    if stale is not None and stale.is_set():
        raise _Stale


class WhisperRecognizer(UtteranceRecognizer):
    name = "whisper"

    def __init__(
        self,
        model_path: Path,
        *,
        thresholds: Thresholds | None = None,
        endpoint: EndpointConfig | None = None,
        second_opinion: bool = True,
    ) -> None:
        self.thresholds = thresholds or Thresholds()
        # PocketSphinx on the utterances Whisper would ask again about (agree.py)
        self.second_opinion = SecondOpinion(endpoint) if second_opinion else None
        self.commit_ms = self.thresholds.commit_ms
        super().__init__(endpoint, self.thresholds.min_speech_ms)
        self.description = f"Whisper tiny.en ({model_path})"
        self.model = load_model(model_path)
        _vad()
        self.last_verdict: Verdict | None = None

    def _on_context(self, context: str) -> None:
        """Where "better" is an answer, PocketSphinx is loaded ahead in the decode
        worker: each "better" is put to it (``SecondOpinion.check_better``)."""
        if self.second_opinion is not None and Answer.BETTER in phrases.intents(context):
            self._worker.submit(self.second_opinion.warm)

    def _sure(self, result: Result) -> bool:
        """Never a "better" before the whole end-of-speech quiet ("better... but my
        leg is worse"), nor the start of a phrase of another costly answer ("a bit"
        of "a bit better"), nor a decode Whisper thinks unfinished ("I'm not...")."""
        if not isinstance(result, Heard) or result.intent == "better":
            return False
        said = normalize(result.text)
        table = _phrase_intents(self._context or phrases.COMMAND_CONTEXT)
        costly = SYMPTOM_PAIR | SAFETY_INTENTS
        longer = {i for t, i in table.items() if t.startswith(said + " ") and i in costly}
        return not result.text.endswith("...") and longer <= {result.intent}

    def _finish(
        self,
        audio: npt.NDArray[np.int16],
        event: SegmentEvent,
        stale: threading.Event | None = None,
    ) -> Result | None:
        if event.speech_ms < self.thresholds.min_speech_ms:
            return None  # a click: not an utterance
        wave = audio.astype(np.float32) / 32768.0
        try:
            verdict = self.judge(wave, self._context or phrases.COMMAND_CONTEXT, event, stale)
        except _Stale:
            return None  # they spoke on: this decode is not used
        self.last_verdict = verdict
        return verdict.result

    def judge(
        self,
        wave: npt.NDArray[np.float32],
        context: str,
        event: SegmentEvent,
        stale: threading.Event | None = None,
    ) -> Verdict:
        """The verdict on one utterance (``_judge``), unless Whisper wrote it down,
        untold, as exactly an answer the coach is not listening for now, or it is a
        "better" in which PocketSphinx hears "worse" (``SecondOpinion.check_better``)."""
        untold: list[str] = []
        verdict = another_answer(self._judge(wave, context, event, stale, untold), untold)
        if self.second_opinion is None:
            return verdict
        _give_up(stale)
        return self.second_opinion.check_better(verdict, wave, event, context)

    def _judge(
        self,
        wave: npt.NDArray[np.float32],
        context: str,
        event: SegmentEvent,
        stale: threading.Event | None,
        untold: list[str],
    ) -> Verdict:
        """The verdict on one utterance; ``untold`` gets each free decode.  First on
        one encoding, the free decode (or, when it is no phrase, the decode told the
        context's answers) and each answer's shortest phrase: when the decode is a
        phrase of the context and wins
        by ``quick_extra`` nats more than the rules ask, that is the answer (most
        answers: about a third of the work).  Else the same on the mean of the
        shifted encodings (their scores say how many encodings).  Otherwise on that
        mean, a decode told the context's answers and more candidates.  Gives up
        between steps (``_Stale``) once ``stale`` is set: the next decode, of the
        longer utterance, waits for this one (one model, one thread)."""
        limits = self.thresholds
        voiced = voiced_at_least(
            wave, limits.min_voiced_ms, limits.vad_threshold, limits.vad_offsets
        )
        seconds = event.speech_ms / 1000
        facts: dict[str, Any] = {
            "no_speech": 1.0,
            "voiced": voiced,
            "event": event,
            "context": context,
            "encodings": 1,
        }
        first = self.model.encode(wave, limits.window_s, limits.shifts[:1])
        told = answer_prompt(context) if limits.prompt_answers else ""
        quick = limits.quick_extra is not None
        text, spelt = "", None
        if quick:
            _give_up(stale)
            [(text, facts["no_speech"])] = self.model.free_decode(first, seconds)
            untold.append(text)
            verdict, _ = self._quick_on(first, text, told, facts, stale)
            if verdict is not None:
                return verdict
        _give_up(stale)
        encoded = self._mean_encoding(wave, first)
        facts["encodings"] = len(limits.shifts)
        if len(limits.shifts) > 1 or not quick:
            facts["first_decode"] = text  # what the one encoding heard: evidence too
            [(text, facts["no_speech"])] = self.model.free_decode(encoded, seconds)
            untold.append(text)
            if quick and len(limits.shifts) > 1 and limits.quick_mean:
                verdict, spelt = self._quick_on(encoded, text, told, facts, stale)
                if verdict is not None:
                    return verdict
        text, spelt = self._told(encoded, text, told, spelt, facts)
        candidates = self._candidates(context, text, also=spelt)
        _give_up(stale)
        full = self._verdict(encoded, text, candidates, facts)
        verdict = self._verdict_of(full, limits)
        if self.second_opinion is None:
            return verdict
        return self.second_opinion.settle(verdict, full, wave, event)

    def _verdict(
        self,
        encoded: npt.NDArray[np.float32],
        text: str,
        candidates: list[Candidate],
        facts: dict[str, Any],
    ) -> dict[str, Any]:
        """Everything ``decide`` needs but the thresholds: the candidates and the free
        decode scored on ``encoded``."""
        context: str = facts["context"]
        ids = self.model.ids(text) if text else []
        sequences = [self.model.ids(c.text) for c in candidates]
        if ids:
            sequences.append(ids)
        scores = self.model.score(encoded, sequences)
        scored = [
            Candidate(c.text, c.intent, score) for c, score in zip(candidates, scores, strict=False)
        ]
        free_score = scores[-1] if ids else -np.inf
        matched = match_intent(text, context) if text else None
        if isinstance(matched, Heard) and matched.confidence >= KEYWORD_CONFIDENCE:
            # The decode is one of its intent's phrasings as Whisper spells it ("4."
            # fits a spoken four 5 nats better than "Four."): it is that intent's
            # candidate too.  Not a typo forgiven by the matcher ("Banner").
            scored.append(Candidate(text, matched.intent, float(free_score)))
        event: SegmentEvent = facts["event"]
        first: str = facts.get("first_decode", "")
        return {
            "context": context,
            "text": text,
            "free_intent": matched.intent if isinstance(matched, Heard) else None,
            # not a phrase: the rules ask whether a phrase accounts for the rest
            "keyword_only": isinstance(matched, Heard) and matched.confidence < 1.0,
            "free_score": float(free_score),
            "candidates": scored,
            "no_speech": facts["no_speech"],
            "other_decodes": (first,)
            if first and not isinstance(match_intent(first, context), Heard)
            else (),
            "voiced_ms": facts["voiced"],
            "speech_ms": event.speech_ms,
            "start_ms": event.start_ms,
            "end_ms": event.end_ms,
            "told": facts.get("told", False),
        }

    def _quick_on(
        self,
        encoded: npt.NDArray[np.float32],
        text: str,
        told: str,
        facts: dict[str, Any],
        stale: threading.Event | None,
    ) -> tuple[Verdict | None, str | None]:
        """The quick verdict on ``encoded``: on the free decode when it is a phrase,
        else on the decode told the context's answers when that one is (a Klatt
        "worse" is "West" untold, "Worse." told), with the untold decode of the one
        encoding kept as evidence (the out-of-vocabulary rules read it), as on the
        full path.  None: the full path.  Also the told decode, when it was made."""
        table = _phrase_intents(facts["context"])
        if normalize(text) in table:
            return self._quick(encoded, text, facts), None
        limits = self.thresholds
        if not (told and limits.quick_told):
            return None, None
        _give_up(stale)
        seconds = facts["event"].speech_ms / 1000
        [(spelt, _)] = self.model.free_decode(encoded, seconds, (told,))
        # Only a respelling of what was heard untold, in clear speech: at 5 dB an "I
        # don't know" (untold "I don't", no-speech 0.78) was told "No", which then
        # fit 8 nats better than the other answers; a "resume" heard "for a few
        # room" was told "repeat".
        respelt = len(normalize(text).split()) <= len(normalize(spelt).split())
        clear = facts["no_speech"] <= limits.quick_told_no_speech
        if normalize(spelt) not in table or not (respelt and clear):
            return None, spelt
        # Told, Whisper leans to an answer: each answer's phrasing nearest the decode
        # is scored too (a reverberant "both sides", untold "There are signs.", told
        # "Left side", beat "both" but not "both sides").
        evidence = {**facts, "first_decode": facts.get("first_decode", text), "told": True}
        return self._quick(encoded, spelt, evidence, per_answer=1), spelt

    def _told(
        self,
        encoded: npt.NDArray[np.float32],
        text: str,
        told: str,
        spelt: str | None,
        facts: dict[str, Any],
    ) -> tuple[str, str]:
        """The text to score and the told decode (``spelt``, when already made).
        Told the context's answers, Whisper spells a Klatt "better" as better, not
        "Banner"; but it also hears "turn on the television" as "Two, none, that
        television": the told decode counts only when it is a phrase.  Otherwise it
        still names the phrases worth scoring ("the path, the knee": "above the
        knee")."""
        table = _phrase_intents(facts["context"])
        if not told or normalize(text) in table:
            return text, ""
        if spelt is None:
            seconds = facts["event"].speech_ms / 1000
            [(spelt, _)] = self.model.free_decode(encoded, seconds, (told,))
        if normalize(spelt) not in table:
            return text, spelt
        facts["told"] = True  # the text scored is the told decode's
        return spelt, ""

    def _mean_encoding(
        self, wave: npt.NDArray[np.float32], first: npt.NDArray[np.float32]
    ) -> npt.NDArray[np.float32]:
        """The mean of ``first`` (no shift) and the encodings of the other shifts."""
        shifts = self.thresholds.shifts
        if len(shifts) == 1:
            return first
        rest = self.model.encode(wave, self.thresholds.window_s, shifts[1:])
        together = (first + rest * (len(shifts) - 1)) / len(shifts)
        return together.astype(np.float32)

    def _quick(
        self,
        encoded: npt.NDArray[np.float32],
        text: str,
        facts: dict[str, Any],
        per_answer: int = 0,
    ) -> Verdict | None:
        """The verdict on the decode (a phrase) against each answer's shortest phrase
        (and its ``per_answer`` phrasings nearest the decode), when it wins by
        ``quick_extra`` more than the rules ask (None otherwise)."""
        limits = self.thresholds
        extra = limits.quick_extra or 0.0
        stricter = replace(
            limits,
            margin=limits.margin + extra,
            agreed_margin=limits.agreed_margin + extra,
            safety_margin=limits.safety_margin + extra,
            symptom_margin=limits.symptom_margin + extra,
        )
        candidates = self._candidates(facts["context"], text, quick=True, per_answer=per_answer)
        measured = self._verdict(encoded, text, candidates, facts)
        if self._verdict_of(measured, stricter).reason != "ok":
            return None
        verdict = self._verdict_of(measured, limits)
        return replace(verdict, scores={**verdict.scores, "encodings": facts["encodings"]})

    @staticmethod
    def _verdict_of(measured: dict[str, Any], limits: Thresholds) -> Verdict:
        return decide(**measured, limits=limits)

    def _candidates(
        self, context: str, text: str, quick: bool = False, also: str = "", per_answer: int = 0
    ) -> list[Candidate]:
        """Each answer's shortest phrase, any command the decode names, and (unless
        ``quick``: the decode is a phrase, with only each answer's ``per_answer``
        phrasings nearest it) the phrases nearest to the decode and to ``also`` (the
        told decode, when it is no phrase)."""
        chosen: dict[str, str] = {}
        commands = set(phrases.intents(phrases.COMMAND_CONTEXT))
        for intent, texts in canonical_phrases(context).items():
            if intent not in commands or context == phrases.COMMAND_CONTEXT:
                chosen.update((t, intent) for t in texts[:1])
        table = _phrase_intents(context)
        said = normalize(text)
        if said and quick:
            chosen[said] = table[said]
        elif said:
            for near in difflib.get_close_matches(said, list(table), NEAREST, 0.4):
                chosen[near] = table[near]
        if said and (per_answer or not quick):
            # Each answer's own phrasings closest to what was heard, however far:
            # a longer answer heard badly ("Much fander") scores poorly as the
            # shortest phrase of its intent.
            for intent, phrasings in _phrases_by_intent(context).items():
                if intent not in commands:
                    nearest = per_answer if quick else PER_ANSWER
                    closest = difflib.get_close_matches(said, phrasings, nearest, 0.0)
                    chosen.update((t, intent) for t in closest)
        if normalize(also) and not quick:
            for near in difflib.get_close_matches(normalize(also), list(table), NEAREST, 0.4):
                chosen.setdefault(near, table[near])
        for intent, texts in canonical_phrases(context).items():
            if intent in commands and any(w in said.split() for t in texts for w in t.split()):
                chosen.setdefault(texts[0], intent)
        return [Candidate(t, i, 0.0) for t, i in chosen.items()]
