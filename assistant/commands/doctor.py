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
from pathlib import Path

from rich.table import Table

from ..audio.devices import Kind, list_devices, resolve_device
from ..config import Settings
from ..errors import AudioDeviceError, SpeechOutputError
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


def check_pocketsphinx(settings: Settings) -> Check:
    fix = "pip install pocketsphinx (its wheel carries the English model)"
    try:
        import pocketsphinx
    except ImportError as exc:
        return Check("PocketSphinx model", "FAIL", f"does not import ({exc})", fix)
    model = Path(pocketsphinx.get_model_path()) / "en-us"
    needed = [model / "en-us", model / "cmudict-en-us.dict", model / "en-us.lm.bin"]
    missing = [p.name for p in needed if not p.exists()]
    if missing:
        return Check(
            "PocketSphinx model",
            "FAIL",
            f"{model}: missing {', '.join(missing)}",
            "pip install --force-reinstall pocketsphinx",
        )
    return Check("PocketSphinx model", "ok", str(model))


def check_vosk(settings: Settings) -> Check:
    from ..asr.vosk_engine import try_find_vosk_model

    path, looked = try_find_vosk_model(settings.vosk_model)
    if path is not None:
        return Check("Vosk model", "ok", str(path))
    required = settings.engine == "vosk"
    return Check(
        "Vosk model",
        "FAIL" if required else "warn",
        "not found; looked in: " + "; ".join(looked),
        "optional (PocketSphinx works without it): unpack vosk-model-small-en-us-0.15 into "
        "one of those places or pass --vosk-model DIR",
    )


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


CHECKS: tuple[Callable[[Settings], Check], ...] = (
    check_python,
    check_speech_output,
    check_piper,
    check_portaudio,
    check_input,
    check_output,
    check_pocketsphinx,
    check_vosk,
    check_journal,
)


def run_checks(settings: Settings) -> list[Check]:
    return [check(settings) for check in CHECKS]


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
        choices=("auto", "pocketsphinx", "vosk", "text"),
        help="the engine you plan to use (vosk makes its model required)",
    )
    parser.add_argument("--vosk-model", type=Path, help="folder of an unpacked Vosk model")
    parser.add_argument("--voice", help="espeak-ng voice to try")
    parser.add_argument("--input-device", help="microphone to check: name or index")
    parser.add_argument("--output-device", help="speaker to check: name or index")
