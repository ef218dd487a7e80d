"""The routine files: their content against the seeds, and the loader's errors."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from assistant.dialog.routine import (
    Exercise,
    Routine,
    load_routine,
    load_routine_data,
    load_routine_file,
    load_routine_text,
    load_routines,
    validate_routine_files,
)
from assistant.errors import RoutineError
from assistant.paths import dialogs_dir

SEEDS = {
    "000_9d9c839b8d787981.txt",
    "001_5d56999893589086.txt",
    "002_3c3a546b5e9af9a3.txt",
    "003_e4878caa4eb5b3c5.txt",
    "004_a9dc1eb00e524355.txt",
}


@pytest.fixture(scope="module")
def routines() -> dict[str, Routine]:
    return load_routines()


def ex(routines: dict[str, Routine], routine: str, exercise: str) -> Exercise:
    return routines[routine].exercise(exercise)


# ------------------------------------------------------------------ content


def test_the_four_routines_with_the_canonical_ids(routines: dict[str, Routine]) -> None:
    ids = {rid: routine.exercise_ids for rid, routine in routines.items()}
    assert ids == {
        "extension": [
            "prone-lying",
            "prone-props",
            "press-up",
            "press-up-hips-off-centre",
            "side-glide",
            "flexion-rotation",
            "standing-extension",
        ],
        # seed 003: follow flexion with an extension exercise such as the prone prop
        "flexion": ["supine-flexion", "seated-flexion", "standing-flexion", "prone-props"],
        "stenosis": ["standing-extension", "supine-flexion", "seated-flexion", "standing-flexion"],
        "stretches": [
            "press-up",
            "knee-to-chest",
            "childs-pose",
            "cat-camel",
            "sciatic-nerve-glide",
        ],
    }
    assert all(routine.start == routine.exercise_ids[0] for routine in routines.values())


def test_every_exercise_names_a_seed_and_has_steps(routines: dict[str, Routine]) -> None:
    for routine in routines.values():
        for exercise in routine.exercises:
            assert exercise.source in SEEDS
            assert set(exercise.also_from) <= SEEDS
            assert exercise.steps and exercise.position and exercise.cautions


def test_sources_follow_the_issue(routines: dict[str, Routine]) -> None:
    by_routine = {rid: {e.source for e in routine.exercises} for rid, routine in routines.items()}
    assert by_routine["extension"] <= {"003_e4878caa4eb5b3c5.txt", "001_5d56999893589086.txt"}
    assert ex(routines, "stenosis", "standing-extension").source.startswith("000_")
    assert by_routine["stretches"] == {"004_a9dc1eb00e524355.txt"}
    for exercise_id in ("supine-flexion", "seated-flexion", "standing-flexion"):
        assert ex(routines, "flexion", exercise_id).source.startswith("002_")


def test_doses_from_the_seeds(routines: dict[str, Routine]) -> None:
    press_up = ex(routines, "extension", "press-up")
    assert (press_up.reps, press_up.hold_s) == (10, 2)
    prone = ex(routines, "extension", "prone-lying")
    assert prone.hold_s == 60 and prone.hold_range_s == (60, 180) and prone.extend_while_better
    for exercise_id in ("side-glide", "flexion-rotation", "standing-extension"):
        assert ex(routines, "extension", exercise_id).reps == 10
    assert ex(routines, "extension", "standing-extension").hold_s is not None
    for exercise_id in ("supine-flexion", "standing-flexion"):
        flexion = ex(routines, "flexion", exercise_id)
        assert flexion.reps == 10 and flexion.hold_range_s == (1, 2)
    assert ex(routines, "stenosis", "standing-extension").hold_s == 60
    stretch = ex(routines, "stretches", "press-up")
    assert (stretch.reps, stretch.hold_s, stretch.hold_range_s) == (10, 10, (10, 30))
    knee = ex(routines, "stretches", "knee-to-chest")
    assert knee.reps_range == (2, 3) and knee.hold_range_s == (15, 30) and knee.sides == "each"
    child = ex(routines, "stretches", "childs-pose")
    assert child.reps_range == (2, 3) and child.hold_range_s == (10, 30)
    assert ex(routines, "stretches", "cat-camel").hold_range_s == (5, 20)
    glide = ex(routines, "stretches", "sciatic-nerve-glide")
    assert glide.reps == 10 and glide.sides == "each"


def test_one_sided_exercises_use_the_side(routines: dict[str, Routine]) -> None:
    one_sided = {
        (rid, e.id) for rid, r in routines.items() for e in r.exercises if e.sides == "affected"
    }
    assert one_sided == {
        ("extension", "press-up-hips-off-centre"),
        ("extension", "flexion-rotation"),
    }
    for rid, eid in one_sided:
        assert any("{side}" in step for step in ex(routines, rid, eid).steps)


def test_routines_are_found_from_the_package() -> None:
    assert (dialogs_dir() / "extension.yaml").is_file()
    assert load_routine("stenosis").id == "stenosis"
    assert load_routine(dialogs_dir() / "flexion.yaml").id == "flexion"


def test_an_unknown_routine_id_lists_the_known_ones() -> None:
    with pytest.raises(RoutineError, match=r"unknown routine 'yoga' \(known: extension, flexion"):
        load_routine("yoga")


# ------------------------------------------------------------ malformed files


def base() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((dialogs_dir() / "extension.yaml").read_text())
    return data


def write(tmp_path: Path, data: Any, name: str = "extension.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data) if not isinstance(data, str) else data)
    return path


def press_up(data: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = next(e for e in data["exercises"] if e["id"] == "press-up")
    return found


def _unknown_key(d: dict[str, Any]) -> None:
    press_up(d)["holdd_s"] = 3


def _missing_field(d: dict[str, Any]) -> None:
    del press_up(d)["source"]


def _unknown_next(d: dict[str, Any]) -> None:
    press_up(d)["next"]["same"] = "press-down"


def _hold_too_long(d: dict[str, Any]) -> None:
    press_up(d)["hold_s"] = 301


def _hold_zero(d: dict[str, Any]) -> None:
    press_up(d)["hold_s"] = 0


def _range_outside(d: dict[str, Any]) -> None:
    press_up(d)["hold_range_s"] = [1, 400]


def _loop(d: dict[str, Any]) -> None:
    # press-up <-> hips off centre, with no rule out of either
    press_up(d)["next"] = {k: "press-up-hips-off-centre" for k in ("better", "same", "worse")}
    hips = next(e for e in d["exercises"] if e["id"] == "press-up-hips-off-centre")
    hips["next"] = {k: "press-up" for k in ("better", "same", "worse")}


def _bad_source(d: dict[str, Any]) -> None:
    press_up(d)["source"] = "some-website"


def _placeholder(d: dict[str, Any]) -> None:
    press_up(d)["steps"][0] = "Lie on your {sidee} side"


def _side_without_sides(d: dict[str, Any]) -> None:
    press_up(d)["steps"][0] = "Lie on your {side} side"


def _no_dose(d: dict[str, Any]) -> None:
    del press_up(d)["reps"]
    del press_up(d)["hold_s"]


def _duplicate(d: dict[str, Any]) -> None:
    hips = next(e for e in d["exercises"] if e["id"] == "press-up-hips-off-centre")
    hips["id"] = "press-up"


def _bad_answer_key(d: dict[str, Any]) -> None:
    press_up(d)["next"]["awful"] = "stop"


def _unreachable(d: dict[str, Any]) -> None:
    extra = copy.deepcopy(press_up(d))
    extra["id"] = "orphan"
    d["exercises"].append(extra)


MALFORMED: list[tuple[str, Callable[[dict[str, Any]], None], str, str]] = [
    ("unknown key", _unknown_key, "holdd_s", "unknown key"),
    ("missing field", _missing_field, "source", "missing key"),
    ("unknown next", _unknown_next, "next.same", "unknown exercise 'press-down'"),
    ("hold too long", _hold_too_long, "hold_s", "outside 1-300 s"),
    ("hold zero", _hold_zero, "hold_s", "outside 1-300 s"),
    ("range outside", _range_outside, "hold_range_s", "outside 1-300 s"),
    ("loop", _loop, "next", "loop with no way out"),
    ("bad source", _bad_source, "source", "seed file"),
    ("placeholder", _placeholder, "steps.0", "unknown placeholder '{sidee}'"),
    ("side without sides", _side_without_sides, "steps.0", "needs sides"),
    ("no dose", _no_dose, "reps", "needs reps, hold_s or both"),
    ("duplicate id", _duplicate, "id", "unique"),
    ("bad answer key", _bad_answer_key, "next.awful", "unknown key"),
    ("unreachable", _unreachable, "id", "never reached"),
]


@pytest.mark.parametrize(
    ("mutate", "key", "message"),
    [m[1:] for m in MALFORMED],
    ids=[m[0] for m in MALFORMED],
)
def test_malformed_routine_names_file_exercise_and_key(
    tmp_path: Path, mutate: Callable[[dict[str, Any]], None], key: str, message: str
) -> None:
    data = base()
    mutate(data)
    path = write(tmp_path, data)
    with pytest.raises(RoutineError) as caught:
        load_routine_file(path)
    text = str(caught.value)
    assert "\n" not in text
    assert text.startswith(f"{path}: exercise '")
    assert "exercise 'press-up'" in text or "exercise 'orphan'" in text or "#" in text
    assert f"key '{key}'" in text
    assert message in text
    assert validate_routine_files([path]) == [text]


def test_top_level_errors(tmp_path: Path) -> None:
    data = base()
    data["colour"] = "blue"
    with pytest.raises(RoutineError, match=r"extension.yaml: unknown key 'colour'"):
        load_routine_file(write(tmp_path, data))
    data = base()
    data["first"] = "nowhere"
    with pytest.raises(RoutineError, match=r"key 'first': unknown exercise 'nowhere'"):
        load_routine_file(write(tmp_path, data))
    with pytest.raises(RoutineError, match=r"must match the file name 'other'"):
        load_routine_file(write(tmp_path, base(), "other.yaml"))
    with pytest.raises(RoutineError, match=r"broken.yaml: not valid YAML at line 2"):
        load_routine_file(write(tmp_path, "id: x\n  title: [unclosed\n", "broken.yaml"))
    with pytest.raises(RoutineError, match=r"list.yaml: expected a mapping"):
        load_routine_file(write(tmp_path, "- just\n- a list\n", "list.yaml"))
    with pytest.raises(RoutineError, match=r"missing.yaml: no such routine file"):
        load_routine_file(tmp_path / "missing.yaml")


def test_three_entry_points_agree() -> None:
    text = (dialogs_dir() / "stenosis.yaml").read_text()
    from_text = load_routine_text(text, "stream")
    from_data = load_routine_data(yaml.safe_load(text), "dict")
    from_file = load_routine_file(dialogs_dir() / "stenosis.yaml")
    assert from_text.model_dump() == from_data.model_dump() == from_file.model_dump()
    assert from_text.origin == "stream"


def test_loading_a_folder_with_one_bad_file_fails(tmp_path: Path) -> None:
    write(tmp_path, base())
    data = base()
    data["id"] = "bad"
    press_up(data)["hold_s"] = 999
    write(tmp_path, data, "bad.yaml")
    with pytest.raises(RoutineError, match=r"bad.yaml: exercise 'press-up': key 'hold_s'"):
        load_routines(tmp_path)
    with pytest.raises(RoutineError, match="no routine files"):
        load_routines(_empty(tmp_path))


def _empty(tmp_path: Path) -> Path:
    folder = tmp_path / "empty"
    folder.mkdir()
    return folder
