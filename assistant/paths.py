"""Where Back Coach reads and writes.  ``BACKCOACH_HOME`` redirects everything."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

__all__ = [
    "APP_NAME",
    "HOME_ENV",
    "config_dir",
    "config_file",
    "data_dir",
    "cache_dir",
    "journal_file",
    "package_root",
    "dialogs_dir",
    "fixtures_dir",
]

APP_NAME = "backcoach"
HOME_ENV = "BACKCOACH_HOME"


def _home() -> Path | None:
    value = os.environ.get(HOME_ENV)
    return Path(value).expanduser() if value else None


def config_dir() -> Path:
    home = _home()
    return home / "config" if home else Path(platformdirs.user_config_dir(APP_NAME))


def config_file() -> Path:
    return config_dir() / "config.toml"


def data_dir() -> Path:
    home = _home()
    return home / "data" if home else Path(platformdirs.user_data_dir(APP_NAME))


def cache_dir() -> Path:
    home = _home()
    return home / "cache" if home else Path(platformdirs.user_cache_dir(APP_NAME))


def journal_file() -> Path:
    return data_dir() / "journal.sqlite3"


def package_root() -> Path:
    """The directory holding the ``assistant`` package (the project root in a checkout)."""
    return Path(__file__).resolve().parent.parent


def dialogs_dir() -> Path:
    """Routine files: the package's bundled copy, else the checkout's ``dialogs/``."""
    bundled = Path(__file__).resolve().parent / "dialogs"
    return bundled if bundled.is_dir() else package_root() / "dialogs"


def fixtures_dir() -> Path:
    return package_root() / "audio_fixtures"
