"""The scenario runner as a test author meets it: what a failure looks like, and the CLI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.events import COMMAND_INTENTS, OUTCOMES
from assistant.paths import fixtures_dir
from assistant.scenario import ScenarioResult, load_scenario, parse_scenario_text, routine_catalog
from assistant.scenario.runner import Runner

SCENARIOS = fixtures_dir() / "scenarios"


@pytest.fixture(scope="module")
def runner() -> Runner:
    return Runner()


def run_text(runner: Runner, text: str, name: str = "inline.yaml") -> ScenarioResult:
    return runner.run(parse_scenario_text(text, source=name, base_dir=SCENARIOS))


WRONG_BRANCH = """\
routine: extension
start: press-up
engine: text
turns:
  - context: symptom
    say: about the same
  - context: symptom
    say: worse
defaults:
  side: left
  location: my lower back   # asked at the shifted press-up when the intake was skipped
expect:
  exercises: [press-up, side-glide]
  outcome: completed
  said: ["hips shifted", "glide"]
"""


def test_a_wrong_expectation_shows_expected_and_actual(runner: Runner) -> None:
    result = run_text(runner, WRONG_BRANCH)
    assert not result.passed
    assert result.exercises == ["press-up", "press-up-hips-off-centre"]
    assert result.outcome == "stopped_worse"
    messages = [failure.message for failure in result.failures]
    assert messages[0] == (
        "exercises differ: expected [press-up, side-glide], got "
        "[press-up, press-up-hips-off-centre] "
        "(#2 expected side-glide, got press-up-hips-off-centre)"
    )
    assert "outcome differs: expected completed, got stopped_worse" in messages
    assert any(m.startswith("not said: 'glide' after 'hips shifted'") for m in messages)
    text = result.render_failures()
    # The transcript around the difference: the answer that led there, marked line.
    assert "about the same  -> same" in text
    assert ">>" in text and "Press-up with hips shifted" in text


def test_an_unexpected_question_names_the_prompt(runner: Runner) -> None:
    result = run_text(
        runner,
        "routine: flexion\nengine: text\nturns:\n  - context: symptom\n    say: better\n",
    )
    assert not result.passed
    message = result.failures[-1].message
    assert message.startswith("unexpected question: the assistant asks in context 'yes-no'")
    assert "bladder" in message  # the question it asked
    assert "defaults have no 'yes-no'" in message
    assert result.transcript[-1].who == "coach"


def test_turns_left_over_when_the_session_ends(runner: Runner) -> None:
    result = run_text(
        runner,
        "routine: flexion\nstart: supine-flexion\nengine: text\nturns:\n"
        "  - say: worse\n  - say: better\nexpect:\n  outcome: stopped_worse\n",
    )
    assert [f.message for f in result.failures] == [
        'the session ended before turn 2 of 2 was given (not given: say "better")'
    ]


def test_silence_after_the_last_turn_ends_with_no_response(runner: Runner) -> None:
    result = run_text(runner, "routine: stretches\nstart: childs-pose\nengine: text\n")
    assert result.outcome == "no_response"
    assert result.heard == []
    assert result.virtual_ms > 60_000  # minutes of virtual time, in a moment of real time
    assert result.wall_s < 5


def test_a_during_turn_is_spoken_in_the_pause_after_its_cue(runner: Runner) -> None:
    result = run_text(
        runner,
        """\
routine: extension
start: press-up
engine: text
turns:
  - during: press-up
    after: "Three, press up"
    say: pause
expect:
  said: ["Three, press up", "Paused"]
  not_said: ["Four, press up"]
""",
    )
    assert result.passed, result.render_failures()
    user = next(entry for entry in result.transcript if entry.who == "user")
    cue = next(entry for entry in result.transcript if entry.text.startswith("Three, press up"))
    assert user.intent == "pause" and user.context == "exercise"  # commands and symptoms
    assert 0 < user.time_ms - cue.time_ms < 3000


def test_recordings_are_decoded_and_shown_with_their_words(runner: Runner) -> None:
    result = run_text(
        runner,
        """\
routine: stenosis
start: standing-extension
turns:
  - context: symptom
    wav: answers/better_en-us.wav
expect:
  exercises: [standing-extension]
  outcome: completed
  heard: [better]
