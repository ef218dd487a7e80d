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
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from rich.console import Console

from ..asr.spotter import BargeInSpotter
from ..audio.source import Frame
from ..config import Settings
from ..events import Heard, Listen, Say, SpeechFinished
from ..vocab import Context
from .engine import BenchEngine
from .pulse import PulseAudio

__all__ = ["register", "run_bench", "TARGETS"]

# Its own consoles: a bench is tooling and does not import the CLI layer.
console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

#: name → (limit, unit); a figure passes when it is at or under its limit.
TARGETS: dict[str, tuple[float, str]] = {
    "reply_p50_ms": (300, "ms"),
    "reply_p95_ms": (500, "ms"),
    "barge_in_p50_ms": (300, "ms"),
    "barge_in_p95_ms": (300, "ms"),
    "hold_error_max_ms": (50, "ms"),
    "hold_drift_ms": (50, "ms"),
    "hold_recorded_jitter_max_ms": (50, "ms"),
    "hold_recorded_drift_ms": (50, "ms"),
    "idle_cpu_percent": (15, "%"),
    "first_word_s": (1.5, "s"),
}

ANSWERS = (
    "answers/better_en-us.wav",
    "answers/worse_en-gb.wav",
    "answers/about-the-same_en-us.wav",
    "answers/better_en-gb.wav",
    "answers/worse_en-us.wav",
    "answers/same_en-gb.wav",
)
RUN_COMMAND = (sys.executable, "-m", "assistant", "run", "--quiet", "--input-device=pulse")
LOUD = 300  # int16 RMS of a 20 ms frame that counts as speech (noise floor is ~10)


# ----------------------------------------------------------------- measuring


class Tap:
    """Wraps the microphone: keeps (timestamp, RMS) of every frame."""

    def __init__(self, source: Any) -> None:
        self.source = source
        self.name = source.name
        self.sample_rate = source.sample_rate
        self.levels: list[tuple[int, float]] = []

    def start(self) -> None:
        self.source.start()

    def stop(self) -> None:
        self.source.stop()

    def read(self, timeout_s: float) -> Frame | None:
        frame: Frame | None = self.source.read(timeout_s)
        if frame is not None:
            rms = float(np.sqrt(np.mean(frame.samples.astype(np.float64) ** 2)))
            self.levels.append((frame.timestamp_ms, rms))
        return frame

    def speech_end_before(self, t_ms: int, after_ms: int) -> int | None:
        """End of the last loud frame in (after_ms, t_ms)."""
        ends = [ts + 20 for ts, rms in self.levels if after_ms < ts < t_ms and rms > LOUD]
        return max(ends) if ends else None


