"""Audio devices as ``backcoach devices`` lists them, and finding one by name or index."""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from ..errors import AudioDeviceError

__all__ = [
    "DeviceInfo",
    "Kind",
    "list_devices",
    "resolve_device",
    "describe_device",
    "quiet_stderr",
    "filtered_stderr",
    "sd",
]

Kind = Literal["input", "output"]


_ALSA_QUIET: list[Any] = []


def _quiet_alsa() -> None:
    """alsa-lib prints "underrun occurred" and the like straight to stderr; the
    stream status already tells us, so keep the captions clean."""
    if _ALSA_QUIET:
        return
    try:
        lib = ctypes.CDLL(ctypes.util.find_library("asound") or "libasound.so.2")
        handler_type = ctypes.CFUNCTYPE(
            None, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p
        )
        handler = handler_type(lambda *args: None)
        lib.snd_lib_error_set_handler(handler)
        _ALSA_QUIET.append(handler)  # keep it alive
    except (OSError, AttributeError):
        _ALSA_QUIET.append(None)  # not ALSA (macOS, Windows): nothing to quieten


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    """PortAudio's ALSA code prints "Expression ... failed" lines on stderr when a
    device cannot be opened; the exception says it better.  Silence fd 2 meanwhile."""
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


#: Lines the audio libraries print on stderr by themselves (the session reports
#: the same problems in plain words).
_LIBRARY_NOISE = (b"Expression '", b"ALSA lib ", b"PaAlsaStream")


@contextlib.contextmanager
def filtered_stderr() -> Iterator[None]:
    """For a whole session: drop PortAudio's and alsa-lib's own lines from stderr
    (they come from their threads at any moment); everything else passes."""
    try:
        saved = os.dup(2)
        read_end, write_end = os.pipe()
    except OSError:
        yield
        return
    sys.stderr.flush()
    os.dup2(write_end, 2)
    os.close(write_end)

    def pump() -> None:
        with os.fdopen(read_end, "rb") as source:
            for line in source:
                if not line.startswith(_LIBRARY_NOISE):
                    os.write(saved, line)

    thread = threading.Thread(target=pump, daemon=True)
    thread.start()
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)  # closes the pipe's last write end: the pump finishes
        thread.join(timeout=2)
        os.close(saved)


def sd() -> Any:
    """The ``sounddevice`` module, or a clear error when PortAudio is missing."""
    try:
        import sounddevice
    except OSError as exc:  # the PortAudio shared library is not installed
        raise AudioDeviceError(
            f"the PortAudio library could not be loaded ({exc}); install libportaudio2"
        ) from exc
    _quiet_alsa()
    return sounddevice


@dataclass(frozen=True)
class DeviceInfo:
    index: int
    name: str
    host_api: str
    input_channels: int
    output_channels: int
    default_samplerate: float
    default_input: bool
    default_output: bool


def _defaults(module: Any) -> tuple[int, int]:
    try:
        value = module.default.device
        return int(value[0]), int(value[1])
    except Exception:  # PortAudio gives odd values when there is no device at all
        return -1, -1


def list_devices() -> list[DeviceInfo]:
    """Every device PortAudio sees, with the default input and output marked."""
    module = sd()
    try:
        raw = module.query_devices()
        apis = module.query_hostapis()
    except module.PortAudioError as exc:
        raise AudioDeviceError(f"could not list audio devices ({exc})") from exc
    default_in, default_out = _defaults(module)
    devices = []
    for item in raw:
        index = int(item["index"])
        devices.append(
            DeviceInfo(
                index=index,
                name=str(item["name"]),
                host_api=str(apis[item["hostapi"]]["name"]),
                input_channels=int(item["max_input_channels"]),
                output_channels=int(item["max_output_channels"]),
                default_samplerate=float(item["default_samplerate"]),
                default_input=index == default_in,
                default_output=index == default_out,
            )
        )
    return devices


def describe_device(spec: str | int | None, kind: Kind) -> str:
    """How a message names a device: ``microphone 'pulse'`` or ``the default speaker``."""
    noun = "microphone" if kind == "input" else "speaker"
    if spec is None:
        return f"the default {noun}"
    if isinstance(spec, int):
        return f"{noun} #{spec}"
    return f"{noun} '{spec}'"


def resolve_device(spec: str | int | None, kind: Kind) -> DeviceInfo:
    """The device ``spec`` names (index, exact name, or a unique part of a name).

    ``None`` means the system default.  Raises ``AudioDeviceError`` with a one-line
    message naming the device and what to do when there is no such device.
    """
    devices = list_devices()
    usable = [d for d in devices if (d.input_channels if kind == "input" else d.output_channels)]
    what = describe_device(spec, kind)
    hint = "run 'backcoach devices' to see the devices"
    if not usable:
        noun = "microphone" if kind == "input" else "speaker"
        raise AudioDeviceError(f"no {noun} was found (is PulseAudio or PipeWire running?); {hint}.")
    if spec is None:
        for device in usable:
            if device.default_input if kind == "input" else device.default_output:
                return device
        return usable[0]
    if isinstance(spec, int):
        for device in usable:
            if device.index == spec:
                return device
        raise AudioDeviceError(f"{what} does not exist or has no {kind} channels; {hint}.")
    exact = [d for d in usable if d.name == spec]
    if exact:
        return exact[0]
    partial = [d for d in usable if spec.lower() in d.name.lower()]
    if len(partial) == 1:
        return partial[0]
    if partial:
        names = ", ".join(f"'{d.name}'" for d in partial)
        raise AudioDeviceError(f"{what} matches several devices ({names}); use its index.")
    raise AudioDeviceError(f"{what} was not found; {hint}.")
