"""``backcoach bench asr|loop|spotter|voice``: speed and accuracy measurements."""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable

from ._common import Subparsers, add_command_group, err_console

BENCHES: tuple[tuple[str, str], ...] = (
    ("asr", "recognition accuracy, rejection, latency and memory over the audio fixtures"),
    ("loop", "reply latency, barge-in and hold timing through real audio devices"),
    ("spotter", "barge-in spotter: real and generated 'stop's caught, false fires per hour"),
    ("voice", "how well each voice is understood (word error rate) and how fast it renders"),
)


def register(subparsers: Subparsers, summary: str) -> None:
    benches = add_command_group(subparsers, "bench", summary, "bench", "BENCH", "benchmarks")
    for name, text in BENCHES:
        try:
            module = importlib.import_module(f"assistant.bench.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"assistant.bench.{name}":
                raise
            sub = benches.add_parser(name, help=text + " (not available yet)")
            sub.set_defaults(func=_not_yet(name))
            continue
        module.register(benches, text)


def _not_yet(name: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        err_console.print(f"backcoach bench {name}: not available yet.")
        return 3

    return run
