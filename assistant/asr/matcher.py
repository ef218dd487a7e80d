"""Map typed or recognised text to an intent of a listening context.

Used for typed answers (``backcoach run --text``, the ``text`` engine) and for
the recognizers' hypotheses.  Forgiving about case, punctuation, digits and small
typos, but it never guesses: text that mentions two different intents (for
example "better" and "worse"), a negated symptom word ("not better") or nothing
known gives ``NotUnderstood``.
"""

from __future__ import annotations

import difflib
import functools
import re
from typing import Final

from ..events import Heard, NotUnderstood
from . import phrases as phrase_source

__all__ = ["match_intent", "normalize", "answers_anywhere", "NUMBER_WORDS"]

NUMBER_WORDS: Final[tuple[str, ...]] = (
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
)

_NEGATIONS: Final[frozenset[str]] = frozenset(
    {"not", "no", "never", "isn't", "isnt", "hardly", "nor", "neither", "don't", "dont"}
)
#: Intents where a preceding negation flips or blurs the meaning.
_NEGATABLE: Final[frozenset[str]] = frozenset({"better", "worse", "same"})
#: Exact phrase match confidence vs. keyword fallback vs. fuzzy-spelled keyword.
_EXACT, _KEYWORD, _FUZZY = 1.0, 0.8, 0.6

_CONTRACTIONS: Final[dict[str, str]] = {
    "its": "it's",
    "im": "i'm",
    "thats": "that's",
    "theres": "there's",
    "dont": "don't",
    "havent": "haven't",
}


def normalize(text: str) -> str:
    """Lower case, digits 0-10 as words, punctuation dropped, spaces collapsed."""
    text = text.lower().replace("\u2019", "'")
    text = re.sub(r"(\d+)\s*/\s*10\b", r"\1 out of ten", text)
    text = re.sub(r"[^a-z0-9' ]+", " ", text)
    words = []
    for word in text.split():
        word = word.strip("'")
        if not word:
            continue
        if word.isdigit() and int(word) <= 10:
            word = NUMBER_WORDS[int(word)]
        words.append(_CONTRACTIONS.get(word, word))
    return " ".join(words)


def _exact(text: str, context: str) -> str | None:
    for phrase in phrase_source.expand(context):
        if phrase.text == text:
            return phrase.intent
    return None


def _keyword_intents(words: list[str], context: str) -> tuple[set[str], bool, bool]:
    """Intents named by keywords; whether one was negated; whether a typo was forgiven."""
    table = phrase_source.keywords(context)
    for number, word in enumerate(NUMBER_WORDS):
        if context == "number":
            table.setdefault(word, str(number))
    found: set[str] = set()
    negated = False
    fuzzy = False
    for index, word in enumerate(words):
        intent = table.get(word)
        if intent is None and len(word) >= 4:
            close = difflib.get_close_matches(word, [w for w in table if len(w) >= 4], 2, 0.8)
            intents = {table[c] for c in close}
            if len(intents) == 1:
                intent = intents.pop()
                fuzzy = True
        if intent is None:
            continue
        found.add(intent)
        before = words[max(0, index - 2) : index]
        if intent in _NEGATABLE and any(w in _NEGATIONS for w in before):
            negated = True
    return found, negated, fuzzy


def answers_anywhere(text: str) -> frozenset[str]:
    """The intents, in any listening context, one of whose phrases ``text`` is
    exactly ("No." → no, whatever the coach is listening for now)."""
    return _intents_by_phrase().get(normalize(text), frozenset())


@functools.cache
def _intents_by_phrase() -> dict[str, frozenset[str]]:
    """Every phrase of every context → its intents (built once: asked per utterance)."""
    found: dict[str, set[str]] = {}
    for phrase in phrase_source.all_phrases():
        found.setdefault(phrase.text, set()).add(phrase.intent)
    return {text: frozenset(intents) for text, intents in found.items()}


def match_intent(
    text: str, context: str, *, start_ms: int = 0, end_ms: int = 0
) -> Heard | NotUnderstood:
    """``Heard`` if ``text`` clearly means one intent of ``context`` (or a global command)."""
    norm = normalize(text)
    if not norm:
        return NotUnderstood(text=text, start_ms=start_ms, end_ms=end_ms)
    intent = _exact(norm, context)
    if intent is not None:
        return Heard(intent, text, _EXACT, start_ms, end_ms)
    found, negated, fuzzy = _keyword_intents(norm.split(), context)
    if len(found) == 1 and not negated:
        return Heard(found.pop(), text, _FUZZY if fuzzy else _KEYWORD, start_ms, end_ms)
    return NotUnderstood(text=text, start_ms=start_ms, end_ms=end_ms)
