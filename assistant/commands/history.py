"""`backcoach history`: not available yet (filled in by its own issue)."""

from __future__ import annotations

from ._common import Subparsers, add_command, not_available


def register(subparsers: Subparsers, summary: str) -> None:
    add_command(subparsers, "history", summary, not_available("history"))
