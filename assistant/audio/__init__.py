"""Audio in: microphone and WAV file sources, device listing, a PulseAudio helper."""
