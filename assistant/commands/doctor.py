"""`backcoach doctor`."""

from __future__ import annotations

from ._common import Subparsers, add_command, not_available


def register(subparsers: Subparsers, summary: str) -> None:
    add_command(subparsers, "doctor", summary, not_available("doctor"))
