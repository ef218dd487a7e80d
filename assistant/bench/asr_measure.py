"""``bench asr``'s measuring: clips streamed through a recognizer (as fast as it
takes them, and in real time for the latency), tallied per condition, and the
recognizer's own peak memory in a process of its own.
"""

from __future__ import annotations

import json
import resource
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from ..asr.protocol import Recognizer, Result, pick
from ..asr.verdict import Verdict
from ..audioio import FIXTURE_DITHER_RMS, dither
from ..events import Heard
from .asr_clips import REAL, Clip, mix

CHUNK = 320  # 20 ms


@dataclass
class Tally:
    phrases: int = 0
    correct: int = 0
    oov: int = 0
    oov_rejected: int = 0
    noise: int = 0
    noise_rejected: int = 0
    other: int = 0
    other_rejected: int = 0
    better_worse: int = 0
    wrong: int = 0
    by_context: dict[str, list[int]] = field(default_factory=dict)
    compute_s: float = 0.0
    audio_s: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    failures: list[dict[str, object]] = field(default_factory=list)

    def add(
        self, clip: Clip, result: Result, compute_s: float, verdict: Verdict | None = None
    ) -> None:
        got = result.intent if isinstance(result, Heard) else None
        failed = got != clip.intent if clip.kind in ("phrase", "real") else got is not None
        if failed:
            self.failures.append(_failure(clip, result, got, verdict))
        self.compute_s += compute_s
        self.audio_s += clip.audio.size / 16000
        if clip.kind in ("phrase", "real"):
            self.phrases += 1
            self.correct += got == clip.intent
            self.wrong += got is not None and got != clip.intent
            seen = self.by_context.setdefault(clip.context, [0, 0])
            seen[0] += got == clip.intent
            seen[1] += 1
            self.better_worse += {got, clip.intent} == {"better", "worse"}
        elif clip.kind == "oov":
            self.oov += 1
            self.oov_rejected += got is None
        elif clip.kind == "other":
            self.other += 1
            self.other_rejected += got is None
        else:
            self.noise += 1
            self.noise_rejected += got is None

    def summary(self) -> dict[str, object]:
        def pct(a: int, b: int) -> float | None:
            return round(100.0 * a / b, 1) if b else None

        lat = self.latencies_ms
        return {
            "clips": self.phrases + self.oov + self.noise + self.other,
            "accuracy_pct": pct(self.correct, self.phrases),
            "wrong_intents": self.wrong,
            "by_context": {c: pct(a, b) for c, (a, b) in sorted(self.by_context.items())},
            "oov_rejection_pct": pct(self.oov_rejected, self.oov),
            "noise_rejection_pct": pct(self.noise_rejected, self.noise),
            # answers of other contexts said here ("no" while paused): not acted on
            "other_answer_rejection_pct": pct(self.other_rejected, self.other),
            "better_worse_confusions": self.better_worse,
            "rtf": round(self.compute_s / self.audio_s, 4) if self.audio_s else None,
            "latency_p50_ms": round(float(np.percentile(lat, 50))) if lat else None,
            "latency_p95_ms": round(float(np.percentile(lat, 95))) if lat else None,
        }


def _failure(
    clip: Clip, result: Result, got: str | None, verdict: Verdict | None
) -> dict[str, object]:
    """One clip heard wrong or asked again (an OOV or noise clip acted on): what was
    said and heard, and the rule that decided (the engine's verdict, when it keeps one)."""
    return {
        "clip": clip.name,
        "context": clip.context,
        "said": clip.intent,
        "heard": got,
        "text": getattr(result, "text", "") or (verdict.text if verdict else ""),
        "reason": verdict.reason if verdict else None,
        "scores": dict(verdict.scores) if verdict else {},
    }


