"""PocketSphinx's rejection pipeline: ordered checks, each able to reject.

``judge`` runs them in order on one utterance and returns a ``Verdict``: the result,
the check that decided and every score measured on the way.  Each check returns
``None`` to go on or the reason it rejects; the checks after the first decoding
pass stop early when the utterance is no longer wanted (the speaker went on).
The rules themselves are described in ``sphinx.py``.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from ..events import Heard, NotUnderstood
from ..vocab import SAFETY_INTENTS
from .denoise import denoise
from .endpoint import SegmentEvent
from .features import modulation_db, snr_db, speech_band_ratio, voiced_ms
from .matcher import match_intent
from .verdict import Verdict

if TYPE_CHECKING:
    from .sphinx import SphinxRecognizer

__all__ = ["CHECKS", "Utterance", "judge", "log_score"]

_LOG_BASE = math.log(1.0001)


def log_score(value: float) -> float:
    return math.log(value) / _LOG_BASE if value > 0 else -math.inf


@dataclass
class Utterance:
    """One utterance as the checks see it; each check fills in what it measured."""

    heard: npt.NDArray[np.int16]  # the sound checks are made on what was heard
    core: npt.NDArray[np.int16]
    event: SegmentEvent
    audio: npt.NDArray[np.int16] = field(init=False)  # what is decoded (maybe cleaned)
    text: str = ""
    intent: str = ""
    match_confidence: float = 0.0  # the matcher's: exact phrase or keyword
    grammar_score: float = -math.inf
    competitor: float = -math.inf
    rival: str | None = None
    loop: float = 0.0
    scores: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.audio = self.heard

    @property
    def frames(self) -> int:
        return max(1, self.audio.size // 160)


Check = Callable[["SphinxRecognizer", Utterance], str | None]


def _loud_enough(rec: SphinxRecognizer, u: Utterance) -> str | None:
    snr = snr_db(u.heard, u.core, u.event.end_offset)
    u.scores["snr_db"] = snr
    if rec.reject and snr < rec.thresholds.min_snr_db:
        # Barely above the room's noise, answers are more often wrong than right.
        return "quiet"
    if snr < rec.thresholds.denoise_below_db:
        u.audio = denoise(u.heard)
    return None


def _decoded_in_context(rec: SphinxRecognizer, u: Utterance) -> str | None:
    hyp = rec.decode_grammar(u.audio)
    if hyp is None or not hyp.hypstr:
        return "no decode"
    u.text, u.grammar_score = hyp.hypstr, log_score(hyp.score)
    if u.event.speech_ms > rec.thresholds.max_speech_ms:
        return "too long"
    matched = match_intent(u.text, rec.context)
    if not isinstance(matched, Heard):
        return "no intent"
    u.intent, u.match_confidence = matched.intent, matched.confidence
    return None


def _voiced_speech(rec: SphinxRecognizer, u: Utterance) -> str | None:
    limits = rec.thresholds
    voiced = voiced_ms(u.heard)
    band = speech_band_ratio(u.core, limits.band_low_hz)
    u.scores.update(voiced_ms=voiced, band_ratio=band)
    if voiced < limits.min_voiced_ms or band < limits.min_band_ratio:
        return "not speech"
    if speech_band_ratio(u.core) < limits.min_band_ratio:
        # Bass-heavy: a deep voice, or a fan.  A fan hardly rises and falls.
        steadiness = modulation_db(u.core)
        u.scores["modulation_db"] = steadiness
        if steadiness < limits.min_modulation_db:
            return "fan"
    return None


def _near_phone_loop(rec: SphinxRecognizer, u: Utterance) -> str | None:
    phone = rec.decode_phones(u.audio)
    phone_score = log_score(phone.score) if phone is not None else u.grammar_score
    u.loop = (u.grammar_score - phone_score) / u.frames
    u.scores["phone_loop"] = u.loop
    return "out of vocabulary" if u.loop < rec.thresholds.phone_loop else None


def _rival_scored(rec: SphinxRecognizer, u: Utterance) -> str | None:
    u.competitor, u.rival = rec.competitor(u.intent, u.audio)
    # No phrase of another intent survived the beam, so there is no margin to
    # check: for better/worse ask for a much closer fit to the phone loop instead.
    unsure = u.competitor == -math.inf and u.intent in ("better", "worse")
    return "alone" if unsure and u.loop < rec.thresholds.phone_loop_alone else None


def _answer_over_command(rec: SphinxRecognizer, u: Utterance) -> str | None:
    """An answer of the context whose closest rival is a global command: its margin
    is over the other answers of the context (decoded without the commands; none
    left in the beam: they are far), and the command need only not beat it by much."""
    commands = rec.command_intents
    if rec.context in commands or u.intent in commands or u.rival not in commands:
        return None
    limits = rec.thresholds
    command_margin = (u.grammar_score - u.competitor) / u.frames
    u.scores["command_margin"] = command_margin
    # A command that fits better: take the answer only if the command barely wins
    # and the answer fits almost as well as the phone loop.
    if command_margin < 0 and (
        command_margin < limits.command_margin or u.loop < limits.phone_loop_alone
    ):
        return "command"
    # Both sides of that margin from the same small search (the larger one prunes
    # differently): the answers of the context, with and without the winner.
    best, best_intent = rec.competitor("", u.audio, commands=False)
    if best_intent != u.intent:
        return "other answer"
    u.grammar_score = best
    u.competitor, _ = rec.competitor(u.intent, u.audio, commands=False)
    return None


def _needed_margin(rec: SphinxRecognizer, intent: str) -> float:
    limits = rec.thresholds
    if intent in ("better", "worse"):
        return limits.symptom_margin
    return limits.safety_margin if intent in SAFETY_INTENTS else limits.margin


def _clear_margin(rec: SphinxRecognizer, u: Utterance) -> str | None:
    margin = (u.grammar_score - u.competitor) / u.frames
    u.scores["margin"] = margin
    return "small margin" if margin < _needed_margin(rec, u.intent) else None


#: In order; those after the first (``bool``: needs a further decoding pass) give up
#: once the utterance is stale.
CHECKS: tuple[tuple[Check, bool], ...] = (
    (_loud_enough, False),
    (_decoded_in_context, False),
    (_voiced_speech, False),
    (_near_phone_loop, True),
    (_rival_scored, True),
    (_answer_over_command, False),
    (_clear_margin, False),
)
#: Without rejection (a baseline), only these run.
PLAIN = (_loud_enough, _decoded_in_context)


def judge(
    rec: SphinxRecognizer, u: Utterance, stale: threading.Event | None = None
) -> Verdict | None:
    """The verdict on one utterance; ``None`` when it went stale on the way."""
    start_ms, end_ms = u.event.start_ms, u.event.end_ms
    for check, needs_pass in CHECKS:
        if not rec.reject and check not in PLAIN:
            break
        if needs_pass and stale is not None and stale.is_set():
            return None
        reason = check(rec, u)
        if reason is not None:
            text = "" if reason in ("quiet", "no decode") else u.text
            return Verdict(NotUnderstood(text, start_ms, end_ms), reason, u.scores)
    if not rec.reject:
        heard = Heard(u.intent, u.text, u.match_confidence, start_ms, end_ms)
        return Verdict(heard, "ok", u.scores)
    needed = _needed_margin(rec, u.intent)
    confidence = _confidence(u.loop - rec.thresholds.phone_loop, u.scores["margin"] - needed)
    return Verdict(Heard(u.intent, u.text, confidence, start_ms, end_ms), "ok", u.scores)


def _confidence(loop_excess: float, margin_excess: float) -> float:
    """0.5 at the thresholds, towards 1.0 well clear of both."""
    a = 1.0 / (1.0 + math.exp(-loop_excess / 3.0))
    b = 1.0 / (1.0 + math.exp(-margin_excess / 2.0)) if math.isfinite(margin_excess) else 1.0
    return round(min(a, b), 3)
