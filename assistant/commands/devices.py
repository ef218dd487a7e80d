"""``backcoach devices``: the audio inputs and outputs, with the defaults marked;
``--test`` checks the microphone (level, noise, what the recogniser hears)."""

from __future__ import annotations

import argparse
import sys

import numpy as np
import numpy.typing as npt
from rich.table import Table

from ..audio.devices import DeviceInfo, list_devices
from ..config import Settings
from ._common import Subparsers, add_command, console, err_console

__all__ = ["register", "devices_table", "check_microphone", "offer_check"]

#: How long the check offered before the first voice session listens.
OFFER_SECONDS = 4.0

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
    if args.test:
        return _test(args)
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


def _record_with_meter(
    device: str | int | None, seconds: float, prompt: str
) -> npt.NDArray[np.int16]:
    """Record; ``prompt`` is printed once the microphone is really listening."""
    from rich.live import Live
    from rich.text import Text

    from ..ui.miccheck import meter, record

    def listening() -> None:
        console.print(prompt)

    if not console.is_terminal:
        return record(device, seconds, on_start=listening)
    with Live(console=console, refresh_per_second=12, transient=True) as live:

        def show(db: float) -> None:
            style = "green" if -45 < db < -3 else ("red" if db >= -3 else "yellow")
            live.update(Text.assemble(("level ", "bold"), (meter(db), style), f" {db:5.0f} dBFS"))

        return record(device, seconds, show, on_start=listening)


def _test(args: argparse.Namespace) -> int:
    from .run import settings_from_args

    return check_microphone(settings_from_args(args), args.seconds)[0]


def offer_check(settings: Settings, quiet: bool = False) -> Settings:
    """Before the first voice session (once): on a terminal, offer the check and run
    it; a silent microphone with another input that hears sound switches the
    session to that one.  Elsewhere (a pipe, ``--quiet``) one line says how."""
    from ..ui import miccheck

    interactive = sys.stdin.isatty() and console.is_terminal and not quiet
    if not interactive or not miccheck.first_session():
        miccheck.offer(err_console.print)
        return settings
    answer = _ask(
        "First voice session: check the microphone first? It listens for "
        f"{OFFER_SECONDS:g} seconds while you say 'better'. [Y/n] "
    )
    miccheck.mark_checked()
    if answer not in ("", "y", "yes"):
        return settings
    code, other = check_microphone(settings, OFFER_SECONDS)
    if other is not None:
        console.print(f"Using input '{other}' for this session.")
        settings = settings.model_copy(update={"input_device": other})
    # The verdict stays on the screen until they have read it (they are at the
    # keyboard: they just answered), not wiped at once by the session's screen.
    if code and other is None:
        _ask("Press Enter to start anyway ('backcoach devices --test' checks again). ")
    else:
        _ask("Press Enter to start the session. ")
    console.print("Starting the session.")
    return settings


def _ask(question: str) -> str:
    try:
        return console.input(question).strip().lower()
    except EOFError:
        return "n"


def check_microphone(settings: Settings, seconds: float) -> tuple[int, str | None]:
    """Record, show the level, say what is wrong, and what was heard.  The exit code,
    and the input to use instead when this one is silent and another hears sound."""
    from ..asr import registry
    from ..ui.miccheck import assess, frame_levels, heard, mark_checked, meter, working_input

    device = settings.input_device
    name = "the default microphone" if device is None else f"microphone '{device}'"
    prompt = (
        f"Listening to {name} for {seconds:g} s: say [bold]hello[/] or "
        "[bold]better[/], as you would lying on the floor."
    )
    samples = _record_with_meter(device, seconds, prompt)
    mark_checked()
    result = assess(samples)
    peak = float(frame_levels(samples).max())
    console.print(f"level   {meter(peak)} loudest {peak:.0f} dBFS, room {result.floor_db:.0f} dBFS")
    console.print(result.advice)
    if result.problem == "silent":
        found, tried = working_input(device)
        if found is None:
            others = ", ".join(tried) or "none"
            console.print(
                f"No other input hears sound either (tried: {others}); check the cable and "
                "the mute switch, then run this again."
            )
            return 1, None
        console.print(
            f"Input '{found[0]}' hears sound ({found[1]:.0f} dBFS): use it with "
            f"--input-device '{found[0]}' or input_device = \"{found[0]}\" in config.toml."
        )
        return 1, found[0]
    options = registry.options_from(settings.model_dump())
    recognizer = registry.create_recognizer(settings.engine, options)
    console.print(f"Heard: {heard(samples, recognizer)}")
    return (0 if result.problem is None else 1), None


def register(subparsers: Subparsers, summary: str) -> None:
    from .run import add_settings_flags

    parser = add_command(subparsers, "devices", summary, _run)
    parser.add_argument(
        "--test",
        action="store_true",
        help="check the microphone: level, room noise, and what the coach hears you say",
    )
    parser.add_argument(
        "--seconds", type=float, default=4.0, help="how long --test records (default 4)"
    )
    add_settings_flags(parser)
