"""``backcoach run --text``: a typed session on the real clock, made fast for tests."""

from __future__ import annotations

import io
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.dialog.engine import Engine
from assistant.dialog.routine import load_routines
from assistant.errors import JournalError
from assistant.events import Heard, LogEntry, NotUnderstood
from assistant.textsession import ScaledClock, TextSession, run_text

FAST = 2000.0  # the clock runs this much faster while the coach counts


def run(routine: str, lines: list[str]) -> tuple[int, str]:
    out = io.StringIO()
    code = run_text(
        Settings(routine=routine),  # type: ignore[arg-type]
        fast=True,
        stdin=io.StringIO("".join(line + "\n" for line in lines)),
        stdout=out,
        journal=False,
        rate=FAST,
    )
    return code, out.getvalue()


def test_a_typed_session_from_start_to_summary() -> None:
    code, out = run(
        "stenosis",
        [
            *("no", "nope", "no", "no", "five", "in my thigh", "left"),
            *("about the same", "", "it's better", "better", "better", "3"),
        ],
    )
    assert code == 0
    assert "Coach: Since this pain started" in out
    assert "You: about the same" in out
    assert "not suitable" in out
    assert "Next: Knees to chest, lying on your back." in out
    assert "from five to three out of ten" in out
    assert out.rstrip().endswith("Session ended: completed.")


def test_typed_words_are_matched_never_guessed() -> None:
    code, out = run(
        "stenosis", ["no", "no", "no", "no", "skip", "skip", "not better", "worse", "yes"]
    )
    assert "Sorry, I didn't understand that" in out.split("You: not better", 1)[1]
    assert "didn't catch" not in out  # typed words are not misheard (issue 13)
    assert "not suitable" in out  # worse at full confidence is acted on
    assert code == 0


def test_red_flag_by_typing_yes() -> None:
    code, out = run("extension", ["yes"])
    assert code == 0
    assert "emergency" in out and "Session ended: red flag." in out


def test_end_of_input_ends_cleanly() -> None:
    code, out = run("extension", ["no"])
    assert code == 0
    assert "End of input: ending the session." in out
    assert "Traceback" not in out


def test_ctrl_c_ends_cleanly_with_130() -> None:
    def interrupt(text: str, context: str) -> Heard | NotUnderstood:
        raise KeyboardInterrupt

    clock = ScaledClock()
    engine = Engine(load_routines(), clock, routine_id="extension")
    out = io.StringIO()
    session = TextSession(
        engine, clock, lines=iter(["no\n"]), out=out, interactive=False, matcher=interrupt
    )
    assert session.run() == 130
    assert "Interrupted: ending the session." in out.getvalue()
    assert engine.outcome == "interrupted"


def test_commands_typed_during_counting_in_a_terminal() -> None:
    """Interactive: lines arrive while the coach counts; "pause" then "stop"."""
    clock = ScaledClock()
    engine = Engine(load_routines(), clock, routine_id="extension", start_at="side-glide")

    def typing() -> Iterator[str]:
        while engine.phase != "counting":
            time.sleep(0.01)
        yield "pause"
        time.sleep(0.05)
        yield "stop"

    out = io.StringIO()
    session = TextSession(
        engine, clock, lines=typing(), out=out, interactive=True, fast=True, fast_factor=50
    )
    done = threading.Event()
    result: list[int] = []

    def go() -> None:
        result.append(session.run())
        done.set()

    threading.Thread(target=go, daemon=True).start()
    assert done.wait(10)
    text = out.getvalue()
    assert "Coach: Paused. Say resume when you're ready." in text
    assert engine.outcome == "stopped_by_user" and result == [0]


def test_scaled_clock_runs_faster_without_jumping() -> None:
    now = [100.0]
    clock = ScaledClock(source=lambda: now[0])
    now[0] += 1
    assert clock.now_ms() == 1000
    clock.set_rate(10)
    now[0] += 1
    assert clock.now_ms() == 11_000
    assert clock.seconds_until(21_000) == pytest.approx(1.0)
    clock.set_rate(1)
    assert clock.now_ms() == 11_000


