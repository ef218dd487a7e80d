"""Rendered lines kept on disk, one folder per voice, so a line is synthesised once.

A neural voice takes a few hundred milliseconds for a sentence; read back from
disk the same line takes a millisecond or two.  Lines are stored as FLAC (half
the size of WAV, lossless) under ``<cache dir>/tts/<voice>/``; the folder is
trimmed to ``max_bytes`` by dropping the least recently used files.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from pathlib import Path

import numpy as np

from ..audioio import AudioFileError, read_audio_native, write_audio
from .synth import Audio

__all__ = ["LineCache", "voice_folder_name"]

#: A folder of rendered lines stays under this size (a line of 3 s is ~60 kB).
MAX_BYTES = 80 * 1024 * 1024


def voice_folder_name(voice_id: str) -> str:
    """A file-system-safe folder name for ``voice_id`` (readable, then a short hash)."""
    readable = "".join(c if c.isalnum() or c in "-_." else "-" for c in voice_id)[:48]
    digest = hashlib.sha1(voice_id.encode("utf-8")).hexdigest()[:8]
    return f"{readable}-{digest}"


class LineCache:
    """Audio by text, in memory and (when ``folder`` is given) on disk."""

    def __init__(self, folder: Path | None, settings_key: str, max_bytes: int = MAX_BYTES) -> None:
        self.folder = folder
        self._settings_key = settings_key
        self._memory: dict[str, Audio] = {}
        self._lock = threading.Lock()
        self._max_bytes = max_bytes
        self._trimmed = False

    def _key(self, text: str) -> str:
        return hashlib.sha1(f"{self._settings_key}|{text}".encode()).hexdigest()

    def _path(self, key: str) -> Path | None:
        return self.folder / f"{key}.flac" if self.folder is not None else None

    def get(self, text: str) -> Audio | None:
        key = self._key(text)
        with self._lock:
            audio = self._memory.get(key)
        if audio is not None:
            return audio
        path = self._path(key)
        if path is None or not path.exists():
            return None
        try:
            samples, rate = read_audio_native(path)
        except AudioFileError:  # a damaged or half-written file: render the line again
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # recently used: kept when the folder is trimmed
        audio = Audio(np.ascontiguousarray(samples, dtype=np.int16), rate)
        with self._lock:
            self._memory[key] = audio
        return audio

    def contains(self, text: str) -> bool:
        key = self._key(text)
        with self._lock:
            if key in self._memory:
                return True
        path = self._path(key)
        return path is not None and path.exists()

    def forget(self) -> None:
        """Drop the lines held in memory (those on disk are read again when needed)."""
        with self._lock:
            self._memory.clear()

    def put(self, text: str, audio: Audio) -> None:
        key = self._key(text)
        with self._lock:
            self._memory[key] = audio
        path = self._path(key)
        if path is None:
            return
        tmp = path.with_name(f".{key}.{os.getpid()}.{threading.get_ident()}.flac")
        try:  # written whole, then renamed: a reader never sees half a file
            write_audio(tmp, audio.samples, audio.sample_rate)
            os.replace(tmp, path)
        except BaseException as exc:  # Ctrl-C too: no half-written file is left behind
            with contextlib.suppress(OSError):
                tmp.unlink()
            if isinstance(exc, (AudioFileError, OSError)):  # a full or read-only disk
                return  # only costs speed
            raise
        if not self._trimmed:
            self._trimmed = True
            self.trim()

    def trim(self) -> None:
        """Drop the least recently used files until the folder is under its size."""
        if self.folder is None or not self.folder.is_dir():
            return
        try:
            files = [(p.stat().st_mtime, p.stat().st_size, p) for p in self.folder.glob("*.flac")]
        except OSError:
            return
        total = sum(size for _, size, _ in files)
        for _, size, path in sorted(files):
            if total <= self._max_bytes:
                break
            with contextlib.suppress(OSError):
                path.unlink()
                total -= size
