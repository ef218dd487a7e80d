"""A small streaming spotter of the barge-in phrases ("stop", "pause", "ouch" ...).

While the coach speaks only a few phrases may cut it off, and they must do so
within 300 ms of the end of the word.  The full recognizer cannot: it waits for
200 ms of quiet and then decodes the utterance whole several times (grammar,
phone loop, competitor passes).  The spotter decodes *during* the word: from
the moment the endpointer hears speech, every 20 ms block goes to three small
PocketSphinx searches at once,

* every phrase of every context (answers, numbers, all the commands): what is
  said is decoded as itself, so "four" is "four" and not "pause";
* the same without the barge-in phrases (the margin);
* an all-phone loop: the best any sequence of English phones can do;

so when the word ends only ``end_utt`` is left (about a millisecond).

The word has ended after ``SPOTTER_END_SILENCE_MS`` of quiet, or sooner: when
its sound has dropped ``EARLY_DB`` below its loudest frame for ``EARLY_MS``,
through a closure as quiet as the room (the silence before the faint release
of "stop"'s final p), and the searches' best paths so far already agree on a
barge-in phrase.  A phrase is reported only if the barge-in path is the best
one, beats the best other phrase by a margin per frame, stays close to the
phone loop per frame, and the sound is voiced speech in the speech band.
Anything else gives nothing at all: while the coach speaks, "not understood"
is not news.  The coach's own words are the runtime's business: it ignores a
barge-in intent that the line being played contains.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from ..events import Heard
from ..vocab import BARGE_IN_INTENTS
from . import phrases, spotter_check
from .endpoint import FRAME, EndpointConfig, Endpointer, SegmentEvent
from .features import speech_band_ratio, voiced_ms
from .protocol import Result
from .sphinx import add_phone_loop, open_decoders, restart_noise_estimate
from .spotter_check import CONFIRM, RESCUABLE, UNTRUSTED, Rescuer
from .verdict import Verdict

if TYPE_CHECKING:
    from .spotter_check import WhisperCheck

__all__ = [
    "BARGE_IN_PHRASE_INTENTS",
    "SPOTTER_END_SILENCE_MS",
    "BargeInSpotter",
    "SpotterThresholds",
]

#: The intents the spotter listens for (the runtime's barge-in intents).
BARGE_IN_PHRASE_INTENTS: tuple[str, ...] = BARGE_IN_INTENTS
#: Quiet after the last speech frame before the word counts as ended.  Short: the
#: searches have already decoded the word; it still bridges the closure of a stop
#: consonant ("sto-p", "tha-t's").
SPOTTER_END_SILENCE_MS = 60
#: Or: this long ``EARLY_DB`` below the loudest frame of the word ends it, if the
#: searches already agree on a barge-in phrase ("stop"'s faint release follows).
EARLY_MS = 50
EARLY_DB = 20.0
#: ... and part of that is as quiet as the room (within this many dB): a closure,
#: not the weaker next sound of a longer word ("fa-ster" is not "pause").
CLOSURE_DB = 6.0
#: Phrases too short to end a word early ("ow" is how "ouch" and "open" begin).
NOT_EARLY = frozenset({"ow"})
_LOG_BASE = math.log(1.0001)
#: Cepstral mean each utterance starts from (live CMN then adapts as it goes): the
#: median of the whole-utterance means of the phrase recordings.  Starting every
#: utterance from the same place keeps a decision independent of what came before.
CMN_PRIOR = "43.45,-3.51,-9.73,6.22,-10.22,-3.23,-5.51,-10.47,0.87,-6.52,1.36,-1.65,-1.90"


@dataclass(frozen=True)
class SpotterThresholds:
    """Per-frame score limits (log base 1.0001, PocketSphinx's scaled units)."""

    phone_loop: float = -22.0  # barge-in phrase - phone loop, per frame: at least this
    margin: float = 4.0  # barge-in phrase - best other phrase, per frame: at least this
    # noise, breathing and coughs are unvoiced; a short "stop" through the microphone
    # can have as little as 10 ms that passes the (strict) voicing test
    min_voiced_ms: int = 10
    min_band_ratio: float = 0.45  # hum and rumble have little energy in 250 Hz-4 kHz
    min_speech_ms: int = 90
    max_speech_ms: int = 2500  # longer than any barge-in phrase: someone talking


def _log_score(value: float) -> float:
    return math.log(value) / _LOG_BASE if value > 0 else -math.inf


def _grammar(templates: Iterable[str]) -> str:
    return (
        "#JSGF V1.0;\ngrammar spotter;\npublic <utterance> = "
        + " | ".join(f"( {t} )" for t in templates)
        + ";\n"
    )


class BargeInSpotter:
    """Recognizer-like (``set_context``/``accept``/``reset``/``flush``) spotter of
    the barge-in phrases, fed only while the coach speaks.

    ``set_context(None)`` turns it off; any other context turns it on (the
    phrases are the same in every context).  Results are ``Heard`` for a
    barge-in phrase; nothing is reported for other sound.
    """

    name = "pocketsphinx-spotter"
    sample_rate = 16000
    _fired: bool  # the word being heard has cut in

    def __init__(
        self,
        intents: Sequence[str] = BARGE_IN_PHRASE_INTENTS,
        *,
        end_silence_ms: int = SPOTTER_END_SILENCE_MS,
        thresholds: SpotterThresholds | None = None,
        early_ms: int = EARLY_MS,
        early_db: float = EARLY_DB,
        check: WhisperCheck | None = None,
        background: bool = False,
    ) -> None:
        self.description = "PocketSphinx barge-in spotter (" + ", ".join(intents) + ")"
        self.intents = tuple(intents)
        self.thresholds = thresholds or SpotterThresholds()
        #: Whisper's second opinion (None: none), in a thread of its own if ``background``
        self.check = check
        self.rescuer = Rescuer(check, background) if check is not None else None
        if check is not None:
            self.name = "pocketsphinx+whisper-spotter"
            self.description += " with Whisper tiny.en's second opinion"
        specs = [s for s in phrases.phrase_book().intents if s.intent in self.intents]
        if {s.intent for s in specs} != set(self.intents):
            raise ValueError(f"no phrases for {', '.join(self.intents)}")
        #: barge-in phrase → its intent
        self._phrases = {
            text: s.intent
            for s in specs
            for t in s.templates
            for text in phrases.expand_template(t)
        }
        templates = [(s.intent, t) for s in phrases.phrase_book().intents for t in s.templates]
        self._all, self._other, self._phones = open_decoders(
            "live", {"bestpath": False}, {"bestpath": False}, {}
        )
        # Every phrase of every context: what the user says is decoded as itself
        # ("four" as "four", not "pause"); and all of them but the barge-in ones.
        self._all.add_jsgf_string("all", _grammar(t for _, t in templates))
        self._all.activate_search("all")
        self._other.add_jsgf_string(
            "other", _grammar(t for intent, t in templates if intent not in self.intents)
        )
        self._other.activate_search("other")
        add_phone_loop(self._phones)
        self._decoders = (self._all, self._other, self._phones)
        self._endpointer = Endpointer(
            EndpointConfig(
                end_silence_ms=end_silence_ms,
                min_speech_ms=self.thresholds.min_speech_ms,
                max_speech_ms=self.thresholds.max_speech_ms,
            )
        )
        self.cmn_prior = CMN_PRIOR
        self.early_ms = early_ms
        self.early_db = early_db
        self._word = self._last_fired = 0  # the words heard, and the last that cut in
        self._clear_word(0)
        self._on = False
        self._in_utt = False
        self._buffer: list[npt.NDArray[np.int16]] = []
        self.last_verdict = Verdict(None, "nothing heard yet")

    # ----------------------------------------------------------- protocol

    def set_context(self, context: str | None) -> None:
        on = context is not None
        if on != self._on:
            self.reset()
            self._on = on

    def reset(self) -> None:
        if self._in_utt:
            for decoder in self._decoders:
                decoder.end_utt()
        self._in_utt = False
        self._buffer = []
        self._endpointer.reset()

    def accept(self, samples: npt.NDArray[np.int16], timestamp_ms: int) -> list[Result]:
        if not self._on:
            return []
        events = self._endpointer.process(np.asarray(samples, dtype=np.int16), timestamp_ms)
        return self._handle(events)

    def flush(self) -> list[Result]:
        if not self._on:
            return []
        return self._handle(self._endpointer.flush())

    def late(self) -> list[Result]:
        """The words Whisper rescued in the background since the last call: each
        word cuts in at most once, and never after a later word has."""
        if self.rescuer is None:
            return []
        results: list[Result] = []
        for (word, start_ms, end_ms, reason, text), rescue in self.rescuer.done():
            self.last_verdict = self.rescuer.verdict(rescue, start_ms, end_ms, reason, text)
            if self.last_verdict.result is not None and word > self._last_fired:
                self._last_fired = word
                self._fired = self._fired or word == self._word
                results.append(self.last_verdict.result)
        return results

    def close(self) -> None:
        if self.rescuer is not None:
            self.rescuer.close()

    # ------------------------------------------------------------ decoding

    def _start(self, event: SegmentEvent) -> None:
        if self._in_utt:
            self.reset()
        for decoder in self._decoders:
            restart_noise_estimate(decoder)
            decoder.set_cmn(self.cmn_prior)
            decoder.start_utt()
        self._in_utt = True
        self._buffer = []
        self._word += 1
        self._clear_word(event.start_ms)

    def _clear_word(self, start_ms: int) -> None:
        """What is tracked through one word, from its start."""
        self._fired = False
        self._start_ms = start_ms
        self._frames = 0
        self._peak_db = -math.inf
        self._quiet = 0
        self._closure = False
        self._floor_db = math.inf
        self._loud_frames = 0
        self._last_loud = 0
        self._tried = False
        self._rescued_at = -spotter_check.RESCUE_AGAIN_FRAMES

    def _feed(self, samples: npt.NDArray[np.int16]) -> None:
        self._buffer.append(samples)
        data = samples.tobytes()
        for decoder in self._decoders:
            decoder.process_raw(data)
        count = samples.size // FRAME
        if not count:
            return
        frames = samples[: count * FRAME].astype(np.float64).reshape(count, FRAME)
        for energy in 10.0 * np.log10(np.mean(frames**2, axis=1) + 1.0):
            self._frames += 1
            if self._frames <= 10:  # the pre-roll: the room before the word
                self._floor_db = min(self._floor_db, float(energy))
            self._peak_db = max(self._peak_db, float(energy))
            if energy < self._peak_db - self.early_db:
                self._quiet += 1
                self._closure = self._closure or energy < self._floor_db + CLOSURE_DB
            else:
                self._quiet = 0
                self._closure = False
                self._tried = False
                self._loud_frames += 1
                self._last_loud = self._frames

    def _handle(self, events: list[SegmentEvent]) -> list[Result]:
        results: list[Result] = []
        for event in events:
            if event.kind == "start":
                self._start(event)
                self._feed(event.samples)
            elif event.kind == "audio" and self._in_utt:
                self._feed(event.samples)
            elif event.kind == "end" and self._in_utt:
                self._in_utt = False
                hyps = []
                for decoder in self._decoders:
                    decoder.end_utt()
                    hyps.append(decoder.hyp())
                if not self._fired:
                    result = self._judge(hyps, event.start_ms, event.end_ms, event.speech_ms)
                    if result is not None:
                        results.append(result)
                self._buffer = []
        if self._in_utt and not self._fired and not results:
            early = self._early()
            if early is not None:
                self._fired = True
                results.append(early)
        return results

    def _early(self) -> Result | None:
        """The word is over if its loud part is (a faint release or breath may
        follow): judge on the searches' best paths so far, without ending them."""
        if self._tried or self._quiet * 10 < self.early_ms or not self._closure:
            return None
        self._tried = True
        end_ms = self._start_ms + self._last_loud * 10
        return self._judge(
            [decoder.hyp() for decoder in self._decoders],
            self._start_ms,
            end_ms,
            self._loud_frames * 10,
            early=True,
        )

    def _judge(
        self, hyps: list[Any], start_ms: int, end_ms: int, speech_ms: int, early: bool = False
    ) -> Result | None:
        self.last_verdict = self._verdict(hyps, start_ms, end_ms, speech_ms, early)
        if self.last_verdict.result is not None:
            self._last_fired = self._word
        return self.last_verdict.result

    def _verdict(
        self, hyps: list[Any], start_ms: int, end_ms: int, speech_ms: int, early: bool
    ) -> Verdict:
        barge = hyps[0]
        audio = np.concatenate(self._buffer) if self._buffer else np.zeros(0, np.int16)
        limits = self.thresholds
        text = barge.hypstr if barge is not None else ""
        scores: dict[str, float] = {}
        if speech_ms < limits.min_speech_ms or speech_ms > limits.max_speech_ms:
            return Verdict(None, "length", scores, text)
        reason = self._sphinx(hyps, audio, scores, early)
        if reason == "ok" or reason in RESCUABLE:
            voiced = voiced_ms(audio)
            band = speech_band_ratio(audio)
            scores.update(voiced_ms=voiced, band_ratio=band)
            if band < limits.min_band_ratio:
                reason = "not speech"
            elif voiced < limits.min_voiced_ms:
                # a plain espeak-ng "stop" passes no frame of the strict voicing
                # test: only Whisper (and its VAD) may take a barge-in phrase then
                reason = "unvoiced"
        if reason == "ok" and text in UNTRUSTED and self.check is not None:
            reason = "unsure"  # PocketSphinx's "ow" is also the start of "help", "three"
        if reason == "ok":
            confidence = 1.0 / (1.0 + math.exp(-(scores["margin"] - limits.margin) / 2.0))
            heard = Heard(self._phrases[text], text, round(confidence, 3), start_ms, end_ms)
            return Verdict(heard, "ok", scores, text)
        if reason in RESCUABLE and self._may_rescue(speech_ms):
            assert self.rescuer is not None
            self._rescued_at = self._frames
            other = hyps[1].hypstr if hyps[1] is not None else ""
            rival = other if text in self._phrases else text
            key = (self._word, start_ms, end_ms, reason, text)
            rescue = self.rescuer.ask(key, audio, rival, CONFIRM if reason == "unsure" else {})
            if rescue is None:
                return Verdict(None, f"{reason}, Whisper asked", scores, text)
            return self.rescuer.verdict(rescue, start_ms, end_ms, reason, text, scores)
        return Verdict(None, reason, scores, text)

    def _may_rescue(self, speech_ms: int) -> bool:
        """Whisper is asked about a short word, again only once it has grown (an
        early judgement may come at a closure inside "it | hurts")."""
        return (
            self.check is not None
            and speech_ms <= spotter_check.RESCUE_MAX_MS
            and self._frames - self._rescued_at >= spotter_check.RESCUE_AGAIN_FRAMES
        )

    def _sphinx(
        self, hyps: list[Any], audio: npt.NDArray[np.int16], scores: dict[str, float], early: bool
    ) -> str:
        """PocketSphinx's verdict on the word: "ok" for a barge-in phrase, else why not."""
        barge, other, phone = hyps
        if barge is None or not barge.hypstr:
            return "no decode"
        if self._phrases.get(barge.hypstr) is None:
            return "another phrase"  # not a barge-in
        if early and barge.hypstr in NOT_EARLY:
            return "too short to end early"
        frames = max(1, audio.size // FRAME)
        score = _log_score(barge.score)
        other_score = _log_score(other.score) if other is not None and other.hypstr else -math.inf
        phone_score = _log_score(phone.score) if phone is not None else score
        loop = (score - phone_score) / frames
        margin = (score - other_score) / frames
        scores.update(phone_loop=loop, margin=margin)
        if loop < self.thresholds.phone_loop or margin < self.thresholds.margin:
            return "scores"
        return "ok"
