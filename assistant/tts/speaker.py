"""The ``Speaker`` protocol, the real one (Piper or espeak-ng + sounddevice) and a fake."""

from __future__ import annotations

import collections
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from ..clock import Clock
from ..events import SpeechFinished
from .player import SoundDevicePlayer

if TYPE_CHECKING:
    from .voices import Synth

__all__ = ["Speaker", "VoiceSpeaker", "RecordingSpeaker", "SpokenLine"]


class Speaker(Protocol):
    """Says things without blocking; tells when each utterance really ended."""

    def say(
        self, text: str, utterance_id: int, cacheable: bool = False, start_at_ms: int | None = None
    ) -> None:
        """Say ``text`` once everything said before it has been played, and not
        before ``start_at_ms`` (so a count lands exactly on its beat)."""
        ...

    def stop(self) -> None:
        """Barge-in: cut off the current utterance and drop the queued ones."""
        ...

    @property
    def speaking(self) -> bool:
        """True from ``say`` until the last sample has been heard (or it was cut off)."""
        ...

    def finished(self, now_ms: int) -> list[SpeechFinished]:
        """Utterances that ended at or before ``now_ms``, each reported once."""
        ...

    def text_now(self) -> str:
        """The utterance being played now ('' when silent)."""
        ...

    def close(self) -> None: ...


class VoiceSpeaker:
    """A synthesiser renders each line in a worker thread; a sounddevice stream plays it.

    ``say`` returns at once: the loop goes on reading the microphone while a
    line is rendered.  Lines are rendered and played in order; a long line that
    is not cached is rendered a sentence at a time and starts playing after its
    first sentence.  ``stop`` drops what is queued and cuts what is playing.
    """

    def __init__(self, synth: Synth, player: SoundDevicePlayer) -> None:
        self.synth = synth
        self.player = player
        self._pending: list[SpeechFinished] = []
        self._texts: dict[int, str] = {}
        self._current: int | None = None
        #: utterance id → clock time its first sample was heard (for the benchmark)
        self.started_ms: dict[int, int] = {}
        #: the last synthesis failure (the line is reported as cut off)
        self.error: str | None = None
        self._lock = threading.Condition()
        self._jobs: collections.deque[tuple[int, str, int, bool, int | None]] = collections.deque()
        self._generation = 0
        self._rendering: int | None = None  # utterance id being rendered
        self._handed = False  # some of it is with the player already
        self._closed = False
        #: set once the first line's first sound is with the player (or speaking
        #: failed): start-up work that can wait, waits for it (2 cores)
        self.first_handed = threading.Event()
        #: called first by ``close`` (rendering ahead stops before the voice closes)
        self.on_close: list[Callable[[], None]] = []
        self._worker = threading.Thread(target=self._work, daemon=True, name="speaker")
        self._worker.start()

    def say(
        self, text: str, utterance_id: int, cacheable: bool = False, start_at_ms: int | None = None
    ) -> None:
        self._texts[utterance_id] = text
        with self._lock:
            if self.player.lost is not None:
                self._pending.append(SpeechFinished(utterance_id, 0, interrupted=True))
                return
            job = (self._generation, text, utterance_id, cacheable, start_at_ms)
            self._jobs.append(job)
            self._lock.notify()

    # ---------------------------------------------------------------- worker

    def _work(self) -> None:
        while True:
            with self._lock:
                while not self._jobs and not self._closed:
                    self._lock.wait()
                if self._closed:
                    return
                generation, text, uid, cacheable, start_at = self._jobs.popleft()
                self._rendering, self._handed = uid, False
            try:
                self._render(generation, text, uid, cacheable, start_at)
            except Exception as exc:  # the engine must still hear that the line ended
                self.error = f"speech synthesis failed for {text[:40]!r}: {exc}"
                with self._lock:
                    if not self._handed and generation == self._generation:
                        self._pending.append(SpeechFinished(uid, 0, interrupted=True))
                    self.player.end(uid)
            finally:
                self.first_handed.set()
                with self._lock:
                    self._rendering = None

    def _render(
        self, generation: int, text: str, uid: int, cacheable: bool, start_at: int | None
    ) -> None:
        first = True
        for piece in self.synth.chunks(text, cacheable):
            with self._lock:
                if generation != self._generation:
                    return  # cut off while rendering: the rest is not wanted
                self.player.play(piece, uid, start_at if first else None, first=first, last=False)
                self._handed = True
            self.first_handed.set()
            first = False
        with self._lock:
            if generation == self._generation:
                self.player.end(uid)

    # ------------------------------------------------------------- interface

    @property
    def device_name(self) -> str:
        return self.player.device_name

    def check(self) -> str | None:
        """A message if the output device went away, else ``None``."""
        return self.player.lost

    def reopen(self) -> None:
        """Try the output device again (``AudioDeviceError`` if still gone)."""
        self.player.close()
        self.player.open()

    def stop(self) -> None:
        with self._lock:
            self._generation += 1
            now = self.player.clock_ms()
            for _, _, uid, _, _ in self._jobs:
                self._pending.append(SpeechFinished(uid, now, interrupted=True))
            self._jobs.clear()
            if self._rendering is not None and not self._handed:
                self._pending.append(SpeechFinished(self._rendering, now, interrupted=True))
            self.player.stop()

    def _collect(self) -> None:
        for event in self.player.events():
            if event.kind == "started":
                self.started_ms[event.utterance_id] = event.timestamp_ms
                self._current = event.utterance_id
            else:
                if event.utterance_id == self._current:
                    self._current = None
                self._pending.append(
                    SpeechFinished(event.utterance_id, event.timestamp_ms, event.interrupted)
                )

    @property
    def rendering(self) -> bool:
        """A line is waiting to be, or being, synthesised."""
        with self._lock:
            return bool(self._jobs) or self._rendering is not None

    @property
    def speaking(self) -> bool:
        with self._lock:
            self._collect()
            busy = bool(self._jobs) or self._rendering is not None
            return busy or self.player.busy or bool(self._pending)

    def finished(self, now_ms: int) -> list[SpeechFinished]:
        with self._lock:
            self._collect()
            due = [f for f in self._pending if f.timestamp_ms <= now_ms]
            self._pending = [f for f in self._pending if f.timestamp_ms > now_ms]
        for finished in due:
            self._texts.pop(finished.utterance_id, None)
        return due

    def text_now(self) -> str:
        with self._lock:
            self._collect()
            current = self._current
        return self._texts.get(current, "") if current is not None else ""

    def close(self) -> None:
        for stop in self.on_close:
            stop()
        self.first_handed.set()
        with self._lock:
            self._closed = True
            self._generation += 1
            self._jobs.clear()
            self._lock.notify_all()
        self.player.close()
        self.synth.close()


