"""An installed Back Coach (a wheel, not this checkout) carries its routines and phrases."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from assistant.dialog.routine import load_routines
from assistant.paths import dialogs_dir, package_root

ROOT = package_root()


def test_routines_are_found_from_the_package() -> None:
    assert dialogs_dir().resolve() == (ROOT / "dialogs").resolve()
    assert set(load_routines()) == {"extension", "flexion", "stenosis", "stretches"}


@pytest.mark.slow
def test_the_wheel_carries_routines_and_phrase_templates(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        cwd=tmp_path,
    )
    wheel = next(tmp_path.glob("backcoach-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for routine in ("extension", "flexion", "stenosis", "stretches"):
        assert f"assistant/dialogs/{routine}.yaml" in names
    assert "assistant/data/phrases.yaml" in names
    assert "assistant/py.typed" in names