""",
    )
    assert result.passed, result.render_failures()
    user = next(entry for entry in result.transcript if entry.who == "user")
    assert user.text == "better [answers/better_en-us.wav]"
    assert user.recognised is not None and user.recognised.startswith("better (")


def test_the_decode_cache_replays_what_live_decoding_gives() -> None:
    path = SCENARIOS / "extension_worse_at_press_up_then_hips.yaml"
    cached, live = Runner(), Runner(cache=False)
    first = cached.run(load_scenario(path))
    again = cached.run(load_scenario(path))  # every reply now comes from the cache
    fresh = live.run(load_scenario(path))
    assert cached.decode_cache.hits >= 2
    for result in (first, again, fresh):
        assert result.passed, result.render_failures()
    assert [e.to_json() for e in again.transcript] == [e.to_json() for e in fresh.transcript]


def test_the_scenario_set_walks_every_branch_command_and_outcome() -> None:
    """Run with typed text (the flows do not depend on the recognizer, and the known
    recognizer issues vanish): every better/same/worse rule of every routine, every
    command and every outcome is exercised by some scenario file."""
    text_runner = Runner(engine="text")
    branches: set[tuple[str, str, str]] = set()
    heard: set[str] = set()
    outcomes: set[str | None] = set()
    recorded: set[str] = set()
    for path in sorted(SCENARIOS.glob("*.yaml")):
        loaded = load_scenario(path)
        if loaded.scenario.known_issue is not None:
            continue  # its flow is not there yet; tests/test_scenarios.py holds it to failing
        result = text_runner.run(loaded)
        assert result.passed, f"{path.name}:\n{result.render_failures()}"
        routine = loaded.scenario.routine
        branches |= {(routine, exercise, answer) for exercise, answer in result.answers}
        heard |= set(result.heard)
        outcomes.add(result.outcome)
        if any(turn.wav for turn in loaded.scenario.turns):
            recorded.add(routine)
    wanted = {
        (routine_id, exercise, answer)
        for routine_id, exercises in routine_catalog().items()
        for exercise in exercises
        for answer in ("better", "same", "worse")
    }
    assert sorted(wanted - branches) == []
    assert set(COMMAND_INTENTS) <= heard
    assert {"not_understood", "silence"} <= heard
    assert set(OUTCOMES) <= outcomes
    assert recorded == set(routine_catalog())  # recorded WAVs in every routine


def backcoach(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "assistant", "script", *args], capture_output=True, text=True
    )


def test_cli_failure_exits_non_zero_with_a_readable_difference(tmp_path: Path) -> None:
    bad = tmp_path / "wrong_branch.yaml"
    bad.write_text(WRONG_BRANCH, encoding="utf-8")
    good = SCENARIOS / "extension_worse_at_prone_lying.yaml"
    done = backcoach(str(good), str(bad), "--engine", "text")
    assert done.returncode == 1
    assert "PASS extension_worse_at_prone_lying" in done.stdout
    assert "FAIL wrong_branch" in done.stdout
    assert "exercises differ: expected [press-up, side-glide]" in done.stdout
    assert "not said: 'glide'" in done.stdout
    assert "1 of 2 scenarios passed." in done.stdout


def test_cli_json_has_the_contract_fields(tmp_path: Path) -> None:
    bad = tmp_path / "wrong_branch.yaml"
    bad.write_text(WRONG_BRANCH, encoding="utf-8")
    broken = tmp_path / "broken.yaml"
    broken.write_text("routine: extension\nstart: plank\n", encoding="utf-8")
    done = backcoach("--json", "--engine", "text", str(bad), str(broken))
    assert done.returncode == 1
    reports = json.loads(done.stdout)
    first, second = reports
    assert first["passed"] is False
    assert first["exercises"] == ["press-up", "press-up-hips-off-centre"]
    assert first["outcome"] == "stopped_worse"
    assert first["failures"][0].startswith("exercises differ")
    entry = next(e for e in first["transcript"] if e["who"] == "user")
    assert entry == {
        "time_s": entry["time_s"],
        "who": "user",
        "text": "about the same",
        "intent": "same",
        "context": "symptom",
        "recognised": "same ('about the same', 1.00)",
    }
    assert {"time_s", "who", "text", "intent"} <= set(first["transcript"][0])
    assert second["passed"] is False
    assert "start: unknown exercise 'plank'" in second["error"]
    assert f"{broken}: start: unknown exercise 'plank'" in done.stderr


def test_cli_runs_the_scenario_set_the_same_way_pytest_does() -> None:
    files = [str(SCENARIOS / name) for name in ("red_flag_bladder.yaml", "command_help.yaml")]
    done = backcoach(*files)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 of 2 scenarios passed." in done.stdout


def test_cli_vosk_without_a_model_is_one_line_per_file(tmp_path: Path) -> None:
    files = [str(SCENARIOS / name) for name in ("red_flag_bladder.yaml", "command_help.yaml")]
    env = {k: v for k, v in os.environ.items() if k != "BACKCOACH_VOSK_MODEL"}
    env["BACKCOACH_HOME"] = env["HOME"] = str(tmp_path)  # no model anywhere
    done = subprocess.run(
        [sys.executable, "-m", "assistant", "script", "--engine", "vosk", *files],
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 2
    for line, name in zip(lines, files, strict=True):
        assert line.startswith(f"ERROR {name}: no Vosk model found")
    assert "Traceback" not in done.stderr


def test_cli_takes_a_folder_and_known_issues_belong_to_their_engine(tmp_path: Path) -> None:
    # Files whose dialog behaviour is not there yet fail typed too: left out here.
    for path in SCENARIOS.glob("*.yaml"):
        if load_scenario(path).scenario.known_issue is None:
            shutil.copy(path, tmp_path / path.name)
    done = backcoach("--engine", "text", str(tmp_path))
    count = len(list(tmp_path.glob("*.yaml")))
    assert done.returncode == 0, done.stdout[-2000:]
    assert f"{count} of {count} scenarios passed." in done.stdout
    assert "KNOWN ISSUE" not in done.stdout  # typed text has no recognizer issue
