"""``backcoach recognize --context CONTEXT FILE...``: decode audio files, one line each."""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from ..asr.registry import add_option_flags
from ..audioio import SAMPLE_RATE, Int16Array
from ..config import ENGINES
from ..errors import AssistantError
from ..events import CONTEXTS, Heard
from ._common import Subparsers, add_command, console, err_console
from .run import settings_from_args

if TYPE_CHECKING:
    from ..asr.protocol import Recognizer, Result

__all__ = ["register"]

#: Exit code when at least one file could not be decoded.
FILE_ERROR_EXIT = 1


def _decode_file(recognizer: object, path: Path, context: str) -> dict[str, object]:
    from ..asr.text import TextRecognizer
    from ..audioio import stream_audio

    started = time.perf_counter()
    if hasattr(recognizer, "last_verdict"):
        recognizer.last_verdict = None  # not the last file's
    if isinstance(recognizer, TextRecognizer):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise AssistantError(f"{path}: cannot read as text ({exc})") from exc
        recognizer.set_context(context)
        result = recognizer.accept_text(text.strip())[0]
    else:
        result = _decode_blocks(recognizer, stream_audio(path), context)  # type: ignore[arg-type]
    decode_ms = round((time.perf_counter() - started) * 1000, 1)
    verdict = getattr(recognizer, "last_verdict", None)
    return {
        "file": str(path),
        "intent": result.intent if isinstance(result, Heard) else None,
        "text": result.text,
        "confidence": result.confidence if isinstance(result, Heard) else None,
        "decode_ms": decode_ms,
        # the rule that decided ("agreed (small margin)": PocketSphinx agreed), if kept
        "reason": getattr(verdict, "reason", None),
    }


def _decode_blocks(recognizer: Recognizer, blocks: Iterable[Int16Array], context: str) -> Result:
    """``decode_clip`` fed a file's blocks as they are read: a long recording is never
    in memory whole (30 minutes of 44.1 kHz stereo: 1.6 GB read at once)."""
    from ..asr.protocol import pick

    recognizer.reset()
    recognizer.set_context(context)
    results: list[Result] = []
    done = 0
    for block in blocks:
        results.extend(recognizer.accept(block, done * 1000 // SAMPLE_RATE))
        done += block.size
    results.extend(recognizer.flush())
    return pick(results)


def _line(row: dict[str, object]) -> str:
    if row.get("error"):
        message = str(row["error"]).removeprefix(f"{row['file']}: ")
        return f"{row['file']}: error: {message}"
    heard = f'"{row["text"]}"' if row["text"] else "(nothing)"
    reason = row.get("reason")
    if row["intent"] is None:
        why = f" ({reason})" if reason else ""
        return f"{row['file']}: not understood {heard}{why} [{row['decode_ms']} ms]"
    why = f", {reason}" if reason and reason != "ok" else ""
    return (
        f"{row['file']}: {row['intent']} {heard} "
        f"(confidence {row['confidence']}{why}) [{row['decode_ms']} ms]"
    )


def _run(args: argparse.Namespace) -> int:
    from ..asr.registry import create_recognizer, options_from

    settings = settings_from_args(args)
    if args.download_vosk_model:
        from ..asr.vosk_engine import download_vosk_model

        err_console.print(f"Vosk model ready at {download_vosk_model()}")
    recognizer = create_recognizer(settings.engine, options_from(settings.model_dump()))
    err_console.print(f"recognizer: {recognizer.description}")
    failed = False
    for name in args.files:
        path = Path(name)
        try:
            row = _decode_file(recognizer, path, args.context)
        except AssistantError as exc:
            failed = True
            row = {"file": str(path), "intent": None, "text": "", "confidence": None}
            row.update({"decode_ms": None, "error": str(exc)})
        if args.json:
            print(json.dumps(row), flush=True)
        else:
            console.print(_line(row), markup=False, soft_wrap=True)
    return FILE_ERROR_EXIT if failed else 0


def register(subparsers: Subparsers, summary: str) -> None:
    parser = add_command(subparsers, "recognize", summary, _run)
    parser.add_argument(
        "--context", required=True, choices=CONTEXTS, help="what the coach is listening for"
    )
    parser.add_argument("--engine", choices=ENGINES, help="speech recognizer (default: config)")
    add_option_flags(parser)
    parser.add_argument(
        "--download-vosk-model",
        action="store_true",
        help="fetch vosk-model-small-en-us-0.15 with vosk's downloader first (needs internet)",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument("files", nargs="+", metavar="FILE", help="audio files (WAV, FLAC, ...)")
