"""A private PulseAudio server with a virtual microphone and a virtual speaker.

Used by the real-device tests and ``backcoach bench loop``.  Everything lives in
its own temporary runtime directory; ``stop()`` ends every process it started.

* ``mic``: a null sink; its monitor ``mic.monitor`` is the default source, so
  whatever is played into ``mic`` (``play_into_mic``) is what a program
  recording from the ``pulse`` device hears.  Low-level noise is played into it
  all the time, like a real microphone (PocketSphinx misdecodes digital silence).
* ``speaker``: a null sink, the default sink; ``record_speaker`` records its
  monitor.

A null sink that has been idle renders up to two seconds ahead, so the first
stream connecting to it would stall for that long; a silent stream keeps each
sink running in real time, as real hardware does.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import TracebackType

import numpy as np

from ..errors import AudioDeviceError

__all__ = ["PulseAudio", "PulseError", "Recording", "pulse_available", "NOISE_RMS"]

RATE = 16000
#: Level of the microphone's noise floor (int16 RMS, about -70 dBFS).
NOISE_RMS = 10

_NOISE_SCRIPT = f"""
import sys, numpy as np
rng = np.random.default_rng(7)
out = sys.stdout.buffer
try:
    while True:
        out.write(rng.normal(0, {NOISE_RMS}, {RATE // 10}).astype("<i2").tobytes())
        out.flush()
except (BrokenPipeError, KeyboardInterrupt):
    pass
"""


class PulseError(AudioDeviceError):
    """The private PulseAudio server could not be started or used."""


def pulse_available() -> str | None:
    """``None`` when the PulseAudio tools are installed, else what is missing."""
    missing = [tool for tool in ("pulseaudio", "pactl", "pacat") if shutil.which(tool) is None]
    if missing:
        return (
            f"{', '.join(missing)} not found; install pulseaudio and pulseaudio-utils "
            "(and libasound2-plugins for the ALSA 'pulse' device)"
        )
    return None


class Recording:
    """Raw 16 kHz mono int16 from a monitor source, each chunk stamped with
    ``time.monotonic()`` on arrival (so other processes can line up with it)."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self._process = process
        self._chunks: list[tuple[float, bytes]] = []
        self._thread = threading.Thread(target=self._pump, daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        stream = self._process.stdout
        assert stream is not None
        while True:
            data = stream.read1(640) if hasattr(stream, "read1") else stream.read(640)
            if not data:
                return
            self._chunks.append((time.monotonic(), data))

    def stop(self) -> np.ndarray:
        """Stop recording; the samples (int16)."""
        self._process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._process.wait(timeout=5)
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        self._thread.join(timeout=5)
        if self._process.stdout is not None:
            self._process.stdout.close()
        return self.samples()

    def samples(self) -> np.ndarray:
        data = b"".join(chunk for _, chunk in list(self._chunks))
        return np.frombuffer(data[: len(data) // 2 * 2], dtype="<i2")

    def since(self, moment: float) -> np.ndarray:
        """Samples that arrived after ``moment`` (``time.monotonic()``); cheap when recent."""
        chunks = []
        for arrived, chunk in reversed(self._chunks):
            if arrived <= moment:
                break
            chunks.append(chunk)
        data = b"".join(reversed(chunks))
        return np.frombuffer(data[: len(data) // 2 * 2], dtype="<i2")

    def timeline(self) -> tuple[np.ndarray, np.ndarray]:
        """(samples, ``time.monotonic()`` at which each was recorded).

        Within a few seconds the stream is continuous, so a chunk's samples were
        recorded at ``t0 + i / RATE``; ``t0`` comes from the chunk nearby that
        arrived soonest after it was recorded (others were read late by a busy
        process).  Estimated locally, so a lost chunk or a slow drift between the
        sound server's clock and ours does not accumulate."""
        chunks = list(self._chunks)
        data = b"".join(chunk for _, chunk in chunks)
        samples = np.frombuffer(data[: len(data) // 2 * 2], dtype="<i2")
        if not chunks:
            return samples, np.zeros(0)
        counts = np.array([len(chunk) // 2 for _, chunk in chunks])
        ends = np.cumsum(counts)
        arrivals = np.array([arrived for arrived, _ in chunks])
        offsets = arrivals - ends / RATE
        bins = ((arrivals - arrivals[0]) // 3).astype(int)
        lowest = np.full(bins[-1] + 3, np.inf)
        np.minimum.at(lowest, bins + 1, offsets)
        local = np.minimum(np.minimum(lowest[bins], lowest[bins + 1]), lowest[bins + 2])
        return samples, np.repeat(local, counts) + np.arange(len(samples)) / RATE


class PulseAudio:
    """Start with ``start()`` (or ``with PulseAudio() as pulse``); ``env`` points
    clients at it; ``stop()`` leaves nothing running."""

    def __init__(self, root: Path | None = None) -> None:
        self._own_root = root is None
        self.root = Path(root or tempfile.mkdtemp(prefix="backcoach-pulse-"))
        self.runtime = self.root / "pulse"
        self.server: subprocess.Popen[bytes] | None = None
        self._helpers: list[subprocess.Popen[bytes]] = []

    # ---------------------------------------------------------------- environment

    @property
    def env(self) -> dict[str, str]:
        """Variables that make PulseAudio clients (and the ALSA ``pulse`` device) use it."""
        return {
            "PULSE_SERVER": f"unix:{self.runtime / 'native'}",
            "PULSE_RUNTIME_PATH": str(self.runtime),
            "PULSE_SINK": "speaker",
            "PULSE_SOURCE": "mic.monitor",
        }

    def client_env(self) -> dict[str, str]:
        return {**os.environ, **self.env}

    def _server_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            HOME=str(self.root),
            XDG_RUNTIME_DIR=str(self.root),
            XDG_CONFIG_HOME=str(self.root / "config"),
            PULSE_RUNTIME_PATH=str(self.runtime),
            PULSE_STATE_PATH=str(self.root / "state"),
        )
        env.pop("PULSE_SERVER", None)
        return env

    # ------------------------------------------------------------------ lifecycle

    def start(self, timeout_s: float = 10.0) -> PulseAudio:
        problem = pulse_available()
        if problem:
            raise PulseError(problem)
        self.runtime.mkdir(parents=True, exist_ok=True)
        log = open(self.root / "pulseaudio.log", "wb")  # noqa: SIM115 - closed by the process
        self.server = subprocess.Popen(
            [
                "pulseaudio",
                "-n",
                "--daemonize=no",
                "--system=false",
                "--exit-idle-time=-1",
                "--disallow-exit=false",
                "--use-pid-file=false",
                "--log-target=stderr",
                "-L",
                f"module-native-protocol-unix auth-anonymous=1 socket={self.runtime / 'native'}",
                "-L",
                "module-null-sink sink_name=speaker rate=16000 channels=1",
                "-L",
                "module-null-sink sink_name=mic rate=16000 channels=1",
            ],
            env=self._server_env(),
            stdout=log,
            stderr=log,
            stdin=subprocess.DEVNULL,
        )
        log.close()
        deadline = time.monotonic() + timeout_s
        while True:
            if self.server.poll() is not None:
                tail = (self.root / "pulseaudio.log").read_text(errors="replace")[-500:]
                self.stop()
                raise PulseError(f"pulseaudio exited at start-up: {tail.strip()}")
            if self._pactl("info", check=False).returncode == 0:
                break
            if time.monotonic() > deadline:
                self.stop()
                raise PulseError("pulseaudio did not start within 10 s")
            time.sleep(0.05)
        self._pactl("set-default-sink", "speaker")
        self._pactl("set-default-source", "mic.monitor")
        self._keep_running()
        return self

    def _keep_running(self) -> None:
        """A silent stream on the speaker, faint noise into the mic, for good."""
        with open("/dev/zero", "rb") as zeros:
            self._helpers.append(
                subprocess.Popen(
                    self._pacat("--playback", "--device=speaker"),
                    env=self.client_env(),
                    stdin=zeros,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        # Noise comes from its own process, so a busy test process cannot leave
        # gaps of digital silence in it (which look like speech starting again).
        noise = subprocess.Popen(
            [sys.executable, "-c", _NOISE_SCRIPT], stdout=subprocess.PIPE, stdin=subprocess.DEVNULL
        )
        self._helpers.append(noise)
        self._helpers.append(
            subprocess.Popen(
                self._pacat("--playback", "--device=mic", latency_ms=100),
                env=self.client_env(),
                stdin=noise.stdout,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        assert noise.stdout is not None
        noise.stdout.close()
        time.sleep(2.2)  # let each null sink drop its two-second lead

    def stop_server(self) -> None:
        """Stop the server (as if the sound system died); ``start()`` brings it back."""
        for helper in self._helpers:
            _end(helper)
        self._helpers.clear()
        if self.server is not None:
            _end(self.server)
            self.server = None

    def stop(self) -> None:
        self.stop_server()
        if self._own_root:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PulseAudio:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ------------------------------------------------------------------- helpers

    def _pacat(self, *args: str, latency_ms: int = 20) -> list[str]:
        return [
            "pacat",
            *args,
            "--raw",
            "--format=s16le",
            f"--rate={RATE}",
            "--channels=1",
            f"--latency-msec={latency_ms}",
        ]

    def _pactl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            ["pactl", *args], env=self.client_env(), capture_output=True, text=True, timeout=10
        )
        if check and result.returncode != 0:
            raise PulseError(f"pactl {' '.join(args)} failed: {result.stderr.strip()}")
        return result

    def pactl(self, *args: str) -> str:
        return self._pactl(*args).stdout

    def mic_player(self) -> subprocess.Popen[bytes]:
        """A pacat that plays what is written to its stdin (16 kHz mono int16) into
        the virtual microphone, as it comes; ``end()`` it when done."""
        return subprocess.Popen(
            self._pacat("--playback", "--device=mic"),
            env=self.client_env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def play_into_mic(self, samples: np.ndarray, wait: bool = True) -> subprocess.Popen[bytes]:
        """Play 16 kHz mono int16 ``samples`` into the virtual microphone."""
        process = self.mic_player()
        assert process.stdin is not None
        try:
            process.stdin.write(np.asarray(samples, dtype="<i2").tobytes())
            process.stdin.close()
            if wait:
                process.wait(timeout=60)
        except BaseException:  # (pacat gone, a timeout): never leave it un-waited for
            _end(process)
            raise
        return process

    def record_speaker(self) -> Recording:
        """Start recording what is played on the virtual speaker."""
        process = subprocess.Popen(
            self._pacat("--record", "--device=speaker.monitor"),
            env=self.client_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
        )
        return Recording(process)


def end(process: subprocess.Popen[bytes]) -> None:
    """Stop a helper process and wait for it (its pipes closed)."""
    _end(process)


def _end(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    for stream in (process.stdin, process.stdout, process.stderr):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()
