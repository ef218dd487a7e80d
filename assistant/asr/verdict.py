"""What a recognizer decided about one utterance, and the scores it decided on."""

from __future__ import annotations

from dataclasses import dataclass, field

from .protocol import Result

__all__ = ["Verdict"]


@dataclass(frozen=True)
class Verdict:
    """``result`` (``None``: nothing to report), the rule that decided (``ok`` when
    accepted) and the scores measured on the way, for benches and diagnostics."""

    result: Result | None
    reason: str
    scores: dict[str, float] = field(default_factory=dict)
    text: str = ""  # what was decoded, when nothing is reported