def test_the_command_line_runs_a_piped_session(tmp_path: Path) -> None:
    script = "no\nno\nyes\n"
    result = subprocess.run(
        [sys.executable, "-m", "assistant", "run", "--text", "--fast", "--routine", "stenosis"],
        input=script,
        capture_output=True,
        text=True,
        timeout=60,
        env={"BACKCOACH_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    assert "Session ended: red flag." in result.stdout
    assert (tmp_path / "data" / "journal.sqlite3").exists()


def test_a_second_session_at_the_same_time_is_announced_and_both_are_saved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assistant.events import LogEntry
    from assistant.journal import open_journal

    monkeypatch.setenv("BACKCOACH_HOME", str(tmp_path))
    with open_journal() as other:  # another session, still running in this process
        other.record(LogEntry("session_started", 0, {"routine": "flexion"}))
        out = io.StringIO()
        code = run_text(
            Settings(routine="extension"),
            fast=True,
            stdin=io.StringIO("yes\n"),
            stdout=out,
            rate=FAST,
        )
        assert code == 0
        assert "another Back Coach session is running at the same time" in out.getvalue()
        other.record(LogEntry("session_ended", 10, {"outcome": "completed"}))
    with open_journal() as journal:
        outcomes = sorted(s.outcome for s in journal.sessions())
    assert outcomes == ["completed", "red_flag"]


class FlakyJournal:
    """A journal that is locked for one write: the entry is kept and written with the next."""

    def __init__(self) -> None:
        self.entries: list[str] = []
        self.pending: list[str] = []
        self.calls = 0

    def record(self, entry: LogEntry) -> None:
        self.calls += 1
        self.pending.append(entry.kind)
        if self.calls == 2:
            raise JournalError("journal.sqlite3: the journal is locked by another program")
        self.entries += self.pending
        self.pending.clear()


def test_a_passing_journal_failure_loses_nothing_and_is_reported_once() -> None:
    journal = FlakyJournal()
    clock = ScaledClock(rate=FAST)
    engine = Engine(load_routines(), clock, routine_id="extension")
    out = io.StringIO()
    answers = iter(["no\n"] * 4 + ["4\n", "my back\n", "middle\n", "worse\n", "3\n"])
    session = TextSession(engine, clock, lines=answers, out=out, interactive=False, journal=journal)
    session.run()
    assert engine.outcome == "stopped_worse"
    assert journal.entries[-1] == "session_ended"  # recording went on after the failure
    assert len(journal.entries) == journal.calls
    assert out.getvalue().count("the journal is locked") == 1


def test_ready_typed_in_a_terminal_starts_the_count() -> None:
    """Interactive, on the real clock: the count waits for "ready" (not the 15 s it
    would wait for nobody), then starts a lead-in later (issue 12 item 9)."""
    clock = ScaledClock()
    engine = Engine(load_routines(), clock, routine_id="extension", start_at="side-glide")
    typed_at: list[float] = []

    def typing() -> Iterator[str]:
        while engine.phase != "counting":
            time.sleep(0.01)
        time.sleep(0.3)
        typed_at.append(time.monotonic())
        yield "ready"
        while "One, hips" not in out.getvalue() and time.monotonic() - typed_at[0] < 10:
            time.sleep(0.01)
        yield "stop"

    out = io.StringIO()
    session = TextSession(engine, clock, lines=typing(), out=out, interactive=True)
    done = threading.Event()
    threading.Thread(target=lambda: (session.run(), done.set()), daemon=True).start()
    assert done.wait(20)
    text = out.getvalue()
    assert "Say ready when you're in position." in text
    assert "Coach: One, hips to the wall." in text.split("Say ready", 1)[1]
    assert engine.outcome == "stopped_by_user"


def test_a_piped_ready_starts_the_count_and_other_lines_wait_for_the_question() -> None:
    """Piped input: "ready" is taken at the "say ready" turn (it used to wait for the
    next question and be answered there as "didn't understand"); a line that is not
    "ready" is kept for the question after the count."""
    code, out = run(
        "extension",
        [*("no", "no", "no", "no", "5", "thigh", "left"), "ready", "same", "stop"],
    )
    assert code == 0
    first = out.split("Say ready when you're in position.", 1)[1]
    assert first.lstrip().startswith("You: ready\nCoach: Stay where you are")
    assert "You: same\nCoach: Next: Propped on your elbows." in first
    assert "didn't understand" not in out

    code, out = run("extension", [*("no", "no", "no", "no", "5", "thigh", "left"), "same", "stop"])
    after_count = out.split("Say ready when you're in position.", 1)[1]
    assert after_count.index("That is the time.") < after_count.index("You: same")