@dataclass(frozen=True)
class SpokenLine:
    utterance_id: int
    text: str
    start_ms: int
    cacheable: bool


class RecordingSpeaker:
    """A fake: records what was said; each line lasts as long as it would take to say
    at ``rate_wpm`` on the injected clock, and lines queue like the real speaker's."""

    def __init__(self, clock: Clock, rate_wpm: int = 150) -> None:
        self._clock = clock
        self.rate_wpm = rate_wpm
        self.lines: list[SpokenLine] = []
        self.interrupted: list[int] = []
        self._queue: list[tuple[int, int, int]] = []  # (utterance id, start ms, end ms)
        self._pending: list[SpeechFinished] = []

    def duration_ms(self, text: str) -> int:
        words = max(1, len(text.split()))
        return 200 + words * 60_000 // self.rate_wpm

    @property
    def said(self) -> list[str]:
        return [line.text for line in self.lines]

    def say(
        self, text: str, utterance_id: int, cacheable: bool = False, start_at_ms: int | None = None
    ) -> None:
        now = self._clock.now_ms()
        start = max([now, start_at_ms or 0] + [end for _, _, end in self._queue])
        self.lines.append(SpokenLine(utterance_id, text, start, cacheable))
        self._queue.append((utterance_id, start, start + self.duration_ms(text)))

    def stop(self) -> None:
        now = self._clock.now_ms()
        for utterance_id, _, end in self._queue:
            if end > now:
                self._pending.append(SpeechFinished(utterance_id, now, interrupted=True))
                self.interrupted.append(utterance_id)
        self._queue = [item for item in self._queue if item[2] <= now]

    @property
    def speaking(self) -> bool:
        return bool(self._queue) or bool(self._pending)

    def finished(self, now_ms: int) -> list[SpeechFinished]:
        for utterance_id, _, end in self._queue:
            if end <= now_ms:
                self._pending.append(SpeechFinished(utterance_id, end))
        self._queue = [item for item in self._queue if item[2] > now_ms]
        due, self._pending = self._pending, []
        return due

    def text_now(self) -> str:
        now = self._clock.now_ms()
        playing = [uid for uid, start, end in self._queue if start <= now < end]
        return " ".join(line.text for line in self.lines if line.utterance_id in playing)

    def close(self) -> None:
        pass
