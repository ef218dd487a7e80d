"""``backcoach bench asr``: recognition accuracy, rejection, speed, latency and memory.

Clips: the committed fixtures (every phrase in every voice, out-of-vocabulary
phrases, noise-only clips) under six conditions (clean; room noise at 20, 10, 5
and 0 dB SNR; a reverberant room), and real speakers from ``../shared/speech``
when that folder exists.  The coach's recognizer is fed 20 ms chunks as a
microphone would (as fast as it takes them for accuracy and speed; in real time,
on a spread of phrase clips, for the latency after the end of speech); the two
baselines decode the same clips whole.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ..asr.protocol import Recognizer, Result, pick
from ..asr.registry import add_option_flags, create_recognizer, engine_choices, option_keys
from ..audioio import FIXTURE_DITHER_RMS, dither, read_audio
from ..errors import AssistantError
from ..events import Heard
from ..paths import fixtures_dir, package_root
from .fixtures import read_manifest

__all__ = ["register", "CONDITIONS", "real_speaker_clips", "mix"]

CONDITIONS = ("clean", "snr20", "snr10", "snr5", "snr0", "reverb")
REJECT_CONTEXTS = ("symptom", "yes-no", "number", "command")
CHUNK = 320  # 20 ms
REAL = "real-speakers"
NOMINAL_SPEECH_DBFS = -20.0

#: Real-speaker words: folder name -> (context, intent).
REAL_WORDS: dict[str, tuple[str, str]] = {
    "yes": ("yes-no", "yes"),
    "no": ("yes-no", "no"),
    "stop": ("command", "stop"),
    "go": ("command", "resume"),
    "repeat": ("command", "repeat"),
    "help": ("command", "help"),
    **{
        word: ("number", str(n))
        for n, word in enumerate(
            ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
        )
    },
}


@dataclass
class Clip:
    name: str
    kind: str  # phrase | oov | noise | real
    context: str
    intent: str | None
    audio: npt.NDArray[np.int16]
    speech_end_ms: int | None  # None: unknown


@dataclass
class Tally:
    phrases: int = 0
    correct: int = 0
    oov: int = 0
    oov_rejected: int = 0
    noise: int = 0
    noise_rejected: int = 0
    better_worse: int = 0
    wrong: int = 0
    by_context: dict[str, list[int]] = field(default_factory=dict)
    compute_s: float = 0.0
    audio_s: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)

    def add(self, clip: Clip, result: Result, compute_s: float) -> None:
        got = result.intent if isinstance(result, Heard) else None
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
        else:
            self.noise += 1
            self.noise_rejected += got is None

    def summary(self) -> dict[str, object]:
        def pct(a: int, b: int) -> float | None:
            return round(100.0 * a / b, 1) if b else None

        lat = self.latencies_ms
        return {
            "clips": self.phrases + self.oov + self.noise,
            "accuracy_pct": pct(self.correct, self.phrases),
            "wrong_intents": self.wrong,
            "by_context": {c: pct(a, b) for c, (a, b) in sorted(self.by_context.items())},
            "oov_rejection_pct": pct(self.oov_rejected, self.oov),
            "noise_rejection_pct": pct(self.noise_rejected, self.noise),
            "better_worse_confusions": self.better_worse,
            "rtf": round(self.compute_s / self.audio_s, 4) if self.audio_s else None,
            "latency_p50_ms": round(float(np.percentile(lat, 50))) if lat else None,
            "latency_p95_ms": round(float(np.percentile(lat, 95))) if lat else None,
        }


# ----------------------------------------------------------------- conditions


def _room_noise(n: int, seed: int) -> npt.NDArray[np.float64]:
    """Pink-ish noise (1/f power), deterministic per clip."""
    rng = np.random.default_rng(seed)
    spectrum = np.fft.rfft(rng.normal(0, 1, n))
    freqs = np.fft.rfftfreq(n, 1 / 16000)
    spectrum /= np.sqrt(np.maximum(freqs, 50.0))
    noise = np.fft.irfft(spectrum, n)
    return noise / (np.sqrt(np.mean(noise**2)) or 1.0)


def _room_impulse(seed: int, rt60_s: float = 0.5) -> npt.NDArray[np.float64]:
    rng = np.random.default_rng(seed)
    n = int(rt60_s * 16000)
    t = np.arange(n) / 16000
    tail = rng.normal(0, 1, n) * np.exp(-6.9 * t / rt60_s) * 0.25
    tail[: int(0.005 * 16000)] = 0  # early gap before reflections
    tail[0] = 1.0
    return tail


def mix(clip: Clip, condition: str, seed: int) -> npt.NDArray[np.int16]:
    """The clip under ``condition`` (clean | snrN | reverb)."""
    audio = clip.audio.astype(np.float64)
    if condition == "clean":
        return clip.audio
    if condition == "reverb":
        wet = np.convolve(audio, _room_impulse(seed))[: audio.size]
        wet *= np.sqrt(np.mean(audio**2) / (np.mean(wet**2) or 1.0))
        return np.clip(np.round(wet), -32768, 32767).astype(np.int16)
    snr_db = float(condition.removeprefix("snr"))
    if clip.kind in ("phrase", "oov") and clip.speech_end_ms:
        speech = audio[int(0.25 * 16000) : clip.speech_end_ms * 16]
        power = float(np.mean(speech**2))
    else:
        power = (32768 * 10 ** (NOMINAL_SPEECH_DBFS / 20)) ** 2
    noise = _room_noise(audio.size, seed) * float(np.sqrt(power / 10 ** (snr_db / 10)))
    noisy: npt.NDArray[np.int16] = np.clip(np.round(audio + noise), -32768, 32767).astype(np.int16)
    return noisy


# ---------------------------------------------------------------------- clips


def fixture_clips(every: int) -> list[Clip]:
    clips = []
    rows = [r for r in read_manifest() if r.kind in ("phrase", "oov", "noise")]
    for index, row in enumerate(rows[::every]):
        context = row.context or REJECT_CONTEXTS[index % len(REJECT_CONTEXTS)]
        clips.append(
            Clip(
                name=row.file,
                kind=row.kind,
                context=context,
                intent=row.intent or None,
                audio=read_audio(fixtures_dir() / row.file),
                speech_end_ms=row.speech_end_ms or None,
            )
        )
    return clips


def real_speaker_clips(folder: Path) -> list[Clip]:
    """Real recordings under ``folder`` (../shared/speech); empty when absent."""
    if not folder.is_dir():
        return []
    rng = np.random.default_rng(7)
    clips = []
    for path in sorted(folder.rglob("*")):
        if path.suffix not in (".wav", ".sph") or path.parent.name not in REAL_WORDS:
            continue
        context, intent = REAL_WORDS[path.parent.name]
        try:
            audio = read_audio(path, max_s=10.0).astype(np.float64)  # a word: 10 s at most
        except AssistantError:
            continue
        # 0.3 s of room tone either side (the recordings start and stop at the word)
        # and the same low-level dither over them as in the generated fixtures.
        padded = np.concatenate([np.zeros(4800), audio, np.zeros(4800)])
        padded += rng.normal(0, 6, padded.size)
        samples = np.clip(np.round(padded), -32768, 32767).astype(np.int16)
        name = str(path.relative_to(folder))
        clips.append(Clip(name, "real", context, intent, samples, None))
    return clips


# -------------------------------------------------------------------- running


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


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _items(clips: list[Clip], condition: str) -> Iterator[tuple[Clip, npt.NDArray[np.int16]]]:
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


def _measure(
    recognizer: Recognizer,
    sets: list[tuple[str, list[Clip]]],
    latency_clips: int,
    progress: Callable[[str], None],
) -> dict[str, dict[str, object]]:
    """Every set through one recognizer: streamed as fast as taken, then a spread of
    phrase clips in real time for the latency."""
    rows: dict[str, dict[str, object]] = {}
    for name, chosen in sets:
        tally = Tally()
        for clip, audio in _items(chosen, name):
            result, compute = run_streaming(recognizer, clip, audio)
            tally.add(clip, result, compute)
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
    return rows


def run_bench(
    engine: str,
    options: Mapping[str, Any],
    every: int,
    condition_names: list[str],
    baselines: bool,
    speech_dir: Path,
    progress: Callable[[str], None],
    measure_rss: bool = True,
    latency_clips: int = 30,
) -> dict[str, object]:
    """``engine``: one name or several, comma-separated, run side by side on the
    same clips in one run."""
    clips = fixture_clips(every)
    real = real_speaker_clips(speech_dir)[::every]
    progress(f"{len(clips)} fixture clips x {len(condition_names)} conditions, {len(real)} real")
    sets = [(name, clips) for name in condition_names] + ([(REAL, real)] if real else [])
    table: dict[str, dict[str, dict[str, object]]] = {}
    engines: dict[str, dict[str, object]] = {}
    for name in [e for e in engine.split(",") if e]:
        began = time.perf_counter()
        recognizer = create_recognizer(name, options)
        recognizer.set_context("yes-no")  # a background load is finished here
        load_s = round(time.perf_counter() - began, 2)
        progress(f"recognizer: {recognizer.description} (loaded in {load_s} s)")
        table[recognizer.name] = _measure(recognizer, sets, latency_clips, progress)
        own_rss = recognizer_peak_rss_mb(name, options) if measure_rss else None
        engines[recognizer.name] = {
            "description": recognizer.description,
            "load_s": load_s,
            "peak_rss_mb": own_rss,
        }
        progress(f"{recognizer.name}: peak RSS of the recognizer alone {own_rss} MB")
    rss = _peak_rss_mb()
    if baselines:
        from .baselines import LanguageModelKeywords, PlainGrammar

        for baseline in (PlainGrammar(), LanguageModelKeywords()):
            for name, chosen in sets:
                tally = Tally()
                for clip, audio in _items(chosen, name):
                    began = time.perf_counter()
                    result = baseline.decode(audio, clip.context)
                    tally.add(clip, result, time.perf_counter() - began)
                table.setdefault(baseline.name, {})[name] = tally.summary()
                progress(f"{baseline.name} {name}: {tally.summary()}")
    return {
        "engines": engines,
        "fixture_clips": len(clips),
        "real_speaker_clips": len(real),
        "bench_process_peak_rss_mb": rss,
        "results": table,
    }


def _run(args: argparse.Namespace) -> int:
    names = [c for c in args.conditions.split(",") if c]
    unknown = [c for c in names if c not in CONDITIONS]
    if unknown:
        raise AssistantError(f"unknown condition {unknown[0]!r} (one of {', '.join(CONDITIONS)})")

    def progress(text: str) -> None:
        if not args.json:
            print(text, flush=True)

    report = run_bench(
        args.engine,
        {key: vars(args)[key] for key in option_keys()},
        max(1, args.every),
        names,
        not args.no_baselines,
        args.speech_dir,
        progress,
        latency_clips=max(0, args.latency_clips),
    )
    if args.json:
        print(json.dumps(report))
    else:
        from .asr_table import print_table

        print_table(report)
    return 0


_AUDIO_ENGINES = [e for e in engine_choices() if e != "text"]


def _engine_list(value: str) -> str:
    unknown = [e for e in value.split(",") if e not in _AUDIO_ENGINES]
    if unknown or not value:
        raise argparse.ArgumentTypeError(
            f"unknown engine {unknown[0] if unknown else value!r} "
            f"(one of {', '.join(_AUDIO_ENGINES)})"
        )
    return value


def register(subparsers: object, summary: str) -> None:
    add_parser = getattr(subparsers, "add_parser")  # noqa: B009
    parser: argparse.ArgumentParser = add_parser("asr", help=summary, description=summary)
    parser.add_argument(
        "--engine",
        default="pocketsphinx",
        type=_engine_list,
        help="an engine, or several side by side: " + ",".join(_AUDIO_ENGINES),
    )
    add_option_flags(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON report")
    parser.add_argument(
        "--every", type=int, default=1, help="use every Nth clip (quicker, rougher)"
    )
    parser.add_argument(
        "--conditions", default=",".join(CONDITIONS), help="comma-separated subset of conditions"
    )
    parser.add_argument("--no-baselines", action="store_true", help="skip the two baselines")
    parser.add_argument(
        "--latency-clips",
        type=int,
        default=30,
        help="phrase clips per condition fed in real time to time the result (default 30)",
    )
    parser.add_argument(
        "--speech-dir",
        type=Path,
        default=package_root().parent / "shared" / "speech",
        help="real-speaker recordings (skipped when absent)",
    )
    parser.set_defaults(func=_run)
