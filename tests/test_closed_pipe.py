"""Output piped into a program that stops reading (``backcoach history --json | head``):
no traceback, and no "Exception ignored" when Python flushes on the way out."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.events import LogEntry
from assistant.journal import open_journal

COMMANDS = (
    ["history", "--json"],
    ["history", "--csv"],
    ["history"],
    ["routines", "list"],
    ["routines", "show", "extension"],
    ["--help"],
    ["history", "--help"],
)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("home")
    os.environ["BACKCOACH_HOME"] = str(home)
    try:
        with open_journal() as journal:
            for _ in range(3):
                journal.record(LogEntry("session_started", 0, {"routine": "extension"}))
                journal.record(LogEntry("session_ended", 1, {"outcome": "completed"}))
    finally:
        del os.environ["BACKCOACH_HOME"]
    return home


def backcoach(home: Path, command: list[str], stdout: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "assistant", *command],
        stdout=stdout,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "BACKCOACH_HOME": str(home)},
        timeout=60,
    )


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_closed_pipe_ends_the_command_quietly(home: Path, command: list[str]) -> None:
    # The command does write to its output (else the closed pipe proves nothing).
    assert backcoach(home, command, subprocess.PIPE).stdout.strip()
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first byte is written
    try:
        result = backcoach(home, command, write_end)
    finally:
        os.close(write_end)
    assert result.stderr == ""
    assert result.returncode in (0, 1)
