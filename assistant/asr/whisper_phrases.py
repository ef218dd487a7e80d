"""The phrases the Whisper engine scores and tells its decoder, per listening
context, from ``phrases.yaml`` (cached: the phrase list does not change while
running)."""

from __future__ import annotations

from functools import lru_cache

from . import phrases
from .matcher import normalize

__all__ = ["canonical_phrases", "answer_prompt", "unexplained_words"]


@lru_cache(maxsize=16)
def canonical_phrases(context: str) -> dict[str, tuple[str, ...]]:
    """Per intent of the context (global commands included), its shortest phrases,
    the one or two a person most likely says: fewest words, then the words most of
    the intent's phrasings share ("better" before "eased"), then as listed.  Never
    hash order: the verdict must not change from one run to the next."""
    chosen: dict[str, tuple[str, ...]] = {}
    for intent, texts in _phrases_by_intent(context).items():
        unique = list(dict.fromkeys(texts))
        shared = {w: sum(w in t.split() for t in unique) for t in unique for w in t.split()}
        ranked = sorted(
            enumerate(unique),
            key=lambda it: (len(it[1].split()), -min(shared[w] for w in it[1].split()), it[0]),
        )
        chosen[intent] = tuple(text for _, text in ranked[:2])
    return chosen


@lru_cache(maxsize=16)
def answer_prompt(context: str) -> str:
    """The context's answers, then the commands, as Whisper's text before: "Better,
    worse, same, maybe, pause, go, ..." (told only the answers, it spelt a Klatt
    "skip" as "Scab" or "Scoop", and the command was never scored)."""
    commands = set(phrases.intents(phrases.COMMAND_CONTEXT))
    names = [t[0] for i, t in canonical_phrases(context).items() if i not in commands]
    # In the command context the commands are the answers: told them, Whisper
    # spells a Klatt "say that again" nearer to its phrases than "Let's get it."
    names += [t[0] for i, t in canonical_phrases(phrases.COMMAND_CONTEXT).items()]
    return ", ".join(names).capitalize() + "."


@lru_cache(maxsize=16)
def _phrase_intents(context: str) -> dict[str, str]:
    return {p.text: p.intent for p in phrases.expand(context)}


@lru_cache(maxsize=16)
def _phrases_by_intent(context: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for phrase in phrases.expand(context):
        found.setdefault(phrase.intent, []).append(phrase.text)
    return found


#: Words that say nothing of their own (articles, pronouns, forms of be / have /
#: do, a few prepositions and joiners): "that was easy" is about the exercise.
FUNCTION_WORDS = frozenset(
    (  # noqa: SIM905 - a list of words reads better as text
        "a an the i you he she we they it me my your his her our their this that these those "
        "is was are were be been being am do does did have has had and but or so to of in "
        "on at for with as just very really well oh um uh er okay"
    ).split()
)


@lru_cache(maxsize=16)
def _vocabulary(context: str) -> frozenset[str]:
    words = {w for text in _phrase_intents(context) for w in normalize(text).split()}
    return frozenset(words | {normalize(k) for k in phrases.keywords(context)} | FUNCTION_WORDS)


def unexplained_words(text: str, context: str) -> list[str]:
    """The words of ``text`` that no phrase or keyword of ``context`` uses, nor
    says nothing of its own ("matter", "lovely", "today" of "No matter is lovely
    today."): what a keyword's intent leaves unsaid."""
    vocabulary = _vocabulary(context)
    return [w for w in normalize(text).split() if w not in vocabulary]
