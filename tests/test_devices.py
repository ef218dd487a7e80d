"""Audio devices as the user meets them: the list, a wrong name, a sound system that dies."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from assistant.audioio import read_audio
from assistant.bench.pulse import PulseAudio, Recording
from assistant.paths import fixtures_dir

pytestmark = pytest.mark.audio


def _backcoach(pulse: PulseAudio, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = pulse.client_env() | {"BACKCOACH_HOME": str(home), "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _wait_until_said(recording: Recording, timeout_s: float = 30) -> None:
    """Until the speaker has been loud and then quiet for 0.7 s."""
    deadline = time.monotonic() + timeout_s
    spoke = False
    while time.monotonic() < deadline:
        spoke = spoke or bool((abs(recording.samples()) > 1000).any())
        recent = recording.since(time.monotonic() - 0.7)
        if spoke and len(recent) > 8000 and not (abs(recent) > 1000).any():
            return
        time.sleep(0.05)
    pytest.fail("the coach did not finish speaking")


def test_devices_lists_inputs_and_outputs_with_the_defaults(
    pulse: PulseAudio, tmp_path: Path
) -> None:
    result = _backcoach(pulse, tmp_path, "devices")
    assert result.returncode == 0, result.stderr
    assert "Inputs" in result.stdout and "Outputs" in result.stdout
    assert "pulse" in result.stdout
    assert result.stdout.count("* default") == 2


def test_a_missing_microphone_is_one_clear_line(pulse: PulseAudio, tmp_path: Path) -> None:
    result = _backcoach(
        pulse, tmp_path, "run", "--input-device", "usb headset", "--output-device", "pulse"
    )
    assert result.returncode == 4  # make run then falls back to the text session
    assert "microphone 'usb headset' was not found" in result.stderr
    assert "backcoach devices" in result.stderr and "--text" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_sound_system_dying_pauses_the_session_until_it_is_back(
    pulse: PulseAudio, tmp_path: Path
) -> None:
    from assistant.clock import MonotonicClock
    from assistant.config import Settings
    from assistant.dialog.engine import Engine
    from assistant.dialog.routine import load_routines
    from assistant.journal import open_journal
    from assistant.runtime import build_voice_runtime

    settings = Settings(
        engine="pocketsphinx", voice="en-us", input_device="pulse", output_device="pulse"
    )
    clock = MonotonicClock()
    captions: list[str] = []
    engine = Engine(load_routines(), clock, routine_id="extension", start_at="prone-lying")
    journal = open_journal(tmp_path / "journal.sqlite3")
    runtime = build_voice_runtime(
        settings,
        lambda who, text: captions.append(f"{who}: {text}"),
        clock=clock,
        engine=engine,
        journal=journal,
    )
    stop = threading.Event()
    thread = threading.Thread(target=runtime.run, args=(stop,))

    def wait_caption(text: str, timeout_s: float = 30) -> None:
        deadline = time.monotonic() + timeout_s
        while not any(text in c for c in captions):
            assert time.monotonic() < deadline, f"never saw {text!r}: {captions}"
            assert thread.is_alive(), f"the session ended: {captions}"
            time.sleep(0.05)

    recording: Recording | None = None
    thread.start()
    try:
        wait_caption("Next: Lying face down.")
        pulse.stop_server()  # the sound system dies in the middle of the instructions
        wait_caption("stopped working")
        time.sleep(1.5)  # retries fail meanwhile, quietly
        pulse.start()
        recording = pulse.record_speaker()
        wait_caption("microphone 'pulse' is back")
        _wait_until_said(recording)  # "Sound is working again. Say resume ..."
        pulse.play_into_mic(read_audio(fixtures_dir() / "answers/continue_en-us.wav"))
        wait_caption("(resume,")
        assert thread.is_alive()  # the session carries on
    finally:
        if recording is not None:  # its pacat waited for, even when the test fails
            recording.stop()
        stop.set()
        thread.join(timeout=30)
        runtime.speaker.close()
        journal.close(interrupted=True)
    assert not thread.is_alive(), "the session did not end"
    printed = [c for c in captions if c.startswith("system: ") and "stopped working" in c]
    said = [c for c in captions if c.startswith("coach: Sound problem")]
    assert printed and said  # printed, and said as well
    with open_journal(tmp_path / "journal.sqlite3") as check:
        [record] = check.sessions()
    assert [e.exercise for e in record.exercises] == ["prone-lying"]  # nothing lost


def test_a_portaudio_call_that_never_returns_does_not_freeze_the_session() -> None:
    """PortAudio 19.6 can hang opening or closing a stream while the sound server
    restarts; the microphone and speaker make those calls in a thread of their own
    and give up after a few seconds (the device is tried again with a new stream).
    What such a call opens after all is closed, not left playing."""
    from assistant.audio.streams import StreamTimeout, bounded, close_within

    release = threading.Event()
    closed: list[str] = []

    def hangs() -> str:
        release.wait(10)
        return "a stream opened too late"

    began = time.monotonic()
    with pytest.raises(StreamTimeout):
        bounded(hangs, 0.2, closed.append)
    assert time.monotonic() - began < 2
    release.set()
    deadline = time.monotonic() + 10
    while not closed and time.monotonic() < deadline:
        time.sleep(0.01)
    assert closed == ["a stream opened too late"]

    class HungStream:
        def abort(self) -> None:
            threading.Event().wait(10)

        def close(self) -> None:
            closed.append("closed")

    began = time.monotonic()
    close_within(HungStream(), 0.2)  # returns: the loop goes on
    assert time.monotonic() - began < 2

    def fails() -> None:
        raise ValueError("no such device")

    with pytest.raises(ValueError, match="no such device"):  # errors still come through
        bounded(fails, 5)
    assert bounded(lambda: 42, 5) == 42


#: A process whose PortAudio clean-up hangs, after one call was left behind.
_HUNG_AT_EXIT = """
import threading, time
import sounddevice
from assistant.audio.streams import StreamTimeout, bounded
sounddevice._terminate = lambda: time.sleep(3600)  # Pa_Terminate stuck on a hung stream
try:
    bounded(threading.Event().wait, 0.1)
except StreamTimeout:
    print("left behind", flush=True)
"""


def test_a_session_whose_portaudio_hung_still_ends() -> None:
    """After a PortAudio call never returned, PortAudio's clean-up at exit would
    hang on the same stream (sounddevice closes every stream then): the process
    must end all the same, or the terminal is left frozen after the summary."""
    done = subprocess.run(  # TimeoutExpired: it hung
        [sys.executable, "-c", _HUNG_AT_EXIT], capture_output=True, text=True, timeout=30
    )
    assert done.stdout.strip() == "left behind", done.stderr
    assert done.returncode == 0
