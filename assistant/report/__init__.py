"""The HTML progress report: ``build_report(sessions)`` and ``write_report(path, html)``."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ..errors import AssistantError
from .page import CHART_IDS, REACH_CHART_ID, build_report

__all__ = ["CHART_IDS", "REACH_CHART_ID", "ReportError", "build_report", "write_report"]


class ReportError(AssistantError):
    """The report could not be written where asked."""


def write_report(path: Path, html: str) -> Path:
    """Write ``html`` to ``path`` atomically (a half-written report never replaces a good one)."""
    folder = path.parent
    if not folder.is_dir():
        raise ReportError(
            f"{path}: the folder {folder} does not exist; create it or choose another --out"
        )
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(html)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise ReportError(
            f"{path}: could not write the report ({exc.strerror or exc}); choose another --out"
        ) from exc
    os.chmod(path, 0o644 & ~_umask())
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
