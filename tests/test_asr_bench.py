"""``backcoach bench asr`` machinery (the figures themselves are not tested)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from assistant.bench.asr import Clip, mix, real_speaker_clips, run_bench
from assistant.bench.asr_clips import fixture_clips


def _clip() -> Clip:
    rng = np.random.default_rng(0)
    speech = (rng.normal(0, 3000, 16000)).astype(np.int16)
    audio = np.concatenate([np.zeros(4000, np.int16), speech, np.zeros(4000, np.int16)])
    return Clip("x", "phrase", "symptom", "worse", audio, speech_end_ms=1250)


@pytest.mark.parametrize("snr", [20, 10, 0])
def test_noise_is_mixed_at_the_requested_snr(snr: int) -> None:
    clip = _clip()
    noisy = mix(clip, f"snr{snr}", seed=1).astype(float)
    noise = noisy - clip.audio.astype(float)
    speech = clip.audio[4000:20000].astype(float)
    measured = 10 * np.log10(np.mean(speech**2) / np.mean(noise**2))
    assert measured == pytest.approx(snr, abs=0.5)


def test_reverb_keeps_length_and_level() -> None:
    clip = _clip()
    wet = mix(clip, "reverb", seed=1)
    assert wet.size == clip.audio.size
    ratio = np.std(wet.astype(float)) / np.std(clip.audio.astype(float))
    assert ratio == pytest.approx(1.0, rel=0.1)


def test_real_speakers_are_optional_and_mapped_to_contexts(tmp_path: Path) -> None:
    assert real_speaker_clips(tmp_path / "absent") == []
    (tmp_path / "go").mkdir()
    (tmp_path / "seven").mkdir()
    sf.write(tmp_path / "go" / "a.wav", np.zeros(8000), 8000)
    sf.write(tmp_path / "seven" / "b.wav", np.zeros(16000), 16000)
    clips = {c.name: (c.context, c.intent) for c in real_speaker_clips(tmp_path)}
    assert clips == {"go/a.wav": ("command", "resume"), "seven/b.wav": ("number", "7")}


def test_small_run_reports_every_figure(tmp_path: Path) -> None:
    report = run_bench(
        "pocketsphinx",
        {},
        60,
        ["clean"],
        False,
        tmp_path,
        lambda _t: None,
        measure_rss=False,
        failures=True,
    )
    row = report["results"]["pocketsphinx"]["clean"]  # type: ignore[index]
    for key in (
        "accuracy_pct",
        "oov_rejection_pct",
        "noise_rejection_pct",
        "other_answer_rejection_pct",
        "better_worse_confusions",
        "rtf",
        "latency_p50_ms",
        "latency_p95_ms",
    ):
        assert key in row
    assert report["bench_process_peak_rss_mb"] > 0
    # --failures: every clip not heard as said is listed, with the rule that decided
    failures = row["failures"]
    assert isinstance(failures, list)
    phrases = sum(c.kind == "phrase" for c in fixture_clips(60))
    missed = [f for f in failures if f["said"] is not None]
    assert len(missed) == phrases - round(row["accuracy_pct"] * phrases / 100)
    assert all(f["heard"] != f["said"] and f["reason"] for f in failures)


def test_a_clip_with_no_utterance_is_listed_as_such_not_as_the_clip_before() -> None:
    """A near-silent recording the endpointer never cuts used to be listed with the
    verdict (and scores) of the clip before it."""
    from assistant.asr.registry import create_recognizer
    from assistant.bench.asr_measure import measure_sets

    spoken = _clip()  # noise said as "worse": decoded, and turned down
    hush = np.random.default_rng(1).normal(0, 2, 24000).round().astype(np.int16)
    quiet = Clip("hush", "phrase", "symptom", "worse", hush, speech_end_ms=None)
    rows = measure_sets(
        create_recognizer("pocketsphinx"), [("clean", [spoken, quiet])], 0, lambda _t: None, True
    )
    listed = {f["clip"]: f for f in rows["clean"]["failures"]}  # type: ignore[union-attr]
    assert listed["x"]["reason"] not in (None, "no utterance decoded")
    assert listed["hush"]["reason"] == "no utterance decoded" and listed["hush"]["scores"] == {}


def test_other_answers_are_each_answer_where_it_means_nothing() -> None:
    """A "no" is tried while paused (command), never in the yes/no question."""
    from assistant.bench.asr_clips import other_answer_clips

    where = {(c.name, c.context) for c in other_answer_clips(1)}
    assert ("answers/no_en-us.wav", "command") in where
    assert ("answers/no_en-us.wav", "yes-no") not in where
    assert ("answers/worse_en-gb.wav", "symptom") not in where
    assert all(c.intent is None and c.kind == "other" for c in other_answer_clips(5))
