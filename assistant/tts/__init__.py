"""Audio out: pyttsx3 (espeak-ng) synthesis played through sounddevice, and a fake."""

from .player import PlaybackEvent, SoundDevicePlayer
from .speaker import RecordingSpeaker, Speaker, SpokenLine, VoiceSpeaker
from .synth import Audio, Pyttsx3Synth

__all__ = [
    "Audio",
    "PlaybackEvent",
    "Pyttsx3Synth",
    "RecordingSpeaker",
    "SoundDevicePlayer",
    "Speaker",
    "SpokenLine",
    "VoiceSpeaker",
]
