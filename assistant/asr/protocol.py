"""The ``Recognizer`` protocol and whole-clip decoding.

This module imports no adapter: adapters import ``Result`` from here, and the
engine registry (``registry.py``) imports adapters only when one is asked for,
so interface, registry and adapters never import each other in a circle.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from ..events import Heard, NotUnderstood

__all__ = ["Result", "Recognizer", "decode_clip", "pick"]

Result = Heard | NotUnderstood


@runtime_checkable
class Recognizer(Protocol):
    """A streaming recognizer restricted to one listening context at a time.

    ``accept`` takes 16 kHz mono int16 samples that start at ``timestamp_ms`` on
    the audio's own timeline, endpoints on trailing silence and returns the
    results of utterances that ended inside them.  ``flush`` ends the input.
    """

    name: str
    description: str
    sample_rate: int

    def set_context(self, context: str | None) -> None: ...

    def accept(self, samples: npt.NDArray[np.int16], timestamp_ms: int) -> list[Result]: ...

    def flush(self) -> list[Result]: ...

    def reset(self) -> None: ...


def pick(results: list[Result]) -> Result:
    """One result for a clip: two utterances with different intents are not an answer."""
    heard = [r for r in results if isinstance(r, Heard)]
    if heard:
        intents = {r.intent for r in heard}
        if len(intents) == 1:
            return heard[0]
        first, last = heard[0], heard[-1]
        text = " / ".join(r.text for r in heard)
        return NotUnderstood(text=text, start_ms=first.start_ms, end_ms=last.end_ms)
    if results:
        return results[0]
    return NotUnderstood()


def decode_clip(recognizer: Recognizer, samples: npt.NDArray[np.int16], context: str) -> Result:
    """Decode a whole clip in ``context``.  Two utterances with different intents
    (say "better" then "worse") give ``NotUnderstood``; no speech gives an empty one."""
    recognizer.reset()
    recognizer.set_context(context)
    results = recognizer.accept(np.asarray(samples, dtype=np.int16), 0)
    results.extend(recognizer.flush())
    return pick(results)
