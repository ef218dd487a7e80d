"""Shared fixtures.  ``pulse``: a private PulseAudio with a virtual mic and speaker."""

from __future__ import annotations

import os
from collections.abc import Iterator
from unittest import mock

import pytest

from assistant.bench.pulse import PulseAudio, PulseError, pulse_available


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
