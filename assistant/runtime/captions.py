"""What the loop shows on screen: the coach's lines, what it heard, its own notes.

The loop talks to a :class:`Captions` (``said`` / ``heard`` / ``state``), so a
terminal screen can take the place of the printed lines.  :class:`LineCaptions`
turns the three calls into ``caption(who, text)`` lines (``coach`` / ``you`` /
``system``), which the printer and the tests use.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from ..events import Heard, NotUnderstood

__all__ = ["Caption", "Captions", "LineCaptions", "NoCaptions", "printer"]

Caption = Callable[[str, str], None]
"""``caption(who, text)``: ``who`` is ``coach``, ``you`` or ``system``."""


class Captions(Protocol):
    def said(self, text: str) -> None:
        """The coach says ``text``."""
        ...

    def heard(self, result: Heard | NotUnderstood, *, barge_in: bool = False) -> None:
        """The recognizer's result for what the user said (``barge_in``: it cut the coach off)."""
        ...

    def state(self, text: str) -> None:
        """A note of the loop's own: a device lost or back, a journal problem."""
        ...


class NoCaptions:
    def said(self, text: str) -> None:
        pass

    def heard(self, result: Heard | NotUnderstood, *, barge_in: bool = False) -> None:
        pass

    def state(self, text: str) -> None:
        pass


class LineCaptions:
    """Captions as ``caption(who, text)`` lines."""

    def __init__(self, caption: Caption) -> None:
        self._caption = caption

    def said(self, text: str) -> None:
        self._caption("coach", text)

    def heard(self, result: Heard | NotUnderstood, *, barge_in: bool = False) -> None:
        if isinstance(result, NotUnderstood):
            self._caption("you", f"{result.text or '...'} (not understood)")
        elif barge_in:
            self._caption("you", f"{result.text} ({result.intent}, barge-in)")
        else:
            self._caption("you", f"{result.text} ({result.intent}, {result.confidence:.0%} sure)")

    def state(self, text: str) -> None:
        self._caption("system", text)


def printer(quiet: bool) -> Caption:
    """Lines on the terminal (rich); ``quiet`` hides all but the loop's own notes."""
    from rich.console import Console
    from rich.markup import escape

    out = Console(highlight=False)
    err = Console(stderr=True, highlight=False)

    def caption(who: str, text: str) -> None:
        if who == "system":
            err.print(f"[bold yellow]backcoach:[/] {escape(text)}")
        elif quiet:
            return
        elif who == "coach":
            out.print(f"[bold cyan]Coach:[/] {escape(text)}")
        else:
            out.print(f"[dim]You: {escape(text)}[/]")

    return caption
