"""Feeding one reply to the engine, as text or as audio on the virtual clock.

Apart from the runner's turn matching because this is where the timing lives:
audio goes through the recognizer in 20 ms chunks while the clock moves with it,
and a reply decoded before is replayed from :class:`DecodeCache`.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ..asr.registry import get as engine_spec
from ..events import Heard, NotUnderstood
from .audio import REACTION_MS, SAMPLE_RATE, Reply

if TYPE_CHECKING:  # the session calls in here; at run time this module needs none of it
    from .runner import ScenarioSession

#: ``wav:`` turns are always decoded from audio; with ``engine: text`` by this one.
AUDIO_ENGINE_FOR_WAV = "pocketsphinx"
_CHUNK = 320  # 20 ms of 16 kHz audio
_CHUNK_MS = _CHUNK * 1000 // SAMPLE_RATE


def hears_audio(engine: str) -> bool:
    return engine_spec(engine).hears_audio


def hear_text(session: ScenarioSession, reply: Reply, context: str) -> list[Heard | NotUnderstood]:
    from ..asr.matcher import match_intent

    if reply.text is None:
        session.driver.advance(reply.silence_ms)
        session.sync()
        return []
    duration = REACTION_MS + len(reply.text.split()) * 60_000 // reply.rate_wpm
    start = session.clock.now_ms()
    session.driver.advance(duration)
    session.sync()
    result = match_intent(reply.text, context, start_ms=start, end_ms=start + duration)
    if not session.engine.finished:
        session.deliver(result)
    return [result]


def hear_audio(session: ScenarioSession, reply: Reply, context: str) -> list[Heard | NotUnderstood]:
    """Stream the reply's audio through the recognizer while the clock moves with it.

    The reply ends with the first utterance the recognizer reports (the coach
    answers it; the microphone is muted while the coach talks), or with the
    audio.  A speech reply decoded before in the same context is replayed from
    the runner's cache, chunk by chunk on the same timeline; see ``DecodeCache``.
    """
    engine = session.engine_name if hears_audio(session.engine_name) else AUDIO_ENGINE_FOR_WAV
    samples = session.runner.audio.samples(reply)
    chunks = [samples[i : i + _CHUNK] for i in range(0, len(samples), _CHUNK)]
    start = session.clock.now_ms()
    cache = session.runner.decode_cache
    key = cache.key(engine, context, samples) if reply.silence_ms == 0 else None
    replay = cache.get(key) if key is not None else None
    recognizer: Any = None
    recorded: dict[int, list[Heard | NotUnderstood]] = {}
    listening: str | None = context

    def go_live(upto: int) -> Any:
        live = session.runner.recognizer(engine)
        live.reset()
        live.set_context(context)
        for index in range(upto):  # silently catch up: no result came before ``upto``
            live.accept(chunks[index], start + index * _CHUNK_MS)
        return live

    if replay is None:
        recognizer = go_live(0)
    for index, chunk in enumerate([*chunks, None]):
        chunk_ms = start + index * _CHUNK_MS
        if chunk_ms > session.clock.now_ms():
            session.driver.advance(chunk_ms - session.clock.now_ms())
            session.sync()
        if session.engine.finished:
            return []
        if session.engine.listening_context != listening:
            listening = session.engine.listening_context
            if recognizer is None:
                recognizer = go_live(index)
                replay = None
            key = None  # a context switch mid-reply is never cached
            recognizer.set_context(listening)
        if recognizer is not None:
            fresh = recognizer.flush() if chunk is None else recognizer.accept(chunk, chunk_ms)
            results = [r for r in fresh if isinstance(r, Heard | NotUnderstood)]
            if results:
                recorded[index] = [_shift(r, -start) for r in results]
        else:
            assert replay is not None
            results = [_shift(r, start) for r in replay.get(index, [])]
        if results:
            break
    if key is not None and recognizer is not None:
        cache.put(key, recorded)
    for result in results:
        if session.engine.finished:
            break
        session.deliver(result)
    return results


def _shift(result: Heard | NotUnderstood, delta_ms: int) -> Heard | NotUnderstood:
    return replace(result, start_ms=result.start_ms + delta_ms, end_ms=result.end_ms + delta_ms)


class DecodeCache:
    """Decoded replies by (engine, context, audio): a memo, not an approximation.

    The recognizer is ``reset()`` before every reply (endpointer, cepstral mean)
    and replies start on the same timeline offset, so decoding the same samples
    in the same context gives the same results at the same chunk; the cache
    stores them relative to the reply's start and replays them chunk by chunk on
    the virtual clock.  Silence is never cached, nor a reply during which the
    listening context changed.  ``enabled=False`` decodes everything live.
    """

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self._entries: dict[tuple[str, str, bytes], dict[int, list[Heard | NotUnderstood]]] = {}
        self.hits = 0
        self.misses = 0

    def key(self, engine: str, context: str, samples: Any) -> tuple[str, str, bytes] | None:
        if not self.enabled:
            return None
        digest = hashlib.blake2b(samples.tobytes(), digest_size=16).digest()
        return (engine, context, digest)

    def get(
        self, key: tuple[str, str, bytes] | None
    ) -> dict[int, list[Heard | NotUnderstood]] | None:
        if key is None:
            return None
        found = self._entries.get(key)
        if found is None:
            self.misses += 1
        else:
            self.hits += 1
        return found

    def put(
        self, key: tuple[str, str, bytes], results: dict[int, list[Heard | NotUnderstood]]
    ) -> None:
        self._entries[key] = results
