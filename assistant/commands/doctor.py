"""``backcoach doctor``: is everything Back Coach needs installed and working?

Each check gives a status (ok / warn / FAIL), what it found, and for anything
not ok exactly how to fix it.  The exit code is 1 when something *required*
fails; missing audio devices or a missing Vosk model are warnings, because a
text session and PocketSphinx still work without them.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass

from rich.table import Table

from ..asr.registry import add_option_flags
from ..audio.devices import Kind, list_devices, resolve_device
from ..config import ENGINES, Settings
from ..errors import AudioDeviceError, JournalError, SpeechOutputError
from ..paths import journal_file
from ._common import Subparsers, add_command, console
from .run import settings_from_args

__all__ = ["Check", "register", "run_checks"]


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # "ok" | "warn" | "FAIL"
    found: str
    fix: str = ""


def check_python(settings: Settings) -> Check:
    return Check("Python", "ok", f"{platform.python_version()} ({sys.executable})")


def check_speech_output(settings: Settings) -> Check:
    """Synthesise a word with the coach's own synthesiser (pyttsx3's espeak-ng binding)."""
    from ..tts.voices import ESPEAK_FALLBACK, is_piper

    name = "espeak-ng + pyttsx3"
    voice = ESPEAK_FALLBACK if is_piper(settings.voice) else settings.voice
    try:
        from ..tts.synth import Pyttsx3Synth

        synth = Pyttsx3Synth(voice, settings.rate_wpm, settings.volume)
        audio = synth.synthesize("ready")
    except ImportError as exc:
        return Check(name, "FAIL", f"pyttsx3 does not import ({exc})", "pip install pyttsx3")
    except SpeechOutputError as exc:
        fix = (
            "pick a voice that 'espeak-ng --voices=en' lists"
            if "voice" in str(exc)
            else "sudo apt-get install espeak-ng libespeak-ng1"
        )
        return Check(name, "FAIL", str(exc), fix)
    seconds = audio.duration_ms / 1000
    return Check(name, "ok", f"said 'ready' in voice {voice}: {seconds:.2f} s of audio")


def check_piper(settings: Settings) -> Check:
    """The natural voice (when the settings ask for it): load it and say a word."""
    from ..errors import SpeechOutputError
    from ..tts.voices import PIPER_PACKAGES, is_piper, piper_available, piper_model

    name = "Piper voice"
    if not is_piper(settings.voice):
        return Check(name, "ok", f"not used (voice = {settings.voice!r}, an espeak-ng voice)")
    missing = piper_available()
    if missing is not None:
        return Check(name, "warn", f"{missing}; espeak-ng speaks instead", "make run")
    try:
        from ..tts.piper import PiperSynth

        synth = PiperSynth(piper_model(settings.voice), None, settings.rate_wpm, settings.volume)
        audio = synth.synthesize("ready")
    except SpeechOutputError as exc:
        return Check(name, "FAIL", str(exc), f"pip install {PIPER_PACKAGES}, or fix 'voice'")
    seconds = audio.duration_ms / 1000
    return Check(name, "ok", f"said 'ready' in {synth.model.name}: {seconds:.2f} s of audio")


def check_voice_prepared(settings: Settings) -> Check:
    """How much of what a session says is on disk for the voice, rate and routine."""
    from ..dialog.routine import load_routines
    from ..errors import AssistantError
    from ..paths import cache_dir
    from ..tts.voices import is_piper, piper_available, piper_model
    from ..ui.prepare import session_lines

    name = "Voice prepared"
    if not is_piper(settings.voice) or piper_available() is not None:
        return Check(name, "ok", "nothing to prepare (espeak-ng renders a line at once)")
    try:
        from ..tts.piper import PiperSynth

        synth = PiperSynth(piper_model(settings.voice), None, settings.rate_wpm, 1.0, cache_dir())
        lines = session_lines(load_routines(), settings.routine)
    except AssistantError as exc:
        return Check(name, "warn", f"not checked ({exc})")
    ready = sum(synth.cached(line) for line in lines)
    found = f"{ready} of {len(lines)} lines on disk ({settings.routine}, rate {settings.rate_wpm})"
    if ready < len(lines):
        return Check(name, "warn", f"{found}: sessions start slower", "backcoach voice prepare")
    return Check(name, "ok", found)


def check_portaudio(settings: Settings) -> Check:
    try:
        import sounddevice
    except (ImportError, OSError) as exc:
        return Check(
            "PortAudio (sounddevice)",
            "FAIL",
            f"does not load ({exc})",
            "sudo apt-get install libportaudio2",
        )
    version = str(sounddevice.get_portaudio_version()[1]).split(",")[0]
    return Check("PortAudio (sounddevice)", "ok", version)


def _check_devices(kind: Kind, wanted: str | int | None) -> Check:
    title = "Microphone (input)" if kind == "input" else "Speaker (output)"
    try:
        devices = list_devices()
    except AudioDeviceError as exc:
        return Check(title, "warn", f"cannot list: {exc}", "sudo apt-get install libportaudio2")
    names = [
        d.name for d in devices if (d.input_channels if kind == "input" else d.output_channels)
    ]
    if not names:
        return Check(
            title,
            "warn",
            f"no {kind} device found",
            "connect one and check the sound server runs (pactl info); "
            "without one, 'backcoach run --text' works",
        )
    try:
        chosen = resolve_device(wanted, kind)
    except AudioDeviceError as exc:
        return Check(title, "warn", str(exc), "pick a name or index from 'backcoach devices'")
    return Check(title, "ok", f"'{chosen.name}' ({len(names)} {kind} device(s) found)")


def check_input(settings: Settings) -> Check:
    return _check_devices("input", settings.input_device)


def check_output(settings: Settings) -> Check:
    return _check_devices("output", settings.output_device)


def check_engines(settings: Settings) -> list[Check]:
    """One line per recognizer engine of the registry; the chosen one's is required."""
    from ..asr.registry import doctor_checks, options_from

    return [
        Check(item.name, item.status, item.found, item.fix)
        for item in doctor_checks(settings.engine, options_from(settings.model_dump()))
    ]


