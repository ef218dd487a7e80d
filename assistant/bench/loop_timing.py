"""``bench loop``'s clock-bound measurements: a long timed hold and CPU while idle
(``backcoach run``'s start-up is in ``loop_startup``).

* hold: a countdown on the real clock, each number's first audio against its deadline;
* idle CPU: process CPU time / wall time while listening to a quiet room.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..config import Settings
from .engine import BenchEngine
from .loop_session import Session
from .pulse import PulseAudio


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
