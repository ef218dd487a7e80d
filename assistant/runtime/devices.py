"""Device recovery: a microphone or speaker that goes away pauses the session;
it is tried again every :data:`RETRY_MS` and the session carries on when it is back."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from ..audio.source import AudioSource
from ..errors import AudioDeviceError
from ..events import DeviceLost, DeviceRestored, Event
from ..tts.speaker import Speaker
from .protocols import WatchedOutput

__all__ = ["DeviceRecovery", "RETRY_MS"]

#: How often a lost device is tried again.
RETRY_MS = 1000


class DeviceRecovery:
    """Tells the engine (``deliver``) and the screen (``announce``) about lost devices."""

    def __init__(self, deliver: Callable[[Event], None], announce: Callable[[str], None]) -> None:
        self._deliver = deliver
        self._announce = announce
        self.input_lost: str | None = None
        self._output_lost: str | None = None
        self._retry_at = 0

    def _lost(self, now: int, name: str, message: str) -> None:
        self._retry_at = now + RETRY_MS
        self._announce(f"{message}. Paused; the session carries on when it is back.")
        self._deliver(DeviceLost(name, message))

    def _back(self, name: str) -> None:
        self._announce(f"{name} is back.")
        self._deliver(DeviceRestored(name))

    def _retry_due(self, now: int) -> bool:
        if now < self._retry_at:
            return False
        self._retry_at = now + RETRY_MS
        return True

    def input_failed(self, now: int, source: AudioSource, message: str) -> None:
        self.input_lost = message
        with contextlib.suppress(Exception):
            source.stop()
        self._lost(now, source.name, message)

    def retry_input(self, now: int, source: AudioSource, restarted: Callable[[], None]) -> None:
        """Try the microphone again; ``restarted`` resets the recognizers' state."""
        if not self._retry_due(now):
            return
        try:
            source.start()
        except AudioDeviceError:
            return
        self.input_lost = None
        restarted()
        self._back(source.name)

    def check_output(self, now: int, speaker: Speaker) -> None:
        if not isinstance(speaker, WatchedOutput):
            return
        if self._output_lost is None:
            message = speaker.check()
            if message:
                self._output_lost = message
                self._lost(now, speaker.device_name, message)
            return
        if not self._retry_due(now):
            return
        try:
            speaker.reopen()
        except AudioDeviceError:
            return
        self._output_lost = None
        self._back(speaker.device_name)
