"""PocketSphinx adapter: a JSGF grammar per listening context, with rejection.

The bundled US English acoustic model is used with a small dictionary holding
only the phrase words.  ``Endpointer`` cuts utterances on trailing silence (on
the audio's own timeline).  Each utterance, up to ``DECODE_TAIL_MS`` after its
last speech, is decoded whole, with its own cepstral mean (deterministic per
clip).  That decode starts in a background thread as soon as the speaker has been
quiet for ``DECODE_TAIL_MS``, while the endpointer waits to be sure the answer is
over; if they speak on, it is dropped.  The same audio is decoded either way, so
the result does not depend on timing.  The decoders are:

* the context grammar (built from the phrase templates, global commands included);
* an all-phone loop: the best any sequence of English phones can do.

An utterance less than 14 dB over the room's noise is first cleaned by
non-stationary spectral gating (``denoise``): at 10 dB of room noise that takes
accuracy from about 57 % to 71 %; on clearer speech it would only cost.

Rejection (each failure gives ``NotUnderstood``):

* too little voiced sound, or little energy in the speech band (from 100 Hz, so deep
  voices keep theirs): noise, breathing, coughs, hum; and bass-heavy sound as
  steady as a fan (a voice rises and falls syllable by syllable); speech less than
  7 dB above the room's noise (there, answers are more often wrong than right);
* the grammar path scores far below the phone loop per frame: out-of-vocabulary
  speech fits a phone loop much better than it fits any phrase;
* the winning intent does not beat the best phrase of any *other* intent of the
  context (a second grammar decode without it) by a margin, wider for
  better/worse/same and yes/no: when unsure, say so rather than guess.

  When that closest phrase is a global command, the answer of the context is
  measured against the other answers of the context alone (the answers decoded
  without the commands, with and without the winner: both sides from the same
  search, as the larger one can prune the other answer), and the command need
  only not beat it by ``command_margin`` (with a close fit to the phone loop): the
  bundled model hears the onset of a short answer poorly, so "no" scores the same
  as "go" (resume) and "ow" (ouch) and was always rejected, while "no" and "yes",
  the costly confusion, are far apart.  In a question's context, the question's
  answers are the expected speech: a near tie with a command goes to the answer.
"""

from __future__ import annotations

import math
import os
import tempfile
import threading
import warnings
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pocketsphinx

from ..errors import RecognizerError
from ..events import CONTEXTS, Heard, NotUnderstood
from ..vocab import SAFETY_INTENTS
from . import phrases
from .base import Result
from .denoise import denoise
from .endpoint import EndpointConfig, Endpointer, SegmentEvent
from .features import modulation_db, speech_band_ratio, voiced_ms
from .matcher import match_intent

__all__ = [
    "restart_noise_estimate",
    "SphinxRecognizer",
    "Thresholds",
    "jsgf_grammar",
    "model_paths",
    "small_dictionary",
    "DECODER_BEAMS",
    "DECODE_TAIL_MS",
]

#: Quiet after the last speech that is decoded with the utterance; decoding starts
#: then, while the endpointer waits out the rest of its end-of-speech silence.
DECODE_TAIL_MS = 60

#: PocketSphinx's default beams: narrower ones (1e-25) were faster but lost the
#: right path on about one clip in ten.
DECODER_BEAMS: dict[str, float] = {}
_LOG_BASE = math.log(1.0001)


