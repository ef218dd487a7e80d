"""``backcoach script FILE...``: run scenario files (scripted sessions).

Each file is loaded and run on its own: a malformed file prints one line naming
the file and the key and counts as a failure, and the other files still run.
The exit status is 0 only when every scenario passed.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from rich.markup import escape

from ..asr.registry import add_option_flags, option_keys
from ..errors import AssistantError
from ..scenario.model import ENGINES
from ._common import Subparsers, add_command, console, err_console

__all__ = ["register"]

_STATUS = {
    "passed": "[green]PASS[/green]",
    "failed": "[red]FAIL[/red]",
    "known_issue": "[yellow]KNOWN ISSUE[/yellow]",
    "issue_fixed": "[red]FIXED?[/red]",
}


def _run(args: argparse.Namespace) -> int:
    from ..scenario.loader import load_scenario
    from ..scenario.runner import Runner

    options = {key: vars(args)[key] for key in option_keys()}
    runner = Runner(engine=args.engine, options=options, cache=not args.no_cache)
    reports: list[dict[str, Any]] = []
    failed = 0
    files = _expand(args.files)
    for path in files:
        try:
            loaded = load_scenario(path, runner.catalog)
            result = runner.run(loaded)
        except AssistantError as exc:
            failed += 1
            message = str(exc) if str(exc).startswith(str(path)) else f"{path}: {exc}"
            err_console.print(f"ERROR {message}", markup=False, soft_wrap=True)
            reports.append(
                {
                    "scenario": path.stem,
                    "file": str(path),
                    "passed": False,
                    "status": "error",
                    "error": message,
                }
            )
            continue
        reports.append(result.to_json())
        if not result.ok:
            failed += 1
        if args.json:
            continue
        status = _STATUS[result.status]
        summary = (
            f"{result.name}  ({result.engine}; {', '.join(result.exercises) or '-'}; "
            f"{result.outcome}; {result.virtual_ms / 60000:.1f} min in {result.wall_s:.1f} s)"
        )
        console.print(f"{status} {escape(summary)}", soft_wrap=True)
        if args.transcript:
            console.print(result.render_transcript(), markup=False, soft_wrap=True)
        if result.status == "known_issue":
            console.print(f"  known issue: {result.known_issue}", markup=False, soft_wrap=True)
        if result.status == "issue_fixed":
            console.print(
                f"  passed although marked known_issue ({result.known_issue}): "
                "remove the key from the file",
                markup=False,
                soft_wrap=True,
            )
        if not result.passed:
            console.print(result.render_failures(), markup=False, soft_wrap=True)
    if args.json:
        print(json.dumps(reports, indent=2))
    else:
        total = len(files)
        known = sum(1 for report in reports if report.get("status") == "known_issue")
        note = f" ({known} failed as known issues)" if known else ""
        console.print(f"{total - failed} of {total} scenarios passed{note}.")
    return 1 if failed else 0


def _expand(paths: list[Path]) -> list[Path]:
    """A folder stands for the scenario files (``*.yaml``) in it, in name order."""
    files: list[Path] = []
    for path in paths:
        files.extend(sorted(path.glob("*.yaml")) if path.is_dir() else [path])
    return files


def register(subparsers: Subparsers, summary: str) -> None:
    parser = add_command(subparsers, "script", summary, _run)
    parser.add_argument(
        "files",
        nargs="+",
        type=Path,
        metavar="FILE",
        help="scenario YAML files (a folder: every *.yaml in it)",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print, per scenario, passed, exercises, outcome, failures and the transcript",
    )
    parser.add_argument(
        "--transcript", action="store_true", help="print the whole transcript of each scenario"
    )
    parser.add_argument(
        "--engine",
        choices=ENGINES,
        help="recognizer for every scenario (overrides the scenario's engine:)",
    )
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="decode every reply live (by default a reply already decoded in the same "
        "context is replayed)",
    )
    add_option_flags(parser)
