"""``backcoach bench asr``: recognition accuracy, rejection, speed, latency and memory.

Clips: the committed fixtures (every phrase in every voice, out-of-vocabulary
phrases, noise-only clips) under six conditions (clean; room noise at 20, 10, 5
and 0 dB SNR; a reverberant room), and real speakers from ``../shared/speech``
when that folder exists.  The coach's recognizer is fed 20 ms chunks as a
microphone would (as fast as it takes them for accuracy and speed; in real time,
on a spread of phrase clips, for the latency after the end of speech); the two
baselines decode the same clips whole.

This module is the command and the run over engines and baselines; the clips and
conditions are in ``asr_clips``, the streaming and tallying in ``asr_measure``,
the table in ``asr_table``.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..asr.registry import add_option_flags, create_recognizer, engine_choices, option_keys
from ..errors import AssistantError
from ..paths import package_root
from .asr_clips import CONDITIONS, REAL, Clip, fixture_clips, mix, real_speaker_clips
from .asr_measure import Tally, clips_under, measure_sets, peak_rss_mb, recognizer_peak_rss_mb

# Clip and mix are re-exported: tests and other benches import them from here.
__all__ = ["register", "CONDITIONS", "Clip", "real_speaker_clips", "mix"]


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
    failures: bool = False,
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
        table[recognizer.name] = measure_sets(recognizer, sets, latency_clips, progress, failures)
        own_rss = recognizer_peak_rss_mb(name, options) if measure_rss else None
        engines[recognizer.name] = {
            "description": recognizer.description,
            "load_s": load_s,
            "peak_rss_mb": own_rss,
        }
        progress(f"{recognizer.name}: peak RSS of the recognizer alone {own_rss} MB")
    rss = peak_rss_mb()
    if baselines:
        from .baselines import LanguageModelKeywords, PlainGrammar

        for baseline in (PlainGrammar(), LanguageModelKeywords()):
            for name, chosen in sets:
                tally = Tally()
                for clip, audio in clips_under(chosen, name):
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
        failures=args.failures,
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
        "--failures",
        action="store_true",
        help="list every clip heard wrong or asked again, with the rule that decided",
    )
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
