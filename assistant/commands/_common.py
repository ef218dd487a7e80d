"""Small helpers shared by the sub-commands."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from rich.console import Console

__all__ = [
    "Subparsers",
    "console",
    "err_console",
    "not_available",
    "add_command",
    "add_command_group",
]

Subparsers = Any  # argparse._SubParsersAction is private; typed loosely on purpose

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def add_command(
    subparsers: Subparsers,
    name: str,
    summary: str,
    func: Callable[[argparse.Namespace], int],
) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        name, help=summary, description=summary[0].upper() + summary[1:] + "."
    )
    parser.set_defaults(func=func)
    return parser


def add_command_group(
    subparsers: Subparsers, name: str, summary: str, dest: str, metavar: str, title: str
) -> Subparsers:
    """A command made of sub-commands (``routines list``, ``voice prepare``); given
    none, it prints its help and exits 2."""

    def usage(args: argparse.Namespace) -> int:
        parser.print_help()
        return 2

    parser = add_command(subparsers, name, summary, usage)
    return parser.add_subparsers(dest=dest, metavar=metavar, title=title)


def not_available(name: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        err_console.print(f"backcoach {name}: not available yet.")
        return 3

    return run
