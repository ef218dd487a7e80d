"""PortAudio calls that may never return, made in a thread of their own.

When the sound server dies or restarts, PortAudio's ALSA code (19.6 here) can
hang: ``Pa_StartStream`` waits forever for a callback thread that failed to
start (PortAudio issue 535), and aborting a stream whose ``pulse`` plugin lost
its server can block in the plugin.  The voice loop opens and closes the
microphone itself, so one such call would freeze the whole session: no "the
microphone is back", no counting, no Ctrl-C.  Each call runs in a daemon thread
and is waited for at most a few seconds; one that does not return is left
behind (what it opens later is closed by its thread), and the device is tried
again with a new stream.

Such a call also means PortAudio's own clean-up at exit (``Pa_Terminate``, which
closes every open stream, sounddevice's ``atexit`` handler) can hang the same way,
so the session could not end: once a call has been left behind, that clean-up is
left to the operating system.
"""

from __future__ import annotations

import atexit
import contextlib
import sys
import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

__all__ = [
    "CLOSE_TIMEOUT_S",
    "OPEN_TIMEOUT_S",
    "StreamTimeout",
    "bounded",
    "close_stream",
    "close_within",
    "start_within",
]

T = TypeVar("T")

#: Opening and starting a stream takes ~0.05-0.3 s (up to ~1 s on a loaded machine).
OPEN_TIMEOUT_S = 3.0
#: Aborting and closing one takes a few milliseconds.
CLOSE_TIMEOUT_S = 2.0


class StreamTimeout(Exception):
    """The call did not return in time (it goes on in its thread, or hangs there)."""


class _Call(threading.Thread, Generic[T]):
    def __init__(self, action: Callable[[], T], late: Callable[[T], None] | None) -> None:
        super().__init__(daemon=True, name="portaudio-call")
        self._action = action
        self._late = late
        self.lock = threading.Lock()
        self.done = False
        self.abandoned = False
        self.result: T | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        result: T | None = None
        error: BaseException | None = None
        try:
            result = self._action()
        except BaseException as exc:  # handed to the caller, which raises it
            error = exc
        with self.lock:
            self.done = True
            self.result, self.error = result, error
            late = self.abandoned and error is None and self._late is not None
        if late:
            assert self._late is not None
            self._late(result)  # type: ignore[arg-type]  # nobody took it: close what it opened


def bounded(
    action: Callable[[], T], timeout_s: float, late: Callable[[T], None] | None = None
) -> T:
    """``action()`` if it returns within ``timeout_s`` (its exception if it raises);
    else ``StreamTimeout``, and ``late`` gets its result should it come after all."""
    call = _Call(action, late)
    call.start()
    call.join(timeout_s)
    with call.lock:
        if not call.done:
            call.abandoned = True
            _skip_portaudio_exit()
            raise StreamTimeout(f"no answer within {timeout_s:g} s")
    if call.error is not None:
        raise call.error
    return call.result  # type: ignore[return-value]  # done without an error: its value


def _skip_portaudio_exit() -> None:
    """The process ends without ``Pa_Terminate``: the system closes what PortAudio
    held (the sound server sees the client go), and nothing waits on a hung stream."""
    sounddevice = sys.modules.get("sounddevice")
    handler = getattr(sounddevice, "_exit_handler", None)
    if handler is not None:
        atexit.unregister(handler)


def close_stream(stream: Any) -> None:
    """Abort and close a PortAudio stream; a vanished device must not raise on close."""
    with contextlib.suppress(Exception):
        stream.abort()
    with contextlib.suppress(Exception):
        stream.close()


def close_within(stream: Any, timeout_s: float = CLOSE_TIMEOUT_S) -> None:
    """``close_stream``, waited for at most ``timeout_s`` (a hung one is left behind)."""
    with contextlib.suppress(StreamTimeout):
        bounded(lambda: close_stream(stream), timeout_s)


def start_within(stream: Any, timeout_s: float = OPEN_TIMEOUT_S) -> None:
    """``stream.start()``, waited for at most ``timeout_s``: ``StreamTimeout`` then,
    and the stream is closed should it start after all."""
    bounded(lambda: (stream.start(), stream)[1], timeout_s, close_stream)
