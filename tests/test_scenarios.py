"""Every scenario under audio_fixtures/scenarios/ is a test: real recognizer, real engine.

``backcoach script audio_fixtures/scenarios/*.yaml`` runs the same set.  A file
with ``known_issue:`` documents a bug that makes it fail: it is an expected
failure here, and an error once it passes (then the key should go).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.paths import fixtures_dir
from assistant.scenario import load_scenario
from assistant.scenario.runner import Runner

SCENARIOS = sorted((fixtures_dir() / "scenarios").glob("*.yaml"))


@pytest.fixture(scope="module")
def runner() -> Runner:
    """One runner for the module: recognizers, synthesised audio and decodes are reused."""
    return Runner()


def test_the_scenario_set_is_there() -> None:
    assert len(SCENARIOS) >= 40


@pytest.mark.parametrize("path", SCENARIOS, ids=[path.stem for path in SCENARIOS])
def test_scenario(path: Path, runner: Runner) -> None:
    result = runner.run(load_scenario(path))
    if result.status == "known_issue":
        pytest.xfail(f"known issue: {result.known_issue}")
    assert result.status != "issue_fixed", (
        f"{path.name} passes although marked known_issue: remove the key"
    )
    assert result.passed, f"{path.name} failed:\n{result.render_failures()}"
