"""``backcoach devices``: the audio inputs and outputs, with the defaults marked."""

from __future__ import annotations

import argparse

from rich.table import Table

from ..audio.devices import DeviceInfo, list_devices
from ._common import Subparsers, add_command, console

__all__ = ["register", "devices_table"]

NONE_FOUND = (
    "No audio devices were found. Check that PulseAudio or PipeWire is running and a "
    "microphone and speaker are connected; 'backcoach run --text' works without audio."
)


def devices_table(devices: list[DeviceInfo], kind: str) -> Table:
    table = Table(title=f"{kind.capitalize()}s", title_justify="left")
    table.add_column("index", justify="right")
    table.add_column("name")
    table.add_column("host API")
    table.add_column("channels", justify="right")
    table.add_column("rate (Hz)", justify="right")
    table.add_column("default")
    for device in devices:
        inputs = kind == "input"
        channels = device.input_channels if inputs else device.output_channels
        default = device.default_input if inputs else device.default_output
        table.add_row(
            str(device.index),
            device.name,
            device.host_api,
            str(channels),
            f"{device.default_samplerate:.0f}",
            "* default" if default else "",
        )
    return table


def _run(args: argparse.Namespace) -> int:
    devices = list_devices()
    inputs = [d for d in devices if d.input_channels]
    outputs = [d for d in devices if d.output_channels]
    if not inputs and not outputs:
        console.print(NONE_FOUND)
        return 0
    for kind, group in (("input", inputs), ("output", outputs)):
        if group:
            console.print(devices_table(group, kind))
        else:
            console.print(f"No {kind} devices were found.")
    console.print(
        "Choose one with --input-device / --output-device (name or index) or in config.toml."
    )
    return 0


def register(subparsers: Subparsers, summary: str) -> None:
    add_command(subparsers, "devices", summary, _run)
