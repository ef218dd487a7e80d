"""The one phrase-template source: load ``data/phrases.yaml`` and expand it.

Template syntax: ``(a | b)`` is one of the alternatives, ``[a | b]`` is optional,
groups nest.  ``expand(context)`` lists every accepted phrase of a listening
context *including the global commands*; the grammars, the intent matcher and
the audio fixtures are all built from it.
"""

from __future__ import annotations

import functools
import itertools
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

from ..events import CONTEXTS
from ..vocab import Context

__all__ = [
    "Phrase",
    "IntentSpec",
    "PhraseBook",
    "COMMAND_CONTEXT",
    "expand",
    "expand_template",
    "all_phrases",
    "intents",
    "samples",
    "keywords",
    "out_of_vocabulary",
    "phrase_book",
    "vocabulary",
]

COMMAND_CONTEXT = Context.COMMAND.value


@dataclass(frozen=True)
class Phrase:
    """One accepted wording ``text`` meaning ``intent`` in listening ``context``."""

    text: str
    intent: str
    context: str


@dataclass(frozen=True)
class IntentSpec:
    intent: str
    context: str
    templates: tuple[str, ...]
    say: tuple[str, ...]
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class PhraseBook:
    intents: tuple[IntentSpec, ...]
    out_of_vocabulary: tuple[str, ...]


# ------------------------------------------------------------------ templates

_TOKEN = re.compile(r"\s*([()\[\]|]|[^()\[\]|]+)")


def _tokenize(template: str) -> list[str]:
    tokens: list[str] = []
    pos = 0
    while pos < len(template):
        m = _TOKEN.match(template, pos)
        if m is None:  # pragma: no cover - the pattern matches any character
            raise ValueError(f"cannot parse template {template!r} at {pos}")
        tok = m.group(1).strip()
        if tok:
            tokens.append(tok)
        pos = m.end()
    return tokens


def _parse_alternatives(tokens: list[str], pos: int, closer: str | None) -> tuple[list[str], int]:
    """Parse ``seq (| seq)*`` up to ``closer``; return the expansions and the new position."""
    results: list[str] = []
    current: list[list[str]] = [[""]]  # a sequence of parts, each a list of options
    while pos < len(tokens):
        tok = tokens[pos]
        if tok == closer:
            results.extend(_join(current))
            return results, pos + 1
        if tok == "|":
            results.extend(_join(current))
            current = [[""]]
            pos += 1
        elif tok in "([":
            inner, pos = _parse_alternatives(tokens, pos + 1, ")" if tok == "(" else "]")
            if tok == "[":
                inner = [*inner, ""]
            current.append(inner)
        elif tok in ")]":
            raise ValueError(f"unbalanced {tok!r}")
        else:
            current.append([tok])
            pos += 1
    if closer is not None:
        raise ValueError(f"missing {closer!r}")
    results.extend(_join(current))
    return results, pos


def _join(parts: list[list[str]]) -> list[str]:
    out = []
    for combo in itertools.product(*parts):
        out.append(" ".join(" ".join(combo).split()))
    return out


def expand_template(template: str) -> list[str]:
    """All phrases a template stands for, in order, without duplicates or empty ones."""
    expansions, _ = _parse_alternatives(_tokenize(template.lower()), 0, None)
    return [text for text in dict.fromkeys(expansions) if text]


# --------------------------------------------------------------------- loading


