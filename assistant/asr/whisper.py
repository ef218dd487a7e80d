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
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import RecognizerError
from ..events import Heard
from . import phrases
from .agree import SecondOpinion
from .endpoint import EndpointConfig, SegmentEvent
from .matcher import match_intent, normalize
from .protocol import Result
from .utterance import UtteranceRecognizer
from .verdict import Verdict
from .whisper_phrases import _phrase_intents, _phrases_by_intent, answer_prompt, canonical_phrases
from .whisper_rules import SAFETY_INTENTS, SYMPTOM_PAIR, Candidate, Thresholds, decide

__all__ = ["WhisperModel", "WhisperRecognizer", "load_model", "canonical_phrases"]

#: Phrases closest to the free decode that are scored beside the canonical ones.
NEAREST = 3
#: ... and each answer's phrasings closest to it.
PER_ANSWER = 2
#: The matcher's confidence for a keyword (an exact phrase is 1.0, a typo 0.6).
KEYWORD_CONFIDENCE = 0.8


class WhisperModel:
    """The CTranslate2 model, its tokenizer and mel features; one thread at a time."""

    def __init__(self, path: Path) -> None:
        import ctranslate2
        from faster_whisper.feature_extractor import FeatureExtractor
        from tokenizers import Tokenizer

        try:
            # One compute thread.  With two, on two cores shared with the audio loop,
            # the spotter and the player, each parallel step waits for whichever thread
            # was descheduled: in `backcoach run` a decode took 2.4-7.5 s instead of
            # ~0.2 s (bench loop reply p50 2.9 s -> 0.3 s); alone it is no slower.
            self.model: Any = ctranslate2.models.Whisper(
                str(path), device="cpu", compute_type="int8", intra_threads=1
            )
            self.tokenizer: Any = Tokenizer.from_file(str(path / "tokenizer.json"))
        except (RuntimeError, ValueError, OSError) as exc:
            raise RecognizerError(f"{path}: not a usable Whisper model ({exc})") from exc
        self._ct2: Any = ctranslate2
        self.features = FeatureExtractor(feature_size=self.model.n_mels)
        token = self.tokenizer.token_to_id
        self.prompt = [token("<|startoftranscript|>"), token("<|notimestamps|>")]
        self._ids: dict[str, list[int]] = {}

    def encode(
        self, audio: npt.NDArray[np.float32], window_s: float, shifts: tuple[int, ...] = (0,)
    ) -> npt.NDArray[np.float32]:
        """Encoder output for ``audio`` in a window of at least ``window_s``, averaged
        over copies of it delayed by ``shifts`` samples (one batch).  Whisper's scores
        of a short word swing by a nat or two with where it falls against the 10 ms
        mel frames; averaged over encodings half a frame apart they swing less (136
        clips, each at 3 offsets: 8 changed verdict, against 10)."""
        lead = max(shifts)
        frames = max(int(window_s * 100), int(np.ceil((audio.size + lead) / 160 / 100) * 100))
        mels = np.empty((len(shifts), self.model.n_mels, frames), np.float32)
        for row, shift in enumerate(shifts):
            padded = np.zeros(frames * 160, np.float32)
            take = min(audio.size, padded.size - shift)
            padded[shift : shift + take] = audio[:take]
            mels[row] = self.features(padded, padding=0)[:, :frames]
        encoded = self.model.encode(self._ct2.StorageView.from_array(mels), to_cpu=True)
        mean: npt.NDArray[np.float32] = np.asarray(encoded, np.float32).mean(axis=0, keepdims=True)
        return mean

    def free_decode(
        self, encoded: npt.NDArray[np.float32], seconds: float, previous: tuple[str, ...] = ("",)
    ) -> list[tuple[str, float]]:
        """Greedy decodes, one per text of ``previous`` (Whisper's prompt, the text
        said before; "" for none): each decode's text and no-speech
        probability.  On a short window Whisper often never ends and says the
        answer over and over: the decode is capped by the utterance's length and a
        repeat is cut."""
        prompts = []
        for before in previous:
            if not before:
                prompts.append(self.prompt)
                continue
            told = self.tokenizer.encode(" " + before, add_special_tokens=False).ids
            prompts.append([self.tokenizer.token_to_id("<|startofprev|>"), *told, *self.prompt])
        features = self._ct2.StorageView.from_array(np.ascontiguousarray(encoded))
        decoded = []
        for prompt in prompts:  # one call each: CTranslate2 batches no prompts of two lengths
            out = self.model.generate(
                features,
                [prompt],
                beam_size=1,
                max_length=len(prompt) + int(6 + 6 * seconds),
                return_no_speech_prob=True,
            )[0]
            ids = [i for i in out.sequences_ids[0] if i < self.prompt[0]]
            text = first_of_repeats(self.tokenizer.decode(ids).strip())
            decoded.append((text, float(out.no_speech_prob)))
        return decoded

    def ids(self, text: str) -> list[int]:
        """Token ids of ``text`` as Whisper writes it after the prompt (a leading
        space, no special tokens), as a sentence: capitalised (as Whisper writes an
        answer; lower case scores a little worse) and ending in a full stop: ``align`` scores no
        end-of-text, and without an end a short phrase ("one") scores as well as the
        start of a longer sentence; the full stop's probability stands for it."""
        if text not in self._ids:
            said = " " + text[:1].upper() + text[1:].rstrip(".,!?;: ") + "."
            self._ids[text] = self.tokenizer.encode(said, add_special_tokens=False).ids
        return self._ids[text]

    def score(self, encoded: npt.NDArray[np.float32], sequences: list[list[int]]) -> list[float]:
        """Log-probability of each token sequence given the audio (no end-of-text:
        ``align`` gives nothing for it, and pads its probabilities to the longest)."""
        if not sequences:
            return []
        frames = int(encoded.shape[1])
        batch = self._ct2.StorageView.from_array(
            np.ascontiguousarray(np.repeat(encoded, len(sequences), axis=0))
        )
        aligned = self.model.align(
            batch, self.prompt, sequences, [frames] * len(sequences), median_filter_width=1
        )  # only the token probabilities are used: no smoothing of the alignment
        return [
            float(np.sum(np.log(np.maximum(np.asarray(a.text_token_probs[: len(s)]), 1e-12))))
            for a, s in zip(aligned, sequences, strict=True)
        ]


