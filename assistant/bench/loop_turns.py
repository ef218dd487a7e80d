"""``bench loop``'s conversational turns: reply latency and barge-in latency.

* reply: end of the user's speech → first audio of the coach's reply;
* barge-in: end of the word "stop" → playback stopped.

Both start the clock at the end of the speech as the microphone tap heard it, so
they include input latency, the recogniser's end-of-speech wait and decoding.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from ..asr.spotter import BargeInSpotter
from ..config import Settings
from ..events import Heard, Say, SpeechFinished
from ..vocab import Context
from .engine import BenchEngine
from .loop_session import Session, percentile, read_clips
from .pulse import PulseAudio

ANSWERS = (
    "answers/better_en-us.wav",
    "answers/worse_en-gb.wav",
    "answers/about-the-same_en-us.wav",
    "answers/better_en-gb.wav",
    "answers/worse_en-us.wav",
    "answers/same_en-gb.wav",
)


def bench_replies(
    pulse: PulseAudio,
    settings: Settings,
    turns: int,
    answers: Sequence[str] = ANSWERS,
    context: Context = Context.SYMPTOM,
) -> dict[str, Any]:
    clips = read_clips(answers)
    engine = BenchEngine("reply", turns=turns, context=context)
    with Session(pulse, engine, settings, warm=engine.lines()) as session:
        misses = None
        for turn in range(turns):
            if not session.listening.wait(timeout=60):
                break
            if misses is None:  # after the first question (the cache starts empty)
                misses = session.speaker.synth.misses
            time.sleep(0.4)  # a pause before answering, as people do
            session.listening.clear()
            session.play(clips[turn % len(clips)])
            deadline = time.monotonic() + 15
            while len(engine.replies) <= turn and time.monotonic() < deadline:
                time.sleep(0.02)
        time.sleep(1.0)
    figures = _reply_figures(session, engine)
    # lines the voice had to render during the turns (0: every reply came from the cache)
    figures["reply_voice_rendered"] = session.speaker.synth.misses - (misses or 0)
    return figures


def _reply_figures(session: Session, engine: BenchEngine) -> dict[str, Any]:
    """Each reply timed from the end of the answer that led to it (the last loud
    frame between the previous reply's ``Say`` and this one's)."""
    latencies, heard = [], 0
    asr_ms, after_ms, voice_ms = [], [], []
    heard_as: list[str] = []
    played_after = 0
    for reply_id, event in sorted(engine.replies.items()):
        started = session.speaker.started_ms.get(reply_id)
        said_at = next(
            (t for k, a, t in session.events if isinstance(a, Say) and a.utterance_id == reply_id),
            None,
        )
        if started is None or said_at is None:
            continue
        end = session.tap.speech_end_before(said_at, played_after)
        played_after = said_at
        if end is None:
            continue
        latencies.append(started - end)
        voice_ms.append(started - said_at)
        heard += isinstance(event, Heard)
        heard_as.append(
            f"{event.intent} {event.confidence:.2f}" if isinstance(event, Heard) else "-"
        )
        decided = next((t for k, a, t in session.events if k == "event" and a is event), None)
        if decided is not None:
            asr_ms.append(decided - end)
            after_ms.append(started - decided)
    return {
        "replies": len(latencies),
        "understood": heard,
        "reply_p50_ms": round(percentile(latencies, 50)),
        "reply_p95_ms": round(percentile(latencies, 95)),
        "reply_max_ms": round(max(latencies)) if latencies else None,
        # where the time goes: speech end → recognizer's result → first audio of the reply
        "reply_recognizer_p50_ms": round(percentile(asr_ms, 50)),
        "reply_speak_p50_ms": round(percentile(after_ms, 50)),
        # the voice's share alone: the engine's Say → its first sound at the speaker
        "reply_voice_p50_ms": round(percentile(voice_ms, 50)),
        "reply_voice_p95_ms": round(percentile(voice_ms, 95)),
        "mic_overflows": getattr(session.tap.source, "overflows", None),
        "heard_as": heard_as,
        # each reply in turn order, beside heard_as: which answers are slow
        "reply_ms": [round(latency) for latency in latencies],
        "reply_recognizer_ms": [round(ms) for ms in asr_ms],
    }


class _BargeIns:
    """The barge-in figures as they come in, turn by turn."""

    def __init__(self) -> None:
        self.cuts: list[float] = []
        # where the time goes: end of the word → the spotter's result reaches the loop
        # (input latency, end-of-word wait, decoding) → playback stopped (output latency)
        self.heard_ms: list[float] = []
        self.cut_ms: list[float] = []
        self.missed: list[str] = []  # what the barge-in recognizer made of a "stop" it let pass

    def record(self, session: Session, item: SpeechFinished, played_at: int) -> None:
        """One long utterance has finished after a "stop" was played at ``played_at``."""
        if not item.interrupted:
            spotter = session.runtime.barge_in
            verdict = spotter.last_verdict if isinstance(spotter, BargeInSpotter) else None
            self.missed.append(repr(verdict))
            return
        end = session.tap.speech_end_before(item.timestamp_ms + 1000, played_at)
        if end is None:
            self.missed.append("cut off, but no end of the word found")
            return
        self.cuts.append(item.timestamp_ms - end)
        heard = next(
            (
                t
                for k, a, t in session.events
                if k == "event" and isinstance(a, Heard) and t >= played_at
            ),
            None,
        )
        if heard is not None:
            self.heard_ms.append(heard - end)
            self.cut_ms.append(item.timestamp_ms - heard)


def _finished(session: Session, uid: int, deadline: float) -> SpeechFinished | None:
    """The ``SpeechFinished`` of utterance ``uid``, or None if it does not come in time."""
    while time.monotonic() <= deadline:
        for _, item, _ in session.events:
            if isinstance(item, SpeechFinished) and item.utterance_id == uid:
                return item
        time.sleep(0.02)
    return None


#: The "stop"s said over the coach, in turn: US and British recordings, and the plain
#: espeak-ng British one PocketSphinx turns down (beside Whisper, its second opinion
#: takes it: the slow path, timed too).
BARGE_IN_CLIPS = (
    "answers/stop_en-us.wav",
    "answers/stop_en-gb.wav",
    "phrases/command/stop__en-gb.flac",
)


def bench_barge_in(
    pulse: PulseAudio, settings: Settings, turns: int, clips: Sequence[str] = BARGE_IN_CLIPS
) -> dict[str, Any]:
    stops = read_clips(clips)
    engine = BenchEngine("barge", turns=turns)
    figures = _BargeIns()
    with Session(pulse, engine, settings) as session:
        for turn in range(turns):
            deadline = time.monotonic() + 30
            while len(engine.long_ids) <= turn and time.monotonic() < deadline:
                time.sleep(0.02)
            if len(engine.long_ids) <= turn:
                break
            uid = engine.long_ids[turn]
            while uid not in session.speaker.started_ms and time.monotonic() < deadline:
                time.sleep(0.02)
            time.sleep(1.5)
            played_at = session.clock.now_ms()
            session.play(stops[turn % len(stops)])
            item = _finished(session, uid, deadline)
            if item is None:
                figures.missed.append("timed out")
            else:
                figures.record(session, item, played_at)
    cuts = figures.cuts
    spotter = session.runtime.barge_in
    return {
        "barge_in_spotter": getattr(spotter, "name", None),
        "barge_ins": len(cuts),
        "barge_in_p50_ms": round(percentile(cuts, 50)),
        "barge_in_p95_ms": round(percentile(cuts, 95)),
        "barge_in_max_ms": round(max(cuts)) if cuts else None,
        "barge_in_missed": figures.missed,
        "barge_in_cuts_ms": [round(cut) for cut in cuts],  # in turn order: the slow ones
        "barge_in_heard_p50_ms": round(percentile(figures.heard_ms, 50)),
        "barge_in_stop_p50_ms": round(percentile(figures.cut_ms, 50)),
        "speaker_latency_ms": session.speaker.player.latency_ms,
        "mic_latency_ms": getattr(session.tap.source, "latency_ms", None),
    }
