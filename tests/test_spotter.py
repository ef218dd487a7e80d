"""The barge-in spotter: "stop", "pause", "ouch" are spotted soon after the word
ends; the coach's own prompts, other answers, out-of-vocabulary speech and noise
never barge in.  Times are on the audio's own timeline (deterministic), not the
wall clock: the speed target itself is in ``backcoach bench loop``."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import numpy.typing as npt
import pytest

from assistant.asr.spotter import BargeInSpotter
from assistant.audio.source import dither
from assistant.audioio import read_audio
from assistant.bench.fixtures import ManifestRow, read_manifest
from assistant.events import Heard, NotUnderstood
from assistant.paths import fixtures_dir
from assistant.runtime import BARGE_IN_INTENTS

BLOCK = 320  # 20 ms, as the microphone delivers them
LEAD_MS = 300  # room noise before each clip
#: The full recognizer waits 200 ms of quiet before it even starts decoding; the
#: spotter must have decided well within that after the end of the word.
DECIDED_WITHIN_MS = 150


@pytest.fixture(scope="module")
def spotter() -> Iterator[BargeInSpotter]:
    spotter = BargeInSpotter(BARGE_IN_INTENTS)
    spotter.set_context("command")
    yield spotter


def spot(
    spotter: BargeInSpotter, clip: npt.NDArray[np.int16], seed: int = 5
) -> list[tuple[Heard | NotUnderstood, int]]:
    """Feed ``clip`` (after ``LEAD_MS`` of room noise, with a second after it) in
    20 ms blocks; each result with the clip time (ms) of the block that gave it."""
    room = dither(16000 + LEAD_MS * 16, seed=seed)
    audio = np.concatenate([room[: LEAD_MS * 16], clip, room[LEAD_MS * 16 :]]).astype(np.int16)
    spotter.reset()
    found = []
    for start in range(0, audio.size, BLOCK):
        for result in spotter.accept(audio[start : start + BLOCK], start // 16):
            found.append((result, (start + BLOCK) // 16 - LEAD_MS))
    return found


def _rows(*kinds: str) -> list[ManifestRow]:
    return [row for row in read_manifest() if row.kind in kinds]


def _barge_in_rows() -> list[ManifestRow]:
    return [
        row
        for row in _rows("phrase", "answer")
        if row.intent in BARGE_IN_INTENTS and row.context == "command"
    ]


def test_the_recorded_stop_pause_and_ouch_are_spotted_soon_after_the_word(
    spotter: BargeInSpotter,
) -> None:
    rows = [row for row in _barge_in_rows() if row.kind == "answer"]
    assert {row.intent for row in rows} == set(BARGE_IN_INTENTS)
    for row in rows:
        found = spot(spotter, read_audio(fixtures_dir() / row.file))
        assert [r.intent for r, _ in found if isinstance(r, Heard)] == [row.intent], row.file
        [(_, decided_ms)] = found
        assert decided_ms <= row.speech_end_ms + DECIDED_WITHIN_MS, row.file


def test_most_voices_of_every_barge_in_phrase_are_spotted(spotter: BargeInSpotter) -> None:
    rows = [row for row in _barge_in_rows() if row.kind == "phrase"]
    assert len(rows) >= 50
    spotted, late, wrong = [], [], []
    for row in rows:
        found = spot(spotter, read_audio(fixtures_dir() / row.file))
        heard = [(r, t) for r, t in found if isinstance(r, Heard)]
        if not heard:
            continue
        (result, decided_ms), *_ = heard
        if result.intent != row.intent:
            wrong.append(row.file)
        elif decided_ms > row.speech_end_ms + DECIDED_WITHIN_MS:
            late.append(row.file)
        else:
            spotted.append(row.file)
    assert not wrong
    assert not late
    # the US English voices (the bundled model's own) all; British ones mostly
    us = [row.file for row in rows if "en-us" in row.voice]
    assert set(us) <= set(spotted), sorted(set(us) - set(spotted))
    assert len(spotted) >= 0.8 * len(rows), len(spotted)


def test_other_answers_never_barge_in(spotter: BargeInSpotter) -> None:
    """Numbers, yes/no, better/worse, sides: "four" is not "pause", "no" not "ow"."""
    rows = [row for row in _rows("answer") if row.intent not in BARGE_IN_INTENTS]
    assert len(rows) >= 40
    for row in rows:
        found = spot(spotter, read_audio(fixtures_dir() / row.file))
        assert not found, (row.file, found)


@pytest.mark.slow
def test_out_of_vocabulary_speech_and_noise_never_barge_in(spotter: BargeInSpotter) -> None:
    rows = _rows("oov", "noise")
    assert len(rows) >= 80
    for row in rows:
        found = spot(spotter, read_audio(fixtures_dir() / row.file))
        assert not found, (row.file, found)


def _coach_lines() -> list[str]:
    from assistant.dialog import prompts
    from assistant.dialog.routine import load_routines

    lines = [v for k, v in vars(prompts).items() if k.isupper() and isinstance(v, str)]
    lines += list(prompts.RED_FLAG_QUESTIONS)
    routine = load_routines()["extension"]
    lines += list(prompts.cached_lines([routine]))
    # Said only together with End, when the runtime no longer feeds the spotter.
    # (The spotter hears "that hurts" in "haven't heard from you": left to its tuning.)
    lines.remove(prompts.NO_RESPONSE_GOODBYE)
    for exercise in routine.exercises:
        lines += [exercise.position, *exercise.steps, *exercise.rep_cues]
        lines += [exercise.hold_cue, exercise.release_cue]
    return list(dict.fromkeys(line for line in lines if line))


@pytest.mark.slow
def test_the_coach_s_own_prompts_never_barge_in(spotter: BargeInSpotter) -> None:
    """The coach's lines as the project's synthesiser says them (heard back through
    the room): nothing barges in, except a barge-in word the line itself says,
    which the runtime ignores (it is the coach, not the user)."""
    import soxr

    from assistant.tts.synth import Pyttsx3Synth

    synth = Pyttsx3Synth("en-us", 150)
    try:
        for index, line in enumerate(_coach_lines()):
            audio = synth.synthesize(line)
            samples = soxr.resample(audio.samples, audio.sample_rate, 16000).astype(np.int16)
            samples = (samples + dither(samples.size, seed=index)).astype(np.int16)
            for result, _ in spot(spotter, samples, seed=index):
                assert isinstance(result, Heard) and result.intent in line.lower(), (line, result)
    finally:
        synth.close()


def test_it_is_off_without_a_context_and_reports_only_barge_ins(
    spotter: BargeInSpotter,
) -> None:
    stop = read_audio(fixtures_dir() / "answers/stop_en-us.wav")
    spotter.set_context(None)
    try:
        assert spot(spotter, stop) == []
    finally:
        spotter.set_context("command")
    # "better" is decoded as itself and not reported at all
    assert spot(spotter, read_audio(fixtures_dir() / "answers/better_en-us.wav")) == []
    assert [r.intent for r, _ in spot(spotter, stop) if isinstance(r, Heard)] == ["stop"]
