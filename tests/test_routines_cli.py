"""``backcoach routines`` as a user meets it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from assistant.cli import main
from assistant.paths import dialogs_dir


def test_list_shows_every_routine(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["routines", "list"]) == 0
    out = capsys.readouterr().out
    for routine_id in ("extension", "flexion", "stenosis", "stretches"):
        assert routine_id in out
    assert "Extension progression" in out and "sciatic-nerve-glide" in out


def test_show_gives_each_exercise_with_source_dose_and_rules(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["routines", "show", "extension"]) == 0
    out = capsys.readouterr().out
    assert "press-up-hips-off-centre" in out
    # the article by its title, not its file name
    assert "McKenzie Exercises for Your Lower Back" in out
    assert "003_e4878caa4eb5b3c5.txt" not in out and ".txt" not in out
    # {side} is filled in, as the coach fills it with the side it was told
    assert "{side}" not in out and "{other_side}" not in out
    assert "Lie down on your left/right side" in " ".join(out.split())
    assert "10 repetitions, 2 s hold" in out
    assert "same: press-up-hips-off-centre" in out
    assert "worse: stop" in out
    assert "cautions:" in out


def test_show_unknown_routine_fails_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["routines", "show", "yoga"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "unknown routine 'yoga'" in err


def test_validate_all_bundled_routines(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["routines", "validate"]) == 0
    assert "4 routine file(s) valid" in capsys.readouterr().out


def test_validate_bad_files_exits_non_zero_with_one_line_each(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "stenosis.yaml"
    good.write_text((dialogs_dir() / "stenosis.yaml").read_text())
    data = yaml.safe_load((dialogs_dir() / "stretches.yaml").read_text())
    data["exercises"][1]["next"]["better"] = "yoga"
    bad = tmp_path / "stretches.yaml"
    bad.write_text(yaml.safe_dump(data))
    worse = tmp_path / "flexion.yaml"
    worse.write_text("id: flexion\ntitle: x\n")
    assert main(["routines", "validate", str(good), str(bad), str(worse)]) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(str(bad)) and "exercise 'knee-to-chest'" in lines[0]
    assert "key 'next.better'" in lines[0] and "'yoga'" in lines[0]
    assert lines[1].startswith(str(worse)) and "missing key" in lines[1]


def test_diagram(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["routines", "show", "flexion", "--diagram"])
    captured = capsys.readouterr()
    try:
        import assistant.diagram  # noqa: F401
    except ModuleNotFoundError:
        assert code == 3
        assert "diagrams: not available yet" in captured.err
    else:
        assert code == 0
        assert "supine-flexion" in captured.out or "Knees to chest" in captured.out
