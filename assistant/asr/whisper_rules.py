"""When a Whisper-scored utterance is an answer, in order; each rule can reject it.

Scores are log-probabilities (natural log) of a phrase's tokens given the audio.
The rules, first failing one wins:

1. the VAD finds too little speech, or Whisper's no-speech probability is high:
   noise, breath, coughs;
2. the free decode means one intent (through the typed-answer matcher) and the
   best-scored phrase another: the two opinions disagree, so ask again;
3. the free decode means nothing of the context and fits the audio far better
   than any phrase, or is longer than it by words, unless it is spelt much like
   the best phrase ("More in" for "more pain", "My side" for "my thigh": Whisper
   heard those sounds, and the margins below still decide): out-of-vocabulary speech;
   so is a decode that means an intent only by a keyword among words no phrase of
   the context uses ("No matter is lovely today." is no "no"), unless a phrase of
   that intent accounts for it;
4. the best intent does not beat the next one by a margin (a smaller one when the
   free decode means that intent too: two opinions agree, unless it means it only
   by a keyword and fits far worse than the phrase); an answer must also
   beat the best other *answer* by a wider one, widest between better and worse
   (the costly confusion).  An answer's confidence is its margin over the other
   answers: a command close behind is no reason to doubt which answer it was;
5. a "better" phrase naming another place ("it's only in my back now" against
   "... buttock now") is within the better/worse margin: the dialog turns a
   "better" further from the spine into "worse", so the place must be sure too.

What both agree on is taken even when the words are not in the phrase list
("it's worse in my back" is heard as worse: the matcher finds "worse", and the
canonical "worse" outscores "better").
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass

from ..events import Heard, NotUnderstood
from ..vocab import COMMAND_INTENTS, named_place
from .matcher import normalize
from .verdict import Verdict
from .whisper_phrases import unexplained_words

__all__ = ["Candidate", "Thresholds", "Verdict", "decide"]

#: The confusion that costs most, and the answers whose confusion costs next.
SYMPTOM_PAIR = frozenset({"better", "worse"})
SAFETY_INTENTS = frozenset({"same", "yes", "no"})


@dataclass(frozen=True)
class Candidate:
    text: str
    intent: str
    score: float


@dataclass(frozen=True)
class Thresholds:
    min_speech_ms: int = 90
    max_speech_ms: int = 6000
    window_s: float = 3.0
    # encodings averaged, delayed by these many samples (a mel frame is 160)
    shifts: tuple[int, ...] = (0, 80)
    prompt_answers: bool = True  # the free decode is told the context's answers
    vad_threshold: float = 0.5
    vad_offsets: tuple[int, ...] = (0, 128, 256, 384)  # VAD windows are 512 samples
    min_voiced_ms: int = 64  # silero windows over the threshold
    max_no_speech: float = 0.8
    # ... when the decode untold is itself a phrase of the best intent (not the
    # decode told the answers: told, Whisper makes an answer of a 5 dB "I don't")
    max_no_speech_heard: float = 0.95
    oov_gap: float = 4.0  # free decode - best phrase, when the decode means nothing
    oov_words: int = 2  # ... or when it has this many more words than that phrase
    # ... unless the decode is spelt this much like that phrase (difflib ratio): no
    # OOV clip's decode came within 0.59 of its best phrase, 29 of 80 right answers did
    sounds_like: float = 0.65
    margin: float = 2.0  # best intent - next intent
    # ... when the free decode means the best intent (not for the wider margins
    # between answers below): real digits at 8 kHz lost most by 2.0
    agreed_margin: float = 1.0
    safety_margin: float = 3.0  # for same, yes, no
    symptom_margin: float = 4.0  # better / worse against each other
    # more margin when the free decode means nothing (1.0 only lost right answers)
    unmatched_extra: float = 0.0
    # A decode that is a phrase, on one encoding against each answer's shortest
    # phrase, is taken when it wins by this much more than the margins (None: never)
    quick_extra: float | None = 1.0
    # ... also when the free decode is no phrase but the decode told the answers is
    quick_told: bool = True
    quick_told_no_speech: float = 0.6  # ... under this no-speech (faster-whisper's own limit)
    # ... and, when the one encoding does not do, once more on the mean of the shifts
    quick_mean: bool = True
    commit_ms: int = 100  # quiet after the speech when a sure answer is given


def _best_per_intent(candidates: list[Candidate]) -> list[Candidate]:
    best: dict[str, Candidate] = {}
    for c in candidates:
        if c.intent not in best or c.score > best[c.intent].score:
            best[c.intent] = c
    return sorted(best.values(), key=lambda c: c.score, reverse=True)


def _needed(first: str, second: str | None, limits: Thresholds) -> float:
    if {first, second} == SYMPTOM_PAIR:
        return limits.symptom_margin
    if first in SYMPTOM_PAIR or first in SAFETY_INTENTS:
        return limits.safety_margin
    return limits.margin


def _spelt_alike(text: str, phrase: str, ratio: float) -> bool:
    return difflib.SequenceMatcher(None, normalize(text), normalize(phrase)).ratio() >= ratio


def _other_place(
    first: Candidate, candidates: list[Candidate], text: str, limits: Thresholds
) -> bool:
    """Whether a "better" phrase naming another place than ``first`` scored within
    the better/worse margin of it, or is spelt like the decode: buttock for back
    is worse, not better, after pain in the back, and "It's only in my butter
    canal" (a "better" to the matcher) names no place but was one."""
    place = named_place(first.text)
    return any(
        c.intent == first.intent
        and named_place(c.text) != place
        and (
            first.score - c.score < limits.symptom_margin
            or _spelt_alike(text, c.text, limits.sounds_like)
        )
        for c in candidates
    )