def run_streaming(
    recognizer: Recognizer, clip: Clip, audio: npt.NDArray[np.int16]
) -> tuple[Result, float]:
    """Feed 20 ms chunks as fast as they are taken; return (result, compute s)."""
    recognizer.reset()
    recognizer.set_context(clip.context)
    results: list[Result] = []
    began = time.perf_counter()
    for start in range(0, audio.size, CHUNK):
        results.extend(recognizer.accept(audio[start : start + CHUNK], start // 16))
    results.extend(recognizer.flush())
    return pick(results), time.perf_counter() - began


def paced_latency(recognizer: Recognizer, clip: Clip, audio: npt.NDArray[np.int16]) -> float | None:
    """Feed 20 ms chunks in real time, each when a microphone would deliver it, and
    return the milliseconds from the end of speech to the right intent (None: none).
    The recognizer may work in the background while the audio comes in (the
    PocketSphinx one starts decoding in the quiet after the speech), which only a
    real-time feed measures."""
    assert clip.speech_end_ms is not None
    # A quiet room goes on after the clip (a second of the fixtures' own dither), as
    # a microphone's would: a reverberant clip ends before its tail has died away.
    room = np.round(dither(16000, "paced-latency", FIXTURE_DITHER_RMS)).astype(np.int16)
    audio = np.concatenate([audio, room])
    recognizer.reset()
    recognizer.set_context(clip.context)
    began = time.perf_counter()
    for start in range(0, audio.size, CHUNK):
        delay = began + (start + CHUNK) / 16000 - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        got = recognizer.accept(audio[start : start + CHUNK], start // 16)
        heard = [result for result in got if isinstance(result, Heard)]
        if heard:  # the answer's latency; a wrong intent has none
            if heard[0].intent != clip.intent:
                return None
            return (time.perf_counter() - began) * 1000 - clip.speech_end_ms
    return None


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def clips_under(clips: list[Clip], condition: str) -> Iterator[tuple[Clip, npt.NDArray[np.int16]]]:
    """Clips under one condition, mixed one at a time (deterministic)."""
    for index, clip in enumerate(clips):
        yield clip, (clip.audio if condition == REAL else mix(clip, condition, index))


_RSS_PROBE = """
import json, resource, sys
from assistant.asr.protocol import decode_clip
from assistant.asr.registry import create_recognizer
from assistant.bench.fixtures import read_manifest
from assistant.audioio import read_audio
from assistant.events import CONTEXTS
from assistant.paths import fixtures_dir
recognizer = create_recognizer(sys.argv[1], json.loads(sys.argv[2]))
for row in read_manifest()[::40]:
    audio = read_audio(fixtures_dir() / row.file)
    for context in CONTEXTS:
        decode_clip(recognizer, audio, context)
# VmHWM, not ru_maxrss: that one survives exec, so it would report the forking
# bench process's own peak.
with open("/proc/self/status", encoding="ascii") as status:
    peak = [line.split()[1] for line in status if line.startswith("VmHWM:")]
print(int(peak[0]) / 1024 if peak else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def recognizer_peak_rss_mb(engine: str, options: Mapping[str, Any]) -> float | None:
    """Peak RSS of a process that only loads the recognizer and decodes fixture clips
    in every context (the bench process itself also holds all the clips)."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", _RSS_PROBE, engine, json.dumps(options, default=str)],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        return round(float(done.stdout.strip().splitlines()[-1]), 1)
    except (ValueError, IndexError):
        return None


def measure_sets(
    recognizer: Recognizer,
    sets: list[tuple[str, list[Clip]]],
    latency_clips: int,
    progress: Callable[[str], None],
    failures: bool = False,
) -> dict[str, dict[str, object]]:
    """Every set through one recognizer: streamed as fast as taken, then a spread of
    phrase clips in real time for the latency.  ``failures``: each set's clips heard
    wrong or asked again are listed (and reported) with the rule that decided."""
    rows: dict[str, dict[str, object]] = {}
    keeps = hasattr(recognizer, "last_verdict")  # the engine's verdict on each clip
    for name, chosen in sets:
        tally = Tally()
        for clip, audio in clips_under(chosen, name):
            if keeps:  # a clip with no utterance decoded is not the clip before it
                setattr(recognizer, "last_verdict", None)  # noqa: B010 - not in the protocol
            result, compute = run_streaming(recognizer, clip, audio)
            verdict = getattr(recognizer, "last_verdict", None)
            if keeps and verdict is None:
                verdict = Verdict(None, "no utterance decoded")
            tally.add(clip, result, compute, verdict if isinstance(verdict, Verdict) else None)
        timed = [
            (index, clip)
            for index, clip in enumerate(chosen)
            if clip.kind == "phrase" and clip.speech_end_ms is not None
        ]
        for index, clip in timed[:: max(1, len(timed) // latency_clips)] if latency_clips else []:
            audio = clip.audio if name == REAL else mix(clip, name, index)
            latency = paced_latency(recognizer, clip, audio)
            if latency is not None:
                tally.latencies_ms.append(latency)
        rows[name] = tally.summary()
        progress(f"{recognizer.name} {name}: {rows[name]}")
        if failures:
            rows[name]["failures"] = tally.failures
            for f in tally.failures:
                progress(
                    f"  {name}: {f['clip']} ({f['context']}) said {f['said']}, heard "
                    f"{f['heard']} {f['text']!r}: {f['reason']} {f['scores']}"
                )
    return rows
