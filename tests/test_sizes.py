"""Size limits: no module over 400 lines, no function over 60 (issue 11).

A module past 400 lines or a function past 60 is where the next change gets
hard to review.  The code that was over the limits when the checker came in is
listed below with its size then: each may only shrink, and once it is within the
limits it must leave the list (the test says so), so the list cannot go stale.
When the list is empty, the limits hold everywhere.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "assistant"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60

#: "path" or "path:Qualified.name" -> lines when the checker came in (a ceiling).
KNOWN_OFFENDERS: dict[str, int] = {}


def _functions(tree: ast.AST, prefix: str = "") -> Iterator[tuple[str, int]]:
    """(qualified name, lines from ``def`` to its last line) of every function."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            name = prefix + node.name
            assert node.end_lineno is not None
            yield name, node.end_lineno - node.lineno + 1
            yield from _functions(node, name + ".")
        elif isinstance(node, ast.ClassDef):
            yield from _functions(node, prefix + node.name + ".")


def measure() -> dict[str, tuple[int, int]]:
    """Every module and function: key -> (lines, limit)."""
    sizes: dict[str, tuple[int, int]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        key = path.relative_to(ROOT).as_posix()
        sizes[key] = (len(text.splitlines()), MAX_MODULE_LINES)
        for name, lines in _functions(ast.parse(text)):
            sizes[f"{key}:{name}"] = (lines, MAX_FUNCTION_LINES)
    return sizes


SIZES = measure()


def test_no_new_module_or_function_over_the_limits() -> None:
    over = {
        key: lines
        for key, (lines, limit) in SIZES.items()
        if lines > limit and key not in KNOWN_OFFENDERS
    }
    assert not over, (
        f"over {MAX_MODULE_LINES} lines (module) or {MAX_FUNCTION_LINES} (function): {over}"
    )


def test_known_offenders_only_shrink() -> None:
    grown = {
        key: f"{SIZES[key][0]} > {ceiling}"
        for key, ceiling in KNOWN_OFFENDERS.items()
        if key in SIZES and SIZES[key][0] > ceiling
    }
    assert not grown, f"grew (split it instead): {grown}"


def test_offenders_within_the_limits_leave_the_list() -> None:
    done = [key for key in KNOWN_OFFENDERS if key not in SIZES or SIZES[key][0] <= SIZES[key][1]]
    assert not done, (
        f"now within the limits or gone: delete from KNOWN_OFFENDERS in {__file__}: {done}"
    )


def test_the_checker_measures_real_code() -> None:
    # A broken walk (no functions found, nested ones skipped) would pass everything.
    assert SIZES["assistant/cli.py:main"][0] > 5
    assert any(key.startswith("assistant/dialog/") and ":" in key for key in SIZES)
    assert "assistant/bench/pulse.py:PulseAudio.start" in SIZES
