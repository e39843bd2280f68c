"""Turning statistics and the unanswered questions into text for people.

Shared by ``rehabbot stats`` and the Telegram ``/stats`` command, so both say
the same thing in the same words (Swedish, as the admins work in Swedish).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import TextIO

from bot.store.stats import Stats, UnansweredQuestion

_STATUS_LABELS = (
    ("answer", "Besvarade"),
    ("suggest", "Med förslag"),
    ("fallback", "Utan svar"),
    ("crisis", "Krissvar"),
    ("smalltalk", "Småprat"),
)
_CHANNEL_LABELS = {"telegram": "Telegram", "console": "konsol", "inline": "inline", "web": "webben"}


def _percent(share: float) -> str:
    return f"{share * 100:.1f}".replace(".", ",") + "\u00a0%"


def format_stats(stats: Stats, *, examples: int = 2) -> str:
    """The human-readable report (plain text, Swedish).

    Theme examples are users' own words (redacted): escape the text
    (``html.escape``) before sending it with an HTML parse mode.
    """
    period = (
        f"de senaste {stats.days} dagarna" if stats.days is not None else "hela den sparade tiden"
    )
    lines = [f"Statistik för {period}", ""]
    if not stats.questions:
        lines.append("Inga frågor loggade under perioden.")
        return "\n".join(lines)

    lines.append(f"Frågor: {stats.questions}")
    for status, label in _STATUS_LABELS:
        count = stats.by_status.get(status, 0)
        lines.append(f"  {label + ':':<13} {count:>6}  ({_percent(stats.share(status))})")
    channels = ", ".join(
        f"{_CHANNEL_LABELS.get(channel, channel)} {count}"
        for channel, count in sorted(stats.by_channel.items(), key=lambda item: -item[1])
    )
    lines.append(f"Kanaler: {channels}")
    if stats.avg_elapsed_ms is not None:
        lines.append(f"Genomsnittlig svarstid: {stats.avg_elapsed_ms:.0f} ms")

    if stats.top_entries:
        lines += ["", "Vanligaste svaren:"]
        width = max(len(item.entry) for item in stats.top_entries)
        lines += [f"  {item.entry:<{width}}  {item.count:>5}" for item in stats.top_entries]

    if stats.feedback:
        lines += ["", "Återkoppling per svar (👍 / 👎):"]
        names = [item.entry or "(inget svar)" for item in stats.feedback]
        width = max(len(name) for name in names)
        lines += [
            f"  {name:<{width}}  {item.up:>4} / {item.down}"
            for name, item in zip(names, stats.feedback, strict=True)
        ]

    lines += ["", f"Obesvarade frågor (förslag eller inget svar): {stats.unanswered}"]
    if stats.themes:
        lines.append("Teman:")
        for theme in stats.themes:
            if theme.count == 1:  # a theme of one: its label is the question itself
                lines.append(f"  {1:>4} fråga:  {theme.label}")
                continue
            lines.append(f"  {theme.count:>4} frågor om {theme.label}")
            lines += [f"         – {example}" for example in theme.examples[:examples]]
    return "\n".join(lines)


CSV_HEADER = ("tid", "kanal", "läge", "språk", "status", "säkerhet", "tema", "fråga")


def _cell(value: str) -> str:
    """Neutralise spreadsheet formulas: the questions are typed by anyone.

    A cell starting with ``=``, ``+``, ``-``, ``@`` (or a tab/CR) would be run
    as a formula by Excel or LibreOffice (CSV injection); a leading
    apostrophe makes it plain text.
    """
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def write_unanswered_csv(rows: Iterable[UnansweredQuestion], stream: TextIO) -> int:
    """Write the export (comma-separated, header row, UTF-8); return data rows written."""
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    count = 0
    for row in rows:
        writer.writerow(
            (
                row.time.isoformat(timespec="seconds"),
                row.channel,
                row.mode or "",
                row.lang or "",
                row.status,
                "" if row.confidence is None else f"{row.confidence:.3f}",
                _cell(row.theme),
                _cell(row.question),
            )
        )
        count += 1
    return count
