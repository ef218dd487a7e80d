"""The command-line surface as a user meets it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from assistant.cli import COMMANDS, main


def test_help_lists_every_command() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "assistant", "--help"], capture_output=True, text=True, check=True
    ).stdout
    for name, _summary in COMMANDS:
        assert f"    {name}" in out


def test_no_command_prints_help_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "commands:" in capsys.readouterr().out
