"""Bad scenario files give one clear line naming the file and the key."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from assistant.errors import ScenarioError
from assistant.scenario import load_scenario, parse_scenario_text

#: The canonical routine and exercise ids (DESIGN.md section 5).
CATALOG = {
    "extension": (
        "prone-lying",
        "prone-props",
        "press-up",
        "press-up-hips-off-centre",
        "side-glide",
        "flexion-rotation",
        "standing-extension",
    ),
    "flexion": ("supine-flexion", "seated-flexion", "standing-flexion"),
    "stenosis": ("standing-extension", "supine-flexion", "seated-flexion", "standing-flexion"),
    "stretches": ("press-up", "knee-to-chest", "childs-pose", "cat-camel", "sciatic-nerve-glide"),
}

GOOD = """\
routine: extension
start: press-up
engine: text
defaults:
  yes-no: no
  side: left
turns:
  - context: symptom
    after: "better, worse or the same"
    say: "about the same"
  - silence_s: 12
  - during: press-up
    after: "three"
    say: "pause"
expect:
  exercises: [press-up, press-up-hips-off-centre]
  outcome: stopped_worse
  said: ["hips"]
"""


def parse(text: str) -> None:
    parse_scenario_text(text, source="bad.yaml", base_dir=Path("."), catalog=CATALOG)


def error_of(text: str) -> str:
    with pytest.raises(ScenarioError) as caught:
        parse(text)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("bad.yaml: ")
    return message


def test_the_design_example_loads() -> None:
    loaded = parse_scenario_text(GOOD, source="good.yaml", catalog=CATALOG)
    scenario = loaded.scenario
    assert scenario.routine == "extension"
    assert scenario.defaults == {"yes-no": "no", "side": "left"}  # bare YAML `no` is a word
    assert [turn.kind for turn in scenario.turns] == ["say", "silence", "say"]
    assert scenario.expect.exercises == ["press-up", "press-up-hips-off-centre"]


def test_unknown_top_level_key() -> None:
    message = error_of("routine: extension\nturn: []\n")
    assert "turn: unknown key" in message
    assert "turns" in message  # the known keys are listed


def test_unknown_key_in_a_turn_names_its_path() -> None:
    message = error_of("routine: extension\nturns:\n  - say: better\n  - sya: worse\n")
    assert "turns[1].sya: unknown key" in message
    assert "silence_s" in message


def test_unknown_key_in_expect() -> None:
    message = error_of("routine: extension\nexpect:\n  exercise: [press-up]\n")
    assert "expect.exercise: unknown key" in message


def test_missing_routine() -> None:
    assert "routine: required key is missing" in error_of("turns: []\n")


def test_unknown_routine() -> None:
    message = error_of("routine: yoga\n")
    assert "routine: unknown routine 'yoga'" in message
    assert "extension" in message


def test_unknown_exercise_id_in_start() -> None:
    message = error_of("routine: flexion\nstart: press-up\n")
    assert "start: unknown exercise 'press-up' for routine 'flexion'" in message
    assert "supine-flexion" in message


def test_unknown_exercise_id_in_expect() -> None:
    message = error_of("routine: extension\nexpect:\n  exercises: [press-up, press-down]\n")
    assert "expect.exercises[1]: unknown exercise 'press-down'" in message


def test_unknown_exercise_id_in_during() -> None:
    message = error_of("routine: extension\nturns:\n  - during: plank\n    say: pause\n")
    assert "turns[0].during: unknown exercise 'plank'" in message


def test_unknown_context_in_a_turn() -> None:
    message = error_of("routine: extension\nturns:\n  - context: mood\n    say: better\n")
    assert "turns[0].context: unknown listening context 'mood'" in message
    assert "symptom" in message


def test_unknown_context_in_defaults() -> None:
    message = error_of("routine: extension\ndefaults:\n  yesno: no\n")
    assert "defaults.yesno: unknown listening context 'yesno'" in message


def test_missing_wav() -> None:
    message = error_of("routine: extension\nturns:\n  - wav: answers/nobody.wav\n")
    assert "turns[0].wav: no such recording 'answers/nobody.wav'" in message


def test_a_turn_needs_exactly_one_reply() -> None:
    both = error_of("routine: extension\nturns:\n  - say: better\n    silence_s: 3\n")
    assert "turns[0]: a turn needs exactly one of say, wav, silence_s (got say and silence_s)" in (
        both
    )
    none = error_of("routine: extension\nturns:\n  - context: symptom\n")
    assert "turns[0]: a turn needs exactly one of say, wav, silence_s (got none)" in none


def test_unknown_outcome_and_engine() -> None:
    assert "expect.outcome: unknown outcome 'fine'" in error_of(
        "routine: extension\nexpect:\n  outcome: fine\n"
    )
    assert "engine: unknown engine 'siri'" in error_of("routine: extension\nengine: siri\n")


def test_wrong_type_names_the_key() -> None:
    assert "turns[0].silence_s:" in error_of("routine: extension\nturns:\n  - silence_s: long\n")


def test_not_yaml_and_not_a_mapping() -> None:
    assert "not valid YAML at line 2" in error_of("routine: extension\n  bad: : x\n")
    assert "must be a mapping" in error_of("- just a list\n")


def test_load_scenario_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "typo.yaml"
    path.write_text("routine: extension\nexpect:\n  outcom: completed\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"typo\.yaml: expect\.outcom: unknown key"):
        load_scenario(path, CATALOG)


def test_cli_reports_a_bad_file_and_still_runs_the_others(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("routine: extension\nturns:\n  - say: better\n    colour: red\n")
    missing = tmp_path / "missing.yaml"
    result = subprocess.run(
        [sys.executable, "-m", "assistant", "script", str(bad), str(missing)],
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert f"{bad}: turns[0].colour: unknown key" in result.stderr
    assert f"{missing}: cannot read" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_routines_use_the_canonical_ids() -> None:
    from assistant.scenario import routine_catalog

    catalog = routine_catalog()
    for routine, exercises in CATALOG.items():
        assert set(exercises) <= set(catalog[routine]), routine