def _as_strings(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(
        isinstance(v, str | int) and not isinstance(v, bool) for v in value
    ):
        raise ValueError(f"phrases.yaml: {where} must be a list of strings")
    return tuple(str(v).lower() for v in value)


def _load(raw: Any) -> PhraseBook:
    if not isinstance(raw, dict) or not isinstance(raw.get("contexts"), dict):
        raise ValueError("phrases.yaml: expected a 'contexts' mapping")
    specs: list[IntentSpec] = []
    for context, by_intent in raw["contexts"].items():
        if context not in CONTEXTS:
            raise ValueError(f"phrases.yaml: unknown context {context!r}")
        if not isinstance(by_intent, dict):
            raise ValueError(f"phrases.yaml: contexts.{context} must map intents")
        for intent, body in by_intent.items():
            if not isinstance(intent, str):  # YAML 1.1 reads a bare yes/no as a boolean
                raise ValueError(f"phrases.yaml: contexts.{context}: quote the intent {intent!r}")
            where = f"contexts.{context}.{intent}"
            if not isinstance(body, dict):
                raise ValueError(f"phrases.yaml: {where} must be a mapping")
            templates = _as_strings(body.get("phrases"), where + ".phrases")
            spec = IntentSpec(
                intent=str(intent),
                context=str(context),
                templates=templates,
                say=_as_strings(body.get("say"), where + ".say"),
                keywords=_as_strings(body.get("keywords"), where + ".keywords"),
            )
            accepted = {t for tpl in templates for t in expand_template(tpl)}
            for text in spec.say:
                if text not in accepted:
                    raise ValueError(f"phrases.yaml: {where}.say {text!r} is not a phrase")
            specs.append(spec)
    oov = _as_strings(raw.get("out_of_vocabulary"), "out_of_vocabulary")
    return PhraseBook(intents=tuple(specs), out_of_vocabulary=oov)


@functools.cache
def phrase_book() -> PhraseBook:
    """The bundled phrase book (``assistant/data/phrases.yaml``), parsed once."""
    text = resources.files("assistant").joinpath("data/phrases.yaml").read_text(encoding="utf-8")
    return _load(yaml.safe_load(text))


def _specs(context: str, *, with_commands: bool = True) -> list[IntentSpec]:
    if context not in CONTEXTS:
        raise ValueError(f"unknown listening context {context!r} (one of {', '.join(CONTEXTS)})")
    wanted = {context, COMMAND_CONTEXT} if with_commands else {context}
    return [spec for spec in phrase_book().intents if spec.context in wanted]


@functools.cache
def _expand_cached(context: str, with_commands: bool) -> tuple[Phrase, ...]:
    seen: dict[str, Phrase] = {}
    for spec in _specs(context, with_commands=with_commands):
        for template in spec.templates:
            for text in expand_template(template):
                if text in seen and seen[text].intent != spec.intent:
                    raise ValueError(
                        f"phrases.yaml: {text!r} means both {seen[text].intent!r} "
                        f"and {spec.intent!r} in context {context!r}"
                    )
                seen.setdefault(text, Phrase(text, spec.intent, spec.context))
    return tuple(seen.values())


def expand(context: str, *, with_commands: bool = True) -> list[Phrase]:
    """Every accepted phrase in ``context``, global commands included by default."""
    return list(_expand_cached(context, with_commands))


def all_phrases() -> list[Phrase]:
    """Every phrase of every context, each listed once under its own context."""
    out: list[Phrase] = []
    for context in CONTEXTS:
        out.extend(expand(context, with_commands=context == COMMAND_CONTEXT))
    return out


def intents(context: str, *, with_commands: bool = True) -> list[str]:
    """Intent names accepted in ``context`` (context intents first, then commands)."""
    return [spec.intent for spec in _specs(context, with_commands=with_commands)]


def samples(context: str | None = None) -> list[Phrase]:
    """The concrete phrases spoken into the audio fixtures (``say:``), by context."""
    return [
        Phrase(text, spec.intent, spec.context)
        for spec in phrase_book().intents
        if context is None or spec.context == context
        for text in spec.say
    ]


def keywords(context: str) -> dict[str, str]:
    """Free-text keyword -> intent for ``context`` plus the global commands."""
    out: dict[str, str] = {}
    for spec in _specs(context):
        for word in spec.keywords:
            out.setdefault(word, spec.intent)
    return out


def out_of_vocabulary() -> list[str]:
    """Unrelated utterances that must never be understood as an intent."""
    return list(phrase_book().out_of_vocabulary)


def vocabulary() -> list[str]:
    """Every word used by any phrase (sorted)."""
    return sorted({word for p in all_phrases() for word in p.text.split()})
