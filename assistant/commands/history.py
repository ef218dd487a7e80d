"""``backcoach history``: past sessions from the journal, as a table, JSON or CSV; or erase them."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

from rich.table import Table

from ..journal import IN_PROGRESS, OUTCOME_LABELS, SessionRecord, open_journal
from ..paths import journal_file
from ..vocab import Outcome
from ._common import Subparsers, add_command, console

__all__ = ["register", "run", "OUTCOME_LABELS", "CSV_COLUMNS", "CONFIRM_WORD", "when"]

CSV_COLUMNS: tuple[str, ...] = (
    "id",
    "started_at",
    "ended_at",
    "routine",
    "engine",
    "outcome",
    "reason",
    "pain_before",
    "pain_after",
    "exercises_done",
    "answers",
    "commands",
)

#: What the user types to confirm ``history --delete``.
CONFIRM_WORD = "delete"


def register(subparsers: Subparsers, summary: str) -> None:
    parser = add_command(subparsers, "history", summary, run)
    parser.add_argument(
        "--last", type=_positive, metavar="N", help="only the N most recent sessions"
    )
    fmt = parser.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="print JSON (every detail)")
    fmt.add_argument("--csv", action="store_true", help="print CSV, one row per session")
    fmt.add_argument(
        "--delete",
        action="store_true",
        help=f'erase the whole journal (asks you to type "{CONFIRM_WORD}" first)',
    )


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(
            f"expected a whole number of sessions, 1 or more: {text!r}"
        )
    return value


def when(session: SessionRecord) -> str:
    return session.started_at.strftime("%Y-%m-%d %H:%M")


def _pain(session: SessionRecord) -> str:
    def show(value: int | None) -> str:
        return "–" if value is None else str(value)

    if session.pain_before is None and session.pain_after is None:
        return ""
    return f"{show(session.pain_before)}→{show(session.pain_after)}"


def run(args: argparse.Namespace) -> int:
    path = journal_file()
    if args.delete:
        if args.last is not None:
            console.print(
                "--delete erases the whole journal and cannot be limited with --last; "
                "run it without --last.",
                soft_wrap=True,
            )
            return 2
        return _delete(path)
    sessions: list[SessionRecord] = []
    total = 0
    if path.exists():
        with open_journal(path) as journal:
            sessions = journal.sessions(last=args.last)
            total = journal.count()
    if args.json:
        print(json.dumps([s.to_dict() for s in sessions], indent=2, ensure_ascii=False))
        return 0
    if args.csv:
        _write_csv(sessions)
        return 0
    if not sessions:
        console.print(
            f"No sessions in the journal yet ({path}).\n"
            "Start one with [bold]backcoach run[/bold]; it is recorded here as it goes."
        )
        return 0
    _print_table(sessions, total, path)
    return 0


def _write_csv(sessions: list[SessionRecord]) -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for s in sessions:
        writer.writerow(
            [
                s.id,
                s.started_at.isoformat(),
                s.ended_at.isoformat() if s.ended_at else "",
                s.routine or "",
                s.engine or "",
                s.outcome,
                s.reason or "",
                "" if s.pain_before is None else s.pain_before,
                "" if s.pain_after is None else s.pain_after,
                len(s.exercises_done),
                s.answers_text(),
                "; ".join(c.intent for c in s.commands),
            ]
        )


def _print_table(sessions: list[SessionRecord], total: int, path: Path) -> None:
    table = Table(title="Back Coach sessions", title_justify="left")
    table.add_column("Date", no_wrap=True)
    table.add_column("Routine", no_wrap=True)
    table.add_column("Outcome")
    table.add_column("Pain", justify="center", no_wrap=True)
    table.add_column("Exercises: answer")
    for s in sessions:
        label = OUTCOME_LABELS.get(s.outcome, s.outcome)
        style = (
            "green"
            if s.outcome == Outcome.COMPLETED
            else ("" if s.outcome == IN_PROGRESS else "yellow")
        )
        table.add_row(
            when(s),
            s.routine or "–",
            f"[{style}]{label}[/{style}]" if style else label,
            _pain(s),
            s.answers_text().replace("; ", "\n") or "–",
        )
    console.print(table)
    first, last = sessions[0].started_at, sessions[-1].started_at
    span = first.strftime("%d %b %Y")
    if last.date() != first.date():
        span += " to " + last.strftime("%d %b %Y")
    shown = f"{len(sessions)} session{'s' if len(sessions) != 1 else ''}"
    if total > len(sessions):
        shown = f"the last {shown} of {total}"
    console.print(f"Showing {shown}, {span}. Journal: {path}", soft_wrap=True)


def _delete(path: Path) -> int:
    if not path.exists():
        console.print(f"Nothing to delete: there is no journal at {path}.", soft_wrap=True)
        return 0
    with open_journal(path) as journal:
        running = journal.others_in_progress()
        if running:
            console.print(
                f"A session started {when(running[0])} is still running; finish or stop it, "
                "then delete the journal.",
                soft_wrap=True,
            )
            return 1
        count = journal.count()
        backups = journal.backups()
        files = str(path) + "".join(f", {b}" for b in backups)
        console.print(
            f"This permanently erases {count} session{'s' if count != 1 else ''} "
            f"from the journal: {files}",
            soft_wrap=True,
        )
        console.print(
            f'Type "{CONFIRM_WORD}" and press Enter to erase it; anything else keeps it.',
            soft_wrap=True,
        )
        try:
            answer = input("> ")
        except EOFError:
            answer = ""
        if answer.strip().lower() != CONFIRM_WORD:
            console.print("Nothing deleted.")
            return 1
        deleted = journal.delete_all()
    console.print(
        f"Deleted {deleted} session{'s' if deleted != 1 else ''} from {path}.", soft_wrap=True
    )
    return 0