@dataclass(frozen=True)
class Thresholds:
    """Per-frame score limits (log base 1.0001, PocketSphinx's scaled units)."""

    phone_loop: float = -24.0  # grammar - phone loop, per frame: at least this
    margin: float = 1.0  # winner - best other intent, per frame: at least this
    safety_margin: float = 1.5  # the same, for same and yes/no
    symptom_margin: float = 2.5  # the same, for better and worse: the costly confusion
    phone_loop_alone: float = -17.0  # better/worse when no other intent could be scored,
    # and an answer when a global command fits it better
    command_margin: float = -1.0  # an answer - the best global command: at least this
    min_voiced_ms: int = 20  # noise, breathing and coughs are unvoiced
    min_band_ratio: float = 0.45  # hum and rumble have little energy in 100 Hz-4 kHz
    band_low_hz: float = 100.0
    min_modulation_db: float = 6.0  # bass-heavy and this steady: fan noise, not a voice
    min_snr_db: float = 7.0  # the utterance over the quiet around it
    denoise_below_db: float = 14.0  # noisier than this: noise reduction before decoding
    min_speech_ms: int = 90
    max_speech_ms: int = 5000


def model_paths() -> tuple[Path, Path]:
    """The bundled acoustic model folder and CMU dictionary."""
    root = Path(pocketsphinx.get_model_path())
    return root / "en-us" / "en-us", root / "en-us" / "cmudict-en-us.dict"


def jsgf_grammar(context: str, exclude: frozenset[str] = frozenset()) -> str | None:
    """JSGF for ``context`` (with global commands) from the phrase templates."""
    alternatives = [
        f"( {template} )"
        for spec in phrases.phrase_book().intents
        if spec.context in (context, phrases.COMMAND_CONTEXT) and spec.intent not in exclude
        for template in spec.templates
    ]
    if not alternatives:
        return None
    return (
        "#JSGF V1.0;\ngrammar backcoach;\npublic <utterance> = " + " | ".join(alternatives) + ";\n"
    )


def small_dictionary(full_dict: Path) -> str:
    """The CMU dictionary lines of every phrase word (a clear error for a missing one)."""
    words = set(phrases.vocabulary())
    lines = []
    with full_dict.open(encoding="utf-8") as handle:
        for line in handle:
            head = line.split(" ", 1)[0]
            if head.split("(", 1)[0] in words:
                lines.append(line)
    found = {line.split(" ", 1)[0].split("(", 1)[0] for line in lines}
    missing = words - found
    if missing:
        raise RecognizerError(
            f"{full_dict}: no pronunciation for {', '.join(sorted(missing))}; "
            "fix assistant/data/phrases.yaml"
        )
    return "".join(lines)


