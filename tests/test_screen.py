"""The session screen in a real terminal (tmux), and plain captions when not a terminal."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest
from rich.console import Console

from assistant.dialog.routine import load_routines
from assistant.ui.screen import WHAT_TO_SAY, session_screen

DRIVER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from assistant.events import Heard, Listen, LogEntry
    from assistant.ui.screen import session_screen

    go = Path(sys.argv[1])
    screen = session_screen(False)
    def step(name):
        Path(f"{go}.{name}").touch()
        while not Path(f"{go}.{name}.next").exists():
            time.sleep(0.05)
    screen.observe("action", LogEntry("session_started", 0, {"routine": "extension"}), 0)
    screen.observe("action", LogEntry("exercise_started", 0, {"exercise": "press-up"}), 0)
    screen.observe("action", Listen("command"), 0)
    for text in ["Next: Press-up.", "One, press up.", "and down", "Two, press up.",
                 "and down", "Three, press up.", "and down", "Four, press up."]:
        screen.said(text)
    step("reps")
    screen.observe("action", Listen("symptom"), 0)
    screen.said("Is the leg pain better, worse or the same?")
    screen.heard(Heard("better", "a bit better", 0.9))
    step("heard")
    screen.observe("action", LogEntry("exercise_started", 0, {"exercise": "prone-lying"}), 0)
    screen.observe("action", Listen("command"), 0)
    screen.said("Relax, thirty seconds.")
    screen.state("session ended: completed.")
    step("hold")
    screen.close()
    """
)


class Tmux:
    def __init__(self, tmp: Path, width: int = 110, height: int = 34) -> None:
        self.name = f"backcoach-{uuid.uuid4().hex[:8]}"
        self.go = tmp / "go"
        script = tmp / "driver.py"
        script.write_text(DRIVER)
        # the terminal's own size, not one inherited from the test runner's environment
        command = f"env -u COLUMNS -u LINES {sys.executable} {script} {self.go}; sleep 30"
        size = ["-x", str(width), "-y", str(height)]
        subprocess.run(
            ["tmux", "new-session", "-d", "-s", self.name, *size, "-e", "TERM=xterm", command],
            check=True,
        )

    def at(self, step: str, timeout_s: float = 30) -> str:
        """Wait for the driver to reach ``step``; the screen as text once it is drawn."""
        deadline = time.monotonic() + timeout_s
        while not Path(f"{self.go}.{step}").exists():
            assert time.monotonic() < deadline, f"the driver never reached {step}"
            time.sleep(0.05)
        time.sleep(0.8)  # a few refreshes
        return self.capture()

    def capture(self) -> str:
        out = subprocess.run(
            ["tmux", "capture-pane", "-p", "-t", self.name], capture_output=True, text=True
        )
        return out.stdout

    def next(self, step: str) -> None:
        Path(f"{self.go}.{step}.next").touch()

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_the_screen_shows_exercise_reps_what_to_say_and_what_was_heard(tmp_path: Path) -> None:
    tmux = Tmux(tmp_path)
    try:
        screen = tmux.at("reps")
        assert "PRESS-UP" in screen, screen
        assert "rep 4 of 10" in screen, screen
        assert "█" in screen, screen  # the count in block letters, readable from the floor
        assert "pause  ·  repeat" in screen and "help" in screen, screen
        assert "Four, press up." in screen
        tmux.next("reps")

        screen = tmux.at("heard")
        assert re.search(r"Heard:\s+'a bit better' → better", screen), screen
        assert WHAT_TO_SAY["symptom"] in screen, screen
        tmux.next("heard")

        screen = tmux.at("hold")
        assert load_routines()["extension"].exercise("prone-lying").name.upper() in screen
        first = next(line for line in screen.splitlines() if "seconds left" in line)
        assert "of 30 seconds left" in first, screen
        assert "━" in screen, screen  # the countdown bar
        time.sleep(2.2)
        later = next(line for line in tmux.capture().splitlines() if "seconds left" in line)
        assert later != first, "the hold countdown does not move"
        tmux.next("hold")
    finally:
        tmux.close()


def test_not_a_terminal_gives_the_plain_captions_and_quiet_too(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert session_screen(False, Console(file=io.StringIO())) is None  # a pipe, a file
    terminal = Console(file=io.StringIO(), force_terminal=True)
    assert session_screen(True, terminal) is None  # --quiet
    screen = session_screen(False, terminal)
    assert screen is not None
    screen.state("microphone 'usb' is back.")
    screen.close()  # never started (no session action): nothing but its notes
    assert "backcoach: microphone 'usb' is back." in capsys.readouterr().err