def _pct(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


@dataclass
class Session:
    """An in-process voice runtime on the private PulseAudio, run in a thread."""

    pulse: PulseAudio
    engine: BenchEngine
    settings: Settings
    events: list[tuple[str, object, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        from ..clock import MonotonicClock
        from ..runtime import build_voice_runtime

        self.clock = MonotonicClock()
        #: ``time.monotonic()`` when the clock read 0 (to line up with recordings)
        self.origin = time.monotonic() - self.clock.now_ms() / 1000
        self.engine.clock = self.clock
        self.runtime = build_voice_runtime(
            self.settings, None, clock=self.clock, engine=self.engine, observer=self._observe
        )
        self.tap = Tap(self.runtime.source)
        self.runtime.source = self.tap
        self.listening = threading.Event()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.runtime.run, args=(self.stop,), daemon=True)

    def _observe(self, kind: str, item: object, now_ms: int) -> None:
        self.events.append((kind, item, now_ms))
        if isinstance(item, Listen):
            if item.context == self.engine.context:
                self.listening.set()
            else:
                self.listening.clear()

    def __enter__(self) -> Session:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=30)
        self.runtime.speaker.close()

    @property
    def speaker(self) -> Any:
        return self.runtime.speaker

    def play(self, clip: npt.NDArray[np.int16]) -> None:
        self.pulse.play_into_mic(clip)


def _clips(names: Sequence[str]) -> list[npt.NDArray[np.int16]]:
    from ..audioio import read_audio
    from ..paths import fixtures_dir

    return [read_audio(fixtures_dir() / name) for name in names]


def bench_replies(
    pulse: PulseAudio,
    settings: Settings,
    turns: int,
    answers: Sequence[str] = ANSWERS,
    context: Context = Context.SYMPTOM,
) -> dict[str, Any]:
    clips = _clips(answers)
    engine = BenchEngine("reply", turns=turns, context=context)
    with Session(pulse, engine, settings) as session:
        for turn in range(turns):
            if not session.listening.wait(timeout=60):
                break
            time.sleep(0.4)  # a pause before answering, as people do
            session.listening.clear()
            session.play(clips[turn % len(clips)])
            deadline = time.monotonic() + 15
            while len(engine.replies) <= turn and time.monotonic() < deadline:
                time.sleep(0.02)
        time.sleep(1.0)
        latencies, heard = [], 0
        asr_ms, after_ms = [], []
        heard_as: list[str] = []
        played_after = 0
        for reply_id, event in sorted(engine.replies.items()):
            started = session.speaker.started_ms.get(reply_id)
            said_at = next(
                (
                    t
                    for k, a, t in session.events
                    if isinstance(a, Say) and a.utterance_id == reply_id
                ),
                None,
            )
            if started is None or said_at is None:
                continue
            end = session.tap.speech_end_before(said_at, played_after)
            played_after = said_at
            if end is None:
                continue
            latencies.append(started - end)
            heard += isinstance(event, Heard)
            heard_as.append(
                f"{event.intent} {event.confidence:.2f}" if isinstance(event, Heard) else "-"
            )
            decided = next((t for k, a, t in session.events if k == "event" and a is event), None)
            if decided is not None:
                asr_ms.append(decided - end)
                after_ms.append(started - decided)
    return {
        "replies": len(latencies),
        "understood": heard,
        "reply_p50_ms": round(_pct(latencies, 50)),
        "reply_p95_ms": round(_pct(latencies, 95)),
        "reply_max_ms": round(max(latencies)) if latencies else None,
        # where the time goes: speech end → recognizer's result → first audio of the reply
        "reply_recognizer_p50_ms": round(_pct(asr_ms, 50)),
        "reply_speak_p50_ms": round(_pct(after_ms, 50)),
        "mic_overflows": getattr(session.tap.source, "overflows", None),
        "heard_as": heard_as,
    }


def bench_barge_in(pulse: PulseAudio, settings: Settings, turns: int) -> dict[str, Any]:
    from ..audioio import read_audio
    from ..paths import fixtures_dir

    stop = read_audio(fixtures_dir() / "answers/stop_en-us.wav")
    engine = BenchEngine("barge", turns=turns)
    cuts: list[float] = []
    # where the time goes: end of the word → the spotter's result reaches the loop
    # (input latency, end-of-word wait, decoding) → playback stopped (output latency)
    heard_ms: list[float] = []
    cut_ms: list[float] = []
    missed: list[str] = []  # what the barge-in recognizer made of a "stop" it let pass
    with Session(pulse, engine, settings) as session:
        for turn in range(turns):
            deadline = time.monotonic() + 30
            while len(engine.long_ids) <= turn and time.monotonic() < deadline:
                time.sleep(0.02)
            if len(engine.long_ids) <= turn:
                break
            uid = engine.long_ids[turn]
            while uid not in session.speaker.started_ms and time.monotonic() < deadline:
                time.sleep(0.02)
            time.sleep(1.5)
            played_at = session.clock.now_ms()
            session.play(stop)
            while True:
                if time.monotonic() > deadline:
                    missed.append("timed out")
                    break
                finished = [
                    (a, t)
                    for k, a, t in session.events
                    if isinstance(a, SpeechFinished) and a.utterance_id == uid
                ]
                if finished:
                    item = finished[0][0]
                    assert isinstance(item, SpeechFinished)
                    if not item.interrupted:
                        spotter = session.runtime.barge_in
                        verdict = (
                            spotter.last_verdict if isinstance(spotter, BargeInSpotter) else None
                        )
                        missed.append(repr(verdict))
                    if item.interrupted:
                        end = session.tap.speech_end_before(item.timestamp_ms + 1000, played_at)
                        if end is not None:
                            cuts.append(item.timestamp_ms - end)
                            heard = next(
                                (
                                    t
                                    for k, a, t in session.events
                                    if k == "event" and isinstance(a, Heard) and t >= played_at
                                ),
                                None,
                            )
                            if heard is not None:
                                heard_ms.append(heard - end)
                                cut_ms.append(item.timestamp_ms - heard)
                        else:
                            missed.append("cut off, but no end of the word found")
                    break
                time.sleep(0.02)
    return {
        "barge_ins": len(cuts),
        "barge_in_p50_ms": round(_pct(cuts, 50)),
        "barge_in_p95_ms": round(_pct(cuts, 95)),
        "barge_in_max_ms": round(max(cuts)) if cuts else None,
        "barge_in_missed": missed,
        "barge_in_heard_p50_ms": round(_pct(heard_ms, 50)),
        "barge_in_stop_p50_ms": round(_pct(cut_ms, 50)),
        "speaker_latency_ms": session.speaker.player.latency_ms,
        "mic_latency_ms": getattr(session.tap.source, "latency_ms", None),
    }


def bench_hold(pulse: PulseAudio, settings: Settings, seconds: int) -> dict[str, Any]:
    """Each count of a long hold against its deadline: as the player schedules it
    (PortAudio's DAC time) and as recorded at the virtual speaker (onset of the
    sound; includes the recorder's own latency, a constant)."""
    engine = BenchEngine("hold", hold_s=seconds)
    recording = pulse.record_speaker()
    try:
        with Session(pulse, engine, settings) as session:
            session.thread.join(timeout=seconds + 30)
            time.sleep(0.5)
            started = session.speaker.started_ms
            origin = session.origin
    finally:
        recording.stop()
    errors = [(d, started[u] - d) for u, d in engine.deadlines.items() if u in started]
    samples, times = recording.timeline()
    loud = np.abs(samples) > 1000
    loud_times = times[loud]
    # onsets: loud samples with at least 100 ms of quiet before them
    gaps = np.diff(loud_times, prepend=-np.inf) > 0.1
    onsets = loud_times[gaps]
    heard: list[tuple[int, float]] = []
    by_word: dict[int, list[float]] = {}
    for uid, deadline in engine.deadlines.items():
        at = origin + deadline / 1000
        window = onsets[(onsets > at - 0.2) & (onsets < at + 0.5)]
        if window.size:
            error = (float(window[0]) - at) * 1000
            heard.append((deadline, error))
            by_word.setdefault(uid % 10, []).append(error)
    # A word's sound starts a little after its first sample ("six" begins with a
    # faint hiss), differently for each word: the jitter compares like with like.
    jitter = [abs(e - float(np.median(v))) for v in by_word.values() for e in v]
    return {
        "hold_counts": len(errors),
        "hold_seconds": seconds,
        **_errors("hold", errors, engine.start_ms, seconds),
        **_errors("hold_recorded", heard, engine.start_ms, seconds),
        "hold_recorded_jitter_max_ms": round(max(jitter), 1) if jitter else None,
    }


def _errors(
    name: str, errors: Sequence[tuple[int, float]], start_ms: int, seconds: int
) -> dict[str, Any]:
    """Mean and worst error, the spread (max - min), and the drift (last minute's
    mean minus the first minute's)."""
    values = [e for _, e in errors]
    if not values:
        return {}
    minute = min(60_000, seconds * 500)
    first = [e for d, e in errors if d - start_ms <= minute]
    last = [e for d, e in errors if d - start_ms > seconds * 1000 - minute]
    out = {
        f"{name}_error_mean_ms": round(float(np.mean(values)), 1),
        f"{name}_error_max_ms": round(float(np.max(np.abs(values))), 1),
        f"{name}_spread_ms": round(float(np.max(values) - np.min(values)), 1),
    }
    if first and last:
        out[f"{name}_drift_ms"] = round(float(np.mean(last) - np.mean(first)), 1)
    return out


def bench_idle(pulse: PulseAudio, settings: Settings, seconds: float) -> dict[str, Any]:
    engine = BenchEngine("idle")
    with Session(pulse, engine, settings):
        time.sleep(1.0)
        cpu0, wall0 = time.process_time(), time.monotonic()
        time.sleep(seconds)
        cpu = time.process_time() - cpu0
        wall = time.monotonic() - wall0
    return {"idle_cpu_percent": round(100 * cpu / wall, 1)}


def bench_startup(pulse: PulseAudio, home: Path, voice: str, runs: int = 3) -> dict[str, Any]:
    """``backcoach run`` from launch to its first sound on the speaker; its peak RSS."""
    firsts, peaks = [], []
    for _ in range(runs):
        recording = pulse.record_speaker()
        time.sleep(0.3)
        env = pulse.client_env() | {"BACKCOACH_HOME": str(home)}
        launched = time.monotonic()
        process = subprocess.Popen(
            [*RUN_COMMAND, "--output-device=pulse", f"--voice={voice}"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        first = None
        peak = 0
        deadline = launched + 20
        while time.monotonic() < deadline:
            peak = max(peak, _vm_hwm_kb(process.pid))
            samples, times = recording.timeline()
            loud = np.flatnonzero(np.abs(samples) > 1000)
            if first is None and loud.size:
                first = float(times[loud[0]]) - launched
            if first is not None and time.monotonic() - launched > first + 3:
                break
            time.sleep(0.02)
        process.send_signal(2)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        recording.stop()
        if first is not None:
            firsts.append(first)
        peaks.append(peak)
    return {
        "first_word_s": round(float(np.median(firsts)), 2) if firsts else None,
        "first_word_runs_s": [round(f, 2) for f in firsts],
        "peak_rss_mb": round(max(peaks) / 1024, 1) if peaks else None,
    }


def _vm_hwm_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


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
) -> dict[str, Any]:
    import tempfile

    devices = {"input_device": "pulse", "output_device": "pulse"}
    settings = Settings(engine="pocketsphinx", voice=voice, **devices)
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="backcoach-bench-") as home, PulseAudio() as pulse:
        saved = {key: os.environ.get(key) for key in [*pulse.env, "BACKCOACH_HOME"]}
        os.environ.update(pulse.env)
        os.environ["BACKCOACH_HOME"] = home
        try:
            if "startup" in only:
                results.update(bench_startup(pulse, Path(home), voice))
            if "idle" in only:
                results.update(bench_idle(pulse, settings, idle_s))
            if "reply" in only and replies:
                results.update(bench_replies(pulse, settings, replies))
            if "barge-in" in only and barge_ins:
                results.update(bench_barge_in(pulse, settings, barge_ins))
            if "hold" in only and hold_s:
                results.update(bench_hold(pulse, settings, hold_s))
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
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
        args.replies, args.barge_ins, int(args.hold_minutes * 60), args.idle_s, only, args.voice
    )
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        _print(results)
    return 0


def register(subparsers: Any, summary: str) -> None:
    parser = subparsers.add_parser(
        name="loop", help=summary, description=summary[0].upper() + summary[1:] + "."
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--voice", default="piper", help="coach's voice (en-us: espeak-ng)")
    parser.add_argument("--replies", type=int, default=30, help="answers to time (default 30)")
    parser.add_argument("--barge-ins", type=int, default=10, help="'stop's to time (default 10)")
    parser.add_argument(
        "--hold-minutes", type=float, default=10.0, help="length of the timed hold (default 10)"
    )
    parser.add_argument(
        "--idle-s", type=float, default=20.0, help="seconds of quiet listening for CPU (default 20)"
    )
    parser.add_argument(
        "--only",
        metavar="PARTS",
        help=f"comma-separated parts to run (of {','.join(PARTS)}; default all)",
    )
    parser.set_defaults(func=_run)
