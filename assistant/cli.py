"""``backcoach``: the command line.  It only wires things together.

Each sub-command lives in ``assistant/commands/<name>.py`` and exposes
``register(subparsers)``, which adds its parser and sets ``func`` to a function
taking the parsed arguments and returning the exit code.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from . import __version__
from .errors import AssistantError

__all__ = ["main", "build_parser", "COMMANDS"]

#: (module name, one-line summary) in the order ``--help`` shows them.
COMMANDS: tuple[tuple[str, str], ...] = (
    ("run", "start a guided session (voice; --text to type answers)"),
    ("routines", "list, show, validate or draw the exercise routines"),
    ("devices", "list audio input and output devices"),
    ("doctor", "check that everything Back Coach needs is installed"),
    ("voice", "make the coach's voice ready before a session (prepare)"),
    ("recognize", "decode audio files in a listening context"),
    ("script", "run scripted audio sessions (scenario files)"),
    ("history", "show or delete past sessions from the journal"),
    ("report", "write an HTML progress report for you or your physiotherapist"),
    ("bench", "measure recognition and voice-loop speed and accuracy"),
)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """Every command's parser, or (``only``) just that one's: importing all of them
    costs a session a few hundred milliseconds before its first word."""
    parser = argparse.ArgumentParser(
        prog="backcoach",
        description="Back Coach: an offline, hands-free voice coach for McKenzie-style back "
        "exercises.",
        epilog="Run 'backcoach COMMAND --help' for the options of one command.",
    )
    parser.add_argument("--version", action="version", version=f"backcoach {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    for name, summary in COMMANDS:
        if only is not None and name != only:
            continue
        module = importlib.import_module(f".commands.{name}", __package__)
        module.register(subparsers, summary)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        try:
            code = _main(argv)
        finally:
            # Output still buffered (``--help`` exits through SystemExit) would meet a
            # closed pipe only at interpreter exit, past this handler.
            sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (``backcoach history --json | head``): stop quietly,
        # as other command-line tools do; later writes go nowhere.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    return code


def _main(argv: Sequence[str] | None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    named = next((word for word in words if not word.startswith("-")), None)
    parser = build_parser(named if named in dict(COMMANDS) else None)
    args = parser.parse_args(words)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        code: int = args.func(args)
    except AssistantError as exc:
        print(f"backcoach: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("backcoach: stopped.", file=sys.stderr)
        return 130
    return code
