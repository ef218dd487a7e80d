"""``backcoach bench spotter``: how well the barge-in spotter catches "stop", "pause"
and "ouch", and how often it cuts the coach off for nothing.

* catches: the real recorded "stop"s of ``../shared/speech`` (Speech Commands and
  AN4) and the fixture barge-in phrases, per voice;
* false fires, as fires per hour of audio: the coach's own lines rendered by both
  voices (Piper and espeak-ng) and heard back through a reverberant room, before and
  after the runtime's rule that ignores a barge-in word the line being played
  says; room noise; other answers (fixtures and real speakers); other speech;
* latency: end of the word → the spotter's result on the audio's own timeline
  (20 ms blocks, as the microphone gives them), and the compute time of the block
  that decided (where Whisper's second opinion costs).

Each clip is fed in real-time order after 300 ms of room tone, as ``tests/test_spotter``
does.  ``--spotters pocketsphinx,whisper`` runs the old and the new side by side.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from rich.console import Console

from ..asr.spotter import BargeInSpotter
from ..audioio import dither, read_audio
from ..events import Heard
from ..paths import fixtures_dir, package_root
from ..vocab import BARGE_IN_INTENTS
from . import add_bench_parser, emit
from .asr_clips import Clip, _room_noise, mix, real_speaker_clips
from .fixtures import read_manifest
from .loop_session import percentile

# Its own consoles: a bench is tooling and does not import the CLI layer.
console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

__all__ = ["SPOTTERS", "coach_lines", "feed", "make_spotter", "run_bench", "register"]

BLOCK = 320  # 20 ms, as the microphone delivers them
LEAD_MS = 300
SPOTTERS = ("pocketsphinx", "whisper")


@dataclass
class Fire:
    intent: str
    text: str
    decided_ms: int  # clip time of the end of the block that gave it
    compute_ms: float  # wall time of that block's ``accept``


@dataclass
class Piece:
    name: str
    audio: npt.NDArray[np.int16]
    intent: str | None = None  # the barge-in intent said, None: none
    speech_end_ms: int | None = None
    line: str = ""  # the coach's line it is a rendering of


@dataclass
class Tally:
    clips: int = 0
    caught: int = 0
    audio_s: float = 0.0
    fires: int = 0
    echo_fires: int = 0  # fires the runtime ignores (the line says the word)
    compute_s: float = 0.0  # all of the spotter's time on the set
    late_ms: list[float] = field(default_factory=list)  # word end → result (audio time)
    block_ms: list[float] = field(default_factory=list)  # compute of the deciding block
    missed: list[str] = field(default_factory=list)
    fired: list[str] = field(default_factory=list)


def make_spotter(kind: str) -> BargeInSpotter:
    """``pocketsphinx`` (the spotter alone) or ``whisper`` (with Whisper's second
    opinion, the model found as the ``whisper`` engine finds it)."""
    check = None
    if kind == "whisper":
        from ..asr import whisper_engine
        from ..asr.spotter_check import WhisperCheck

        check = WhisperCheck(Path(str(whisper_engine.locate({}).model)))
    elif kind != "pocketsphinx":
        raise ValueError(f"unknown spotter {kind!r} (of {', '.join(SPOTTERS)})")
    spotter = BargeInSpotter(BARGE_IN_INTENTS, check=check)
    spotter.set_context("command")
    return spotter


def feed(spotter: BargeInSpotter, clip: npt.NDArray[np.int16], seed: int = 5) -> list[Fire]:
    """``clip`` after ``LEAD_MS`` of room tone, with a second of it after, in 20 ms
    blocks: each barge-in with the clip time of the block that gave it."""
    room = dither(16000 + LEAD_MS * 16, seed=seed)
    audio = np.concatenate([room[: LEAD_MS * 16], clip, room[LEAD_MS * 16 :]]).astype(np.int16)
    spotter.reset()
    fires = []
    for start in range(0, audio.size, BLOCK):
        began = time.perf_counter()
        results = spotter.accept(audio[start : start + BLOCK], start // 16)
        spent = (time.perf_counter() - began) * 1000
        for result in results:
            if isinstance(result, Heard):
                decided = (start + BLOCK) // 16 - LEAD_MS
                fires.append(Fire(result.intent, result.text, decided, spent))
    return fires


def _speech_end_ms(audio: npt.NDArray[np.int16]) -> int:
    """End of the last 10 ms frame within 30 dB of the loudest (real recordings
    have no marked end)."""
    frames = audio[: audio.size // 160 * 160].astype(np.float64).reshape(-1, 160)
    energy = 10 * np.log10(np.mean(frames**2, axis=1) + 1.0)
    return int(np.nonzero(energy > energy.max() - 30.0)[0][-1] + 1) * 10


# ------------------------------------------------------------------ the clips


def catch_sets(speech: Path) -> dict[str, list[Piece]]:
    sets: dict[str, list[Piece]] = {}
    for clip in real_speaker_clips(speech):
        if clip.intent == "stop":
            source = clip.name.split("/")[0]
            piece = Piece(clip.name, clip.audio, "stop", _speech_end_ms(clip.audio))
            sets.setdefault(f"real stop: {source}", []).append(piece)
    for row in read_manifest():
        barge_in = row.intent in BARGE_IN_INTENTS and row.context == "command"
        if row.kind in ("phrase", "answer") and barge_in:
            audio = read_audio(fixtures_dir() / row.file)
            piece = Piece(row.file, audio, row.intent, row.speech_end_ms)
            sets.setdefault(f"fixtures: {row.voice}", []).append(piece)
    return sets


def coach_lines() -> list[str]:
    """Every line the coach says while the spotter listens (prompts, cached lines,
    the extension routine's instructions and counts)."""
    from ..dialog import prompts
    from ..dialog.routine import load_routines

    lines = [v for k, v in vars(prompts).items() if k.isupper() and isinstance(v, str)]
    lines += list(prompts.RED_FLAG_QUESTIONS)
    routine = load_routines()["extension"]
    lines += list(prompts.cached_lines([routine]))
    lines.remove(prompts.NO_RESPONSE_GOODBYE)  # said with End: nothing listens after
    for exercise in routine.exercises:
        lines += [exercise.position, *exercise.steps, *exercise.rep_cues]
        lines += [exercise.hold_cue, exercise.release_cue]
    return list(dict.fromkeys(line for line in lines if line))


def rendered_lines(voice: str, lines: Sequence[str]) -> tuple[list[Piece], str]:
    """``lines`` in ``voice`` (piper: en_US-joe-medium; else an espeak-ng voice) at
    16 kHz, heard in a reverberant room; and the voice really used (espeak-ng
    stands in for a missing Piper)."""
    import soxr

    from ..paths import cache_dir
    from ..tts.voices import open_synth

    synth: Any = open_synth(voice, 150, 1.0, cache_dir())
    pieces = []
    try:
        for index, line in enumerate(lines):
            audio = synth.synthesize(line, cacheable=True)
            samples = soxr.resample(audio.samples, audio.sample_rate, 16000)
            samples = np.clip(samples, -32768, 32767).astype(np.int16)
            clip = Clip(line, "line", "command", None, samples, None)
            heard = mix(clip, "reverb", index).astype(np.int32) + dither(samples.size, seed=index)
            pieces.append(Piece(line, np.clip(heard, -32768, 32767).astype(np.int16), line=line))
    finally:
        synth.close()
    return pieces, str(getattr(synth, "voice", voice))


def false_sets(speech: Path, voices: Sequence[str], every: int) -> dict[str, list[Piece]]:
    lines = coach_lines()
    sets = {}
    for voice in voices:
        pieces, used = rendered_lines(voice, lines)
        sets[f"coach's lines: {used}"] = pieces
    rows = read_manifest()
    others = [
        r for r in rows if r.kind in ("phrase", "answer") and r.intent not in BARGE_IN_INTENTS
    ]
    sets["other answers: fixtures"] = [
        Piece(r.file, read_audio(fixtures_dir() / r.file)) for r in others[::every]
    ]
    real = [c for c in real_speaker_clips(speech) if c.intent != "stop"]
    sets["other words: real speakers"] = [Piece(c.name, c.audio) for c in real[::every]]
    sets["other speech: fixtures (oov)"] = [
        Piece(r.file, read_audio(fixtures_dir() / r.file)) for r in rows if r.kind == "oov"
    ]
    noise = [Piece(r.file, read_audio(fixtures_dir() / r.file)) for r in rows if r.kind == "noise"]
    sets["room noise"] = noise + _room(120)
    return sets


def _room(seconds: int) -> list[Piece]:
    """A room's pink noise, 10 s at a time: quiet (-45 dBFS) and louder (-30 dBFS)."""
    pieces = []
    for index in range(seconds // 10):
        level = 32768 * 10 ** ((-45 if index % 2 else -30) / 20)
        noise = _room_noise(160000, 100 + index) * level
        pieces.append(Piece(f"room noise {index}", np.round(noise).astype(np.int16)))
    return pieces


# ---------------------------------------------------------------- measuring


def measure(spotter: BargeInSpotter, pieces: Iterable[Piece], catching: bool) -> Tally:
    from ..runtime.bargein import said_by_coach

    tally = Tally()
    for index, piece in enumerate(pieces):
        began = time.perf_counter()
        fires = feed(spotter, piece.audio, seed=index)
        tally.compute_s += time.perf_counter() - began
        tally.clips += 1
        tally.audio_s += piece.audio.size / 16000
        right = [f for f in fires if catching and f.intent == piece.intent]
        if right:
            tally.caught += 1
            if piece.speech_end_ms is not None:
                tally.late_ms.append(right[0].decided_ms - piece.speech_end_ms)
            tally.block_ms.append(right[0].compute_ms)
        elif catching:
            verdict = spotter.last_verdict
            tally.missed.append(f"{piece.name}: {verdict.reason} ({verdict.text})")
        for fire in fires:
            if catching and fire.intent == piece.intent:
                continue
            if piece.line and said_by_coach(Heard(fire.intent, fire.text, 1.0, 0, 0), piece.line):
                tally.echo_fires += 1
            else:
                tally.fires += 1
                tally.fired.append(f"{piece.name[-60:]}: {fire.text}")
    return tally


def _figures(tally: Tally, catching: bool) -> dict[str, Any]:
    hours = tally.audio_s / 3600
    figures: dict[str, Any] = {"clips": tally.clips, "audio_s": round(tally.audio_s, 1)}
    if catching:
        figures["caught"] = tally.caught
        figures["caught_pct"] = round(100 * tally.caught / max(1, tally.clips), 1)
        figures["missed"] = tally.missed
    figures["fires"] = tally.fires
    figures["fires_per_hour"] = round(tally.fires / hours, 1) if hours else None
    if tally.echo_fires:
        figures["echo_fires_ignored"] = tally.echo_fires
    figures["fired"] = tally.fired
    figures["rtf"] = round(tally.compute_s / max(tally.audio_s, 1e-9), 3)
    return figures


def _summary(sets: dict[str, Tally]) -> dict[str, Any]:
    real = [t for name, t in sets.items() if name.startswith("real stop")]
    fixtures = [t for name, t in sets.items() if name.startswith("fixtures")]
    late = [ms for t in [*real, *fixtures] for ms in t.late_ms]
    blocks = [ms for t in [*real, *fixtures] for ms in t.block_ms]
    return {
        "real_stops": f"{sum(t.caught for t in real)} / {sum(t.clips for t in real)}",
        "real_stops_pct": round(
            100 * sum(t.caught for t in real) / max(1, sum(t.clips for t in real)), 1
        ),
        "fixture_phrases": f"{sum(t.caught for t in fixtures)} / {sum(t.clips for t in fixtures)}",
        "word_end_to_result_p50_ms": round(percentile(late, 50)),
        "word_end_to_result_p95_ms": round(percentile(late, 95)),
        "deciding_block_compute_p50_ms": round(percentile(blocks, 50), 1),
        "deciding_block_compute_p95_ms": round(percentile(blocks, 95), 1),
    }


def run_bench(
    spotters: Sequence[str],
    speech: Path,
    voices: Sequence[str],
    every: int,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    catches = catch_sets(speech)
    progress(f"rendering the coach's lines ({', '.join(voices)})")
    falses = false_sets(speech, voices, every)
    results: dict[str, Any] = {}
    for kind in spotters:
        spotter = make_spotter(kind)
        tallies: dict[str, Tally] = {}
        for name, pieces in [*catches.items(), *falses.items()]:
            progress(f"{kind}: {name}")
            tallies[name] = measure(spotter, pieces, name in catches)
        results[kind] = {
            "summary": _summary(tallies),
            "sets": {n: _figures(t, n in catches) for n, t in tallies.items()},
        }
    return results


# ----------------------------------------------------------------------- CLI


def _cell(figures: dict[str, Any]) -> str:
    if "caught" in figures:
        cell = f"{figures['caught']}/{figures['clips']} caught ({figures['caught_pct']:g} %)"
        return cell + (f", {figures['fires']} wrong" if figures["fires"] else "")
    cell = f"{figures['fires']} fires in {figures['audio_s']:g} s = {figures['fires_per_hour']}/h"
    if figures.get("echo_fires_ignored"):
        cell += f" (+{figures['echo_fires_ignored']} the runtime ignores)"
    return cell


def _print(results: dict[str, Any]) -> None:
    from rich.table import Table

    kinds = list(results)
    table = Table(title="backcoach bench spotter (barge-in: catches, false fires, latency)")
    table.add_column("set")
    for kind in kinds:
        table.add_column(kind, justify="right")
    for name in results[kinds[0]]["sets"]:
        table.add_row(name, *(_cell(results[k]["sets"][name]) for k in kinds))
    for name in results[kinds[0]]["summary"]:
        table.add_row(name, *(str(results[k]["summary"][name]) for k in kinds))
    console.print(table)
    for kind in kinds:
        for name, figures in results[kind]["sets"].items():
            for what in figures.get("missed", [])[:12]:
                console.print(f"{kind} missed ({name}): {what}")
            for what in figures["fired"][:12]:
                console.print(f"{kind} fired ({name}): {what}")


def _run(args: argparse.Namespace) -> int:
    spotters = tuple(args.spotters.split(","))
    unknown = sorted(set(spotters) - set(SPOTTERS))
    if unknown:
        err_console.print(
            f"backcoach bench spotter: unknown spotter {', '.join(unknown)} "
            f"(of {', '.join(SPOTTERS)})"
        )
        return 2
    if not args.speech_dir.is_dir():
        err_console.print(
            f"backcoach bench spotter: no real recordings at {args.speech_dir} "
            "(only the fixtures are measured); pass --speech-dir DIR to add them"
        )
    progress = (lambda _: None) if args.json else (lambda text: err_console.print(text))
    voices = tuple(args.voices.split(","))
    results = run_bench(spotters, args.speech_dir, voices, args.every, progress)
    return emit(results, args.json, _print)


def register(subparsers: Any, summary: str) -> None:
    parser = add_bench_parser(subparsers, "spotter", summary)
    parser.add_argument(
        "--spotters",
        default=",".join(SPOTTERS),
        help="comma-separated: pocketsphinx (alone), whisper (with Whisper's second opinion)",
    )
    parser.add_argument(
        "--voices", default="piper,en-us", help="voices of the coach's lines (default piper,en-us)"
    )
    parser.add_argument(
        "--every", type=int, default=2, help="every Nth other-answer clip (default 2)"
    )
    parser.add_argument(
        "--speech-dir",
        type=Path,
        default=package_root().parent / "shared" / "speech",
        help="real recordings (default ../shared/speech)",
    )
    parser.set_defaults(func=_run)
