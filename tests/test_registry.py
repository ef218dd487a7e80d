"""The engine registry is the one list of engines: every place that names engines reads it."""

from __future__ import annotations

import argparse
import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.asr import registry
from assistant.asr.protocol import Recognizer
from assistant.config import ENGINES, Settings, load_settings
from assistant.errors import ConfigError, ModelNotFoundError
from assistant.scenario.model import ENGINES as SCENARIO_ENGINES


def test_every_engine_option_is_a_setting_and_a_flag() -> None:
    parser = argparse.ArgumentParser()
    registry.add_option_flags(parser)
    for key in registry.option_keys():
        assert key in Settings.model_fields, key
        assert parser.parse_args([]).__dict__[key] is None


def test_config_and_scenarios_accept_exactly_the_registry_engines() -> None:
    assert ("auto", *registry.ENGINES) == ENGINES
    assert tuple(registry.ENGINES) == SCENARIO_ENGINES
    with pytest.raises(ConfigError, match="unknown engine 'siri'"):
        load_settings({"engine": "siri"})


def test_unknown_engine_name_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown recognizer engine 'siri'"):
        registry.create_recognizer("siri")


def test_auto_takes_the_first_engine_whose_model_is_found_and_says_why() -> None:
    def nowhere(options: object) -> registry.Located:
        raise ModelNotFoundError("looked in /nowhere")

    first = dataclasses.replace(
        registry.get("pocketsphinx"), name="first", title="First", auto_rank=-1
    )
    missing = dataclasses.replace(first, name="missing", title="Missing", auto_rank=-2)
    object.__setattr__(missing, "locate", nowhere)
    engines = {"missing": missing, "first": first, **registry.ENGINES}
    spec, _located, description = registry.resolve("auto", {}, engines)
    assert spec.name == "first"
    assert description.startswith("auto: First") and "no Missing model (looked in /nowhere)" in (
        description
    )


def test_a_background_engine_is_usable_at_once_and_loads_behind() -> None:
    recognizer = registry.open_recognizer("pocketsphinx")
    assert isinstance(recognizer, Recognizer) and recognizer.name == "pocketsphinx"
    recognizer.set_context("yes-no")  # waits for the load
    assert recognizer.flush() == []


def test_the_cli_offers_the_registry_engines(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "assistant", "recognize", "--help"],
        capture_output=True,
        text=True,
        env={"BACKCOACH_HOME": str(tmp_path), "COLUMNS": "200", "PATH": "/usr/bin:/bin"},
        check=True,
    )
    for name in registry.ENGINES:
        assert name in done.stdout
    for key in registry.option_keys():
        assert "--" + key.replace("_", "-") in done.stdout
