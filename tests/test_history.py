"""``backcoach history``: what a user sees of their past sessions, and erasing them."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.events import LogEntry
from assistant.journal import open_journal
from assistant.paths import journal_file

TZ = timezone(timedelta(hours=1))


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("BACKCOACH_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def E(kind: str, **data: object) -> LogEntry:
    return LogEntry(kind, 0, data)


def fill(home: Path) -> None:
    """Three sessions on three days: completed, stopped worse, interrupted."""
    days = iter(
        datetime(2026, 11, d, 7, 30, tzinfo=TZ) + timedelta(seconds=s)
        for d in (2, 4, 9)
        for s in range(100)
    )
    stamps: list[datetime] = []

    def now() -> datetime:
        stamps.append(next(days))
        return stamps[-1]

    with open_journal(now=now) as j:
        for entry in (
            E("session_started", routine="extension", engine="pocketsphinx"),
            E("rating", phase="before", value=7),
            E("exercise_started", exercise="prone-lying"),
            E(
                "exercise_finished",
                exercise="prone-lying",
                reps_done=0,
                hold_s_done=120,
                answer="better",
            ),
            E("exercise_started", exercise="press-up"),
            E("command", intent="slower", exercise="press-up"),
            E("exercise_finished", exercise="press-up", reps_done=10, hold_s_done=2, answer="same"),
            E("rating", phase="after", value=5),
            E("session_ended", outcome="completed", reason="routine finished"),
        ):
            j.record(entry)
    # Each session on its own day: skip ahead.
    while stamps[-1].day == 2:
        stamps.append(next(days))
    with open_journal(now=now) as j:
        for entry in (
            E("session_started", routine="flexion", engine="vosk"),
            E("rating", phase="before", value=6),
            E("exercise_started", exercise="supine-flexion"),
            E("exercise_finished", exercise="supine-flexion", reps_done=6, answer="worse"),
            E("session_ended", outcome="stopped_worse", reason="the leg pain got worse"),
        ):
            j.record(entry)
    while stamps[-1].day == 4:
        stamps.append(next(days))
    with pytest.raises(KeyboardInterrupt), open_journal(now=now) as j:
        j.record(E("session_started", routine="extension", engine="text"))
        j.record(E("exercise_started", exercise="prone-lying"))
        raise KeyboardInterrupt


def backcoach(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_the_table_shows_date_routine_outcome_exercises_and_answers(home: Path) -> None:
    fill(home)
    done = backcoach("history")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    first = next(line for line in lines if "2026-11-02 07:30" in line)
    for text in ("extension", "completed", "7→5", "prone-lying: better"):
        assert text in first
    assert any("press-up: same" in line for line in lines)
    second = next(line for line in lines if "2026-11-04 07:30" in line)
    for text in ("flexion", "stopped: worse", "6→–", "supine-flexion: worse"):
        assert text in second
    third = next(line for line in lines if "2026-11-09 07:30" in line)
    assert "interrupted" in third and "prone-lying: not finished" in third
    assert f"Showing 3 sessions, 02 Nov 2026 to 09 Nov 2026. Journal: {journal_file()}" in (
        done.stdout
    )


def test_last_n_as_json_has_every_detail(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fill(home)
    assert main(["history", "--last", "2", "--json"]) == 0
    sessions = json.loads(capsys.readouterr().out)
    assert [s["routine"] for s in sessions] == ["flexion", "extension"]
    flexion, crashed = sessions
    assert flexion["outcome"] == "stopped_worse"
    assert flexion["reason"] == "the leg pain got worse"
    assert flexion["started_at"].startswith("2026-11-04T07:30")
    assert (flexion["pain_before"], flexion["pain_after"]) == (6, None)
    assert flexion["exercises_done"] == 1
    assert flexion["exercises"][0]["exercise"] == "supine-flexion"
    assert flexion["exercises"][0]["reps_done"] == 6
    assert flexion["exercises"][0]["answer"] == "worse"
    assert flexion["engine"] == "vosk"
    assert crashed["outcome"] == "interrupted"
    assert crashed["exercises_done"] == 0
    assert crashed["exercises"][0]["finished_at"] is None


def test_csv_has_one_row_per_session(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fill(home)
    assert main(["history", "--csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["routine"] for r in rows] == ["extension", "flexion", "extension"]
    first = rows[0]
    assert first["outcome"] == "completed"
    assert (first["pain_before"], first["pain_after"]) == ("7", "5")
    assert first["exercises_done"] == "2"
    assert first["answers"] == "prone-lying: better; press-up: same"
    assert first["commands"] == "slower"
    assert rows[2]["outcome"] == "interrupted" and rows[2]["pain_before"] == ""


def test_an_empty_journal_gives_a_friendly_message_and_creates_nothing(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["history"]) == 0
    out = capsys.readouterr().out
    assert "No sessions in the journal yet" in out and "backcoach run" in out
    assert not journal_file().exists()
    assert main(["history", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["history", "--csv"]) == 0
    assert capsys.readouterr().out.startswith("id,started_at,ended_at,routine")


def test_last_must_be_a_positive_number(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["history", "--last", "0"])
    assert exc.value.code == 2
    assert "1 or more" in capsys.readouterr().err


def test_delete_erases_after_typing_delete(home: Path) -> None:
    fill(home)
    done = backcoach("history", "--delete", stdin="delete\n")
    assert done.returncode == 0, done.stderr
    assert f"This permanently erases 3 sessions from the journal: {journal_file()}" in done.stdout
    assert 'Type "delete"' in done.stdout
    assert f"Deleted 3 sessions from {journal_file()}." in done.stdout
    with open_journal() as j:
        assert j.sessions() == []


@pytest.mark.parametrize("typed", ["yes\n", "y\n", "", "Delete it\n"])
def test_delete_keeps_everything_unless_the_word_is_typed(
    home: Path,
    typed: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fill(home)
    monkeypatch.setattr(sys, "stdin", io.StringIO(typed))
    assert main(["history", "--delete"]) == 1
    assert "Nothing deleted." in capsys.readouterr().out
    with open_journal() as j:
        assert j.count() == 3


def test_delete_cannot_be_limited_to_the_last_sessions(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fill(home)
    assert main(["history", "--delete", "--last", "1"]) == 2
    assert "cannot be limited with --last" in capsys.readouterr().out
    with open_journal() as j:
        assert j.count() == 3


def test_delete_without_a_journal_says_so(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["history", "--delete"]) == 0
    assert "Nothing to delete" in capsys.readouterr().out


def test_a_damaged_journal_gives_one_line_and_no_traceback(home: Path) -> None:
    path = journal_file()
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\x00garbage" * 500)
    done = backcoach("history")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    [line] = done.stderr.strip().splitlines()
    assert str(path) in line and "move it aside" in line
    assert path.read_bytes() == b"\x00garbage" * 500


HOLDER = """
import sys
from assistant.events import LogEntry
from assistant.journal import open_journal
with open_journal() as j:
    j.record(LogEntry("session_started", 0, {"routine": "flexion", "engine": "text"}))
    print("started", flush=True)
    sys.stdin.readline()
"""


def test_a_running_session_shows_in_progress_and_blocks_delete(home: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "started"
        shown = backcoach("history")
        assert "in progress" in shown.stdout
        refused = backcoach("history", "--delete", stdin="delete\n")
        assert refused.returncode == 1
        assert "still running" in refused.stdout
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)
        if holder.stdout:
            holder.stdout.close()
    with open_journal() as j:
        [s] = j.sessions()
    assert s.outcome == "interrupted"  # it closed without an ending
