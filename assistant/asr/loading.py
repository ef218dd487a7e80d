"""A recognizer loaded in a background thread while the coach starts talking."""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from .protocol import Recognizer, Result

__all__ = ["BackgroundRecognizer"]


class BackgroundRecognizer:
    """Implements ``Recognizer``: the first call that needs the real one waits for it
    (and raises what loading raised, in the loop, where it is reported)."""

    sample_rate = 16000

    def __init__(self, factory: Callable[[], Recognizer], name: str, description: str) -> None:
        self.name = name
        self.description = description
        self._factory = factory
        self._value: Recognizer | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._build, daemon=True, name=f"load-{name}")
        self._thread.start()

    def _build(self) -> None:
        try:
            self._value = self._factory()
        except BaseException as exc:  # re-raised on first use
            self._error = exc

    def loaded(self) -> Recognizer:
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._value is not None
        return self._value

    def set_context(self, context: str | None) -> None:
        self.loaded().set_context(context)

    def accept(self, samples: npt.NDArray[np.int16], timestamp_ms: int) -> list[Result]:
        return self.loaded().accept(samples, timestamp_ms)

    def flush(self) -> list[Result]:
        return self.loaded().flush()

    def reset(self) -> None:
        self.loaded().reset()
