"""``bench asr``'s side-by-side tables (rich)."""

from __future__ import annotations

__all__ = ["print_table"]


def print_table(report: dict[str, object]) -> None:
    """One table: a row per condition and engine, side by side."""
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    engines = report["engines"]
    assert isinstance(engines, dict)
    for name, info in engines.items():
        console.print(
            f"{name}: {info['description']}; load {info['load_s']} s; peak RSS "
            f"{info['peak_rss_mb']} MB (the recognizer in a process of its own)"
        )
    console.print(
        f"clips: {report['fixture_clips']} fixtures per condition, "
        f"{report['real_speaker_clips']} real-speaker; the bench process peaked at "
        f"{report['bench_process_peak_rss_mb']} MB"
    )
    columns = (
        ("accuracy_pct", "accuracy %"),
        ("wrong_intents", "wrong"),
        ("oov_rejection_pct", "OOV rej. %"),
        ("noise_rejection_pct", "noise rej. %"),
        ("other_answer_rejection_pct", "other answers rej. %"),
        ("better_worse_confusions", "better<->worse"),
        ("rtf", "RTF"),
        ("latency_p50_ms", "p50 ms"),
        ("latency_p95_ms", "p95 ms"),
    )
    results = report["results"]
    assert isinstance(results, dict)
    table = Table(title="bench asr")
    table.add_column("condition")
    table.add_column("engine")
    for _key, title in columns:
        table.add_column(title, justify="right")
    conditions = list(dict.fromkeys(c for rows in results.values() for c in rows))
    for condition in conditions:
        for system, by_condition in results.items():
            row = by_condition.get(condition)
            if row is None:
                continue
            cells = ["-" if row.get(key) is None else str(row[key]) for key, _t in columns]
            table.add_row(condition, system, *cells)
    console.print(table)
    contexts = Table(title="accuracy % per context")
    contexts.add_column("condition")
    contexts.add_column("engine")
    names = sorted({c for rows in results.values() for r in rows.values() for c in r["by_context"]})
    for context in names:
        contexts.add_column(context, justify="right")
    for condition in conditions:
        for system, by_condition in results.items():
            row = by_condition.get(condition)
            if row is None:
                continue
            per = row["by_context"]
            contexts.add_row(condition, system, *[str(per.get(c, "-")) for c in names])
    console.print(contexts)
