"""Piper renders in a process of its own (the session's memory never holds its model):
it ends when idle and comes back for the next line, long sentences are rendered a
clause at a time with every word kept, and a broken model is one clear line."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soxr

from assistant.bench.voice import _whisper, normalise, word_errors
from assistant.errors import SpeechOutputError
from assistant.tts.piper import PiperSynth
from assistant.tts.piper_child import clauses
from assistant.tts.piper_process import PiperProcess
from assistant.tts.voices import piper_model

pytest.importorskip("piper")

LONG_SENTENCE = (
    "If the pain spreads further down your leg, or you feel numbness around your "
    "bottom, stop the exercise and tell me, and we will try something gentler."
)


def test_the_session_process_never_imports_piper(tmp_path: Path) -> None:
    code = (
        "import sys; from pathlib import Path\n"
        "from assistant.tts.piper import PiperSynth\n"
        "from assistant.tts.voices import piper_model\n"
        f"s = PiperSynth(piper_model('piper'), cache_dir=Path({str(tmp_path)!r}))\n"
        "audio = s.synthesize('Relax.')\n"
        "s.close()\n"
        "print(len(audio.samples), 'piper' in sys.modules, 'onnxruntime' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    samples, piper, onnx = out.stdout.split()
    assert int(samples) > 5000 and piper == "False" and onnx == "False"


def test_the_render_process_ends_when_idle_and_comes_back_for_the_next_line() -> None:
    model = piper_model("piper")
    process = PiperProcess(model, Path(f"{model}.json"), idle_s=1.0)
    try:
        first, rate = process.render("Relax.", 1.0, 0.9)
        assert rate == 22050 and np.abs(first).max() > 5000
        pid = process.pid
        assert pid is not None
        deadline = time.monotonic() + 10
        while process.pid is not None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert process.pid is None  # it ended, and its memory went with it
        again, _ = process.render("Breathe out.", 1.0, 0.9)
        assert np.abs(again).max() > 5000 and process.spawned == 2
    finally:
        process.close()
    assert process.pid is None


def test_a_long_sentence_is_said_a_clause_at_a_time_with_every_word(tmp_path: Path) -> None:
    parts = clauses(LONG_SENTENCE)
    assert len(parts) >= 3 and " ".join(parts) == LONG_SENTENCE
    assert clauses("Is the pain better, worse or the same?") == [
        "Is the pain better, worse or the same?"
    ]
    synth = PiperSynth(piper_model("piper"), cache_dir=tmp_path)
    try:
        audio = synth.synthesize(LONG_SENTENCE)
    finally:
        synth.close()
    x = soxr.resample(audio.samples.astype(np.float32) / 32768, audio.sample_rate, 16000)
    segments, _ = _whisper(None).transcribe(x, language="en", beam_size=5)
    heard = normalise(" ".join(s.text for s in segments))
    reference = normalise(LONG_SENTENCE)
    assert word_errors(reference, heard) <= 1, heard  # no clipped or dropped words
    # the clauses are joined by a pause, as a comma is said
    level = np.abs(audio.samples.astype(np.int32))
    hop = audio.sample_rate // 100
    quiet = level[: len(level) // hop * hop].reshape(-1, hop).max(axis=1) < 200
    runs = np.diff(np.flatnonzero(np.diff(np.r_[0, quiet.astype(int), 0])))[::2]
    assert (runs >= 20).sum() >= len(parts) - 1, runs


def test_a_broken_model_is_one_clear_line(tmp_path: Path) -> None:
    model = tmp_path / "broken.onnx"
    model.write_bytes(b"not a model")
    real = piper_model("piper")
    Path(f"{model}.json").write_text(Path(f"{real}.json").read_text())
    synth = PiperSynth(model, cache_dir=tmp_path)
    try:
        with pytest.raises(SpeechOutputError) as caught:
            synth.synthesize("Relax.")
    finally:
        synth.close()
    message = str(caught.value)
    assert "Piper could not load" in message and str(model) in message
    assert 'voice = "en-us"' in message and "\n" not in message
