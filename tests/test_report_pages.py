"""The physiotherapist's pages: one per period, by name, with every ending's reason;
printed to PDF by a real Chromium and read back page by page."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from test_report import (  # noqa: F401  (fixtures)
    CHROMIUM,
    START,
    E,
    has_colour,
    home,
    non_background_share,
    six_weeks,
)

from assistant.cli import main
from assistant.journal import SessionRecord, open_journal
from assistant.report import REACH_CHART_ID, build_report
from assistant.report.periods import centralisation, periods, periods_html


def sessions() -> list[SessionRecord]:
    with open_journal() as journal:
        return journal.sessions()


def test_each_week_lists_every_session_by_name_with_pain_answers_and_why_it_ended(
    home: Path,  # noqa: F811
) -> None:
    six_weeks()
    weeks = periods(sessions())
    assert [len(w.sessions) for w in weeks] == [4, 4, 3, 4, 2]  # the quiet week has no page
    html = periods_html(sessions())
    assert html.count('<section class="period">') == 5
    assert "Week of 5–11 Oct 2026" in html and "Week of 9–15 Nov 2026" in html
    # exercises and routines by their names, not their ids
    assert "Lying face down: <span" in html and "prone-lying" not in html
    assert "Extension progression" in html
    assert '<span class="pain">8 → 6</span>' in html  # the first session, before → after
    # every session says how it ended and why, completed ones too
    assert html.count("routine finished") == 14 and html.count("the leg pain got worse") == 2
    assert "Centralisation:</b> The pain&#x27;s location was not asked" in html
    months = periods(sessions(), by="month")
    assert [p.label("month") for p in months] == ["October 2026", "November 2026"]


def located_sessions(places: list[str], sides: list[str | None] | None = None) -> None:
    """Sessions that asked where the pain was, as the coach records the answer."""
    at = [START]

    def now() -> datetime:
        at[0] += timedelta(seconds=30)
        return at[0]

    for day, where in enumerate(places):
        at[0] = START + timedelta(days=day)
        side = sides[day] if sides else "left"
        with open_journal(now=now) as journal:
            journal.record(E("session_started", routine="extension", engine="whisper"))
            journal.record(E("rating", phase="before", value=6))
            journal.record(E("pain_location", phase="before", location=where, side=side))
            journal.record(E("exercise_started", exercise="prone-lying"))
            journal.record(E("exercise_finished", exercise="prone-lying", answer="better"))
            journal.record(E("session_ended", outcome="completed", reason="routine finished"))


def test_where_the_pain_was_shows_when_asked_and_centralisation_follows_it(
    home: Path,  # noqa: F811
) -> None:
    located_sessions(["below-knee", "thigh", "thigh", "buttock"])
    located = sessions()
    assert [s.pain_locations for s in located] == [
        ("below-knee",),
        ("thigh",),
        ("thigh",),
        ("buttock",),
    ]
    assert centralisation(located).startswith("Centralising")
    assert "from below the knee to buttock" in centralisation(located)
    assert centralisation(located[::-1]).startswith("Peripheralising")
    # one session with its location: said, not "not asked"
    assert centralisation(located[:1]).startswith("Where the pain reached: below the knee")
    html = periods_html(located)
    assert "<th>Where the pain was</th>" in html and "below the knee" in html
    six_weeks()  # sessions that did not ask: no column for their weeks
    later = [s for s in sessions() if not s.pain_locations]
    assert later and "<th>Where the pain was</th>" not in periods_html(later)


def test_the_side_of_the_pain_is_shown_with_where_it_was(home: Path) -> None:  # noqa: F811
    located_sessions(["thigh", "buttock", "back"], ["left", "both", "middle"])
    located = sessions()
    assert [p.side for s in located for p in s.locations] == ["left", "both", "middle"]
    html = periods_html(located)
    assert "thigh, left side" in html and "buttock, both sides" in html
    assert "back only, in the middle" in html
    page = build_report(located)
    assert f'id="{REACH_CHART_ID}"' in page  # centralisation over time, drawn
    assert "thigh, left side" in page  # the overview's table says it too


def test_no_centralisation_chart_when_no_session_asked_where_the_pain_was(
    home: Path,  # noqa: F811
) -> None:
    six_weeks()
    page = build_report(sessions())
    assert REACH_CHART_ID not in page
    assert "The pain&#x27;s location was not asked" in page


# ------------------------------------------------------------------ browser

needs_tools = pytest.mark.skipif(
    shutil.which(CHROMIUM) is None or shutil.which("pdftotext") is None,
    reason="needs Debian chromium and poppler-utils",
)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            yield browser
        finally:
            browser.close()


def pdf_pages(pdf: Path) -> list[str]:
    count = int(
        next(
            line.split()[-1]
            for line in subprocess.run(
                ["pdfinfo", str(pdf)], capture_output=True, text=True, check=True
            ).stdout.splitlines()
            if line.startswith("Pages:")
        )
    )
    return [
        subprocess.run(
            ["pdftotext", "-layout", "-f", str(n), "-l", str(n), str(pdf), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for n in range(1, count + 1)
    ]


@pytest.mark.browser
@needs_tools
def test_the_printed_report_puts_each_week_on_a_page_of_its_own(
    home: Path,  # noqa: F811
    tmp_path: Path,
    chromium: Any,
) -> None:
    six_weeks()
    out = tmp_path / "report.html"
    assert main(["report", "--out", str(out)]) == 0
    page = chromium.new_page()
    try:
        page.goto(out.as_uri())
        page.wait_for_load_state("load")
        assert page.locator("text=Commands used").is_visible()  # on screen: every session
        pdf = tmp_path / "report.pdf"
        page.pdf(path=str(pdf), format="A4", print_background=True)
    finally:
        page.close()
    pages = pdf_pages(pdf)
    weeks = [
        "Week of 5–11 Oct 2026",
        "Week of 12–18 Oct 2026",
        "Week of 19–25 Oct 2026",
        "Week of 2–8 Nov 2026",
        "Week of 9–15 Nov 2026",
    ]
    starts = [next(i for i, text in enumerate(pages) if week in text) for week in weeks]
    assert starts == sorted(starts) and len(set(starts)) == 5  # each on its own page
    for index, week in zip(starts, weeks, strict=True):
        first_line = next(line for line in pages[index].splitlines() if line.strip())
        assert week in first_line, pages[index]  # at the top of its page
    assert "Back Coach progress report" in pages[0] and starts[0] >= 1
    assert all("Commands used" not in text for text in pages)  # the screen-only table
    third = pages[starts[0]]
    assert "Lying face down" in third and "stopped: worse" in third
    assert "the leg pain got" in third
    # the pages are drawn, not blank (pdftoppm, as a person would look at them)
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(tmp_path / "page")], check=True)
    pngs = sorted(tmp_path.glob("page-*.png"))
    assert len(pngs) == len(pages)
    assert all(p.stat().st_size > 5_000 for p in pngs)


@pytest.mark.browser
@needs_tools
def test_centralisation_over_time_is_drawn_on_screen_and_on_paper(
    home: Path,  # noqa: F811
    tmp_path: Path,
    chromium: Any,
) -> None:
    located_sessions(
        ["below-knee", "below-knee", "thigh", "thigh", "buttock", "back"],
        ["left", "left", "left", None, "left", "middle"],
    )
    out = tmp_path / "report.html"
    assert main(["report", "--out", str(out)]) == 0
    page = chromium.new_page(viewport={"width": 1100, "height": 900})
    try:
        page.goto(out.as_uri())
        page.wait_for_load_state("load")
        img = page.locator(f"img#{REACH_CHART_ID}")
        size = img.evaluate("i => [i.complete, i.naturalWidth, i.naturalHeight]")
        assert size[0] and size[1] > 200 and size[2] > 80, size
        shot = img.screenshot()
        ink, colours = non_background_share(shot)
        assert ink > 0.02 and colours > 4, (ink, colours)
        assert has_colour(shot, "#D55E00")  # the answers at the start of each session
        (tmp_path / "reach.png").write_bytes(shot)
        pdf = tmp_path / "report.pdf"
        page.pdf(path=str(pdf), format="A4", print_background=True)
    finally:
        page.close()
    text = "\n".join(pdf_pages(pdf))
    assert "Where the pain reached" in text
    assert "Centralising: the pain's furthest point moved toward the back" in text
    # the period's table (its cells wrap on paper): where, and on which side
    assert "below the knee," in text and "left side" in text and "middle" in text


def test_a_hold_lengthened_by_better_keeps_both_answers(
    home: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A "better" lengthens the hold, then "same" ends it: the physiotherapist reads
    both ("better → same"), not only the last one, and history says it too."""
    import io
    import sys

    typed = "no\nno\nno\nno\n6\nmy buttock\nleft\nready\nbetter\nready\nsame\nready\nworse\n"
    monkeypatch.setattr(sys, "stdin", io.StringIO(typed))
    assert main(["run", "--text", "--fast"]) == 0
    lying, props = sessions()[0].exercises
    assert (lying.earlier, lying.answer, lying.hold_s_done) == (("better",), "same", 120.0)
    assert (props.earlier, props.answer) == ((), "worse")
    html = periods_html(sessions())
    assert 'Lying face down: <span class="better">better</span> → <span class="same">' in html
    capsys.readouterr()
    assert main(["history", "--csv"]) == 0
    assert "prone-lying: better → same; prone-props: worse" in capsys.readouterr().out
