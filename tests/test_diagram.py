"""Routine diagrams, drawn from the real routines in dialogs/."""

from __future__ import annotations

import base64
import io
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from typing import Any

import numpy as np
import pytest
import yaml

from assistant.diagram import edges, global_rules, render
from assistant.dialog.routine import ANSWERS, Routine, load_routine, load_routines

ROUTINES = load_routines()
CHROMIUM = "/usr/bin/chromium"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(params=sorted(ROUTINES))
def routine(request: pytest.FixtureRequest) -> Routine:
    return ROUTINES[request.param]


def mermaid_edges(text: str) -> set[tuple[str, str, str]]:
    return set(re.findall(r"^\s+(\w+) -->\|\"([^\"]+)\"\| (\w+)$", text, re.MULTILINE))


def node_id(target: str) -> str:
    if target in ("done", "stop"):
        return f"{target}_node"
    return "ex_" + target.replace("-", "_")


def test_mermaid_has_every_exercise_and_every_answer_rule(routine: Routine) -> None:
    text = render(routine, "mermaid")
    assert text.startswith("---\ntitle: ")
    assert "\nflowchart TD\n" in text
    for exercise in routine.exercises:
        assert re.search(rf'^\s+{node_id(exercise.id)}\["<b>', text, re.MULTILINE), exercise.id
        assert exercise.id in text and exercise.name in text
    expected = set()
    for exercise in routine.exercises:
        by_target: dict[str, list[str]] = {}
        for answer in ANSWERS:
            by_target.setdefault(exercise.next.target(answer), []).append(answer)
        for target, answers in by_target.items():
            expected.add((node_id(exercise.id), " / ".join(answers), node_id(target)))
    assert mermaid_edges(text) == expected
    assert f"start_node --> {node_id(routine.start)}" in text
    # One linkStyle per arrow (plus the start arrow, index 0), each index once.
    styles = [int(i) for i in re.findall(r"^\s+linkStyle (\d+) ", text, re.MULTILINE)]
    assert styles == list(range(1, len(expected) + 1))


def test_mermaid_shows_the_stop_outcomes(routine: Routine) -> None:
    text = render(routine)
    assert "stopped_worse" in text
    for outcome in ("red_flag", "stopped_by_user", "no_response", "completed"):
        assert outcome in text
    assert text.count("rule") >= len(global_rules())


def test_mermaid_labels_are_escaped() -> None:
    base = ROUTINES["extension"]
    first = base.exercises[0].model_copy(update={"name": 'Lie "flat" & <relax>'})
    odd = base.model_copy(
        update={"title": 'Back: "extension"', "exercises": [first, *base.exercises[1:]]}
    )
    text = render(odd, "mermaid")
    front = yaml.safe_load(text.split("---")[1])
    assert front == {"title": 'Back: "extension" (extension)'}
    assert "Lie #quot;flat#quot; #amp; #lt;relax#gt;" in text
    for line in text.splitlines():
        if "[" in line and line.strip().startswith("ex_"):
            assert line.count('"') == 2, line


def test_worse_arrows_are_in_the_warning_colour() -> None:
    extension = ROUTINES["extension"]
    colours = {(e.source, e.target): e.colour for e in edges(extension)}
    assert colours[("prone-lying", "stop")] == "#D55E00"
    assert colours[("press-up", "press-up-hips-off-centre")] == "#D55E00"  # same / worse
    assert colours[("prone-lying", "prone-props")] == "#009E73"  # better / same
    assert colours[("side-glide", "flexion-rotation")] == "#6E6E6E"  # same


def test_svg_is_a_self_contained_drawing_with_the_names_as_text(routine: Routine) -> None:
    svg = render(routine, "svg")
    root = ET.fromstring(svg.split("\n", 3)[-1] if svg.startswith("<?xml") else svg)
    assert root.tag == f"{SVG}svg"
    assert float(root.attrib["width"].removesuffix("pt")) > 300
    assert float(root.attrib["height"].removesuffix("pt")) > 400
    texts = " ".join("".join(t.itertext()) for t in root.iter(f"{SVG}text"))
    for exercise in routine.exercises:
        assert exercise.name in texts and exercise.id in texts
    assert "Done: routine completed" in texts and "stopped_worse" in texts
    assert "better" in texts and "worse" in texts
    # No external references: only the XML namespaces mention http.
    hrefs = [v for el in root.iter() for k, v in el.attrib.items() if k.endswith("href")]
    assert all(h.startswith("#") for h in hrefs), hrefs


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="mermaid, svg"):
        render(ROUTINES["flexion"], "png")


def backcoach(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args], capture_output=True, text=True, timeout=60
    )


def test_routines_show_diagram_end_to_end() -> None:
    mermaid = backcoach("routines", "show", "extension", "--diagram")
    assert mermaid.returncode == 0, mermaid.stderr
    assert mermaid.stdout.rstrip("\n") == render(load_routine("extension")).rstrip("\n")
    svg = backcoach("routines", "show", "stenosis", "--diagram", "--format", "svg")
    assert svg.returncode == 0, svg.stderr
    assert svg.stdout.lstrip().startswith("<?xml")
    assert svg.stdout.rstrip().endswith("</svg>")
    ET.fromstring(svg.stdout.strip().split("\n", 3)[-1])


@pytest.mark.browser
@pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason=f"no Debian chromium at {CHROMIUM}")
def test_every_svg_diagram_renders_in_chromium() -> None:
    from PIL import Image
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page(viewport={"width": 900, "height": 900})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            for name, routine in sorted(ROUTINES.items()):
                data = base64.b64encode(render(routine, "svg").encode()).decode()
                page.set_content(
                    f'<img id="d" style="width:860px" src="data:image/svg+xml;base64,{data}">'
                )
                img: Any = page.locator("#d")
                assert img.evaluate("i => i.complete && i.naturalWidth > 300"), name
                with Image.open(io.BytesIO(img.screenshot())) as shot:
                    pixels = np.asarray(shot.convert("RGB"), dtype=np.int16)
                ink = (np.abs(pixels - 255).sum(axis=2) > 30).mean()
                warning = (np.abs(pixels - np.array([0xD5, 0x5E, 0x00])).sum(axis=2) < 30).sum()
                assert ink > 0.03, (name, ink)
                assert warning > 100, name  # the orange "worse" arrows are drawn
            assert errors == []
        finally:
            browser.close()