def _margins(ranked: list[Candidate]) -> tuple[Candidate, float, Candidate | None, float]:
    """The best intent, its margin over the next, and over the best other answer:
    the costly confusions are between answers (a command close behind needs only
    the plain margin)."""
    first = ranked[0]
    margin = first.score - (ranked[1].score if len(ranked) > 1 else -math.inf)
    answers = [c for c in ranked[1:] if c.intent not in COMMAND_INTENTS]
    answer = answers[0] if answers and first.intent not in COMMAND_INTENTS else None
    answer_margin = first.score - answer.score if answer is not None else math.inf
    return first, margin, answer, answer_margin


def _out_of_vocabulary(
    text: str, gap: float, first: Candidate, limits: Thresholds, others: tuple[str, ...] = ()
) -> bool:
    """A decode that means nothing fits far better than the best phrase or is longer
    by words, and is not spelt like it; or another decode of the utterance that means
    nothing is longer by words and not spelt like it ("Don't turn the lead" on one
    encoding, "Don't..." on the mean of two, for a reverberant "open the window"
    taken for "no")."""

    def longer(said: str) -> bool:
        extra = len(said.split()) - len(first.text.split())
        return extra >= limits.oov_words and not _spelt_alike(said, first.text, limits.sounds_like)

    far = gap > limits.oov_gap and not _spelt_alike(text, first.text, limits.sounds_like)
    return far or longer(text) or any(longer(said) for said in others)


def _keyword_unsaid(
    context: str,
    text: str,
    first: Candidate,
    free_score: float,
    candidates: list[Candidate],
    limits: Thresholds,
) -> bool:
    """A decode that means its intent only by a keyword, among words no phrase of the
    context uses ("No matter is lovely today." for "the weather is lovely today" in
    a reverberant room), is out of vocabulary unless one of the intent's phrases
    accounts for it: spelt like it ("Yes, I am" for "yes i have"), or the best-scored
    one within ``oov_gap`` of it, with no more than ``oov_words`` such words ("No,
    thank you")."""
    unsaid = unexplained_words(text, context)
    if not unsaid:
        return False  # a phrase, or "it's worse in my back": every word is the context's
    listed = [c for c in candidates if c.intent == first.intent and c.text != text]
    if any(_spelt_alike(text, c.text, limits.sounds_like) for c in listed):
        return False
    best = max((c.score for c in listed), default=-math.inf)
    return free_score - best > limits.oov_gap or len(unsaid) > limits.oov_words


