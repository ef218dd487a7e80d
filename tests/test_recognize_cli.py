"""``backcoach recognize``: one line per file, JSON lines, error lines, exit code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.paths import fixtures_dir

WORSE = str(fixtures_dir() / "answers/worse_en-gb.wav")
YES = str(fixtures_dir() / "answers/yes_en-us.wav")
COUGH = str(fixtures_dir() / "noise/cough_0.flac")


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BACKCOACH_HOME", str(tmp_path / "home"))


def test_plain_lines(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["recognize", "--context", "symptom", WORSE, COUGH]) == 0
    out = capsys.readouterr()
    lines = out.out.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(WORSE + ": worse ")
    assert lines[1].startswith(COUGH + ": not understood")
    assert "auto: Whisper" in out.err  # the default engine says which it chose


def test_json_lines_and_error_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bogus = tmp_path / "notes.wav"
    bogus.write_text("hello")
    missing = tmp_path / "missing.wav"
    code = main(
        ["recognize", "--context", "yes-no", "--json", str(bogus), YES, str(missing), COUGH]
    )
    assert code != 0
    rows = [json.loads(line) for line in capsys.readouterr().out.strip().splitlines()]
    assert [row["file"] for row in rows] == [str(bogus), YES, str(missing), COUGH]
    assert rows[1]["intent"] == "yes"
    assert 0 < rows[1]["confidence"] <= 1 and rows[1]["decode_ms"] > 0
    assert rows[3]["intent"] is None
    for row in rows:
        assert {"file", "intent", "text", "confidence", "decode_ms"} <= row.keys()
    assert "not a readable audio file" in rows[0]["error"] and rows[0]["intent"] is None
    assert "no such file" in rows[2]["error"]


def test_text_engine_reads_typed_answers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    answer = tmp_path / "answer.txt"
    answer.write_text("Much worse.\n")
    assert main(["recognize", "--context", "symptom", "--engine", "text", str(answer)]) == 0
    assert ": worse " in capsys.readouterr().out


def test_context_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["recognize", WORSE])
    assert "--context" in capsys.readouterr().err


def test_the_rule_that_decided_is_shown(capsys: pytest.CaptureFixture[str]) -> None:
    """An answer Whisper alone asks again about, taken because PocketSphinx heard the
    same, says so; so does the rule that rejected a cough."""
    agreed = str(fixtures_dir() / "phrases/yes-no/no-i-havent__en-gb-scotland-klatt2.flac")
    assert main(["recognize", "--context", "yes-no", agreed, COUGH]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith(agreed + ": no ")
    assert "agreed (" in lines[0]
    assert lines[1].startswith(COUGH + ": not understood") and "(no speech)" in lines[1]
    assert main(["recognize", "--context", "yes-no", "--json", agreed]) == 0
    assert json.loads(capsys.readouterr().out)["reason"].startswith("agreed (")
