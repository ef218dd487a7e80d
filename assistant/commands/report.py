"""``backcoach report``: one self-contained HTML page of progress, to keep or to show."""

from __future__ import annotations

import argparse
from datetime import date, datetime
from pathlib import Path

from ..journal import open_journal
from ..paths import journal_file
from ._common import Subparsers, add_command, console

__all__ = ["register", "run", "default_name"]


def register(subparsers: Subparsers, summary: str) -> None:
    parser = add_command(subparsers, "report", summary, run)
    parser.add_argument(
        "--out",
        type=Path,
        metavar="FILE.html",
        help="where to write the page (default: backcoach-report-DATE.html here; "
        "a folder puts it there)",
    )
    parser.add_argument(
        "--period",
        choices=("week", "month"),
        default="week",
        help="one printed page per week (default) or per month, for your physiotherapist",
    )
    parser.add_argument(
        "--since",
        type=_day,
        metavar="YYYY-MM-DD",
        help="only sessions on or after this day (default: all)",
    )


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a day like 2026-10-31: {text!r}") from None


def default_name(today: datetime) -> str:
    return f"backcoach-report-{today:%Y-%m-%d}.html"


def run(args: argparse.Namespace) -> int:
    from ..report import build_report, write_report  # matplotlib: only when needed

    now = datetime.now().astimezone()
    out: Path = args.out if args.out is not None else Path(default_name(now))
    if out.is_dir():
        out = out / default_name(now)
    path = journal_file()
    sessions = []
    if path.exists():
        with open_journal(path) as journal:
            sessions = journal.sessions()
    if sessions and args.since is not None:
        sessions = [s for s in sessions if s.started_at.date() >= args.since]
        if not sessions:
            console.print(f"No sessions on or after {args.since:%d %b %Y}; nothing to report.")
            return 1
    if not sessions:
        console.print(
            f"No sessions in the journal yet ({path}), so there is nothing to report.\n"
            "Do a session with [bold]backcoach run[/bold]; the report then shows how it went.",
            soft_wrap=True,
        )
        return 1
    html = build_report(sessions, generated_at=now, by=args.period)
    written = write_report(out, html)
    first, last = sessions[0].started_at, sessions[-1].started_at
    span = f"{first:%d %b %Y}" + ("" if first.date() == last.date() else f" to {last:%d %b %Y}")
    n = len(sessions)
    console.print(
        f"Wrote the report of {n} session{'s' if n != 1 else ''} ({span}) to {written}\n"
        "Open it in any web browser; it needs no internet connection.",
        soft_wrap=True,
    )
    return 0