def _heard(
    first: Candidate, text: str, agreed: bool, excess: float, span: tuple[int, int]
) -> Heard:
    """The answer, its confidence from how far it cleared its margin (at least 0.9
    when the free decode means it too).  The dialog reads the place out of a
    "better" ("it's only in my buttock now" is worse after pain in the back): a
    decode that does not mean the answer ("It's only in my water can know") names
    no place, the phrase heard does."""
    confidence = 1.0 / (1.0 + math.exp(-excess / 2.0)) if math.isfinite(excess) else 1.0
    if agreed:
        confidence = max(confidence, 0.9)
    said = text if text and agreed else first.text
    return Heard(first.intent, said, round(confidence, 3), *span)


def _speechless(no_speech: float, voiced_ms: int, untold_phrase: bool, limits: Thresholds) -> bool:
    """Noise, breath: too little the VAD takes for speech, or Whisper's no-speech
    probability over its ceiling, a higher one for a phrase it heard untold (a real
    speaker's "four", "Four" untold at no-speech 0.86)."""
    ceiling = limits.max_no_speech_heard if untold_phrase else limits.max_no_speech
    return voiced_ms < limits.min_voiced_ms or no_speech > ceiling


def _agrees(
    free_intent: str | None, first: Candidate, keyword_only: bool, gap: float, limits: Thresholds
) -> bool:
    """Whether the free decode is a second opinion for ``first``: it means that
    intent, and not only by a keyword among words that fit the audio over
    ``oov_gap`` worse than the phrase (a reverberant "it's going further down my
    leg", written "to stop the infers are down...", fit 11 nats worse than "stop",
    which then won by 1.4 on the smaller agreed margin)."""
    return free_intent == first.intent and not (keyword_only and gap < -limits.oov_gap)


def decide(
    *,
    context: str,
    text: str,
    free_intent: str | None,
    free_score: float,
    candidates: list[Candidate],
    no_speech: float,
    voiced_ms: int,
    speech_ms: int,
    start_ms: int,
    end_ms: int,
    limits: Thresholds,
    keyword_only: bool = False,
    other_decodes: tuple[str, ...] = (),
    told: bool = False,
) -> Verdict:
    scores = {"voiced_ms": float(voiced_ms), "no_speech": round(no_speech, 3)}
    untold_phrase = free_intent is not None and not (keyword_only or told)

    def reject(reason: str) -> Verdict:
        return Verdict(NotUnderstood(text, start_ms, end_ms), reason, scores)

    if _speechless(no_speech, voiced_ms, untold_phrase, limits):
        return reject("no speech")
    if speech_ms > limits.max_speech_ms:
        return reject("too long")
    ranked = _best_per_intent(candidates)
    if not ranked:
        return reject("no candidate")
    first, margin, answer, answer_margin = _margins(ranked)
    scores.update(best=round(first.score, 2), free=round(free_score, 2), margin=round(margin, 2))
    if free_intent is not None and free_intent != first.intent:
        return reject("decode disagrees")
    gap = free_score - first.score
    scores["gap"] = round(gap, 2)
    if (
        _out_of_vocabulary(text, gap, first, limits, other_decodes)
        if free_intent is None
        else keyword_only and _keyword_unsaid(context, text, first, free_score, candidates, limits)
    ):
        return reject("out of vocabulary")
    extra = limits.unmatched_extra if free_intent is None else 0.0
    agreed = _agrees(free_intent, first, keyword_only, gap, limits)
    plain = limits.agreed_margin if agreed else limits.margin + extra
    if margin < plain:
        return reject("small margin")
    needed = _needed(first.intent, answer.intent if answer else None, limits) + extra
    if needed == limits.margin + extra:  # no costly answer either side
        needed = plain
    if answer is not None:
        scores["answer_margin"] = round(answer_margin, 2)
        if answer_margin < needed:
            return reject(
                "better/worse margin" if needed >= limits.symptom_margin else "small margin"
            )
    if first.intent == "better" and _other_place(first, candidates, text, limits):
        return reject("place margin")
    excess = answer_margin - needed if answer is not None else margin - plain
    return Verdict(_heard(first, text, agreed, excess, (start_ms, end_ms)), "ok", scores)
