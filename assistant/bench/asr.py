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
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ..asr.base import Recognizer, Result, create_recognizer
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
            audio = read_audio(path).astype(np.float64)
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
    from ..asr.base import _pick

    recognizer.reset()
    recognizer.set_context(clip.context)
    results: list[Result] = []
    began = time.perf_counter()
    for start in range(0, audio.size, CHUNK):
        results.extend(recognizer.accept(audio[start : start + CHUNK], start // 16))
    results.extend(recognizer.flush())
    return _pick(results), time.perf_counter() - began


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
import resource, sys
from assistant.asr.base import create_recognizer, decode_clip
from assistant.bench.fixtures import read_manifest
from assistant.audioio import read_audio
from assistant.events import CONTEXTS
from assistant.paths import fixtures_dir
recognizer = create_recognizer(sys.argv[1], sys.argv[2] or None)
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


def recognizer_peak_rss_mb(engine: str, vosk_model: Path | None) -> float | None:
    """Peak RSS of a process that only loads the recognizer and decodes fixture clips
    in every context (the bench process itself also holds all the clips)."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", _RSS_PROBE, engine, str(vosk_model or "")],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        return round(float(done.stdout.strip().splitlines()[-1]), 1)
    except (ValueError, IndexError):
        return None


def run_bench(
    engine: str,
    vosk_model: Path | None,
    every: int,
    condition_names: list[str],
    baselines: bool,
    speech_dir: Path,
    progress: Callable[[str], None],
    measure_rss: bool = True,
    latency_clips: int = 30,
) -> dict[str, object]:
    clips = fixture_clips(every)
    real = real_speaker_clips(speech_dir)[::every]
    recognizer = create_recognizer(engine, vosk_model)
    progress(f"recognizer: {recognizer.description}")
    progress(f"{len(clips)} fixture clips x {len(condition_names)} conditions, {len(real)} real")
    table: dict[str, dict[str, object]] = {}
    sets = [(name, clips) for name in condition_names] + ([(REAL, real)] if real else [])
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
        table.setdefault(recognizer.name, {})[name] = tally.summary()
        progress(f"{recognizer.name} {name}: {tally.summary()}")
    rss = _peak_rss_mb()
    own_rss = recognizer_peak_rss_mb(engine, vosk_model) if measure_rss else None
    progress(f"peak RSS: bench process {rss} MB, recognizer alone {own_rss} MB")
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
        "engine": recognizer.description,
        "fixture_clips": len(clips),
        "real_speaker_clips": len(real),
        "peak_rss_mb": own_rss,
        "bench_process_peak_rss_mb": rss,
        "results": table,
    }


def _print_table(report: dict[str, object]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    console.print(f"engine: {report['engine']}")
    console.print(
        f"clips: {report['fixture_clips']} fixtures per condition, "
        f"{report['real_speaker_clips']} real-speaker; peak RSS "
        f"{report['peak_rss_mb']} MB (the recognizer in a process of its own; the bench "
        f"process, holding every clip, peaked at {report['bench_process_peak_rss_mb']} MB)"
    )
    columns = (
        ("accuracy_pct", "accuracy %"),
        ("oov_rejection_pct", "OOV rejected %"),
        ("noise_rejection_pct", "noise rejected %"),
        ("better_worse_confusions", "better<->worse"),
        ("rtf", "RTF"),
        ("latency_p50_ms", "latency p50 ms"),
        ("latency_p95_ms", "latency p95 ms"),
    )
    results = report["results"]
    assert isinstance(results, dict)
    for system, by_condition in results.items():
        table = Table(title=system)
        table.add_column("condition")
        for _key, title in columns:
            table.add_column(title, justify="right")
        for condition, row in by_condition.items():
            cells = ["-" if row[key] is None else str(row[key]) for key, _t in columns]
            table.add_row(condition, *cells)
        console.print(table)


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
        args.vosk_model,
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
        _print_table(report)
    return 0


def register(subparsers: object, summary: str) -> None:
    add_parser = getattr(subparsers, "add_parser")  # noqa: B009
    parser: argparse.ArgumentParser = add_parser("asr", help=summary, description=summary)
    parser.add_argument(
        "--engine", default="pocketsphinx", choices=["pocketsphinx", "vosk", "auto"]
    )
    parser.add_argument("--vosk-model", type=Path, help="folder of an unpacked Vosk model")
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