def check_journal(settings: Settings) -> Check:
    folder = journal_file().parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".doctor-"):
            pass
    except OSError as exc:
        return Check(
            "Journal directory",
            "FAIL",
            f"{folder}: not writable ({exc.strerror})",
            f"make {folder} writable, or set BACKCOACH_HOME to a writable directory",
        )
    return Check("Journal directory", "ok", f"{folder} (writable)")


def check_journal_file(settings: Settings) -> Check:
    """A full integrity check, read-only: a damaged journal is found before a session
    (which would go on unsaved) or a report meets it."""
    from ..journal import JournalLocked, verify

    path = journal_file()
    if not path.exists():
        return Check("Journal file", "ok", f"{path}: none yet (the first session creates it)")
    try:
        sessions = verify(path)
    except JournalError as exc:
        found, _, fix = str(exc).rpartition("; ")
        status = "warn" if isinstance(exc, JournalLocked) else "FAIL"
        return Check("Journal file", status, found or str(exc), fix)
    return Check("Journal file", "ok", f"{path}: {sessions} session(s), integrity check passed")


CHECKS: tuple[Callable[[Settings], Check | list[Check]], ...] = (
    check_python,
    check_speech_output,
    check_piper,
    check_voice_prepared,
    check_portaudio,
    check_input,
    check_output,
    check_engines,
    check_journal,
    check_journal_file,
)


def run_checks(settings: Settings) -> list[Check]:
    results: list[Check] = []
    for check in CHECKS:
        found = check(settings)
        results.extend(found if isinstance(found, list) else [found])
    return results


def _doctor(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    results = run_checks(settings)
    table = Table(title="Back Coach doctor", show_lines=False)
    for column in ("check", "status", "found", "how to fix"):
        table.add_column(column, overflow="fold")
    style = {"ok": "green", "warn": "yellow", "FAIL": "bold red"}
    for item in results:
        table.add_row(item.name, f"[{style[item.status]}]{item.status}[/]", item.found, item.fix)
    console.print(table)
    failed = [item.name for item in results if item.status == "FAIL"]
    if failed:
        console.print(f"Required and not working: {', '.join(failed)}.")
        return 1
    if os.environ.get("BACKCOACH_HOME"):
        console.print(f"(BACKCOACH_HOME is set: {os.environ['BACKCOACH_HOME']})")
    console.print("Everything required is ready.")
    return 0


def register(subparsers: Subparsers, summary: str) -> None:
    parser = add_command(subparsers, "doctor", summary, _doctor)
    parser.add_argument(
        "--engine",
        choices=ENGINES,
        help="the engine you plan to use (its model is then required)",
    )
    add_option_flags(parser)
    parser.add_argument("--voice", help="espeak-ng voice to try")
    parser.add_argument("--input-device", help="microphone to check: name or index")
    parser.add_argument("--output-device", help="speaker to check: name or index")
