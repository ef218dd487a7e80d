"""The two comparison decoders for ``backcoach bench asr`` (not used by the coach).

* ``PlainGrammar``: the context grammar decoded over the whole clip, no
  endpointing and no rejection: whatever comes out is taken.
* ``LanguageModelKeywords``: PocketSphinx's default English language model, then
  the intent matcher's keyword rules on the transcript.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pocketsphinx

from ..asr.matcher import match_intent
from ..asr.protocol import Result
from ..asr.sphinx import jsgf_grammar, restart_noise_estimate
from ..events import CONTEXTS, NotUnderstood

__all__ = ["PlainGrammar", "LanguageModelKeywords"]


def _decode(decoder: pocketsphinx.Decoder, samples: npt.NDArray[np.int16]) -> str:
    restart_noise_estimate(decoder)
    decoder.start_utt()
    decoder.process_raw(samples.tobytes(), full_utt=True)
    decoder.end_utt()
    hyp = decoder.hyp()
    return hyp.hypstr if hyp is not None else ""


class PlainGrammar:
    name = "plain-grammar"

    def __init__(self) -> None:
        self._decoder = pocketsphinx.Decoder(lm=None, loglevel="FATAL")
        for context in CONTEXTS:
            grammar = jsgf_grammar(context)
            assert grammar is not None
            self._decoder.add_jsgf_string(context, grammar)

    def decode(self, samples: npt.NDArray[np.int16], context: str) -> Result:
        self._decoder.activate_search(context)
        text = _decode(self._decoder, samples)
        return match_intent(text, context) if text else NotUnderstood()


class LanguageModelKeywords:
    name = "lm-keywords"

    def __init__(self) -> None:
        self._decoder = pocketsphinx.Decoder(loglevel="FATAL")

    def decode(self, samples: npt.NDArray[np.int16], context: str) -> Result:
        text = _decode(self._decoder, samples)
        return match_intent(text, context) if text else NotUnderstood()
