"""Piper in a process of its own: ``python -P piper_child.py MODEL CONFIG IDLE_S``.

The session process never loads Piper: its model (~90 MB) and what onnxruntime
holds while it renders a sentence (up to ~100 MB more) live here, and all of it is
given back when this process ends, after ``IDLE_S`` seconds without a request (or
when the session closes its stdin).  It runs at a lower priority than the session,
so rendering ahead does not delay a count or a reply on a busy machine.

This file imports nothing from the package (run with ``-P``, its folder is not on
``sys.path``, so ``piper`` is the library, not the ``piper.py`` beside it).

Protocol, one request at a time: the child first writes a JSON line
``{"ready": true, "sample_rate": N}`` (or ``{"ready": false, "error": ...}`` and
exits); then for each JSON line ``{"text", "length_scale", "volume"}`` read from
stdin it writes ``{"ok": true, "samples": N}`` and N little-endian int16 samples,
or ``{"ok": false, "error": ...}``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import select
import signal
import sys
from typing import Any, BinaryIO

#: A sentence longer than this is rendered a clause at a time: onnxruntime's memory
#: grows with the length of what it renders (+27 MB for 5 words, +165 MB for 28).
LONG_WORDS = 12
#: The pause put between two clauses of one sentence (Piper's own comma pause
#: measured 270-560 ms in a long sentence).
CLAUSE_GAP_S = 0.3
_CLAUSE_END = re.compile(r"(?<=[,;:])\s+")
_QUIET = 200  # int16: the edges of a clause quieter than this are its silence


def _reply(out: BinaryIO, message: dict[str, Any], data: bytes = b"") -> None:
    out.write(json.dumps(message).encode("utf-8") + b"\n" + data)
    out.flush()


def clauses(text: str) -> list[str]:
    """``text`` as Piper is given it: whole when short, else its clauses (a clause of
    fewer than four words stays with the one before it)."""
    if len(text.split()) <= LONG_WORDS:
        return [text]
    parts: list[str] = []
    for piece in _CLAUSE_END.split(text.strip()):
        if parts and (len(piece.split()) < 4 or len(parts[-1].split()) < 4):
            parts[-1] = f"{parts[-1]} {piece}"
        else:
            parts.append(piece)
    return parts


def _trimmed(audio: Any, rate: int) -> Any:
    import numpy as np

    loud = np.flatnonzero(np.abs(audio.astype(np.int32)) > _QUIET)
    if not loud.size:
        return audio
    return audio[max(0, int(loud[0]) - rate // 100) : int(loud[-1]) + rate // 25]


def _render(voice: Any, text: str, config: Any) -> Any:
    import numpy as np

    rate = int(voice.config.sample_rate)
    parts = clauses(text)
    pieces = []
    for i, part in enumerate(parts):
        audio = np.concatenate([c.audio_int16_array for c in voice.synthesize(part, config)])
        if len(parts) > 1:
            if i:
                pieces.append(np.zeros(int(CLAUSE_GAP_S * rate), dtype=np.int16))
            audio = _trimmed(audio, rate)
        pieces.append(audio)
    return np.concatenate(pieces).astype("<i2")


def _load(model: str, config: str) -> Any:
    """The voice, at most two threads (onnxruntime's default is one per core, the
    first start needs them) at a lower priority than the session (``main``), its
    graph as it is on disk."""
    import onnxruntime  # type: ignore[import-untyped]
    from piper import PiperVoice
    from piper.config import PiperConfig

    with open(config, encoding="utf-8") as f:
        settings = PiperConfig.from_dict(json.load(f))
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = min(2, os.cpu_count() or 1)
    options.inter_op_num_threads = 1
    # onnxruntime's graph optimisations took 0.6-0.7 s of a 0.9 s load and rendered
    # no faster (real-time factor 0.071 against 0.072 unoptimised, this voice, two
    # cores): the first start waits for the load, so they are off
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = onnxruntime.InferenceSession(
        model, sess_options=options, providers=["CPUExecutionProvider"]
    )
    return PiperVoice(config=settings, session=session)


def _serve(voice: Any, inp: BinaryIO, out: BinaryIO, idle_s: float) -> None:
    from piper import SynthesisConfig

    while True:
        ready, _, _ = select.select([inp], [], [], idle_s)
        if not ready:
            return  # idle: end, and give the memory back
        line = inp.readline()
        if not line:
            return  # the session closed the pipe
        try:
            request = json.loads(line)
            config = SynthesisConfig(
                length_scale=float(request["length_scale"]), volume=float(request["volume"])
            )
            audio = _render(voice, str(request["text"]), config)
        except Exception as exc:  # the session reports it for the line that needed it
            _reply(out, {"ok": False, "error": f"{type(exc).__name__}: {exc}"})
            continue
        _reply(out, {"ok": True, "samples": int(audio.size)}, audio.tobytes())


def main(argv: list[str]) -> int:
    model, config, idle_s = argv[0], argv[1], float(argv[2])
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the session's to handle
    with contextlib.suppress(OSError):
        os.nice(5)
    out, inp = sys.stdout.buffer, sys.stdin.buffer
    try:
        voice = _load(model, config)
    except BaseException as exc:
        _reply(out, {"ready": False, "error": f"{type(exc).__name__}: {exc}"})
        return 1
    _reply(out, {"ready": True, "sample_rate": int(voice.config.sample_rate)})
    _serve(voice, inp, out, idle_s)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
