"""Dependencies point one way (DESIGN.md section 2): the core imports no I/O.

The dialog engine must stay sans-I/O: no audio, recognizer, speech or ``time``
import may creep in, or scripted sessions stop being deterministic.  Every
module has a layer and imports only its own layer and those below:

    core -> dialog -> audio / asr / tts (and journal, report) -> config -> runtime -> cli

Tooling (``assistant/bench``: benches, the PulseAudio helper, the fixture
generator, the baselines) sits beside the CLI: it may use the product, never the
CLI layer, and nothing in the product imports it (``backcoach bench`` loads it by
name, on demand).
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


#: Module (or package) prefix -> layer; the longest prefix wins.  A new module must
#: be given its place here, so the rules below cover everything.
TOOLING = 99
LAYERS: dict[str, int] = {
    "assistant": 0,  # the package's __init__: the version and the error family
    "assistant.events": 0,
    "assistant.clock": 0,
    "assistant.errors": 0,
    "assistant.paths": 0,
    "assistant.vocab": 0,
    "assistant.sources": 0,  # the articles' titles: data only
    "assistant.dialog": 1,
    "assistant.diagram": 2,
    "assistant.audioio": 2,
    "assistant.audio": 2,
    "assistant.asr": 2,
    "assistant.tts": 2,
    "assistant.journal": 2,
    "assistant.report": 2,
    "assistant.ui": 2,  # the screen and the microphone check, beside speech output
    # Settings are checked against the engine registry (assistant.asr).
    "assistant.config": 3,
    "assistant.runtime": 4,
    "assistant.textsession": 4,
    "assistant.scenario": 4,
    "assistant.cli": 5,
    "assistant.__main__": 5,
    "assistant.commands": 5,
    "assistant.bench": TOOLING,
}
CLI = 5


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> int | None:
    """The layer of a module; the package itself only matches ``"assistant"`` exactly."""
    prefixes = [
        p for p in LAYERS if module == p or (p != "assistant" and module.startswith(p + "."))
    ]
    return LAYERS[max(prefixes, key=len)] if prefixes else None


ALL_MODULES = sorted(PACKAGE.rglob("*.py"))


def test_every_module_has_a_layer() -> None:
    stray = [module_name(path) for path in ALL_MODULES if layer_of(module_name(path)) is None]
    assert not stray, f"give these a layer in tests/test_layering.py: {stray}"


@pytest.mark.parametrize("path", ALL_MODULES, ids=module_name)
def test_imports_point_down_the_layers(path: Path) -> None:
    own = layer_of(module_name(path))
    if own is None:
        pytest.fail(f"{module_name(path)} has no layer")
    upward = []
    for name in project_imports(path):
        target = layer_of(name)
        if target is None:  # "from assistant import x" of a name, not a module
            continue
        # Tooling may use all but the CLI; TOOLING is above every product layer.
        if (target == CLI) if own == TOOLING else (target > own):
            upward.append(name)
    assert not upward, f"{module_name(path)} (layer {own}) imports {sorted(upward)}"


def test_the_layer_rules_see_real_edges() -> None:
    # Without these the rules above could pass by resolving nothing.
    assert "assistant.journal" in project_imports(PACKAGE / "runtime" / "loop.py")
    assert "assistant.bench.pulse" in project_imports(PACKAGE / "bench" / "loop.py")
    assert layer_of("assistant.bench.pulse") == TOOLING
    assert layer_of("assistant.commands.doctor") == CLI
    assert layer_of("assistant.dialog.engine") == 1
    assert layer_of("assistant.assistant_x") is None


def test_one_dither_and_one_audio_file_reader() -> None:
    dithers = [
        module_name(path)
        for path in ALL_MODULES
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.FunctionDef) and node.name == "dither"
    ]
    assert dithers == ["assistant.audioio"]
    decoders = [
        module_name(path) for path in ALL_MODULES if imports_of(path) & {"soundfile", "wave"}
    ]
    assert decoders == ["assistant.audioio"]
