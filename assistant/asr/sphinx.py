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
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pocketsphinx

from ..errors import RecognizerError
from ..events import CONTEXTS, Heard
from . import phrases
from .endpoint import EndpointConfig, SegmentEvent
from .matcher import match_intent
from .protocol import Result
from .sphinx_checks import PLAIN, Utterance, judge, log_score
from .utterance import DECODE_TAIL_MS, UtteranceRecognizer
from .verdict import Verdict

__all__ = [
    "restart_noise_estimate",
    "open_decoders",
    "add_phone_loop",
    "SphinxRecognizer",
    "Thresholds",
    "jsgf_grammar",
    "model_paths",
    "small_dictionary",
    "DECODER_BEAMS",
    "DECODE_TAIL_MS",
]

#: PocketSphinx's default beams: narrower ones (1e-25) were faster but lost the
#: right path on about one clip in ten.
DECODER_BEAMS: dict[str, float] = {}


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


def open_decoders(cmn: str, *options: Mapping[str, object]) -> list[pocketsphinx.Decoder]:
    """Decoders on the bundled model with a dictionary of only the phrase words, one
    per ``options`` (shared by the recognizer and the barge-in spotter)."""
    hmm, full_dict = model_paths()
    if not hmm.is_dir():
        raise RecognizerError(f"{hmm}: PocketSphinx model missing; reinstall pocketsphinx")
    with tempfile.TemporaryDirectory() as tmp:
        dict_path = os.path.join(tmp, "backcoach.dict")
        Path(dict_path).write_text(small_dictionary(full_dict), encoding="utf-8")
        common = {"hmm": str(hmm), "dict": dict_path, "lm": None, "loglevel": "FATAL", "cmn": cmn}
        try:
            return [pocketsphinx.Decoder(**common, **extra) for extra in options]
        except (RuntimeError, ValueError) as exc:
            raise RecognizerError(f"{hmm}: PocketSphinx could not start ({exc})") from exc


def add_phone_loop(decoder: pocketsphinx.Decoder) -> None:
    """An all-phone loop: the best any sequence of English phones can do."""
    decoder.add_allphone_file("allphone", None)
    decoder.activate_search("allphone")


def restart_noise_estimate(decoder: pocketsphinx.Decoder) -> None:
    """Reset the noise statistics the model's ``-remove_noise yes`` keeps between
    utterances.  PocketSphinx 5 calls ``start_stream`` deprecated ("unnecessary"),
    but without it a decode depends on the clips decoded before it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        decoder.start_stream()


class SphinxRecognizer(UtteranceRecognizer):
    name = "pocketsphinx"

    def __init__(
        self,
        *,
        thresholds: Thresholds | None = None,
        endpoint: EndpointConfig | None = None,
        reject: bool = True,
    ) -> None:
        self.thresholds = thresholds or Thresholds()
        super().__init__(endpoint, self.thresholds.min_speech_ms)
        self.description = "PocketSphinx (bundled en-us model, grammar per context)"
        self.reject = reject
        self._grammar, self._phones = open_decoders(
            "batch", {**DECODER_BEAMS, "bestpath": False}, DECODER_BEAMS
        )
        for context in CONTEXTS:
            grammar = jsgf_grammar(context)
            assert grammar is not None
            self._grammar.add_jsgf_string(context, grammar)
        self._competitors: set[str] = set()
        self._command_intents = frozenset(phrases.intents(phrases.COMMAND_CONTEXT))
        add_phone_loop(self._phones)
        self.last_verdict: Verdict | None = None

    def _on_context(self, context: str) -> None:
        self._grammar.activate_search(context)

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
        if event.speech_ms < self.thresholds.min_speech_ms:
            return None  # a click: not an utterance
        verdict = judge(self, Utterance(audio, self._core(audio), event), stale)
        if verdict is not None:
            self.last_verdict = verdict
        return verdict.result if verdict is not None else None

    def first_guess(self, audio: npt.NDArray[np.int16], event: SegmentEvent) -> str | None:
        """The intent of the grammar's best hypothesis for one utterance, in one pass
        and before any rejection rule (denoised when the checks would): a quick second
        ear, not a verdict."""
        utterance = Utterance(audio, self._core(audio), event)
        if any(check(self, utterance) is not None for check in PLAIN):
            return None
        return utterance.intent

    def decode_grammar(self, audio: npt.NDArray[np.int16]) -> pocketsphinx.Hypothesis | None:
        return self._decode(self._grammar, audio.tobytes())

    def decode_phones(self, audio: npt.NDArray[np.int16]) -> pocketsphinx.Hypothesis | None:
        return self._decode(self._phones, audio.tobytes())

    @property
    def context(self) -> str:
        return self._context or phrases.COMMAND_CONTEXT

    @property
    def command_intents(self) -> frozenset[str]:
        return self._command_intents

    def competitor(
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
        return log_score(hyp.score), found.intent if isinstance(found, Heard) else None