def restart_noise_estimate(decoder: pocketsphinx.Decoder) -> None:
    """Reset the noise statistics the model's ``-remove_noise yes`` keeps between
    utterances.  PocketSphinx 5 calls ``start_stream`` deprecated ("unnecessary"),
    but without it a decode depends on the clips decoded before it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        decoder.start_stream()


def _log_score(value: float) -> float:
    return math.log(value) / _LOG_BASE if value > 0 else -math.inf


class SphinxRecognizer:
    name = "pocketsphinx"
    sample_rate = 16000

    def __init__(
        self,
        *,
        thresholds: Thresholds | None = None,
        endpoint: EndpointConfig | None = None,
        reject: bool = True,
    ) -> None:
        self.description = "PocketSphinx (bundled en-us model, grammar per context)"
        self.thresholds = thresholds or Thresholds()
        self.reject = reject
        hmm, full_dict = model_paths()
        if not hmm.is_dir():
            raise RecognizerError(f"{hmm}: PocketSphinx model missing; reinstall pocketsphinx")
        with tempfile.TemporaryDirectory() as tmp:
            dict_path = os.path.join(tmp, "backcoach.dict")
            Path(dict_path).write_text(small_dictionary(full_dict), encoding="utf-8")
            common = {
                "hmm": str(hmm),
                "dict": dict_path,
                "lm": None,
                "loglevel": "FATAL",
                "cmn": "batch",
            }
            try:
                self._grammar = pocketsphinx.Decoder(**common, **DECODER_BEAMS, bestpath=False)
                self._phones = pocketsphinx.Decoder(**common, **DECODER_BEAMS)
            except (RuntimeError, ValueError) as exc:
                raise RecognizerError(f"{hmm}: PocketSphinx could not start ({exc})") from exc
        for context in CONTEXTS:
            grammar = jsgf_grammar(context)
            assert grammar is not None
            self._grammar.add_jsgf_string(context, grammar)
        self._competitors: set[str] = set()
        self._command_intents = frozenset(phrases.intents(phrases.COMMAND_CONTEXT))
        self._phones.add_allphone_file("allphone", None)
        self._phones.activate_search("allphone")
        config = endpoint or EndpointConfig()
        self._endpointer = Endpointer(
            replace(
                config,
                min_speech_ms=self.thresholds.min_speech_ms,
                early_end_ms=min(DECODE_TAIL_MS, config.end_silence_ms),
            )
        )
        self._context: str | None = None
        self._buffer: list[npt.NDArray[np.int16]] = []
        self._in_utt = False
        self.last_scores: dict[str, float] = {}
        # One worker: the decoders are used by one thread at a time.
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sphinx-decode")
        self._early: tuple[int, Future[Result | None]] | None = None
        self._stale = threading.Event()  # the early decode is no longer wanted

    # ----------------------------------------------------------- protocol

    def set_context(self, context: str | None) -> None:
        context = None if context is None else str(context)  # exactly str for the decoder
        if context is not None and context not in CONTEXTS:
            raise ValueError(f"unknown listening context {context!r}")
        if context != self._context:
            self._abort()
            self._context = context
            if context is not None:
                self._grammar.activate_search(context)

    def reset(self) -> None:
        self._abort()

    def accept(self, samples: npt.NDArray[np.int16], timestamp_ms: int) -> list[Result]:
        if self._context is None:
            return []
        events = self._endpointer.process(np.asarray(samples, dtype=np.int16), timestamp_ms)
        return self._handle(events)

    def flush(self) -> list[Result]:
        if self._context is None:
            return []
        return self._handle(self._endpointer.flush())

    # ------------------------------------------------------------ decoding

    def _abort(self) -> None:
        self._drop_early()
        self._in_utt = False
        self._buffer = []
        self._endpointer.reset()

    def _drop_early(self) -> None:
        """Forget a decode started early (waiting for it: the decoders are shared)."""
        if self._early is not None:
            self._stale.set()
            self._early[1].result()
            self._early = None

    def _handle(self, events: list[SegmentEvent]) -> list[Result]:
        results: list[Result] = []
        for event in events:
            if event.kind == "start":
                self._drop_early()
                self._in_utt = True
                self._buffer = [event.samples]
            elif event.kind == "audio" and self._in_utt:
                self._buffer.append(event.samples)
            elif event.kind == "pause" and self._in_utt:
                self._drop_early()
                self._stale.clear()
                audio = self._utterance(event)
                self._early = (
                    event.end_offset,
                    self._worker.submit(self._finish, audio, event, self._stale),
                )
            elif event.kind == "resume":
                self._stale.set()  # they spoke on: the early decode may stop
            elif event.kind == "end" and self._in_utt:
                self._in_utt = False
                early, self._early = self._early, None
                if early is not None and early[0] == event.end_offset:
                    result = early[1].result()  # nothing was said after the pause
                else:
                    if early is not None:
                        early[1].result()
                    result = self._finish(self._utterance(event), event)
                if result is not None:
                    results.append(result)
        return results

    def _utterance(self, event: SegmentEvent) -> npt.NDArray[np.int16]:
        """The buffered utterance up to ``DECODE_TAIL_MS`` after its last speech, then
        the room's own quiet from before it (the start of the pre-roll) to make up the
        endpointer's full end-of-speech silence: the decoders and their thresholds
        see every utterance framed by the same quiet, whenever the decode starts."""
        audio = np.concatenate(self._buffer)
        per_ms = self.sample_rate // 1000
        config = self._endpointer.config
        quiet = audio[: max(0, config.end_silence_ms - DECODE_TAIL_MS) * per_ms]
        return np.concatenate([audio[: event.end_offset + DECODE_TAIL_MS * per_ms], quiet])

    def _decode(self, decoder: pocketsphinx.Decoder, audio: bytes) -> pocketsphinx.Hypothesis:
        """Decode one whole utterance on its own: batch cepstral mean, and the noise
        estimate (the model's ``-remove_noise yes``) restarted, so that the result
        does not depend on what was heard before."""
        restart_noise_estimate(decoder)
        decoder.start_utt()
        decoder.process_raw(audio, full_utt=True)
        decoder.end_utt()
        return decoder.hyp()

    def _finish(
        self,
        audio: npt.NDArray[np.int16],
        event: SegmentEvent,
        stale: threading.Event | None = None,
    ) -> Result | None:
        """The result for one utterance (in the worker thread when started early; it
        gives up between passes once ``stale`` is set, and its result is not used)."""
        start_ms, end_ms = event.start_ms, event.end_ms
        limits = self.thresholds
        if event.speech_ms < limits.min_speech_ms:
            return None  # a click: not an utterance
        heard = audio  # the checks on the sound itself are made on what was heard
        core = self._core(heard)
        snr = _snr_db(heard, core, event.end_offset)
        self.last_scores = {"snr_db": snr}
        if self.reject and snr < limits.min_snr_db:
            # Barely above the room's noise, answers are more often wrong than right.
            return NotUnderstood("", start_ms, end_ms)
        if snr < limits.denoise_below_db:
            audio = denoise(heard)
        hyp = self._decode(self._grammar, audio.tobytes())
        if hyp is None or not hyp.hypstr:
            return NotUnderstood("", start_ms, end_ms)
        text = hyp.hypstr
        if event.speech_ms > self.thresholds.max_speech_ms:
            return NotUnderstood(text, start_ms, end_ms)
        matched = match_intent(text, self._context or "command", start_ms=start_ms, end_ms=end_ms)
        if not isinstance(matched, Heard):
            return NotUnderstood(text, start_ms, end_ms)
        if not self.reject:
            return matched
        voiced = voiced_ms(heard)
        band = speech_band_ratio(core, limits.band_low_hz)
        self.last_scores.update(voiced_ms=voiced, band_ratio=band)
        if voiced < limits.min_voiced_ms or band < limits.min_band_ratio:
            return NotUnderstood(text, start_ms, end_ms)
        if speech_band_ratio(core) < limits.min_band_ratio:
            # Bass-heavy: a deep voice, or a fan.  A fan hardly rises and falls.
            steadiness = modulation_db(core)
            self.last_scores["modulation_db"] = steadiness
            if steadiness < limits.min_modulation_db:
                return NotUnderstood(text, start_ms, end_ms)
        frames = max(1, audio.size // 160)
        grammar_score = _log_score(hyp.score)
        if stale is not None and stale.is_set():
            return None
        phone = self._decode(self._phones, audio.tobytes())
        phone_score = _log_score(phone.score) if phone is not None else grammar_score
        loop = (grammar_score - phone_score) / frames
        self.last_scores["phone_loop"] = loop
        if loop < limits.phone_loop:
            return NotUnderstood(text, start_ms, end_ms)
        if stale is not None and stale.is_set():
            return None
        competitor, rival = self._competitor(matched.intent, audio)
        # No phrase of another intent survived the beam, so there is no margin to
        # check: for better/worse ask for a much closer fit to the phone loop instead.
        unsure = competitor == -math.inf and matched.intent in ("better", "worse")
        if unsure and loop < limits.phone_loop_alone:
            return NotUnderstood(text, start_ms, end_ms)
        context = self._context or phrases.COMMAND_CONTEXT
        if (
            context != phrases.COMMAND_CONTEXT
            and matched.intent not in self._command_intents
            and rival in self._command_intents
        ):
            # An answer of the context whose closest rival is a global command: its
            # margin is over the other answers of the context (decoded without the
            # commands; none left in the beam: they are far), and the command need
            # only not beat it by much.
            command_margin = (grammar_score - competitor) / frames
            self.last_scores["command_margin"] = command_margin
            # A command that fits better: take the answer only if the command
            # barely wins and the answer fits almost as well as the phone loop.
            if command_margin < 0 and (
                command_margin < limits.command_margin or loop < limits.phone_loop_alone
            ):
                return NotUnderstood(text, start_ms, end_ms)
            # Both sides of that margin from the same small search (the larger one
            # prunes differently): the answers of the context, with and without the
            # winner.  Another answer on top there is no answer to act on.
            best, best_intent = self._competitor("", audio, commands=False)
            if best_intent != matched.intent:
                return NotUnderstood(text, start_ms, end_ms)
            grammar_score = best
            competitor, _ = self._competitor(matched.intent, audio, commands=False)
        margin = (grammar_score - competitor) / frames
        self.last_scores["margin"] = margin
        if matched.intent in ("better", "worse"):
            needed = limits.symptom_margin
        elif matched.intent in SAFETY_INTENTS:
            needed = limits.safety_margin
        else:
            needed = limits.margin
        if margin < needed:
            return NotUnderstood(text, start_ms, end_ms)
        confidence = _confidence(loop - self.thresholds.phone_loop, margin - needed)
        return Heard(matched.intent, text, confidence, start_ms, end_ms)

    def _core(self, audio: npt.NDArray[np.int16]) -> npt.NDArray[np.int16]:
        """The utterance without its pre-roll and trailing silence."""
        pre = self._endpointer.config.pre_roll_ms * 16
        tail = self._endpointer.config.end_silence_ms * 16
        core = audio[pre : max(pre, audio.size - tail)]
        return core if core.size >= 800 else audio

    def _competitor(
        self, intent: str, audio: npt.NDArray[np.int16], *, commands: bool = True
    ) -> tuple[float, str | None]:
        """Best score of any phrase of another intent on the buffered utterance (of
        the context's own intents only if not ``commands``), and that phrase's intent."""
        context = self._context or phrases.COMMAND_CONTEXT
        name = f"{context}-not-{intent}" + ("" if commands else "-answers")
        if name not in self._competitors:
            exclude = ({intent} if commands else {intent, *self._command_intents}) - {""}
            grammar = jsgf_grammar(context, exclude=frozenset(exclude))
            if grammar is None:
                return -math.inf, None
            self._grammar.add_jsgf_string(name, grammar)
            self._competitors.add(name)
        self._grammar.activate_search(name)
        try:
            hyp = self._decode(self._grammar, audio.tobytes())
        finally:
            self._grammar.activate_search(context)
        if hyp is None or not hyp.hypstr:
            return -math.inf, None
        found = match_intent(hyp.hypstr, context)
        return _log_score(hyp.score), found.intent if isinstance(found, Heard) else None


def _snr_db(audio: npt.NDArray[np.int16], core: npt.NDArray[np.int16], end_offset: int) -> float:
    """Loudness of the utterance over the room's noise: the quieter of the 150 ms
    before it (the start of the pre-roll) and the ``DECODE_TAIL_MS`` after it (so
    speech at the very start of a recording is not taken for the noise)."""

    def power(x: npt.NDArray[np.int16]) -> float:
        return float(np.mean(x.astype(np.float64) ** 2)) + 1.0 if x.size else math.inf

    before = audio[: 150 * 16]
    after = audio[end_offset : end_offset + DECODE_TAIL_MS * 16]
    return 10.0 * math.log10(power(core) / min(power(before), power(after)))


def _confidence(loop_excess: float, margin_excess: float) -> float:
    """0.5 at the thresholds, towards 1.0 well clear of both."""
    a = 1.0 / (1.0 + math.exp(-loop_excess / 3.0))
    b = 1.0 / (1.0 + math.exp(-margin_excess / 2.0)) if math.isfinite(margin_excess) else 1.0
    return round(min(a, b), 3)
