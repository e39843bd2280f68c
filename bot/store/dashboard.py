"""The numbers of the admins' dashboard: questions per day by outcome, by channel, mode and
language, and feedback per entry over time with the questions that led to a 👎.

Like `stats`, nothing here reads who asked: only the question log's redacted text, its
outcome and when. Days are bucketed here in Python (UTC), the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from bot.store.db import Database

OUTCOMES = ("answer", "suggest", "fallback", "crisis", "smalltalk")
DAY = 86_400.0


@dataclass
class Overview:
    days: list[dt.date]
    per_day: dict[dt.date, Counter[str]]  # outcome → count
    per_week: dict[dt.date, int]  # Monday → questions
    by_channel: Counter[str] = field(default_factory=Counter)
    by_mode: Counter[str] = field(default_factory=Counter)
    by_lang: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.outcomes.values())

    def share(self, outcome: str) -> float:
        return self.outcomes[outcome] / self.total if self.total else 0.0


@dataclass
class EntryVotes:
    entry: str
    up: int
    down: int
    weeks: dict[dt.date, tuple[int, int]]  # Monday → (up, down)
    disliked_after: list[str]  # the (redacted) questions that got a 👎, newest first


def _day(ts: float) -> dt.date:
    return dt.datetime.fromtimestamp(ts, tz=dt.UTC).date()


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def overview(db: Database, now: float, days: int = 30) -> Overview:
    since = now - days * DAY
    with db.transaction(write=False) as tx:
        rows = tx.all("SELECT ts, status, channel, mode, lang FROM question_log WHERE ts >= ?", (since,))
    today = _day(now)
    span = [today - dt.timedelta(days=n) for n in range(days - 1, -1, -1)]
    result = Overview(span, {d: Counter() for d in span}, defaultdict(int))
    for ts, status, channel, mode, lang in rows:
        day = _day(float(ts))
        result.per_day.setdefault(day, Counter())[status] += 1
        result.per_week[_monday(day)] += 1
        result.by_channel[channel] += 1
        result.by_mode[mode or "–"] += 1
        result.by_lang[lang or "–"] += 1
        result.outcomes[status] += 1
    result.per_week = dict(sorted(result.per_week.items()))
    return result


def entry_votes(db: Database, since: float | None = None, examples: int = 5) -> list[EntryVotes]:
    """👍/👎 per entry, the most disliked first, with the questions that led to each 👎."""
    where, params = ("q.ts >= ?", (since,)) if since is not None else ("1 = 1", ())
    with db.transaction(write=False) as tx:
        rows = tx.all(f"SELECT q.entry_id, f.value, f.ts, q.question FROM feedback f "
                      f"JOIN question_log q ON q.id = f.log_id WHERE {where} ORDER BY f.ts DESC", params)
    votes: dict[str, EntryVotes] = {}
    for entry, value, ts, question in rows:
        key = entry or "–"
        v = votes.setdefault(key, EntryVotes(key, 0, 0, {}, []))
        week = _monday(_day(float(ts)))
        up, down = v.weeks.get(week, (0, 0))
        if int(value) > 0:
            v.up += 1
            v.weeks[week] = (up + 1, down)
        else:
            v.down += 1
            v.weeks[week] = (up, down + 1)
            if len(v.disliked_after) < examples and question not in v.disliked_after:
                v.disliked_after.append(question)
    return sorted(votes.values(), key=lambda v: (-v.down, v.up, v.entry))


def audit_rows(db: Database, limit: int = 200) -> list[tuple[float, str, str, str]]:
    """The newest audit rows: when, what, result, detail (already redacted when written)."""
    with db.transaction(write=False) as tx:
        rows = tx.all("SELECT ts, action, result, detail FROM audit ORDER BY id DESC LIMIT ?", (limit,))
    return [(float(ts), action, result, detail) for ts, action, result, detail in rows]
