"""``backcoach voice prepare``: the voice made ready before the first session.

Real Piper, real files: preparing renders the lines once, stopped with Ctrl-C it
leaves only whole lines and goes on from there, and a session whose opening is on
disk starts no Piper process (at another rate it does, and says so)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from assistant.audioio import read_audio_native
from assistant.bench.pulse import PulseAudio
from assistant.cli import main
from assistant.commands.doctor import check_voice_prepared
from assistant.config import Settings
from assistant.dialog.routine import load_routines
from assistant.paths import fixtures_dir
from assistant.scenario.loader import load_scenario
from assistant.scenario.runner import run_scenario
from assistant.tts.piper import PiperSynth, _split_sentences
from assistant.tts.voices import piper_model
from assistant.ui.prepare import first_lines, opening_lines, prepare, session_lines

pytest.importorskip("piper")

COMMAND = [sys.executable, "-m", "assistant"]


def _files(home: Path) -> dict[str, int]:
    return {
        p.name: p.stat().st_mtime_ns for p in (home / "cache" / "tts").rglob("*") if p.is_file()
    }


def test_every_line_of_the_scripted_sessions_is_among_the_prepared_ones() -> None:
    """A session that starts at its routine's start (as ``backcoach run`` does) says
    nothing that preparing did not render: each of its sentences is on disk."""
    routines = load_routines()
    said = missing = 0
    for path in sorted((fixtures_dir() / "scenarios").glob("*.yaml")):
        scenario = load_scenario(path)
        if scenario.scenario.start is not None:  # starts in the middle: not a real session
            continue
        known = set(session_lines(routines, scenario.scenario.routine))
        sentences = {s for line in known for s in _split_sentences(line)}
        for entry in run_scenario(scenario, engine="text").transcript:
            if entry.who != "coach":
                continue
            said += 1
            if entry.text not in known:
                gaps = [s for s in _split_sentences(entry.text) if s not in sentences]
                missing += bool(gaps)
                assert not gaps, f"{path.name}: {gaps}"
    assert said > 500 and missing == 0


def test_preparing_renders_each_line_once_and_another_volume_uses_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BACKCOACH_HOME", str(tmp_path))
    cache = tmp_path / "cache"
    total = len(session_lines(load_routines(), "extension"))
    before = check_voice_prepared(Settings())
    assert before.status == "warn" and before.found.startswith(f"0 of {total} lines")
    assert before.fix == "backcoach voice prepare"
    lines = first_lines()
    synth = PiperSynth(piper_model("piper"), cache_dir=cache)
    assert prepare(synth, lines) == len(lines)
    synth.close()
    on_disk = {p: p.stat().st_mtime_ns for p in cache.rglob("*.flac")}
    assert len(on_disk) >= len(lines)
    after = check_voice_prepared(Settings())  # what doctor says
    assert after.status == "warn" and f" of {total} lines" in after.found
    assert int(after.found.split()[0]) >= len(lines)

    again = PiperSynth(piper_model("piper"), cache_dir=cache)  # the next run
    assert prepare(again, lines) == 0 and not again.model_loading
    assert {p: p.stat().st_mtime_ns for p in cache.rglob("*.flac")} == on_disk
    # the volume is applied as a line is said: another volume needs no new rendering
    quiet = PiperSynth(piper_model("piper"), volume=0.5, cache_dir=cache)
    assert all(quiet.cached(line) for line in lines)
    loud_peak = int(np.abs(again.synthesize(lines[-1]).samples.astype(np.int32)).max())
    quiet_peak = int(np.abs(quiet.synthesize(lines[-1]).samples.astype(np.int32)).max())
    assert abs(quiet_peak - loud_peak / 2) <= 1 and not quiet.model_loading


def test_prepare_stopped_with_ctrl_c_keeps_whole_lines_and_goes_on(tmp_path: Path) -> None:
    env = {"BACKCOACH_HOME": str(tmp_path), "COLUMNS": "120"}
    args = [*COMMAND, "voice", "prepare", "--opening", "--rate", "400"]
    process = subprocess.Popen(
        args, env=_env(env), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 120
    while len([n for n in _files(tmp_path) if n.endswith(".flac")]) < 3:
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 130, (out, err)
    assert "Stopped:" in err and "Traceback" not in err
    kept = _files(tmp_path)
    assert not [n for n in kept if n.startswith(".")], kept  # no half-written file
    for name in kept:
        samples, _ = read_audio_native(next((tmp_path / "cache" / "tts").rglob(name)))
        assert samples.size > 1000

    total = len(opening_lines(load_routines(), "extension"))
    rest = subprocess.run(args, env=_env(env), capture_output=True, text=True, timeout=300)
    assert rest.returncode == 0, rest
    rendered = int(rest.stdout.split(" rendered now)")[0].rsplit("(", 1)[1])
    assert 0 < rendered < total  # what was kept is not rendered again
    assert set(kept) <= set(_files(tmp_path))

    started = time.monotonic()
    done = subprocess.run(args, env=_env(env), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and f"{total} lines on disk" in done.stdout, done
    assert time.monotonic() - started < 15  # nothing to render: no model loaded


def test_prepare_says_in_one_line_what_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BACKCOACH_HOME", str(tmp_path))
    assert main(["voice", "prepare", "--voice", "en-gb"]) == 0
    assert "nothing to prepare" in capsys.readouterr().out
    assert main(["voice", "prepare", "--voice", "piper:/no/such.onnx"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no Piper model at /no/such.onnx;" in err
    monkeypatch.setitem(sys.modules, "piper", None)  # as if piper-tts were not installed
    assert main(["voice", "prepare"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Piper package is not installed" in err
    assert not (tmp_path / "cache" / "tts").exists()


def _env(extra: dict[str, str]) -> dict[str, str]:
    import os

    return {**os.environ, **extra}


def _session(pulse: PulseAudio, home: Path, rate: int, watch_s: float) -> tuple[bool, bool, str]:
    """``backcoach run`` for ``watch_s`` seconds after its first sound: (a sound was
    heard, a Piper process was started, what it printed)."""
    recording = pulse.record_speaker()
    env = pulse.client_env() | {"BACKCOACH_HOME": str(home), "COLUMNS": "200"}
    devices = ["--input-device", "pulse", "--output-device", "pulse", "--rate", str(rate)]
    process = subprocess.Popen(
        [*COMMAND, "run", *devices], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    piper = heard = False
    first: float | None = None
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline and process.poll() is None:
            piper = piper or any("piper_child" in _cmdline(c) for c in _children(process.pid))
            if first is None and (np.abs(recording.samples().astype(np.int32)) > 1000).any():
                first = time.monotonic()
            if first is not None and time.monotonic() > first + watch_s:
                break
            time.sleep(0.02)
        heard = first is not None
    finally:
        process.send_signal(signal.SIGINT)
        out, _ = process.communicate(timeout=60)
        recording.stop()
    return heard, piper, out.decode("utf-8", errors="replace")


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return ""


@pytest.mark.audio
def test_a_session_whose_opening_is_prepared_starts_no_piper_process(
    pulse: PulseAudio, tmp_path: Path
) -> None:
    synth = PiperSynth(piper_model("piper"), rate_wpm=150, cache_dir=tmp_path / "cache")
    prepare(synth, first_lines())
    synth.close()
    heard, piper, out = _session(pulse, tmp_path, 150, watch_s=8)
    assert heard and not piper, out
    assert "has not rendered its lines" not in out
    # at another rate nothing is on disk: Piper starts at once, and the coach says why
    heard, piper, out = _session(pulse, tmp_path, 200, watch_s=3)
    assert heard and piper, out
    assert "has not rendered its lines at rate 200" in out
