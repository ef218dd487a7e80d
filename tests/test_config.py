"""Configuration: the TOML file, flags that override it, and clear errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from assistant.config import load_settings
from assistant.errors import ConfigError
from assistant.paths import cache_dir, config_file, journal_file


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("BACKCOACH_HOME", str(tmp_path))
    return tmp_path


def write_config(text: str) -> Path:
    path = config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_backcoach_home_redirects_every_path(home: Path) -> None:
    for path in (config_file(), journal_file(), cache_dir()):
        assert home in path.parents


def test_defaults_without_a_config_file(home: Path) -> None:
    settings = load_settings()
    assert settings.engine == "auto"
    assert settings.routine == "extension"


def test_file_values_are_used_and_flags_win(home: Path) -> None:
    write_config('routine = "flexion"\nvoice = "en-gb"\nrate_wpm = 130\n')
    settings = load_settings({"voice": "en-us", "routine": None})
    assert settings.routine == "flexion"  # from the file: the flag was not given
    assert settings.voice == "en-us"  # the flag wins
    assert settings.rate_wpm == 130


def test_unknown_key_names_file_and_key(home: Path) -> None:
    path = write_config('routine = "flexion"\nspeed = 3\n')
    with pytest.raises(ConfigError) as info:
        load_settings()
    message = str(info.value)
    assert str(path) in message and "'speed'" in message and "\n" not in message


def test_bad_value_names_the_key(home: Path) -> None:
    path = write_config("volume = 7\n")
    with pytest.raises(ConfigError, match="volume") as info:
        load_settings()
    assert str(path) in str(info.value)


def test_malformed_toml_is_not_ignored(home: Path) -> None:
    path = write_config('routine = "flexion\n')
    with pytest.raises(ConfigError, match="not valid TOML") as info:
        load_settings()
    assert str(path) in str(info.value)


def test_bad_flag_value_names_the_command_line(home: Path) -> None:
    with pytest.raises(ConfigError, match="command line: key 'rate_wpm'"):
        load_settings({"rate_wpm": 5})


def test_cli_reports_a_bad_config_in_one_line_without_traceback(home: Path) -> None:
    write_config("engine = 'siri'\n")
    result = subprocess.run(
        [sys.executable, "-m", "assistant", "run", "--text"],
        capture_output=True,
        text=True,
        env={"BACKCOACH_HOME": str(home), "PATH": "/usr/bin:/bin"},
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "engine" in lines[0] and "config.toml" in lines[0]


def test_a_file_that_is_not_utf8_is_one_line_naming_it(home: Path) -> None:
    path = config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes('voice = "en-gb"  # café\n'.encode("latin-1"))
    with pytest.raises(ConfigError) as info:
        load_settings()
    message = str(info.value)
    assert message.startswith(f"{path}: not UTF-8") and "\n" not in message


def test_a_byte_order_mark_is_accepted(home: Path) -> None:
    path = config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\xef\xbb\xbf" + b'routine = "flexion"\n')
    assert load_settings().routine == "flexion"
