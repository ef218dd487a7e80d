"""User settings: a TOML file in the config directory, overridden by flags.

Example ``config.toml``::

    routine = "extension"      # extension | flexion | stenosis | stretches | "ask"
    engine = "auto"            # auto | whisper | vosk | pocketsphinx | text
    voice = "piper"            # piper | piper:PATH_OR_NAME | an espeak-ng voice (en-gb)
    rate_wpm = 150             # speech rate, words per minute (80-400)
    volume = 1.0               # 0.0-1.0
    input_device = "pulse"     # name or index, as `backcoach devices` lists them
    output_device = "pulse"
    vosk_model = "~/models/vosk-model-small-en-us-0.15"
    whisper_model = "~/models/faster-whisper-tiny.en"   # or tiny.en / base.en to download
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .asr.registry import engine_choices
from .errors import ConfigError
from .paths import config_file

__all__ = ["Settings", "load_settings", "ROUTINE_IDS", "ENGINES"]

ROUTINE_IDS = ("extension", "flexion", "stenosis", "stretches")
#: Every engine of the registry, and ``auto``.
ENGINES = engine_choices()


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    routine: Literal["extension", "flexion", "stenosis", "stretches", "ask"] = "extension"
    engine: str = "auto"
    voice: str = "piper"
    rate_wpm: int = Field(default=150, ge=80, le=400)
    volume: float = Field(default=1.0, ge=0.0, le=1.0)
    input_device: str | int | None = None
    output_device: str | int | None = None
    # The engines' options (``registry.option_keys()``; a test keeps them in step).
    vosk_model: Path | None = None
    whisper_model: str | None = None  # a folder, or a model name to download

    @field_validator("engine")
    @classmethod
    def _known_engine(cls, value: str) -> str:
        if value not in ENGINES:
            raise ValueError(f"unknown engine {value!r} (one of {', '.join(ENGINES)})")
        return value


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    key = ".".join(str(part) for part in first["loc"]) or "(top level)"
    if first["type"] == "extra_forbidden":
        allowed = ", ".join(Settings.model_fields)
        return f"unknown key '{key}' (known keys: {allowed})"
    return f"key '{key}': {first['msg']}"


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        # utf-8-sig: editors on Windows start a UTF-8 file with a byte-order mark.
        text = path.read_bytes().decode("utf-8-sig")
        return tomllib.loads(text)
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset {exc.start}); "
            "save it as UTF-8 or delete it"
        ) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}); fix or delete the file") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror or exc})") from exc


def load_settings(overrides: Mapping[str, Any] | None = None, path: Path | None = None) -> Settings:
    """Read the config file (if any) and apply non-``None`` overrides from flags."""
    path = path or config_file()
    values: dict[str, Any] = {}
    if path.exists():
        values = _read_toml(path)
        try:
            Settings.model_validate(values)
        except ValidationError as exc:
            raise ConfigError(f"{path}: {_describe(exc)}") from exc
    for key, value in (overrides or {}).items():
        if value is not None:
            values[key] = value
    try:
        return Settings.model_validate(values)
    except ValidationError as exc:
        raise ConfigError(f"command line: {_describe(exc)}") from exc
