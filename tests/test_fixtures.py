"""The committed audio fixtures: complete, lean, dithered, reproducible."""

from __future__ import annotations

import tempfile
from collections import defaultdict
from pathlib import Path

import numpy as np
import soundfile as sf

from assistant.asr import phrases
from assistant.audioio import read_audio
from assistant.bench.fixtures import (
    ANSWER_VOICES,
    CORE_ANSWERS,
    _framed,
    read_manifest,
    slug,
    synthesize,
)
from assistant.paths import fixtures_dir

ROWS = read_manifest()


def test_every_phrase_in_at_least_eight_voices() -> None:
    voices: dict[tuple[str, str], set[str]] = defaultdict(set)
    for row in ROWS:
        if row.kind == "phrase":
            voices[(row.context, row.transcript)].add(row.voice)
    for sample in phrases.samples():
        assert len(voices[(sample.context, sample.text)]) >= 8, sample


def test_manifest_rows_match_files_and_transcripts() -> None:
    for row in ROWS:
        path = fixtures_dir() / row.file
        assert path.is_file(), row.file
        if row.kind in ("phrase", "answer"):
            assert slug(row.transcript) in path.name
            assert row.intent and row.context
            assert row.speech_start_ms < row.speech_end_ms


def test_rejection_material_is_there() -> None:
    kinds = {row.kind for row in ROWS}
    assert {"oov", "noise"} <= kinds
    assert {r.voice for r in ROWS if r.kind == "noise"} == {"stationary", "cough", "breath", "hum"}
    assert len({r.transcript for r in ROWS if r.kind == "oov"}) >= 10


def test_core_answers_as_wav_for_scenarios() -> None:
    for text, _context in CORE_ANSWERS:
        for voice in ("en-gb", "en-us"):
            path = fixtures_dir() / "answers" / f"{slug(text)}_{voice}.wav"
            info = sf.info(path)
            assert (info.samplerate, info.channels, info.format) == (16000, 1, "WAV")


def test_clips_are_16k_mono_with_dither_not_digital_silence() -> None:
    for row in ROWS[::25]:
        info = sf.info(fixtures_dir() / row.file)
        assert (info.samplerate, info.channels) == (16000, 1)
        samples = read_audio(fixtures_dir() / row.file)
        lead = samples[: 16 * 200]
        assert np.count_nonzero(lead) > lead.size // 2
        assert np.sqrt(np.mean(lead.astype(float) ** 2)) < 30


def test_folder_is_lean() -> None:
    total = sum(p.stat().st_size for p in fixtures_dir().rglob("*") if p.is_file())
    assert total < 30 * 1024 * 1024


def test_generation_is_deterministic() -> None:
    row = next(r for r in ROWS if r.file == "answers/worse_en-gb.wav")
    voice = next(v for v in ANSWER_VOICES if v.id == "en-gb")
    with tempfile.TemporaryDirectory() as tmp:
        again, start, end = _framed(synthesize(row.transcript, voice, Path(tmp)), row.file)
    assert (start, end) == (row.speech_start_ms, row.speech_end_ms)
    assert np.array_equal(again, read_audio(fixtures_dir() / row.file))
