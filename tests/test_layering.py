"""Dependencies point one way (DESIGN.md section 2): the core imports no I/O.

The dialog engine must stay sans-I/O: no audio, recognizer, speech or ``time``
import may creep in, or scripted sessions stop being deterministic.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "assistant"

#: For each layer, the project modules it may import and outside modules it must not.
FOUNDATION = {"assistant.events", "assistant.clock", "assistant.errors"}
IO_MODULES = {
    "time",
    "sounddevice",
    "pyttsx3",
    "pocketsphinx",
    "vosk",
    "soundfile",
    "sqlite3",
    "subprocess",
    "threading",
    "socket",
}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    package = module.rsplit(".", 1)[0] if path.name != "__init__.py" else module
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            found.add(name)
            found.update(f"{name}.{alias.name}" for alias in node.names)
    return found


def project_imports(path: Path) -> set[str]:
    return {name for name in imports_of(path) if name.startswith("assistant.")}


def modules(*relative: str) -> list[Path]:
    paths: list[Path] = []
    for item in relative:
        target = PACKAGE / item
        paths.extend(sorted(target.rglob("*.py")) if target.is_dir() else [target])
    return paths


@pytest.mark.parametrize("path", modules("vocab.py", "events.py", "clock.py", "errors.py"), ids=str)
def test_foundation_depends_on_nothing_in_the_project(path: Path) -> None:
    # the shared vocabulary (string enums) is the one thing below the foundation
    others = {n for n in project_imports(path) if not n.startswith("assistant.vocab")}
    assert others == set()
    assert project_imports(PACKAGE / "vocab.py") == set()


@pytest.mark.parametrize("path", modules("dialog"), ids=lambda p: p.name)
def test_dialog_engine_is_sans_io(path: Path) -> None:
    outside = {name.split(".")[0] for name in imports_of(path)}
    assert not outside & IO_MODULES, f"{path.name} imports I/O: {outside & IO_MODULES}"
    allowed = (
        "assistant.vocab",
        "assistant.events",
        "assistant.clock",
        "assistant.errors",
        "assistant.dialog",
        "assistant.paths",
    )
    strays = {n for n in project_imports(path) if not n.startswith(allowed)}
    assert not strays, f"{path.name} reaches outside the core: {sorted(strays)}"


@pytest.mark.parametrize("path", modules("asr", "audio", "tts", "audioio.py"), ids=str)
def test_backends_do_not_reach_into_the_dialog_or_runtime(path: Path) -> None:
    forbidden = (
        "assistant.dialog",
        "assistant.runtime",
        "assistant.commands",
        "assistant.scenario",
        "assistant.cli",
    )
    strays = {n for n in project_imports(path) if n.startswith(forbidden)}
    assert not strays, f"{path.relative_to(PACKAGE)} imports {sorted(strays)}"


def test_relative_imports_are_resolved_so_the_rules_cannot_pass_vacuously() -> None:
    # doctor.py says "from ..config import Settings" and "from .run import ...".
    found = project_imports(PACKAGE / "commands" / "doctor.py")
    assert "assistant.config" in found and "assistant.commands.run" in found
    assert "time" in imports_of(PACKAGE / "clock.py")
