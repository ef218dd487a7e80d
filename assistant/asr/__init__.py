"""Speech recognition: phrase templates, intent matching and recognizer adapters.

Only the adapter modules import their engine (``pocketsphinx``, ``vosk``).
"""
