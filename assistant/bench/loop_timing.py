"""``bench loop``'s clock-bound measurements: a long timed hold, CPU while idle, and
``backcoach run``'s start-up (first sound, peak RSS).

* hold: a countdown on the real clock, each number's first audio against its deadline;
* idle CPU: process CPU time / wall time while listening to a quiet room;
* first word: ``backcoach run`` launched → first sound on the speaker;
* peak RSS of ``backcoach run``.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..config import Settings
from .engine import BenchEngine
from .loop_session import Session
from .pulse import PulseAudio

RUN_COMMAND = (sys.executable, "-m", "assistant", "run", "--quiet", "--input-device=pulse")


def bench_hold(pulse: PulseAudio, settings: Settings, seconds: int) -> dict[str, Any]:
    """Each count of a long hold against its deadline: as the player schedules it
    (PortAudio's DAC time) and as recorded at the virtual speaker (onset of the
    sound; includes the recorder's own latency, a constant)."""
    engine = BenchEngine("hold", hold_s=seconds)
    recording = pulse.record_speaker()
    try:
        with Session(pulse, engine, settings, warm=engine.lines()) as session:
            # as in a session, the lines that may come next are rendered during the hold
            ahead = _RenderAhead(getattr(session.speaker, "synth", None))
            session.thread.join(timeout=seconds + 30)
            ahead.stop()
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
        "hold_lines_rendered_meanwhile": ahead.rendered,
    }


class _RenderAhead:
    """Renders the engine's fixed lines (none on disk yet) until stopped, one at a
    time, as ``ui.ahead.Prerenderer`` does while the person holds a position."""

    def __init__(self, synth: Any) -> None:
        from ..ui.ahead import fixed_lines

        self.rendered = 0
        self._stop = threading.Event()
        self._lines = fixed_lines() if synth is not None else []
        self._synth = synth
        self._thread = threading.Thread(target=self._work, daemon=True, name="bench-ahead")
        self._thread.start()

    def _work(self) -> None:
        for line in self._lines:
            if self._stop.is_set():
                return
            if not self._synth.cached(line):
                self._synth.warm_one(line)
                self.rendered += 1

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)


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


def bench_startup(
    pulse: PulseAudio, home: Path, voice: str, engine: str = "auto", runs: int = 3
) -> dict[str, Any]:
    """``backcoach run`` from launch to its first sound on the speaker; its peak RSS,
    alone and with the Piper process it starts (``tts/piper_child.py``)."""
    firsts: list[float] = []
    peaks: list[Memory] = []
    for _ in range(runs):
        first, memory = _one_start(pulse, home, voice, engine)
        if first is not None:
            firsts.append(first)
        peaks.append(memory)
    alone = [m.session_kb for m in peaks]
    together = [m.together_kb for m in peaks]
    return {
        "first_word_s": round(float(np.median(firsts)), 2) if firsts else None,
        "first_word_runs_s": [round(f, 2) for f in firsts],
        # the session process alone (VmHWM): what ``backcoach run`` itself holds
        "peak_rss_mb": round(max(alone) / 1024, 1) if alone else None,
        # the first run renders what it says (Piper), the second what the first
        # had no time to; by the last, the opening lines are all on disk
        "peak_rss_runs_mb": [round(p / 1024) for p in alone],
        "peak_rss_cached_mb": round(alone[-1] / 1024, 1) if len(alone) > 2 else None,
        # the Piper process's own peak (VmHWM), and the most resident at once
        # (session + Piper, VmRSS sampled every 20 ms)
        "peak_rss_render_runs_mb": [round(m.child_kb / 1024) for m in peaks],
        "peak_rss_together_mb": round(max(together) / 1024, 1) if together else None,
        "peak_rss_together_runs_mb": [round(t / 1024) for t in together],
        "peak_pss_together_runs_mb": [round(m.together_pss_kb / 1024) for m in peaks],
    }


@dataclass
class Memory:
    session_kb: int = 0  # VmHWM of ``backcoach run``
    child_kb: int = 0  # the largest VmHWM of a process it started
    together_kb: int = 0  # the largest sum of VmRSS over the tree, sampled
    together_pss_kb: int = 0  # the same in PSS: pages the two share counted once

    def sample(self, pid: int) -> None:
        self.session_kb = max(self.session_kb, _status_kb(pid, "VmHWM"))
        children = _children(pid)
        total = _status_kb(pid, "VmRSS")
        for child in children:
            self.child_kb = max(self.child_kb, _status_kb(child, "VmHWM"))
            total += _status_kb(child, "VmRSS")
        self.together_kb = max(self.together_kb, total)
        if children:  # alone, PSS is RSS less what other processes share
            pss = sum(_pss_kb(p) for p in (pid, *children))
            self.together_pss_kb = max(self.together_pss_kb, pss)


def _one_start(
    pulse: PulseAudio, home: Path, voice: str, engine: str
) -> tuple[float | None, Memory]:
    recording = pulse.record_speaker()
    time.sleep(0.3)
    env = pulse.client_env() | {"BACKCOACH_HOME": str(home)}
    launched = time.monotonic()
    process = subprocess.Popen(
        [*RUN_COMMAND, "--output-device=pulse", f"--voice={voice}", f"--engine={engine}"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    first = None
    memory = Memory()
    deadline = launched + 20
    while time.monotonic() < deadline:
        memory.sample(process.pid)
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
    return first, memory


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(c) for c in text.split()]


def _pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _status_kb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0
