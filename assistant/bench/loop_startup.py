"""``bench loop``'s start-up part: ``backcoach run`` launched → its first sound on the
speaker, and its memory, alone and with the Piper process it may start.

Two rounds of ``runs`` starts, each on a home of its own:

* cold: nothing on disk (a first start right after installing; the later starts
  find what the earlier ones rendered);
* prepared: after ``backcoach voice prepare`` (as ``make run`` does; ``--opening``
  for only the lines said before the first exercise), timed too.

Memory: VmHWM of the session process; the most resident at once over the session
and the processes it starts (VmRSS summed, and PSS: pages they share counted once),
sampled every 20 ms (the session's own PSS every 100 ms while it runs alone).
"""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .pulse import PulseAudio

__all__ = ["bench_startup", "PREPARE_MODES"]

RUN_COMMAND = (sys.executable, "-m", "assistant", "run", "--quiet", "--input-device=pulse")
PREPARE_COMMAND = (sys.executable, "-m", "assistant", "voice", "prepare")
#: ``all``: what ``make run`` prepares; ``opening``: up to the first exercise; ``none``.
PREPARE_MODES = ("all", "opening", "none")


def bench_startup(
    pulse: PulseAudio,
    home: Path,
    voice: str,
    engine: str = "auto",
    runs: int = 3,
    prepare: str = "all",
) -> dict[str, Any]:
    """The cold round on ``home`` (the other parts of the bench go on with it), then
    (unless ``prepare`` is ``none``) the prepared round on a home of its own."""
    results = _round(pulse, home, voice, engine, runs, "")
    if prepare == "none":
        return results
    prepared = home / "prepared"
    prepared.mkdir()
    env = pulse.client_env() | {"BACKCOACH_HOME": str(prepared)}
    flags = ["--opening"] if prepare == "opening" else []
    started = time.monotonic()
    done = subprocess.run(
        [*PREPARE_COMMAND, f"--voice={voice}", *flags], env=env, capture_output=True, text=True
    )
    results["prepare_s"] = round(time.monotonic() - started, 1)
    results["prepare_mode"] = prepare
    results["prepare_said"] = (done.stdout.strip() or done.stderr.strip()).splitlines()[-1:]
    results.update(_round(pulse, prepared, voice, engine, runs, "_prepared"))
    return results


def _round(
    pulse: PulseAudio, home: Path, voice: str, engine: str, runs: int, suffix: str
) -> dict[str, Any]:
    firsts: list[float | None] = []
    peaks: list[Memory] = []
    for _ in range(runs):
        first, memory = _one_start(pulse, home, voice, engine)
        firsts.append(first)
        peaks.append(memory)
    heard = [f for f in firsts if f is not None]
    alone = [m.session_kb for m in peaks]
    together = [m.together_kb for m in peaks]
    out: dict[str, Any] = {
        # the first start of the round (cold: nothing on disk; prepared: right after)
        "first_word_first_start_s": round(firsts[0], 2) if firsts[0] is not None else None,
        "first_word_s": round(float(np.median(heard)), 2) if heard else None,
        "first_word_runs_s": [round(f, 2) if f is not None else None for f in firsts],
        # the session process alone (VmHWM): what ``backcoach run`` itself holds
        "peak_rss_mb": round(max(alone) / 1024, 1) if alone else None,
        "peak_rss_runs_mb": [round(p / 1024) for p in alone],
        # did the start run Piper's process (a line it said was not on disk)?
        "piper_started_runs": [m.piper for m in peaks],
        # the Piper process's own peak (VmHWM), and the most resident at once over
        # the session and its processes (RSS summed; PSS)
        "peak_rss_render_runs_mb": [round(m.child_kb / 1024) for m in peaks],
        "peak_rss_together_mb": round(max(together) / 1024, 1) if together else None,
        "peak_rss_together_runs_mb": [round(t / 1024) for t in together],
        "peak_pss_together_mb": round(max(m.tree_pss_kb for m in peaks) / 1024, 1),
        "peak_pss_together_runs_mb": [round(m.tree_pss_kb / 1024) for m in peaks],
    }
    if not suffix:
        # by the last start, the lines the first ones said are on disk
        out["peak_rss_cached_mb"] = round(alone[-1] / 1024, 1) if len(alone) > 2 else None
    return {_named(key, suffix): value for key, value in out.items()}


def _named(key: str, suffix: str) -> str:
    """``first_word_s`` → ``first_word_prepared_s``: the unit stays last."""
    for unit in ("_s", "_mb"):
        if key.endswith(unit):
            return f"{key.removesuffix(unit)}{suffix}{unit}"
    return f"{key}{suffix}"


@dataclass
class Memory:
    session_kb: int = 0  # VmHWM of ``backcoach run``
    child_kb: int = 0  # the largest VmHWM of a process it started
    together_kb: int = 0  # the largest sum of VmRSS over the tree, sampled
    tree_pss_kb: int = 0  # the same in PSS: pages they share counted once
    piper: bool = False  # a Piper process was started
    _samples: int = 0

    def sample(self, pid: int) -> None:
        self.session_kb = max(self.session_kb, _status_kb(pid, "VmHWM"))
        children = _children(pid)
        total = _status_kb(pid, "VmRSS")
        for child in children:
            self.child_kb = max(self.child_kb, _status_kb(child, "VmHWM"))
            total += _status_kb(child, "VmRSS")
            self.piper = self.piper or "piper_child" in _cmdline(child)
        self.together_kb = max(self.together_kb, total)
        self._samples += 1
        if children or self._samples % 5 == 0:  # alone, its PSS changes slowly
            pss = sum(_pss_kb(p) for p in (pid, *children))
            self.tree_pss_kb = max(self.tree_pss_kb, pss)


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


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode("utf-8", errors="replace")
    except OSError:
        return ""


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
