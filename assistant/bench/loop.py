"""``backcoach bench loop``: the voice loop through real audio devices.

A private PulseAudio gives a virtual microphone and speaker; sounddevice, PocketSphinx,
the voice (``--voice``: Piper or espeak-ng) and the runtime loop are the real ones.
Recorded answers are played into the microphone.  Times are the runtime's clock, with
PortAudio's estimates of when a sample left the microphone (ADC) and reached the speaker.

* reply: end of the user's speech → first audio of the coach's reply;
* barge-in: end of the word "stop" → playback stopped;
* hold: a countdown on the real clock, each number's first audio against its deadline;
* idle CPU: process CPU time / wall time while listening to a quiet room;
* first word: ``backcoach run`` launched → first sound on the speaker;
* peak RSS of ``backcoach run``.

This module is the command (parts, targets, table); the measurements live in
``loop_turns`` (reply, barge-in) and ``loop_timing`` (hold, idle, start-up), on the
shared session of ``loop_session``.
"""

from __future__ import annotations

import argparse
import os
import resource
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
from rich.console import Console

from ..config import Settings
from . import add_bench_parser, emit
from .loop_startup import PREPARE_MODES, bench_startup
from .loop_timing import bench_hold, bench_idle
from .loop_turns import bench_barge_in, bench_replies
from .pulse import PulseAudio

__all__ = ["register", "run_bench", "TARGETS"]

# Its own consoles: a bench is tooling and does not import the CLI layer.
console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

#: name → (limit, unit); a figure passes when it is at or under its limit.
TARGETS: dict[str, tuple[float, str]] = {
    "reply_p50_ms": (250, "ms"),
    "reply_p95_ms": (400, "ms"),
    "barge_in_p50_ms": (150, "ms"),
    "barge_in_p95_ms": (250, "ms"),
    "hold_error_max_ms": (50, "ms"),
    "hold_drift_ms": (50, "ms"),
    "hold_recorded_jitter_max_ms": (50, "ms"),
    "hold_recorded_drift_ms": (50, "ms"),
    "idle_cpu_percent": (15, "%"),
    "first_word_s": (1.5, "s"),
    "peak_rss_mb": (350, "MB"),
    "peak_rss_cached_mb": (350, "MB"),
    "peak_rss_together_mb": (350, "MB"),
    # after ``backcoach voice prepare`` (as ``make run`` does): the first start
    "first_word_first_start_prepared_s": (1.5, "s"),
    "peak_pss_together_prepared_mb": (350, "MB"),
}

# ----------------------------------------------------------------------- CLI


#: The parts of the benchmark, in the order they run (``--only`` picks some).
PARTS = ("startup", "idle", "reply", "barge-in", "hold")


def run_bench(
    replies: int,
    barge_ins: int,
    hold_s: int,
    idle_s: float,
    only: Sequence[str] = PARTS,
    voice: str = "piper",
    engine: str = "auto",
    barge_in_engine: str = "auto",
    prepare: str = "all",
) -> dict[str, Any]:
    import tempfile

    devices = {"input_device": "pulse", "output_device": "pulse"}
    # the engine ``backcoach run`` uses (its default, ``auto``: Whisper when installed),
    # so the in-process turns are timed with the recognizer the start-up runs load
    settings = Settings(engine=engine, voice=voice, **devices)
    results: dict[str, Any] = {"engine": engine, "voice": voice}
    # patch.dict puts the process's environment back as it was after the block
    with (
        tempfile.TemporaryDirectory(prefix="backcoach-bench-") as home,
        PulseAudio() as pulse,
        mock.patch.dict(os.environ, {**pulse.env, "BACKCOACH_HOME": home}),
    ):
        if "startup" in only:
            results.update(bench_startup(pulse, Path(home), voice, engine, prepare=prepare))
        if "idle" in only:
            results.update(bench_idle(pulse, settings, idle_s))
        if "reply" in only and replies:
            results.update(bench_replies(pulse, settings, replies))
        if "barge-in" in only and barge_ins:
            # the spotter beside the product's engine (with Whisper, its second opinion)
            barge_settings = settings.model_copy(update={"engine": barge_in_engine})
            results.update(bench_barge_in(pulse, barge_settings, barge_ins))
        if "hold" in only and hold_s:
            results.update(bench_hold(pulse, settings, hold_s))
    results["bench_peak_rss_mb"] = round(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
    )
    results["targets"] = {
        name: {"limit": limit, "unit": unit, "met": _met(results.get(name), limit)}
        for name, (limit, unit) in TARGETS.items()
    }
    return results


def _met(value: Any, limit: float) -> bool | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return bool(abs(value) <= limit)


def _print(results: dict[str, Any]) -> None:
    from rich.table import Table

    table = Table(title="backcoach bench loop (real devices: PulseAudio null sinks)")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_column("target", justify="right")
    table.add_column("met")
    for name, value in results.items():
        if name == "targets":
            continue
        target = results["targets"].get(name)
        limit = f"≤ {target['limit']:g} {target['unit']}" if target else ""
        met = {True: "yes", False: "NO", None: "?"}[target["met"]] if target else ""
        table.add_row(name, str(value), limit, met)
    console.print(table)


def _run(args: argparse.Namespace) -> int:
    from .pulse import pulse_available

    problem = pulse_available()
    if problem:
        err_console.print(f"backcoach bench loop: {problem}")
        return 2
    only = tuple(args.only.split(",")) if args.only else PARTS
    unknown = sorted(set(only) - set(PARTS))
    if unknown:
        err_console.print(
            f"backcoach bench loop: unknown part {', '.join(unknown)} (of {', '.join(PARTS)})"
        )
        return 2
    results = run_bench(
        args.replies,
        args.barge_ins,
        int(args.hold_minutes * 60),
        args.idle_s,
        only,
        args.voice,
        args.engine,
        args.barge_in_engine,
        args.startup_prepare,
    )
    return emit(results, args.json, _print)


def register(subparsers: Any, summary: str) -> None:
    parser = add_bench_parser(subparsers, "loop", summary)
    parser.add_argument("--voice", default="piper", help="coach's voice (en-us: espeak-ng)")
    parser.add_argument(
        "--engine",
        default="auto",
        help="recognizer for the timed turns (default: auto, as 'backcoach run')",
    )
    parser.add_argument("--replies", type=int, default=30, help="answers to time (default 30)")
    parser.add_argument("--barge-ins", type=int, default=10, help="'stop's to time (default 10)")
    parser.add_argument(
        "--barge-in-engine",
        default="auto",
        help="engine beside the barge-in spotter (whisper: with its second opinion; "
        "pocketsphinx: the spotter alone; default auto)",
    )
    parser.add_argument(
        "--hold-minutes", type=float, default=10.0, help="length of the timed hold (default 10)"
    )
    parser.add_argument(
        "--idle-s", type=float, default=20.0, help="seconds of quiet listening for CPU (default 20)"
    )
    parser.add_argument(
        "--startup-prepare",
        choices=PREPARE_MODES,
        default="all",
        help="start-up: also time starts after 'backcoach voice prepare' (all, as "
        "'make run'; opening: only the lines before the first exercise; none)",
    )
    parser.add_argument(
        "--only",
        metavar="PARTS",
        help=f"comma-separated parts to run (of {','.join(PARTS)}; default all)",
    )
    parser.set_defaults(func=_run)
