"""``backcoach doctor`` reports this machine as it is, and says how to fix each problem."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.commands.doctor import check_speech_output
from assistant.config import load_settings


def doctor(
    home: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "BACKCOACH_VOSK_MODEL"}
    environment.update({"BACKCOACH_HOME": str(home), "COLUMNS": "250", **(env or {})})
    return subprocess.run(
        [sys.executable, "-m", "assistant", "doctor", *args],
        capture_output=True,
        text=True,
        env=environment,
    )


def line(output: str, name: str) -> str:
    return next(row for row in output.splitlines() if name in row)


def test_ready_machine_exits_zero_and_lists_every_check(tmp_path: Path) -> None:
    result = doctor(tmp_path)
    assert result.returncode == 0, result.stdout
    for name in (
        "Python",
        "espeak-ng + pyttsx3",
        "PortAudio",
        "Microphone",
        "Speaker",
        "PocketSphinx model",
        "Vosk model",
        "Journal directory",
    ):
        assert name in result.stdout
    assert "ok" in line(result.stdout, "PocketSphinx model")
    assert "Audio saved" not in result.stdout  # pyttsx3's own chatter is kept out


def test_speech_output_really_synthesises(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BACKCOACH_HOME", str(tmp_path))
    speech = check_speech_output(load_settings())  # in-process: no PortAudio start-up
    assert speech.status == "ok"
    seconds = float(speech.found.split(": ")[1].split(" s")[0])
    assert seconds > 0.2  # a real word, not an empty file


def test_missing_vosk_model_is_a_warning_naming_every_place(tmp_path: Path) -> None:
    flag_dir, env_dir = tmp_path / "flag-model", tmp_path / "env-model"
    result = doctor(
        tmp_path, "--vosk-model", str(flag_dir), env={"BACKCOACH_VOSK_MODEL": str(env_dir)}
    )
    vosk = line(result.stdout, "Vosk model")
    assert "warn" in vosk
    assert str(flag_dir) in result.stdout and str(env_dir) in result.stdout
    assert ".cache/vosk" in result.stdout
    assert result.returncode == 0


def test_vosk_engine_without_model_fails(tmp_path: Path) -> None:
    result = doctor(tmp_path, "--engine", "vosk", "--vosk-model", str(tmp_path / "none"))
    assert result.returncode == 1
    assert "FAIL" in line(result.stdout, "Vosk model")
    assert "Required and not working: Vosk model" in result.stdout


def test_unwritable_journal_directory_fails_with_a_fix(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    result = doctor(blocker)
    assert result.returncode == 1
    assert "FAIL" in line(result.stdout, "Journal directory")
    assert "BACKCOACH_HOME to a" in result.stdout  # the fix, even where the table wraps


def test_unknown_voice_fails_and_says_where_voices_are_listed(tmp_path: Path) -> None:
    result = doctor(tmp_path, "--voice", "no-such-voice")
    assert result.returncode == 1
    speech = line(result.stdout, "espeak-ng + pyttsx3")
    assert "FAIL" in speech and "'no-such-voice'" in speech
    assert "espeak-ng --voices=en" in " ".join(result.stdout.split())


def test_a_vosk_model_folder_given_by_environment_is_found(tmp_path: Path) -> None:
    model = tmp_path / "vosk-model-small-en-us-0.15"
    for part in ("am", "conf", "graph"):
        (model / part).mkdir(parents=True)
    result = doctor(tmp_path, "--engine", "vosk", env={"BACKCOACH_VOSK_MODEL": str(model)})
    assert "ok" in line(result.stdout, "Vosk model") and str(model) in result.stdout
    assert result.returncode == 0


@pytest.mark.audio
def test_devices_are_found_through_a_running_sound_server(tmp_path: Path, pulse: object) -> None:
    result = doctor(tmp_path)  # the pulse fixture exports its server to the environment
    assert "ok" in line(result.stdout, "Microphone (input)")
    assert "ok" in line(result.stdout, "Speaker (output)")
    missing = doctor(tmp_path, "--input-device", "no-such-mic")
    assert "warn" in line(missing.stdout, "Microphone (input)")
    assert "'no-such-mic' was not found" in missing.stdout


@pytest.mark.skipif(sys.platform == "win32", reason="the places of a POSIX system")
def test_only_the_places_looked_in_on_this_system_are_listed(tmp_path: Path) -> None:
    result = doctor(tmp_path)
    text = " ".join(result.stdout.split())
    assert "/usr/share/vosk" in text and ".cache/vosk" in text
    assert "AppData" not in text


def test_a_damaged_journal_fails_with_the_fix_and_is_left_as_it_was(tmp_path: Path) -> None:
    from assistant.events import LogEntry
    from assistant.journal import open_journal

    path = tmp_path / "data" / "journal.sqlite3"
    with open_journal(path) as journal:
        for index in range(60):
            journal.record(LogEntry("session_started", index, {"routine": "extension"}))
            journal.record(LogEntry("exercise_started", index, {"exercise": "x" * 200}))
            journal.record(LogEntry("session_ended", index, {"outcome": "completed"}))
    intact = doctor(tmp_path)
    assert "ok" in line(intact.stdout, "Journal file") and "60 session(s)" in intact.stdout
    damaged = bytearray(path.read_bytes())
    damaged[4096 * 3 : 4096 * 3 + 2000] = b"\x17" * 2000  # a page of a table, overwritten
    path.write_bytes(damaged)
    result = doctor(tmp_path)
    assert result.returncode == 1
    assert "FAIL" in line(result.stdout, "Journal file")
    text = " ".join(result.stdout.split())
    assert "damaged" in text and "move it aside" in text
    assert path.read_bytes() == damaged
