"""The natural voice: real Piper synthesis, its disk cache, the voice setting, streaming."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soxr

from assistant.asr.protocol import Recognizer, decode_clip
from assistant.asr.registry import create_recognizer
from assistant.bench.pulse import PulseAudio
from assistant.clock import MonotonicClock
from assistant.errors import SpeechOutputError
from assistant.events import Heard, Listen
from assistant.tts import Pyttsx3Synth, SoundDevicePlayer, VoiceSpeaker
from assistant.tts.piper import PiperSynth
from assistant.tts.synth import Audio
from assistant.tts.voices import open_synth, piper_model
from assistant.ui.ahead import Prerenderer

pytest.importorskip("piper")

LONG = (
    "Lie face down with your arms by your sides. Turn your head to whichever side is "
    "comfortable. Breathe slowly and let your lower back relax. Stay there for a while."
)


def to_16k(audio: Audio) -> np.ndarray:
    return soxr.resample(audio.samples, audio.sample_rate, 16000).astype(np.int16)


@pytest.fixture(scope="module")
def whisper() -> Recognizer:
    return create_recognizer("whisper")


@pytest.fixture(scope="module")
def joe(tmp_path_factory: pytest.TempPathFactory) -> PiperSynth:
    return PiperSynth(piper_model("piper"), cache_dir=tmp_path_factory.mktemp("cache"))


@pytest.mark.parametrize(
    ("text", "context", "intent"),
    [
        ("A bit better.", "symptom", "better"),
        ("Much worse.", "symptom", "worse"),
        ("About the same.", "symptom", "same"),
        ("No, I haven't.", "yes-no", "no"),
        ("My left side.", "side", "left"),
    ],
)
def test_piper_speech_is_understood_by_the_recognizer(
    joe: PiperSynth, whisper: Recognizer, text: str, context: str, intent: str
) -> None:
    """Piper samples its voice afresh each time (VITS noise), so each phrase is rendered
    three times: at least two must be understood by the default recognizer (Whisper),
    and none taken for another answer."""
    heard = []
    for _ in range(3):
        audio = joe._render(text)  # a fresh rendering, not the cached one
        assert audio.sample_rate == 22050
        assert 0.3 < audio.duration_ms / 1000 < 3
        heard.append(decode_clip(whisper, to_16k(audio), context))
    intents = [h.intent for h in heard if isinstance(h, Heard)]
    assert intents.count(intent) >= 2 and set(intents) == {intent}, (text, heard)


def test_a_line_rendered_once_is_free_the_second_time_even_in_a_new_session(
    tmp_path: Path,
) -> None:
    text = "Is the leg pain better, worse or the same?"
    first = PiperSynth(piper_model("piper"), cache_dir=tmp_path)
    started = time.perf_counter()
    rendered = first.synthesize(text)
    render_s = time.perf_counter() - started
    assert first.misses == 1 and np.abs(rendered.samples).max() > 10_000
    assert list((tmp_path / "tts").rglob("*.flac")), "the line was not kept on disk"

    again = PiperSynth(piper_model("piper"), cache_dir=tmp_path)  # a new session
    started = time.perf_counter()
    cached = again.synthesize(text)
    cached_s = time.perf_counter() - started
    assert np.array_equal(cached.samples, rendered.samples)
    assert (again.hits, again.misses) == (1, 0)
    assert cached_s < 0.05 and cached_s < render_s / 5, (cached_s, render_s)
    # another rate is another rendering, not a wrong-paced copy
    slower = PiperSynth(piper_model("piper"), rate_wpm=100, cache_dir=tmp_path)
    assert not slower.cached(text)
    assert slower.synthesize(text).duration_ms > rendered.duration_ms * 1.3


def test_volume_scales_the_voice(joe: PiperSynth, tmp_path: Path) -> None:
    quiet = PiperSynth(piper_model("piper"), volume=0.3, cache_dir=tmp_path)
    loud_peak = np.abs(joe.synthesize("Relax.").samples).max()
    quiet_peak = np.abs(quiet.synthesize("Relax.").samples).max()
    assert quiet_peak < loud_peak * 0.45


def test_the_voice_setting_picks_the_synthesiser(tmp_path: Path) -> None:
    assert isinstance(open_synth("piper", 150, 1.0, tmp_path), PiperSynth)
    named = open_synth("piper:en_US-joe-medium", 150, 1.0, tmp_path)
    assert isinstance(named, PiperSynth) and named.voice == "piper:en_US-joe-medium"
    by_path = open_synth(f"piper:{piper_model('piper')}", 150, 1.0, tmp_path)
    assert isinstance(by_path, PiperSynth)
    espeak = open_synth("en-gb", 150, 1.0, tmp_path)
    assert isinstance(espeak, Pyttsx3Synth) and espeak.voice == "en-gb"
    with pytest.raises(SpeechOutputError, match=r"voice 'piper:/no/such\.onnx': no Piper model"):
        open_synth("piper:/no/such.onnx", 150, 1.0, tmp_path)


def test_without_piper_the_coach_speaks_espeak_and_says_so_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "piper", None)  # as if piper-tts were not installed
    notices: list[str] = []
    synth = open_synth("piper", 150, 1.0, tmp_path, lambda who, text: notices.append(text))
    assert isinstance(synth, Pyttsx3Synth) and synth.voice == "en-us"
    assert len(notices) == 1 and "espeak-ng" in notices[0] and "piper-tts" in notices[0]
    assert synth.synthesize("ready").duration_ms > 200


@pytest.mark.audio
def test_a_long_new_line_starts_playing_after_its_first_sentence(
    pulse: PulseAudio, tmp_path: Path
) -> None:
    clock = MonotonicClock()
    player = SoundDevicePlayer(clock, "pulse")
    player.open()
    synth = PiperSynth(piper_model("piper"), cache_dir=tmp_path)
    uncached = PiperSynth(piper_model("piper"), cache_dir=None)
    started = time.perf_counter()
    uncached.synthesize(LONG)
    whole_render_ms = (time.perf_counter() - started) * 1000
    synth.synthesize("Warm up.")  # the model is loaded
    speaker = VoiceSpeaker(synth, player)
    recording = pulse.record_speaker()
    try:
        said_at = clock.now_ms()
        speaker.say(LONG, 1)
        finished = []
        while speaker.speaking:
            time.sleep(0.02)
            finished += speaker.finished(clock.now_ms())
        assert [(f.utterance_id, f.interrupted) for f in finished] == [(1, False)]
        whole = synth.synthesize(LONG)  # now from the cache
        first_audio_ms = speaker.started_ms[1] - said_at
        # the first sentence is a quarter of the line: playback starts well before
        # the whole line could have been rendered
        assert first_audio_ms < 0.7 * whole_render_ms, (first_audio_ms, whole_render_ms)
        played_s = finished[0].timestamp_ms - speaker.started_ms[1]
        # all of it is played; on a busy machine (load 6 on 2 cores) a sentence may
        # come late, a pause between sentences
        assert whole.duration_ms - 100 < played_s < whole.duration_ms * 1.6, played_s
        time.sleep(0.3)
        heard = recording.samples()
        loud = np.abs(heard.astype(np.int32)) > 1000
        assert loud.any()
        span_s = (np.flatnonzero(loud)[-1] - np.flatnonzero(loud)[0]) / 16000
        assert whole.duration_ms / 1000 - 0.5 < span_s < whole.duration_ms / 1000 * 1.6, span_s
    finally:
        speaker.close()
        recording.stop()


@pytest.mark.audio
def test_ctrl_c_while_lines_are_rendered_ahead_ends_cleanly(
    pulse: PulseAudio, tmp_path: Path
) -> None:
    """onnxruntime aborts the process if Python exits while it renders: the session
    must wait for the line in progress (a new cache: rendering ahead is busy)."""
    import signal
    import subprocess

    env = pulse.client_env() | {"BACKCOACH_HOME": str(tmp_path), "COLUMNS": "200"}
    devices = ["--input-device", "pulse", "--output-device", "pulse"]
    process = subprocess.Popen(
        [sys.executable, "-m", "assistant", "run", *devices],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    cache = tmp_path / "cache" / "tts"
    deadline = time.monotonic() + 60
    while not list(cache.rglob("*.flac")) and time.monotonic() < deadline:
        time.sleep(0.1)  # until the first lines are kept: rendering ahead is under way
    time.sleep(1.0)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, (out, err)
    assert "terminate called" not in err and "Aborted" not in err
    assert "session stopped" in err


def test_a_session_whose_lines_are_all_on_disk_never_loads_the_model(tmp_path: Path) -> None:
    """Rendering ahead skips what is on disk without loading Piper (~90 MB, and as
    much again while it renders); a line that is not on disk loads it."""
    lines = ["Ten seconds.", "Thirty seconds to go."]
    first = PiperSynth(piper_model("piper"), cache_dir=tmp_path)
    for line in lines:
        first.synthesize(line)
    again = PiperSynth(piper_model("piper"), cache_dir=tmp_path)  # the next session
    ahead = Prerenderer(again, {}, lines=lines)
    ahead._not_before = 0  # no start-up grace in a test
    ahead.observe("action", Listen("command"), 0)  # exercising: free to render
    deadline = time.monotonic() + 10
    while ahead._queue and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)
    assert not ahead._queue and ahead.rendered == 0
    assert not again.model_loading
    ahead.add_one("Rest for a moment.")
    deadline = time.monotonic() + 30
    # (the line is on disk a moment before the renderer counts it)
    while ahead.rendered == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert again.cached("Rest for a moment.")
    assert again.model_loading and ahead.rendered == 1
    ahead.close()
