"""Generate the committed audio fixtures (``make fixtures``).

Every fixture sample phrase (``say:`` in ``data/phrases.yaml``) is spoken by
espeak-ng in each of ``VOICES`` (accents, sexes, rates), converted to 16 kHz
mono, trimmed, given short lead/tail and low-level dither (never digital
silence: PocketSphinx misdecodes exact zeros) and saved as FLAC under
``audio_fixtures/phrases/<context>/``.  Out-of-vocabulary phrases and noise-only
clips (stationary noise, cough-like bursts, breathing-like noise, hum) are made
for rejection.  ``audio_fixtures/answers/`` keeps WAV copies of the core answers
for scenario files (``answers/worse_en-gb.wav``).  ``manifest.csv`` lists every
clip.  The output is deterministic: the same espeak-ng gives the same files.
"""

from __future__ import annotations

import argparse
import csv
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ..asr import phrases
from ..asr.matcher import NUMBER_WORDS
from ..audioio import FIXTURE_DITHER_RMS, SAMPLE_RATE, dither, keyed_rng, write_audio
from ..paths import fixtures_dir
from ..scenario.voices import Voice, synthesize

__all__ = [
    "Voice",
    "VOICES",
    "ANSWER_VOICES",
    "CORE_ANSWERS",
    "ManifestRow",
    "MANIFEST",
    "read_manifest",
    "synthesize",
    "generate",
    "slug",
    "main",
]


#: Accents (US, New York, RP, Lancaster, Scotland, plain British), Klatt variants
#: (different timbres) and rates 130-175 wpm.  The Klatt synthesiser is used for
#: most voices: the bundled PocketSphinx model (trained on real US speech) reads
#: it far more reliably than espeak-ng's default formant voices, which tend to be
#: misheard even by a plain digit grammar; the plain ``en-gb`` voice is kept as
#: the hard case.
VOICES: tuple[Voice, ...] = (
    Voice("en-us+klatt2", 150),
    Voice("en-us+klatt3", 165),
    Voice("en-us+klatt5", 140),
    Voice("en-us+klatt4", 175),
    Voice("en-us+klatt6", 130),
    Voice("en-us-nyc+klatt2", 150),
    Voice("en-gb-x-rp+klatt2", 150),
    Voice("en-gb-x-gbclan+klatt2", 155),
    Voice("en-gb-scotland+klatt2", 145),
    Voice("en-gb", 150),
)
OOV_VOICES: tuple[Voice, ...] = (VOICES[0], VOICES[3], VOICES[6], VOICES[9])
#: answers/<transcript>_en-gb.wav and _en-us.wav, for scenario files.
ANSWER_VOICES: tuple[Voice, ...] = (
    Voice("en-gb-x-rp+klatt2", 150, "en-gb"),
    Voice("en-us+klatt2", 150, "en-us"),
)

#: Core answers kept as WAV under answers/ (transcript, context).
CORE_ANSWERS: tuple[tuple[str, str], ...] = (
    ("better", "symptom"),
    ("worse", "symptom"),
    ("same", "symptom"),
    ("about the same", "symptom"),
    ("yes", "yes-no"),
    ("no", "yes-no"),
    ("left", "side"),
    ("right", "side"),
    ("both", "side"),
    ("stop", "command"),
    ("pause", "command"),
    ("continue", "command"),
    ("ouch", "command"),
    *((word, "number") for word in NUMBER_WORDS),
)

MANIFEST = "manifest.csv"
LEAD_S = 0.25
TAIL_S = 0.3


@dataclass(frozen=True)
class ManifestRow:
    file: str  # relative to the fixtures folder
    kind: str  # phrase | answer | oov | noise
    transcript: str
    intent: str  # "" for oov and noise
    context: str  # "" for oov and noise
    voice: str  # espeak-ng voice (noise clips: the noise kind)
    rate_wpm: int
    speech_start_ms: int
    speech_end_ms: int


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower().replace("'", "")).strip("-")


def _framed(speech: npt.NDArray[np.float32], key: str) -> tuple[npt.NDArray[np.int16], int, int]:
    lead = int(LEAD_S * SAMPLE_RATE)
    tail = int(TAIL_S * SAMPLE_RATE)
    clip = np.concatenate([np.zeros(lead, np.float32), speech, np.zeros(tail, np.float32)])
    clip = clip + dither(clip.size, key, FIXTURE_DITHER_RMS)
    start_ms = lead * 1000 // SAMPLE_RATE
    end_ms = (lead + speech.size) * 1000 // SAMPLE_RATE
    return np.clip(np.round(clip), -32768, 32767).astype(np.int16), start_ms, end_ms


# ---------------------------------------------------------------- noise clips


def _lowpass(x: npt.NDArray[np.float64], alpha: float) -> npt.NDArray[np.float64]:
    y = np.empty_like(x)
    acc = 0.0
    for i, value in enumerate(x):
        acc += alpha * (value - acc)
        y[i] = acc
    return y


def _bandpass(x: npt.NDArray[np.float64], low_hz: float, high_hz: float) -> npt.NDArray[np.float64]:
    spectrum = np.fft.rfft(x)
    freqs = np.fft.rfftfreq(x.size, 1.0 / SAMPLE_RATE)
    spectrum[(freqs < low_hz) | (freqs > high_hz)] = 0
    return np.fft.irfft(spectrum, x.size)


