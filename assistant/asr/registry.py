"""The engine registry: every speech recognizer the coach can use, in one table.

Each entry names its engine, the settings it reads (``options``: a config key, a
flag and an environment variable), the module that implements it (imported only
when the engine is used, so a missing library costs nothing until then), whether
it loads in the background while the coach starts talking, and whether the
barge-in spotter runs beside it.  Config validation, ``--engine`` choices,
``doctor``, scenarios, benches and the runtime read this table; adding an engine
is one module and one entry here.

An engine module provides three functions:

* ``locate(options) -> Located``: find the model (quick; raises
  ``ModelNotFoundError`` naming every place looked);
* ``create(located) -> Recognizer``: load it (may be slow);
* ``check(options, required) -> EngineCheck``: the ``doctor`` line.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

from ..errors import ModelNotFoundError
from .protocol import Recognizer

__all__ = [
    "AUTO",
    "add_option_flags",
    "ENGINES",
    "EngineCheck",
    "EngineOption",
    "EngineSpec",
    "Located",
    "can_barge_in",
    "create_recognizer",
    "doctor_checks",
    "engine_choices",
    "engine_names",
    "get",
    "open_recognizer",
    "option_keys",
    "options_from",
    "resolve",
]

AUTO = "auto"


@dataclass(frozen=True)
class EngineOption:
    """A setting an engine reads: ``key`` in config.toml and ``Settings``, ``flag``
    on the command line (run, recognize, doctor, script, bench)."""

    key: str
    flag: str
    help: str
    metavar: str = "DIR"


@dataclass(frozen=True)
class Located:
    """What an engine will load: the model (``None`` for a bundled one), where it
    was found, and every place looked before it."""

    model: Path | str | None
    origin: str
    looked: tuple[str, ...] = ()


@dataclass(frozen=True)
class EngineCheck:
    """One ``doctor`` line: status ``ok`` | ``warn`` | ``FAIL``."""

    name: str
    status: str
    found: str
    fix: str = ""


class _EngineModule(Protocol):
    def locate(self, options: Mapping[str, Any]) -> Located: ...

    def create(self, located: Located) -> Recognizer: ...

    def check(self, options: Mapping[str, Any], required: bool) -> EngineCheck: ...


@dataclass(frozen=True)
class EngineSpec:
    name: str
    title: str
    module: str
    options: tuple[EngineOption, ...] = ()
    #: False for typed text: scenario ``wav:`` turns then need another engine.
    hears_audio: bool = True
    #: Loaded in a thread while the first words are said (the model was found first).
    background: bool = False
    #: The streaming barge-in spotter runs beside it while the coach speaks.
    barge_in: bool = False
    #: Its place in ``auto``'s order of preference (``None``: never chosen by auto).
    auto_rank: int | None = None
    _loaded: list[ModuleType] = field(default_factory=list, compare=False, repr=False)

    def _impl(self) -> _EngineModule:
        if not self._loaded:
            self._loaded.append(importlib.import_module(self.module))
        module: Any = self._loaded[0]
        impl: _EngineModule = module
        return impl

    def locate(self, options: Mapping[str, Any]) -> Located:
        return self._impl().locate(options)

    def create(self, located: Located) -> Recognizer:
        return self._impl().create(located)

    def check(self, options: Mapping[str, Any], required: bool) -> EngineCheck:
        return self._impl().check(options, required)


ENGINES: dict[str, EngineSpec] = {
    spec.name: spec
    for spec in (
        EngineSpec(
            "whisper",
            "Whisper",
            "assistant.asr.whisper_engine",
            options=(
                EngineOption(
                    "whisper_model",
                    "--whisper-model",
                    "Whisper model in CTranslate2 format: a folder, or a name "
                    "(tiny.en, base.en, small.en) to download",
                    "DIR|NAME",
                ),
            ),
            background=True,
            barge_in=True,
            auto_rank=0,
        ),
        EngineSpec(
            "vosk",
            "Vosk",
            "assistant.asr.vosk_engine",
            options=(
                EngineOption("vosk_model", "--vosk-model", "folder of an unpacked Vosk model"),
            ),
            barge_in=True,
            auto_rank=1,
        ),
        EngineSpec(
            "pocketsphinx",
            "PocketSphinx",
            "assistant.asr.sphinx_engine",
            background=True,
            barge_in=True,
            auto_rank=2,
        ),
        EngineSpec("text", "typed text", "assistant.asr.text", hears_audio=False),
    )
}


def engine_names() -> tuple[str, ...]:
    return tuple(ENGINES)


def engine_choices() -> tuple[str, ...]:
    """What ``--engine`` and ``engine =`` accept."""
    return (AUTO, *ENGINES)


def option_keys() -> tuple[str, ...]:
    return tuple(option.key for spec in ENGINES.values() for option in spec.options)


def get(name: str) -> EngineSpec:
    try:
        return ENGINES[name]
    except KeyError:
        raise ValueError(
            f"unknown recognizer engine {name!r} ({', '.join(engine_choices())})"
        ) from None


def can_barge_in(name: str) -> bool:
    return name in ENGINES and ENGINES[name].barge_in


def resolve(
    engine: str,
    options: Mapping[str, Any] | None = None,
    engines: Mapping[str, EngineSpec] = ENGINES,
) -> tuple[EngineSpec, Located, str]:
    """The engine to use, its located model and a one-line description.  ``auto``
    takes the first engine (by ``auto_rank``) whose model is found and says why."""
    options = options or {}
    if engine != AUTO:
        spec = engines[engine] if engine in engines else get(engine)
        located = spec.locate(options)
        return spec, located, _describe(spec, located)
    passed: list[str] = []
    ranked = sorted(
        (s for s in engines.values() if s.auto_rank is not None), key=lambda s: s.auto_rank or 0
    )
    for spec in ranked:
        try:
            located = spec.locate(options)
        except ModelNotFoundError as exc:
            passed.append(f"no {spec.title} model ({exc})")
            continue
        why = f"; {'; '.join(passed)}" if passed else ""
        return spec, located, f"auto: {_describe(spec, located)}{why}"
    raise ModelNotFoundError("no recognizer engine could start: " + "; ".join(passed))


def _describe(spec: EngineSpec, located: Located) -> str:
    if located.model is None:
        return f"{spec.title} ({located.origin})"
    return f"{spec.title} (model {located.model}, from {located.origin})"


def create_recognizer(engine: str = AUTO, options: Mapping[str, Any] | None = None) -> Recognizer:
    """Build the recognizer now; ``recognizer.description`` says which and from where."""
    spec, located, description = resolve(engine, options)
    recognizer = spec.create(located)
    recognizer.description = description
    return recognizer


def open_recognizer(engine: str, options: Mapping[str, Any] | None = None) -> Recognizer:
    """The recognizer for a session: the model is found now (a missing one is an
    error before the session starts) and, for a ``background`` engine, loaded in a
    thread while the coach starts talking."""
    spec, located, description = resolve(engine, options)
    if not spec.background:
        recognizer = spec.create(located)
        recognizer.description = description
        return recognizer
    from .loading import BackgroundRecognizer

    return BackgroundRecognizer(lambda: spec.create(located), spec.name, description)


def doctor_checks(engine: str, options: Mapping[str, Any]) -> list[EngineCheck]:
    """One line per engine that has a model to check; the chosen engine's is required."""
    return [
        spec.check(options, required=spec.name == engine)
        for spec in ENGINES.values()
        if spec.hears_audio
    ]


def add_option_flags(parser: argparse.ArgumentParser) -> None:
    """The engines' options as flags (``--vosk-model DIR`` ...)."""
    for spec in ENGINES.values():
        for option in spec.options:
            parser.add_argument(
                option.flag, dest=option.key, help=option.help, metavar=option.metavar
            )


def options_from(values: Mapping[str, Any]) -> dict[str, Any]:
    """The engine options among settings (``Settings.model_dump()``)."""
    return {key: values[key] for key in option_keys() if key in values}
