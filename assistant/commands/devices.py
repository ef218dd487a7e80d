"""`backcoach devices`."""

from __future__ import annotations

from ._common import Subparsers, add_command, not_available


def register(subparsers: Subparsers, summary: str) -> None:
    add_command(subparsers, "devices", summary, not_available("devices"))
