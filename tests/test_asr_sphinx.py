"""PocketSphinx on the committed fixture audio: right intents, rejection, streaming."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from assistant.asr.protocol import Recognizer, decode_clip
from assistant.asr.registry import create_recognizer
from assistant.asr.sphinx import SphinxRecognizer
from assistant.audioio import read_audio
from assistant.bench.fixtures import read_manifest
from assistant.dialog.engine import BETTER_MIN_CONFIDENCE, MIN_CONFIDENCE, WORSE_CONFIRM_BELOW
from assistant.events import Heard, NotUnderstood
from assistant.paths import fixtures_dir

ROWS = read_manifest()


@pytest.fixture(scope="module")
def sphinx() -> Iterator[SphinxRecognizer]:
    yield SphinxRecognizer()


def clip(name: str) -> np.ndarray:
    return read_audio(fixtures_dir() / name)


@pytest.mark.parametrize(
    ("name", "context", "intent"),
    [
        ("answers/better_en-gb.wav", "symptom", "better"),
        ("answers/better_en-us.wav", "symptom", "better"),
        ("answers/worse_en-gb.wav", "symptom", "worse"),
        ("answers/worse_en-us.wav", "symptom", "worse"),
        ("answers/about-the-same_en-gb.wav", "symptom", "same"),
        ("answers/same_en-us.wav", "symptom", "same"),
        ("answers/yes_en-gb.wav", "yes-no", "yes"),
        ("answers/left_en-us.wav", "side", "left"),
        ("answers/right_en-us.wav", "side", "right"),
        ("answers/seven_en-gb.wav", "number", "7"),
        ("answers/ten_en-us.wav", "number", "10"),
        ("answers/pause_en-gb.wav", "command", "pause"),
        ("answers/continue_en-us.wav", "command", "resume"),
        # global commands are heard in every context
        ("answers/stop_en-gb.wav", "symptom", "stop"),
        ("answers/ouch_en-us.wav", "number", "ouch"),
        ("phrases/routine/stenosis__en-gb-x-gbclan-klatt2.flac", "routine", "stenosis"),
    ],
)
def test_core_answers_are_understood(
    sphinx: SphinxRecognizer, name: str, context: str, intent: str
) -> None:
    result = decode_clip(sphinx, clip(name), context)
    assert isinstance(result, Heard), result
    assert result.intent == intent
    assert 0.0 < result.confidence <= 1.0


@pytest.mark.parametrize("transcript", ["worse", "much worse", "better", "a bit better"])
def test_better_and_worse_across_voices_never_swap(
    sphinx: SphinxRecognizer, transcript: str
) -> None:
    rows = [r for r in ROWS if r.kind == "phrase" and r.transcript == transcript]
    assert len({r.voice for r in rows}) >= 8
    opposite = {"better": "worse", "worse": "better"}[rows[0].intent]
    intents = [getattr(decode_clip(sphinx, clip(r.file), "symptom"), "intent", None) for r in rows]
    assert opposite not in intents
    assert intents.count(rows[0].intent) >= len(rows) - 3, intents


def test_plain_no_is_heard_across_voices(sphinx: SphinxRecognizer) -> None:
    """A plain "no" sounds to the model like the commands "go" and "ow": in the
    yes-no context the answer must still be heard, confidently enough to act on."""
    rows = [r for r in ROWS if r.kind == "phrase" and r.transcript == "no"]
    assert len({r.voice for r in rows}) >= 8
    results = [decode_clip(sphinx, clip(r.file), "yes-no") for r in rows]
    confident = [
        r.voice
        for r, x in zip(rows, results, strict=True)
        if isinstance(x, Heard) and x.intent == "no" and x.confidence >= 0.7
    ]
    assert len(confident) >= 5, results
    assert not [x for x in results if getattr(x, "intent", None) == "yes"], results
    answer = decode_clip(sphinx, clip("answers/no_en-us.wav"), "yes-no")
    assert isinstance(answer, Heard) and answer.intent == "no", answer
    assert answer.confidence >= 0.7, answer


def test_yes_and_no_never_swap_and_other_speech_is_no_answer(sphinx: SphinxRecognizer) -> None:
    answers = [r for r in ROWS if r.context == "yes-no"]
    assert {r.intent for r in answers} == {"yes", "no", "unsure"}
    for row in answers:
        result = decode_clip(sphinx, clip(row.file), "yes-no")
        if row.intent == "unsure":
            # Never a "no" the dialog would act on (go ahead and exercise); one voice's
            # "hmm not sure" is "not at all" at 0.62, which is asked again.
            assert not (
                isinstance(result, Heard)
                and result.intent == "no"
                and result.confidence >= MIN_CONFIDENCE
            ), (row.file, result)
            continue
        opposite = {"yes": "no", "no": "yes"}[row.intent]
        assert getattr(result, "intent", None) != opposite, (row.file, result)
    others = [r for r in ROWS if r.kind in ("oov", "noise")][::2]
    for row in others:
        result = decode_clip(sphinx, clip(row.file), "yes-no")
        assert getattr(result, "intent", None) not in ("yes", "no"), (row.file, result)


def test_noise_coughs_breathing_and_hum_are_not_understood(sphinx: SphinxRecognizer) -> None:
    noise = [r for r in ROWS if r.kind == "noise"]
    assert {r.voice for r in noise} >= {"stationary", "cough", "breath", "hum"}
    for row in noise:
        result = decode_clip(sphinx, clip(row.file), "symptom")
        assert isinstance(result, NotUnderstood), (row.file, result)


@pytest.mark.parametrize(
    ("transcript", "intent", "opposite"),
    [
        ("it's moved up into my back", "better", "worse"),
        ("it's going further down my leg", "worse", "better"),
    ],
)
def test_where_the_pain_goes_is_understood_in_most_voices(
    sphinx: SphinxRecognizer, transcript: str, intent: str, opposite: str
) -> None:
    """Centralising is better, spreading down the leg is worse: in at least 7 of the
    10 voices, and never the other way round (the rest are asked again)."""
    rows = [r for r in ROWS if r.kind == "phrase" and r.transcript == transcript]
    assert len(rows) == 10
    results = [decode_clip(sphinx, clip(r.file), "symptom") for r in rows]
    intents = [getattr(x, "intent", None) for x in results]
    assert opposite not in intents, intents
    assert intents.count(intent) >= 7, intents


def test_unrelated_speech_is_mostly_rejected(sphinx: SphinxRecognizer) -> None:
    """Unrelated speech is rarely an intent, and never a better or worse the dialog
    would take without asking again (known weakness: "banana" in one voice is "a lot
    better", below the dialog's floor for acting on a better)."""
    oov = [r for r in ROWS if r.kind == "oov" and "peter" not in r.file][::2]
    results = [decode_clip(sphinx, clip(r.file), "symptom") for r in oov]
    heard = [(r.file, x) for r, x in zip(oov, results, strict=True) if isinstance(x, Heard)]
    acted_on = [
        h
        for h in heard
        if (h[1].intent == "better" and h[1].confidence >= BETTER_MIN_CONFIDENCE)
        or (h[1].intent == "worse" and h[1].confidence >= WORSE_CONFIRM_BELOW)
    ]
    assert not acted_on, heard
    assert len([h for h in heard if h[1].intent in ("better", "worse")]) <= 1, heard
    assert len(heard) <= len(oov) // 5, heard


def test_known_weakness_my_name_is_peter_sounds_like_im_a_bit_better(
    sphinx: SphinxRecognizer,
) -> None:
    """Documented, not wanted: two of four voices saying "my name is Peter" are heard
    as "I'm a bit better".  The dialog must not act on a better it has not confirmed."""
    rows = [r for r in ROWS if r.kind == "oov" and "peter" in r.file]
    results = [decode_clip(sphinx, clip(r.file), "symptom") for r in rows]
    assert all(getattr(r, "intent", None) in (None, "better") for r in results)


def test_streaming_in_small_chunks_matches_the_whole_clip_and_keeps_time(
    sphinx: SphinxRecognizer,
) -> None:
    row = next(r for r in ROWS if r.file == "answers/worse_en-gb.wav")
    audio = clip(row.file)
    gap = np.random.default_rng(0).normal(0, 6, 8000).astype(np.int16)  # 0.5 s of room tone
    stream = np.concatenate([audio, gap, clip("answers/pause_en-us.wav"), gap])
    sphinx.reset()
    sphinx.set_context("symptom")
    results = []
    base_ms = 60_000
    for start in range(0, stream.size, 320):  # 20 ms chunks
        results += sphinx.accept(stream[start : start + 320], base_ms + start // 16)
    results += sphinx.flush()
    assert [getattr(r, "intent", None) for r in results] == ["worse", "pause"]
    first = results[0]
    assert base_ms <= first.start_ms <= base_ms + row.speech_start_ms
    assert abs(first.end_ms - (base_ms + row.speech_end_ms)) <= 150
    assert results[1].start_ms > first.end_ms


def test_not_listening_hears_nothing(sphinx: SphinxRecognizer) -> None:
    sphinx.reset()
    sphinx.set_context(None)
    assert sphinx.accept(clip("answers/stop_en-gb.wav"), 0) == []
    assert sphinx.flush() == []


def test_silence_gives_no_result(sphinx: SphinxRecognizer) -> None:
    room = np.random.default_rng(1).normal(0, 6, 32000).astype(np.int16)
    assert decode_clip(sphinx, room, "symptom") == NotUnderstood()


def test_create_recognizer_by_name() -> None:
    recognizer = create_recognizer("pocketsphinx")
    assert isinstance(recognizer, Recognizer)
    assert recognizer.name == "pocketsphinx"
    assert recognizer.sample_rate == 16000
    text = create_recognizer("text")
    assert text.name == "text"
    with pytest.raises(ValueError, match="unknown recognizer engine"):
        create_recognizer("siri")


def test_a_short_pause_inside_an_answer_does_not_end_it(sphinx: SphinxRecognizer) -> None:
    """Decoding starts in the first quiet after speech, before the end is certain; when
    the speaker goes on after 120 ms, that early decode gives nothing and the answer
    ends once, after the second word."""
    row = next(r for r in ROWS if r.file == "answers/worse_en-gb.wav")
    audio = clip(row.file)
    word = audio[: row.speech_end_ms * 16]
    hush = np.random.default_rng(1).normal(0, 6, 120 * 16).astype(np.int16)
    stream = np.concatenate([word, hush, audio[row.speech_start_ms * 16 :]])
    sphinx.reset()
    sphinx.set_context("symptom")
    results = []
    for start in range(0, stream.size, 320):
        results += sphinx.accept(stream[start : start + 320], start // 16)
    results += sphinx.flush()
    assert len(results) == 1, results
    assert results[0].end_ms >= row.speech_end_ms + 120


def test_the_endpointer_marks_the_first_quiet_then_the_end() -> None:
    from assistant.asr.endpoint import EndpointConfig, Endpointer

    row = next(r for r in ROWS if r.file == "answers/stop_en-gb.wav")
    audio = clip(row.file)
    quiet = np.random.default_rng(2).normal(0, 6, 8000).astype(np.int16)
    stream = np.concatenate([audio, quiet])
    endpointer = Endpointer(EndpointConfig(early_end_ms=60))
    events = [(e.kind, e) for e in endpointer.process(stream, 0) if e.kind != "audio"]
    assert [kind for kind, _ in events] == ["start", "pause", "end"]
    pause, end = events[1][1], events[2][1]
    assert pause.end_offset == end.end_offset and pause.end_ms == end.end_ms
    assert pause.decided_ms == end.end_ms + 60
    assert end.decided_ms == end.end_ms + 200
    assert abs(end.end_ms - row.speech_end_ms) <= 60
    plain = Endpointer(EndpointConfig())
    assert "pause" not in [e.kind for e in plain.process(stream, 0)]


def _boost_bass(audio: np.ndarray, gain_db: float = 24.0) -> np.ndarray:
    spectrum = np.fft.rfft(audio.astype(np.float64))
    spectrum[np.fft.rfftfreq(audio.size, 1 / 16000) < 250] *= 10 ** (gain_db / 20)
    out = np.fft.irfft(spectrum, audio.size)
    out *= 0.5 * 32767 / np.abs(out).max()
    return np.round(out).astype(np.int16)


def test_a_deep_bass_heavy_voice_is_still_heard(sphinx: SphinxRecognizer) -> None:
    """Most of a deep voice's energy can lie below 250 Hz (its pitch and first
    harmonics); that alone must not make it noise."""
    from assistant.asr.features import speech_band_ratio

    deep = _boost_bass(clip("answers/worse_en-gb.wav"))
    assert speech_band_ratio(deep) < 0.45  # what the old rumble check rejected
    result = decode_clip(sphinx, deep, "symptom")
    assert getattr(result, "intent", None) == "worse", result


def test_answers_barely_above_the_room_noise_are_asked_again(sphinx: SphinxRecognizer) -> None:
    """At 4 dB over pink room noise the grammar hears mostly wrong answers ("no" as
    "ouch", "about the same" as "ouch"): the coach asks again instead."""
    from assistant.asr.sphinx import Thresholds
    from assistant.bench.asr import Clip, mix

    contexts = {"better": "symptom", "worse": "symptom", "same": "symptom", "no": "yes-no"}
    rows = [r for r in ROWS if r.file.startswith("answers/") and r.intent in contexts]
    answers = [
        Clip(r.file, "phrase", contexts[r.intent], r.intent, clip(r.file), r.speech_end_ms)
        for r in rows
    ]
    ungated = SphinxRecognizer(thresholds=Thresholds(min_snr_db=-100.0))

    def heard(recognizer: SphinxRecognizer, condition: str) -> list[str]:
        results = [
            decode_clip(recognizer, mix(answer, condition, seed), answer.context)
            for answer in answers
            for seed in range(2)
        ]
        return [r.intent for r in results if isinstance(r, Heard)]

    assert len(heard(ungated, "snr4")) >= 8  # without the check: many, mostly wrong
    assert len(heard(sphinx, "snr4")) <= 1
    clear = heard(sphinx, "snr20")
    assert len(clear) >= len(answers) * 2 * 0.7


def test_noise_reduction_lowers_the_room_far_more_than_the_voice() -> None:
    from assistant.asr.denoise import denoise
    from assistant.bench.asr import Clip, mix

    def db(x: np.ndarray) -> float:
        return float(10 * np.log10(np.mean(x.astype(np.float64) ** 2) + 1))

    for name in ("answers/worse_en-us.wav", "answers/better_en-gb.wav", "answers/no_en-gb.wav"):
        row = next(r for r in ROWS if r.file == name)
        answer = Clip(row.file, "phrase", "symptom", row.intent, clip(row.file), row.speech_end_ms)
        noisy = mix(answer, "snr10", 0)
        cleaned = denoise(noisy)
        quiet = slice(0, 200 * 16)  # the room before the word
        speech = slice(row.speech_start_ms * 16, row.speech_end_ms * 16)
        room_cut = db(noisy[quiet]) - db(cleaned[quiet])
        voice_cut = db(noisy[speech]) - db(cleaned[speech])
        assert room_cut >= 8.0, (name, room_cut)
        assert voice_cut <= room_cut / 2, (name, voice_cut, room_cut)


def test_answers_in_room_noise_are_mostly_understood_and_never_reversed(
    sphinx: SphinxRecognizer,
) -> None:
    from assistant.bench.asr import Clip, mix

    contexts = {"better": "symptom", "worse": "symptom", "same": "symptom", "yes": "yes-no"}
    contexts |= {"no": "yes-no", "left": "side", "right": "side", "stop": "command"}
    rows = [r for r in ROWS if r.file.startswith("answers/") and r.intent in contexts]
    pairs = []
    for row in rows:
        answer = Clip(
            row.file, "phrase", contexts[row.intent], row.intent, clip(row.file), row.speech_end_ms
        )
        for seed in range(2):
            result = decode_clip(sphinx, mix(answer, "snr10", seed), answer.context)
            pairs.append((row.intent, getattr(result, "intent", None)))
    reversed_ = [p for p in pairs if set(p) in ({"better", "worse"}, {"yes", "no"})]
    assert not reversed_, pairs
    assert sum(said == heard for said, heard in pairs) >= 0.5 * len(pairs), pairs


def test_an_answer_ends_even_when_the_stream_began_quieter_than_the_room(
    sphinx: SphinxRecognizer,
) -> None:
    """A microphone (or a reverberant recording) can start with a few milliseconds far
    quieter than the room: the room tone after the answer must still end it."""
    rng = np.random.default_rng(5)
    start = np.zeros(160, np.int16)  # 10 ms of exact silence, as a driver starts
    room = rng.normal(0, 40, 16000).astype(np.int16)  # then an ordinary quiet room
    answer = clip("answers/better_en-us.wav")
    stream = np.concatenate([start, room[:8000], answer, room])
    sphinx.reset()
    sphinx.set_context("symptom")
    results = []
    for at in range(0, stream.size, 320):
        results += sphinx.accept(stream[at : at + 320], at // 16)
    assert [getattr(r, "intent", None) for r in results] == ["better"], results
