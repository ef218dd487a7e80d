"""``backcoach report``: the HTML progress page, checked as text and in a real Chromium."""

from __future__ import annotations

import io
import re
import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant.cli import main
from assistant.events import LogEntry
from assistant.journal import open_journal
from assistant.report import CHART_IDS
from assistant.report.charts import pain_chart
from assistant.report.data import PainPoint

TZ = timezone(timedelta(hours=1))
CHROMIUM = "/usr/bin/chromium"
START = datetime(2026, 10, 5, 7, 30, tzinfo=TZ)  # a Monday


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("BACKCOACH_HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    return tmp_path / "home"


def E(kind: str, **data: object) -> LogEntry:
    return LogEntry(kind, 0, data)


def six_weeks(with_ratings: bool = True, reason: str = "the leg pain got worse") -> None:
    """Six weeks of sessions, with the leg pain easing and one quiet week (the 4th)."""
    day = [START]

    def now() -> datetime:
        day[0] += timedelta(seconds=30)
        return day[0]

    days = [0, 1, 3, 5, 7, 9, 10, 12, 14, 16, 18, 29, 30, 32, 34, 36, 38]
    for i, offset in enumerate(days):
        day[0] = START + timedelta(days=offset)
        pain = max(0, 8 - i // 2)
        with open_journal(now=now) as j:
            j.record(E("session_started", routine="extension", engine="pocketsphinx"))
            if with_ratings:
                j.record(E("rating", phase="before", value=pain))
            for ex, answer in (
                ("prone-lying", "better"),
                ("prone-props", "better" if i % 3 else "same"),
                ("press-up", "worse" if i in (2, 6) else ("same" if i < 8 else "better")),
            ):
                j.record(E("exercise_started", exercise=ex))
                if ex == "press-up" and i == 4:
                    j.record(E("command", intent="pause", exercise=ex))
                j.record(E("exercise_finished", exercise=ex, reps_done=10, answer=answer))
                if answer == "worse":
                    j.record(E("session_ended", outcome="stopped_worse", reason=reason))
                    break
            else:
                if with_ratings:
                    j.record(E("rating", phase="after", value=max(0, pain - 2)))
                if i == 9:
                    j.record(E("session_ended", outcome="stopped_by_user", reason="you said stop"))
                else:
                    j.record(E("session_ended", outcome="completed", reason="routine finished"))


def test_an_empty_journal_gives_a_friendly_message_and_no_page(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", "--out", str(tmp_path / "r.html")]) == 1
    out = capsys.readouterr().out
    assert "No sessions in the journal yet" in out and "nothing to report" in out
    assert not (tmp_path / "r.html").exists()


def test_the_page_states_the_range_and_holds_every_chart_inline(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    six_weeks()
    assert main(["report"]) == 0
    [page] = tmp_path.glob("backcoach-report-*.html")
    assert "Wrote the report of 17 sessions (05 Oct 2026 to 12 Nov 2026)" in capsys.readouterr().out
    html = page.read_text(encoding="utf-8")
    assert "Sessions from <b>5 Oct 2026 to 12 Nov 2026</b>: 17 sessions." in html
    for chart in CHART_IDS:
        assert re.search(rf'<img id="{chart}" [^>]*src="data:image/svg\+xml;base64,', html)
    # Nothing is fetched: every src/href is inline data, and the CSP forbids the rest.
    assert re.findall(r'(?:src|href)="(?!data:)', html) == []
    assert "default-src 'none'" in html
    assert "http://" not in html and "https://" not in html
    # Stops and their reasons are listed: in the stops table, the table of all sessions
    # and the page of the week (two sessions stopped so).
    assert html.count("the leg pain got worse") == 2 * 3
    assert "you said stop" in html
    assert "stopped: worse" in html and "stopped by you" in html


def test_without_ratings_the_page_says_so_instead_of_an_empty_chart(
    home: Path, tmp_path: Path
) -> None:
    six_weeks(with_ratings=False)
    assert main(["report", "--out", str(tmp_path)]) == 0  # a folder: default name inside
    [page] = tmp_path.glob("backcoach-report-*.html")
    html = page.read_text(encoding="utf-8")
    assert 'id="chart-pain"' not in html
    assert "No 0–10 pain ratings were given" in html
    assert 'id="chart-answers"' in html


def test_text_from_the_journal_is_escaped(home: Path, tmp_path: Path) -> None:
    six_weeks(reason="<script>alert(1)</script> & more")
    assert main(["report", "--out", str(tmp_path / "r.html")]) == 0
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in html


def test_since_limits_the_report_to_recent_sessions(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    six_weeks()
    out = tmp_path / "recent.html"
    assert main(["report", "--since", "2026-11-01", "--out", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    assert "Sessions from <b>3 Nov 2026 to 12 Nov 2026</b>: 6 sessions." in html
    assert main(["report", "--since", "2027-01-01", "--out", str(out)]) == 1
    assert "No sessions on or after 01 Jan 2027" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["report", "--since", "last week"])
    assert "expected a day like" in capsys.readouterr().err


def test_an_out_folder_that_does_not_exist_is_one_clear_line(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    six_weeks()
    target = tmp_path / "no-such-folder" / "r.html"
    assert main(["report", "--out", str(target)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert str(target) in err and "does not exist" in err


# ------------------------------------------------------------------ browser

needs_chromium = pytest.mark.skipif(
    shutil.which(CHROMIUM) is None, reason=f"Debian chromium is not installed at {CHROMIUM}"
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if shutil.which(CHROMIUM) is None:
        pytest.skip(f"Debian chromium is not installed at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            yield chromium
        finally:
            chromium.close()


def non_background_share(png: bytes) -> tuple[float, int]:
    """(share of pixels that are not white, number of distinct colours) in a PNG."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as img:
        pixels = np.asarray(img.convert("RGB"), dtype=np.int16)
    ink = np.abs(pixels - 255).sum(axis=2) > 30
    coarse = pixels // 16
    colours = len(np.unique(coarse[..., 0] * 256 + coarse[..., 1] * 16 + coarse[..., 2]))
    return float(ink.mean()), colours


def has_colour(png: bytes, hex_colour: str) -> bool:
    from PIL import Image

    target = np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)], dtype=np.int16)
    with Image.open(io.BytesIO(png)) as img:
        pixels = np.asarray(img.convert("RGB"), dtype=np.int16)
    return bool((np.abs(pixels - target).sum(axis=2) < 24).sum() > 50)


@pytest.mark.browser
@needs_chromium
def test_the_page_renders_in_chromium_with_charts_that_are_not_blank(
    home: Path, tmp_path: Path, browser: Any
) -> None:
    six_weeks()
    out = tmp_path / "report.html"
    assert main(["report", "--out", str(out)]) == 0
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("requestfailed", lambda r: errors.append(f"failed: {r.url}"))
    page.on("request", lambda r: requests.append(r.url))
    try:
        page.goto(out.as_uri())
        page.wait_for_load_state("load")
        assert errors == []
        # Only the page itself (and its inline data: images) was requested.
        assert [u for u in requests if not u.startswith("data:")] == [out.as_uri()]
        assert "5 Oct 2026 to 12 Nov 2026" in page.inner_text("p.lead")
        for chart in CHART_IDS:
            img = page.locator(f"img#{chart}")
            assert img.count() == 1, chart
            size = img.evaluate("i => [i.complete, i.naturalWidth, i.naturalHeight]")
            assert size[0] and size[1] > 200 and size[2] > 80, (chart, size)
            box = img.bounding_box()
            assert box is not None and box["width"] > 600 and box["height"] > 100, chart
            shot = img.screenshot()
            ink, colours = non_background_share(shot)
            assert ink > 0.03 and colours > 4, (chart, ink, colours)
        answers = page.locator("img#chart-answers").screenshot()
        assert has_colour(answers, "#009E73") and has_colour(answers, "#D55E00")  # better, worse
        pain = page.locator("img#chart-pain").screenshot()
        assert has_colour(pain, "#D55E00") and has_colour(pain, "#0072B2")  # before, after
        full = page.screenshot(full_page=True)
        (tmp_path / "report.png").write_bytes(full)
        assert non_background_share(full)[0] > 0.03
    finally:
        page.close()


@pytest.mark.browser
@needs_chromium
def test_a_single_session_report_renders_too(home: Path, tmp_path: Path, browser: Any) -> None:
    with open_journal() as j:
        j.record(E("session_started", routine="flexion", engine="text"))
        j.record(E("rating", phase="before", value=5))
        j.record(E("exercise_started", exercise="supine-flexion"))
        j.record(E("exercise_finished", exercise="supine-flexion", reps_done=6, answer="same"))
        j.record(E("session_ended", outcome="completed"))
    out = tmp_path / "one.html"
    assert main(["report", "--out", str(out)]) == 0
    page = browser.new_page(viewport={"width": 900, "height": 800})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        page.goto(out.as_uri())
        assert errors == []
        for chart in CHART_IDS:
            ink, _ = non_background_share(page.locator(f"img#{chart}").screenshot())
            assert ink > 0.01, chart
    finally:
        page.close()


def _date_labels(svg: str | None) -> list[str]:
    """The dates under a chart's axis (matplotlib keeps each label's text in a comment)."""
    assert svg is not None
    return re.findall(r"<!-- (\d\d [A-Z][a-z]{2}) -->", svg)


def test_a_chart_of_one_day_names_that_day_only() -> None:
    """Two sessions on 5 October, morning and evening: the axis said "05 Oct" and
    "06 Oct" with both sessions between the two, as if they were a day apart."""
    evening = START.replace(hour=19)
    assert _date_labels(pain_chart([PainPoint(START, 6, 4), PainPoint(evening, 5, 3)])) == [
        "05 Oct"
    ]
    days = [PainPoint(START + timedelta(days=d), 6, 4) for d in (0, 1, 3)]
    assert _date_labels(pain_chart(days)) == ["05 Oct", "06 Oct", "07 Oct", "08 Oct"]
