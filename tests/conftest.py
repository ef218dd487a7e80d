"""Shared fixtures.  ``pulse``: a private PulseAudio with a virtual mic and speaker."""

from __future__ import annotations

import faulthandler
import os
import sys
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING
from unittest import mock

import pytest

from assistant.bench.pulse import PulseAudio, PulseError, pulse_available

if TYPE_CHECKING:
    from assistant.asr.whisper import WhisperRecognizer


@pytest.fixture(scope="session")
def pulse() -> Iterator[PulseAudio]:
    """PulseAudio in its own runtime directory, with null sinks ``mic`` and
    ``speaker``; the test process is pointed at it; stopped after the session."""
    problem = pulse_available()
    server = PulseAudio()
    if problem is None:
        try:
            server.start()
        except PulseError as exc:
            problem = str(exc)
    if problem is not None:
        message = f"PulseAudio could not be started: {problem}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    try:
        with mock.patch.dict(os.environ, server.env):
            yield server
    finally:
        server.stop()


#: How long the test process may take to end once the tests are over.
EXIT_GRACE_S = 120.0
_STATUS = pytest.StashKey[int]()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    session.config.stash[_STATUS] = int(exitstatus)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """A process that does not end after its summary (a native library's clean-up
    stuck at exit: CI once waited an hour on one) prints what each thread is doing
    and ends with the tests' own status; should Python itself be stuck, the
    C-level dump ends it with status 1 a little later."""
    status = config.stash.get(_STATUS, 1)
    stderr = sys.__stderr__
    if stderr is None:
        return

    def watchdog() -> None:
        time.sleep(EXIT_GRACE_S)
        stderr.write(
            f"\nThe test process had not ended {EXIT_GRACE_S:g} s after the tests; "
            "what each thread was doing:\n"
        )
        stderr.flush()
        faulthandler.dump_traceback(file=stderr, all_threads=True)
        os._exit(status)

    threading.Thread(target=watchdog, daemon=True, name="exit-watchdog").start()
    faulthandler.dump_traceback_later(2 * EXIT_GRACE_S, exit=True, file=stderr)


@pytest.fixture(scope="module")
def whisper() -> Iterator[WhisperRecognizer]:
    """The real Whisper recognizer (tiny.en from the registry package), one per module
    (imported here, not at collection: most test runs never load it)."""
    from assistant.asr.registry import create_recognizer
    from assistant.asr.whisper import WhisperRecognizer

    recognizer = create_recognizer("whisper")
    assert isinstance(recognizer, WhisperRecognizer)
    yield recognizer
