"""Benchmarks (``backcoach bench asr`` / ``backcoach bench loop``).

Each module here exposes ``register(subparsers)`` adding its own sub-command.
Figures are medians and percentiles measured in one run; there are no timed tests.
"""
