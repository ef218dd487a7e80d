"""``backcoach run``: a guided session, by voice or (``--text``) in the terminal."""

from __future__ import annotations

import argparse
import importlib

from ..asr.registry import add_option_flags, option_keys
from ..config import ENGINES, ROUTINE_IDS, Settings, load_settings
from ..errors import AudioDeviceError
from ._common import Subparsers, add_command, err_console

__all__ = [
    "register",
    "settings_from_args",
    "add_settings_flags",
    "NO_AUDIO_EXIT",
]

#: Exit code when there is no audio device; ``make run`` then starts ``--text``.
NO_AUDIO_EXIT = 4


def add_settings_flags(parser: argparse.ArgumentParser) -> None:
    """Flags that override ``config.toml`` (shared by run, script, bench, recognize)."""
    parser.add_argument("--routine", choices=[*ROUTINE_IDS, "ask"], help="routine to follow")
    parser.add_argument("--engine", choices=ENGINES, help="speech recognizer")
    parser.add_argument(
        "--voice", help="the coach's voice: piper (default), piper:PATH_OR_NAME, or espeak-ng en-gb"
    )
    parser.add_argument("--rate", dest="rate_wpm", type=int, help="speech rate, words/minute")
    parser.add_argument("--volume", type=float, help="speech volume, 0.0-1.0")
    parser.add_argument("--input-device", help="microphone: name or index (backcoach devices)")
    parser.add_argument("--output-device", help="speaker: name or index (backcoach devices)")
    add_option_flags(parser)


def settings_from_args(args: argparse.Namespace) -> Settings:
    keys = (
        "routine",
        "engine",
        "voice",
        "rate_wpm",
        "volume",
        "input_device",
        "output_device",
        *option_keys(),
    )
    overrides = {key: getattr(args, key, None) for key in keys}
    for key in ("input_device", "output_device"):
        value = overrides[key]
        if isinstance(value, str) and value.isdigit():
            overrides[key] = int(value)
    return load_settings(overrides)


def _run(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    if args.text:
        text = importlib.import_module("assistant.textsession")
        code: int = text.run_text(settings, fast=args.fast)
        return code
    # a Piper voice whose first line is not on disk starts loading now, beside the
    # imports below
    from ..paths import cache_dir
    from ..ui.prepare import first_lines

    voices = importlib.import_module("assistant.tts.voices")
    voices.open_synth_early(
        settings.voice, settings.rate_wpm, settings.volume, cache_dir(), first_lines()[0]
    )
    # once, before the first voice session: the microphone check (asked on a terminal)
    settings = importlib.import_module("assistant.commands.devices").offer_check(
        settings, args.quiet
    )
    # the screen readable from the floor (on a terminal; else the printed captions)
    screen = importlib.import_module("assistant.ui.screen").session_screen(args.quiet)
    try:
        runtime = importlib.import_module("assistant.runtime")
        code = runtime.run_voice(settings, quiet=args.quiet, captions=screen)
    except AudioDeviceError as exc:
        err_console.print(f"backcoach: {exc} Try 'backcoach run --text' to type your answers.")
        return NO_AUDIO_EXIT
    finally:
        if screen is not None:
            screen.close()
    return code


def register(subparsers: Subparsers, summary: str) -> None:
    parser = add_command(subparsers, "run", summary, _run)
    parser.add_argument(
        "--text",
        action="store_true",
        help="print the prompts and type the answers instead of speaking",
    )
    parser.add_argument(
        "--fast",
        action="store_true",
        help="with --text: compress holds and pauses to try a session quickly",
    )
    parser.add_argument(
        "--quiet", action="store_true", help="do not print captions of what the coach says"
    )
    add_settings_flags(parser)
