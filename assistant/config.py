"""User settings: a TOML file in the config directory, overridden by flags.

Example ``config.toml``::

    routine = "extension"      # extension | flexion | stenosis | stretches | "ask"
    engine = "pocketsphinx"    # auto | pocketsphinx | vosk | text
    voice = "piper"            # piper | piper:PATH_OR_NAME | an espeak-ng voice (en-gb)
    rate_wpm = 150             # speech rate, words per minute (80-400)
    volume = 1.0               # 0.0-1.0
    input_device = "pulse"     # name or index, as `backcoach devices` lists them
    output_device = "pulse"
    vosk_model = "~/models/vosk-model-small-en-us-0.15"
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import ConfigError
from .paths import config_file

__all__ = ["Settings", "load_settings", "ROUTINE_IDS", "ENGINES"]

ROUTINE_IDS = ("extension", "flexion", "stenosis", "stretches")
ENGINES = ("auto", "pocketsphinx", "vosk", "text")


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    routine: Literal["extension", "flexion", "stenosis", "stretches", "ask"] = "extension"
    engine: Literal["auto", "pocketsphinx", "vosk", "text"] = "pocketsphinx"
    voice: str = "piper"
    rate_wpm: int = Field(default=150, ge=80, le=400)
    volume: float = Field(default=1.0, ge=0.0, le=1.0)
    input_device: str | int | None = None
    output_device: str | int | None = None
    vosk_model: Path | None = None


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    key = ".".join(str(part) for part in first["loc"]) or "(top level)"
    if first["type"] == "extra_forbidden":
        allowed = ", ".join(Settings.model_fields)
        return f"unknown key '{key}' (known keys: {allowed})"
    return f"key '{key}': {first['msg']}"


def load_settings(overrides: Mapping[str, Any] | None = None, path: Path | None = None) -> Settings:
    """Read the config file (if any) and apply non-``None`` overrides from flags."""
    path = path or config_file()
    values: dict[str, Any] = {}
    if path.exists():
        try:
            values = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML ({exc}); fix or delete the file") from exc
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read ({exc.strerror})") from exc
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
