"""Whisper's parts, below the recognizer: the CTranslate2 model (encode, free
decode, score), its tokenizer and mel features, and the silero VAD shipped with
faster-whisper.  One thread at a time uses each.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import RecognizerError

__all__ = ["WhisperModel", "first_of_repeats", "load_model", "speech_ms"]


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
        ``align`` gives nothing for it, and pads its probabilities to the longest).
        Each distinct sequence is scored once: its cost is per sequence (the decode
        of a quick verdict is one of its candidates), and a sequence's score does
        not depend on what else is in the batch."""
        unique = list(dict.fromkeys(tuple(s) for s in sequences))
        if not unique:
            return []
        frames = int(encoded.shape[1])
        batch = self._ct2.StorageView.from_array(
            np.ascontiguousarray(np.repeat(encoded, len(unique), axis=0))
        )
        aligned = self.model.align(
            batch,
            self.prompt,
            [list(s) for s in unique],
            [frames] * len(unique),
            median_filter_width=1,
        )  # only the token probabilities are used: no smoothing of the alignment
        score = {
            s: float(np.sum(np.log(np.maximum(np.asarray(a.text_token_probs[: len(s)]), 1e-12))))
            for a, s in zip(aligned, unique, strict=True)
        }
        return [score[tuple(s)] for s in sequences]


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


def voiced_at_least(
    audio: npt.NDArray[np.float32], needed_ms: int, threshold: float, offsets: tuple[int, ...]
) -> int:
    """``speech_ms`` over ``offsets``, or, when the first offset alone shows at least
    ``needed_ms`` of it (most answers), that lower bound: the rest cannot bring the
    mean under ``needed_ms``, and the first offset is a quarter of the work."""
    bound = speech_ms(audio, threshold, offsets[:1]) // len(offsets)
    return bound if bound >= needed_ms else speech_ms(audio, threshold, offsets)
