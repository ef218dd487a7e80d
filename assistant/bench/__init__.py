"""Benchmarks (``backcoach bench asr`` / ``backcoach bench loop``).

Each module here exposes ``register(subparsers)`` adding its own sub-command.
Figures are medians and percentiles measured in one run; there are no timed tests.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

__all__ = ["add_bench_parser", "emit"]


def add_bench_parser(subparsers: Any, name: str, summary: str) -> argparse.ArgumentParser:
    """The ``backcoach bench NAME`` sub-command, with the ``--json`` every bench has."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        name=name, help=summary, description=summary[0].upper() + summary[1:] + "."
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    return parser


def emit(results: dict[str, Any], as_json: bool, show: Callable[[dict[str, Any]], None]) -> int:
    """Print the figures as JSON or as the bench's own tables; the exit code."""
    if as_json:
        print(json.dumps(results, indent=2))
    else:
        show(results)
    return 0