def _noise_clip(kind: str, index: int) -> npt.NDArray[np.float32]:
    rng = keyed_rng(f"noise:{kind}:{index}")
    n = int(rng.uniform(1.2, 2.0) * SAMPLE_RATE)
    t = np.arange(n) / SAMPLE_RATE
    level = 32768.0 * 10 ** (rng.uniform(-38, -24) / 20)
    if kind == "stationary":  # fan / room noise: pink-ish
        white = rng.normal(0, 1, n)
        x = white + 6 * _lowpass(white, 0.05)
    elif kind == "cough":  # 1-2 sharp broadband bursts, fast attack, ~200 ms decay
        x = np.zeros(n)
        for _ in range(int(rng.integers(1, 3))):
            start = int(rng.uniform(0.1, 0.6) * n)
            length = int(rng.uniform(0.15, 0.35) * SAMPLE_RATE)
            burst = _bandpass(rng.normal(0, 1, length), 300, 4000)
            env = np.exp(-np.arange(length) / (0.06 * SAMPLE_RATE)) * np.minimum(
                1, np.arange(length) / 80
            )
            x[start : start + length] += (burst * env * 4)[: n - start]
    elif kind == "breath":  # slow in/out breaths of band-passed noise
        period = rng.uniform(0.9, 1.4)
        env = np.clip(np.sin(2 * np.pi * t / period), 0, None) ** 2
        x = _bandpass(rng.normal(0, 1, n), 500, 3000) * env
    elif kind == "hum":  # mains hum with harmonics and a little noise
        f0 = 50.0 if index % 2 else 60.0
        x = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in (1, 2, 3, 5)) + rng.normal(0, 0.1, n)
    else:
        raise ValueError(kind)
    x = x / (np.sqrt(np.mean(x**2)) or 1.0) * level
    return x.astype(np.float32)


NOISE_KINDS: tuple[tuple[str, int], ...] = (
    ("stationary", 6),
    ("cough", 8),
    ("breath", 6),
    ("hum", 4),
)


# ------------------------------------------------------------------- generate


def generate(out_dir: Path | None = None, *, quiet: bool = False) -> list[ManifestRow]:
    """(Re)generate every fixture under ``out_dir`` and write the manifest."""
    if shutil.which("espeak-ng") is None:
        raise SystemExit("espeak-ng is not installed: sudo apt-get install espeak-ng")
    out_dir = out_dir or fixtures_dir()
    for sub in ("phrases", "answers", "oov", "noise"):
        shutil.rmtree(out_dir / sub, ignore_errors=True)
    rows: list[ManifestRow] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)

        def speak(text: str, voice: Voice, rel: str, kind: str, intent: str, context: str) -> None:
            clip, start, end = _framed(synthesize(text, voice, work), rel)
            write_audio(out_dir / rel, clip)
            rows.append(
                ManifestRow(
                    rel, kind, text, intent, context, voice.name, voice.rate_wpm, start, end
                )
            )

        for sample in phrases.samples():
            for voice in VOICES:
                rel = f"phrases/{sample.context}/{slug(sample.text)}__{voice.id}.flac"
                speak(sample.text, voice, rel, "phrase", sample.intent, sample.context)
        for text, context in CORE_ANSWERS:
            intent = next(p.intent for p in phrases.expand(context) if p.text == text)
            for voice in ANSWER_VOICES:
                rel = f"answers/{slug(text)}_{voice.id}.wav"
                speak(text, voice, rel, "answer", intent, context)
        for text in phrases.out_of_vocabulary():
            for voice in OOV_VOICES:
                speak(text, voice, f"oov/{slug(text)}__{voice.id}.flac", "oov", "", "")
        for kind, count in NOISE_KINDS:
            for index in range(count):
                rel = f"noise/{kind}_{index}.flac"
                clip, _, _ = _framed(_noise_clip(kind, index), rel)
                write_audio(out_dir / rel, clip)
                rows.append(ManifestRow(rel, "noise", "", "", "", kind, 0, 0, 0))
        if not quiet:
            print(f"{len(rows)} clips written under {out_dir}")
    _write_manifest(out_dir / MANIFEST, rows)
    return rows


def _write_manifest(path: Path, rows: list[ManifestRow]) -> None:
    fields = list(ManifestRow.__dataclass_fields__)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow(row.__dict__)


def read_manifest(folder: Path | None = None) -> list[ManifestRow]:
    """The committed fixtures, as listed in ``audio_fixtures/manifest.csv``."""
    path = (folder or fixtures_dir()) / MANIFEST
    with path.open(newline="", encoding="utf-8") as handle:
        return [
            ManifestRow(
                file=r["file"],
                kind=r["kind"],
                transcript=r["transcript"],
                intent=r["intent"],
                context=r["context"],
                voice=r["voice"],
                rate_wpm=int(r["rate_wpm"]),
                speech_start_ms=int(r["speech_start_ms"]),
                speech_end_ms=int(r["speech_end_ms"]),
            )
            for r in csv.DictReader(handle)
        ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Regenerate the audio fixtures.")
    parser.add_argument("--out", type=Path, help="output folder (default: audio_fixtures/)")
    args = parser.parse_args(argv)
    generate(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
