"""The recording policy of a running session: a journal problem never stops it.

A journal that cannot be opened is reported once and the session goes on
unsaved; an entry that cannot be written (another program holding the lock)
is kept and written with the next one, so a passing lock loses nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from ..errors import JournalError
from ..events import LogEntry
from .connection import JournalLocked
from .store import Journal, open_journal

__all__ = ["Recordable", "open_session_journal", "record_entry"]


def open_session_journal(notify: Callable[[str], None]) -> Journal | None:
    """Open the journal for a session that is about to start.

    A journal that cannot be opened is reported through ``notify`` and the
    session goes on unsaved (``None``); another session running at the same time
    is reported too, since both are recorded side by side.
    """
    try:
        journal = open_journal()
    except JournalError as exc:
        notify(f"journal: {exc}; this session will not be saved")
        return None
    if journal.others_in_progress():
        notify(
            "another Back Coach session is running at the same time; "
            "both are recorded in the journal"
        )
    return journal


class Recordable(Protocol):
    def record(self, entry: LogEntry) -> None: ...


def record_entry(
    journal: Recordable | None,
    entry: LogEntry,
    reported: list[str],
    notify: Callable[[str], None],
) -> None:
    """Record one entry of a running session; report each distinct problem once.

    The session keeps recording after a failure: the journal keeps a blocked
    entry (a locked file) and writes it with the next one, or when it closes
    (waiting up to ``CLOSE_WAIT_S`` for the lock), so a passing lock loses nothing.
    """
    if journal is None:
        return
    try:
        journal.record(entry)
    except JournalError as exc:
        detail = exc.during_session() if isinstance(exc, JournalLocked) else str(exc)
        message = f"journal: {detail}"
        if message not in reported:
            reported.append(message)
            notify(message)