def first_of_repeats(text: str) -> str:
    """'resume resume resume' -> 'resume'; 'What time is it? What' and 'My buttock,
    my buttock, my butt' (cut off while starting over, even inside a word) ->
    'What time is it?', 'My buttock'."""
    words = text.split()
    plain = [w.strip(".,!?;:").lower() for w in words]
    for size in range(1, len(words)):
        rest = plain[size:]
        again = (plain[:size] * (len(rest) // size + 1))[: len(rest)]
        if (
            rest == again
            or (  # a word cut short only after a whole one ("my butt")
                len(rest) > 1 and rest[:-1] == again[:-1] and again[-1].startswith(rest[-1] or "-")
            )
        ):
            return " ".join(words[:size]).rstrip(",")
    return text


@lru_cache(maxsize=2)
def load_model(path: Path) -> WhisperModel:
    return WhisperModel(path)


@lru_cache(maxsize=1)
def _vad() -> Any:
    from faster_whisper.vad import get_vad_model

    return get_vad_model()


def speech_ms(
    audio: npt.NDArray[np.float32], threshold: float = 0.5, offsets: tuple[int, ...] = (0,)
) -> int:
    """Milliseconds the silero VAD takes for speech (32 ms windows), averaged over
    copies of the audio started ``offsets`` samples in, in one batch: on a short
    word its windows swing from nothing to the whole word with where they fall (a
    Klatt "no": 0 to 384 ms over 40-sample steps)."""
    pieces = [audio[o : o + (audio.size - o) // 512 * 512] for o in offsets]
    pieces = [piece for piece in pieces if piece.size]
    if not pieces:
        return 0
    probs = np.asarray(_vad()(np.ascontiguousarray(np.concatenate(pieces)))).reshape(-1)
    return int(np.sum(probs > threshold)) * 32 // len(offsets)


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
        verdict = self.judge(wave, self._context or phrases.COMMAND_CONTEXT, event)
        self.last_verdict = verdict
        return verdict.result

    def judge(self, wave: npt.NDArray[np.float32], context: str, event: SegmentEvent) -> Verdict:
        """The verdict on one utterance.  First on one encoding, the free decode
        and each answer's shortest phrase: when the decode is a phrase of the context
        and wins by ``quick_extra`` nats more than the rules ask, that is the answer
        (most answers: about half the work).  Otherwise on the mean of the shifted
        encodings, a decode told the context's answers and more candidates."""
        limits = self.thresholds
        voiced = speech_ms(wave, limits.vad_threshold, limits.vad_offsets)
        seconds = event.speech_ms / 1000
        facts: dict[str, Any] = {
            "no_speech": 1.0,
            "voiced": voiced,
            "event": event,
            "context": context,
        }
        first = self.model.encode(wave, limits.window_s, limits.shifts[:1])
        table = _phrase_intents(context)
        text = ""
        if limits.quick_extra is not None:
            [(text, facts["no_speech"])] = self.model.free_decode(first, seconds)
            quick = self._quick(first, text, facts) if normalize(text) in table else None
            if quick is not None:
                return quick
        encoded = first
        if len(limits.shifts) > 1:
            rest = self.model.encode(wave, limits.window_s, limits.shifts[1:])
            together = (first + rest * (len(limits.shifts) - 1)) / len(limits.shifts)
            encoded = together.astype(np.float32)
        if len(limits.shifts) > 1 or limits.quick_extra is None:
            facts["first_decode"] = text  # what the one encoding heard: evidence too
            [(text, facts["no_speech"])] = self.model.free_decode(encoded, seconds)
        told = answer_prompt(context) if limits.prompt_answers else ""
        spelt = ""
        if told and normalize(text) not in table:
            # Told the context's answers, Whisper spells a Klatt "better" as better,
            # not "Banner"; but it also hears "turn on the television" as "Two, none,
            # that television": the told decode counts only when it is a phrase.
            # Otherwise it still names the phrases worth scoring ("the path, the
            # knee": "above the knee").
            [(spelt, _)] = self.model.free_decode(encoded, seconds, (told,))
            text, spelt = (spelt, "") if normalize(spelt) in table else (text, spelt)
        candidates = self._candidates(context, text, also=spelt)
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
        }

    def _quick(
        self, encoded: npt.NDArray[np.float32], text: str, facts: dict[str, Any]
    ) -> Verdict | None:
        """The verdict on the decode (a phrase) against each answer's shortest phrase,
        when it wins by ``quick_extra`` more than the rules ask (None otherwise)."""
        limits = self.thresholds
        extra = limits.quick_extra or 0.0
        stricter = replace(
            limits,
            margin=limits.margin + extra,
            agreed_margin=limits.agreed_margin + extra,
            safety_margin=limits.safety_margin + extra,
            symptom_margin=limits.symptom_margin + extra,
        )
        candidates = self._candidates(facts["context"], text, quick=True)
        measured = self._verdict(encoded, text, candidates, facts)
        if self._verdict_of(measured, stricter).reason != "ok":
            return None
        return self._verdict_of(measured, limits)

    @staticmethod
    def _verdict_of(measured: dict[str, Any], limits: Thresholds) -> Verdict:
        return decide(**measured, limits=limits)

    def _candidates(
        self, context: str, text: str, quick: bool = False, also: str = ""
    ) -> list[Candidate]:
        """Each answer's shortest phrase, any command the decode names, and (unless
        ``quick``: the decode is a phrase) the phrases nearest to the decode and to
        ``also`` (the told decode, when it is no phrase)."""
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
            # Each answer's own phrasings closest to what was heard, however far:
            # a longer answer heard badly ("Much fander") scores poorly as the
            # shortest phrase of its intent.
            for intent, phrasings in _phrases_by_intent(context).items():
                if intent not in commands:
                    closest = difflib.get_close_matches(said, phrasings, PER_ANSWER, 0.0)
                    chosen.update((t, intent) for t in closest)
        if normalize(also) and not quick:
            for near in difflib.get_close_matches(normalize(also), list(table), NEAREST, 0.4):
                chosen.setdefault(near, table[near])
        for intent, texts in canonical_phrases(context).items():
            if intent in commands and any(w in said.split() for t in texts for w in t.split()):
                chosen.setdefault(texts[0], intent)
        return [Candidate(t, i, 0.0) for t, i in chosen.items()]
