"""The session's end of ``piper_child.py``: Piper rendering in a short-lived process.

Why a process: Whisper and the spotter already take ~280 MB of a session; Piper's
model and its rendering would add up to ~190 MB more and onnxruntime keeps that
arena for good.  In a child, the session process never holds any of it, and the
child ends (giving it all back) a few seconds after its last line.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import threading
import weakref
from pathlib import Path
from typing import IO, Any

import numpy as np
import numpy.typing as npt

__all__ = ["PiperProcess", "RenderError", "IDLE_S"]

#: The child ends after this long without a line to render.
IDLE_S = 8.0
_CHILD = Path(__file__).with_name("piper_child.py")


class RenderError(Exception):
    """Piper could not load the model (``loading``) or render a line."""

    def __init__(self, message: str, loading: bool) -> None:
        super().__init__(message)
        self.loading = loading


class PiperProcess:
    """Renders lines in a child process started on demand (``start`` ahead of time)."""

    def __init__(self, model: Path, config: Path, idle_s: float = IDLE_S) -> None:
        self.model = model
        self.config = config
        self.idle_s = idle_s
        self._process: subprocess.Popen[bytes] | None = None
        # a synthesiser dropped without close() still ends its child
        self._holder: list[subprocess.Popen[bytes] | None] = [None]
        self._finalizer = weakref.finalize(self, _end, self._holder, 5.0)
        self._ready: dict[str, Any] | None = None
        self._lock = threading.Lock()
        self._closed = False
        self.spawned = 0  # how many child processes were started (each loads the model)

    @property
    def pid(self) -> int | None:
        process = self._process
        return process.pid if process is not None and process.poll() is None else None

    def start(self) -> None:
        """Start a child (it loads the model at once) unless one is running."""
        with self._lock:
            self._spawn()

    def _spawn(self) -> subprocess.Popen[bytes]:
        if self._closed:
            raise RenderError("the Piper voice was closed", loading=False)
        process = self._process
        if process is None or process.poll() is not None:
            if process is not None:
                _end(self._holder, 0.0)  # it ended while idle: close its pipes
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-P",
                    str(_CHILD),
                    str(self.model),
                    str(self.config),
                    str(self.idle_s),
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
            self._process, self._ready = process, None
            self._holder[0] = process
            self.spawned += 1
        return process

    def _handshake(self, process: subprocess.Popen[bytes]) -> None:
        if self._ready is not None:
            return
        assert process.stdout is not None
        ready = _read_json(process.stdout)
        if ready is None or not ready.get("ready"):
            error = (ready or {}).get("error", "the Piper process ended")
            raise RenderError(str(error), loading=True)
        self._ready = ready

    def render(
        self, text: str, length_scale: float, volume: float
    ) -> tuple[npt.NDArray[np.int16], int]:
        """The samples of ``text`` and their rate; a child that ended while idle is
        started again (once)."""
        request = json.dumps({"text": text, "length_scale": length_scale, "volume": volume})
        with self._lock:
            for attempt in (1, 2):
                process = self._spawn()
                try:
                    self._handshake(process)
                    assert process.stdin is not None and process.stdout is not None
                    process.stdin.write(request.encode("utf-8") + b"\n")
                    process.stdin.flush()
                    reply = _read_json(process.stdout)
                except (BrokenPipeError, RenderError) as exc:
                    if attempt == 2 or (isinstance(exc, RenderError) and self._ready is None):
                        raise
                    continue
                if reply is None:  # it ended between two lines (idle): start another
                    if attempt == 2:
                        raise RenderError("the Piper process ended", loading=False)
                    # its stdout closes just before it exits: wait, or the retry would
                    # find it still running and ask the same ending process again
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        process.wait(timeout=5)
                    continue
                if not reply.get("ok"):
                    raise RenderError(str(reply.get("error")), loading=False)
                count = int(reply["samples"])
                data = _read_exact(process.stdout, 2 * count)
                samples = np.frombuffer(data, dtype="<i2").astype(np.int16)
                return samples, int(self._ready["sample_rate"]) if self._ready else 22050
        raise AssertionError("unreachable")

    def close(self, timeout_s: float = 5.0) -> None:
        """End the child (it finishes the line in progress first)."""
        with self._lock:
            self._closed = True
        self._finalizer.detach()
        _end(self._holder, timeout_s)


def _end(holder: list[subprocess.Popen[bytes] | None], timeout_s: float) -> None:
    """Close the child's pipes (it ends on the closed stdin) and wait for it."""
    process, holder[0] = holder[0], None
    if process is None:
        return
    # stdout too: a line abandoned half-read (Ctrl-C) would leave the child blocked
    # writing its samples, never seeing the closed stdin
    for pipe in (process.stdin, process.stdout):
        if pipe is not None:
            with contextlib.suppress(OSError):
                pipe.close()
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _read_json(stream: IO[bytes]) -> dict[str, Any] | None:
    line = stream.readline()
    if not line:
        return None
    value = json.loads(line)
    return value if isinstance(value, dict) else None


def _read_exact(stream: IO[bytes], size: int) -> bytes:
    data = stream.read(size)
    if data is None or len(data) != size:
        raise RenderError("the Piper process ended in the middle of a line", loading=False)
    return data
