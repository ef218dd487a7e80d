"""``backcoach devices --test`` through the virtual microphone (PulseAudio null sink)."""

from __future__ import annotations

import contextlib
import os
import re
import select
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from assistant.audioio import read_audio
from assistant.bench.pulse import PulseAudio, end
from assistant.paths import fixtures_dir
from assistant.ui.miccheck import assess, meter

pytestmark = pytest.mark.audio

BETTER = read_audio(fixtures_dir() / "answers/better_en-us.wav")


def check(pulse: PulseAudio, home: Path, play: np.ndarray | None = None) -> tuple[int, str]:
    """Run the check for 3 s; ``play`` goes into the microphone once it listens."""
    env = pulse.client_env() | {"BACKCOACH_HOME": str(home), "COLUMNS": "200"}
    process = subprocess.Popen(
        [sys.executable, "-m", "assistant", "devices", "--test", "--seconds", "3"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    first = process.stdout.readline()  # "Listening to ...": it records from now on
    if play is not None:
        time.sleep(0.5)
        pulse.play_into_mic(play)
    rest = process.stdout.read()
    process.stdout.close()
    process.wait(timeout=90)
    return process.returncode, " ".join((first + rest).split())


def test_said_better_is_heard_and_understood(pulse: PulseAudio, tmp_path: Path) -> None:
    code, out = check(pulse, tmp_path, BETTER)
    assert code == 0, out
    assert "Good: your voice is" in out
    assert "→ better" in out and "sure" in out
    assert "█" in out  # the level meter


def test_a_silent_microphone_says_so_and_tries_the_other_inputs(
    pulse: PulseAudio, tmp_path: Path
) -> None:
    code, out = check(pulse, tmp_path)  # nobody speaks: only the mic's own hiss
    assert code == 1
    assert "hears nothing at all" in out
    assert "tried:" in out and "Heard:" not in out


def test_a_noisy_room_and_a_quiet_microphone_are_told_apart(
    pulse: PulseAudio, tmp_path: Path
) -> None:
    rng = np.random.default_rng(1)
    # a loud fan (about -22 dBFS), in real time, on before the check starts and until
    # it has finished, however slowly it starts on a loaded machine (a fixed 12 s of
    # fan once ran out before a slow check had finished listening)
    fan = rng.normal(0, 2500, 16000).astype(np.int16).tobytes()  # a second, over and over
    player = pulse.mic_player()
    checked = threading.Event()

    def blow() -> None:
        assert player.stdin is not None
        with contextlib.suppress(OSError):  # (pacat ended)
            while not checked.is_set():
                player.stdin.write(fan)  # blocks while pacat has a second to play

    running = threading.Thread(target=blow)
    running.start()
    try:
        time.sleep(0.5)
        code, out = check(pulse, tmp_path, BETTER)
    finally:
        checked.set()
        running.join(timeout=10)
        end(player)
    assert code == 1 and "too noisy" in out, out
    faint = (BETTER.astype(np.float64) * 0.02).astype(np.int16)  # about 34 dB down
    code, out = check(pulse, tmp_path, faint)
    assert code == 1 and "too quiet" in out, out


def test_assessment_and_meter_on_made_up_signals() -> None:
    rng = np.random.default_rng(2)
    room = rng.normal(0, 30, 16000 * 2)  # about -61 dBFS
    speech = room.copy()
    speech[8000:16000] += rng.normal(0, 4000, 8000)
    assert assess(speech.astype(np.int16)).problem is None
    assert assess(np.zeros(32000, dtype=np.int16)).problem == "silent"
    assert meter(0.0, 10) == "█" * 10 and meter(-70.0, 10) == "░" * 10


def test_the_first_voice_session_offers_the_check_once(pulse: PulseAudio, tmp_path: Path) -> None:
    env = pulse.client_env() | {"BACKCOACH_HOME": str(tmp_path), "COLUMNS": "200"}
    command = [sys.executable, "-m", "assistant", "run", "--input-device", "no such mic"]
    first = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert "backcoach devices --test" in first.stderr
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert "backcoach devices --test" not in again.stderr
    assert "microphone 'no such mic' was not found" in again.stderr


class Terminal:
    """A command in a pseudo-terminal: what it printed, without the colours."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        import pty

        self.master, slave = pty.openpty()
        self.process = subprocess.Popen(
            command, env=env, stdin=slave, stdout=slave, stderr=slave, close_fds=True
        )
        os.close(slave)
        self.output = ""

    def wait_for(self, text: str, timeout_s: float = 60) -> str:
        deadline = time.monotonic() + timeout_s
        while text not in self.output:
            assert time.monotonic() < deadline, f"never printed {text!r}: {self.output!r}"
            ready, _, _ = select.select([self.master], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(self.master, 65536).decode("utf-8", "replace")
                except OSError:  # the command has ended
                    chunk = ""
                self.output += re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", chunk)
        return self.output

    def type(self, text: str) -> None:
        os.write(self.master, text.encode())

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        os.close(self.master)


def test_on_a_terminal_the_first_voice_session_asks_then_checks_the_microphone(
    pulse: PulseAudio, tmp_path: Path
) -> None:
    env = pulse.client_env() | {"BACKCOACH_HOME": str(tmp_path), "TERM": "xterm"}
    env.pop("COLUMNS", None)
    command = [sys.executable, "-m", "assistant", "run", "--input-device", "pulse"]
    command += ["--output-device", "pulse", "--engine", "pocketsphinx"]
    terminal = Terminal(command, env)
    try:
        terminal.wait_for("[Y/n]")
        terminal.type("\r")  # Enter: yes
        terminal.wait_for("Listening to")
        time.sleep(0.5)
        pulse.play_into_mic(BETTER)
        said = terminal.wait_for("Press Enter to start the session.")
        assert "→ better" in said and "Good: your voice is" in said, said
        time.sleep(1.0)  # the verdict stays up: the session waits for Enter
        assert "Starting the session." not in terminal.wait_for("Press Enter")
        terminal.type("\r")
        terminal.wait_for("Starting the session.")
    finally:
        terminal.close()
    asked = subprocess.run(
        [sys.executable, "-c", "from assistant.ui.miccheck import first_session as f; print(f())"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert asked.stdout.strip() == "False"  # the next session does not ask again
