"""The ``Speaker`` protocol, the real one (pyttsx3 + sounddevice) and a recording fake."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ..clock import Clock
from ..events import SpeechFinished
from .player import SoundDevicePlayer
from .synth import Pyttsx3Synth

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
    """pyttsx3 synthesises to samples; a sounddevice stream plays them."""

    def __init__(self, synth: Pyttsx3Synth, player: SoundDevicePlayer) -> None:
        self.synth = synth
        self.player = player
        self._pending: list[SpeechFinished] = []
        self._texts: dict[int, str] = {}
        self._current: int | None = None
        #: utterance id → clock time its first sample was heard (for the benchmark)
        self.started_ms: dict[int, int] = {}

    def say(
        self, text: str, utterance_id: int, cacheable: bool = False, start_at_ms: int | None = None
    ) -> None:
        audio = self.synth.synthesize(text, cacheable=cacheable)
        self._texts[utterance_id] = text
        if self.player.lost is not None:
            self._pending.append(SpeechFinished(utterance_id, 0, interrupted=True))
            return
        self.player.play(audio, utterance_id, start_at_ms)

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
    def speaking(self) -> bool:
        self._collect()
        return self.player.busy or bool(self._pending)

    def finished(self, now_ms: int) -> list[SpeechFinished]:
        self._collect()
        due = [f for f in self._pending if f.timestamp_ms <= now_ms]
        self._pending = [f for f in self._pending if f.timestamp_ms > now_ms]
        for finished in due:
            self._texts.pop(finished.utterance_id, None)
        return due

    def text_now(self) -> str:
        self._collect()
        return self._texts.get(self._current, "") if self._current is not None else ""

    def close(self) -> None:
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
