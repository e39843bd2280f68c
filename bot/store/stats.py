"""What admins see: counts, shares, top entries, feedback and unanswered themes.

Read-only queries over the question log and feedback. Nothing here reads a
user hash or the ``secret`` table: statistics are about questions, never
about who asked them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.store.db import Database
from bot.store.themes import DEFAULT_THRESHOLD, Theme, group

#: Statuses that mean the bot did not answer confidently: the knowledge base
#: may be missing something.
UNANSWERED_STATUSES = ("suggest", "fallback")

# Clustering is O(n·themes); the newest questions matter most, so cap n.
_MAX_THEME_QUESTIONS = 10_000


@dataclass(frozen=True)
class EntryCount:
    entry: str
    count: int


@dataclass(frozen=True)
class EntryFeedback:
    entry: str | None
    up: int
    down: int


@dataclass(frozen=True)
class UnansweredQuestion:
    """One row of the unanswered-questions export."""

    ts: float
    channel: str
    mode: str | None
    lang: str | None
    status: str
    confidence: float | None
    question: str
    theme: str

    @property
    def time(self) -> datetime:
        return datetime.fromtimestamp(self.ts, tz=UTC)


@dataclass(frozen=True)
class Stats:
    days: int | None
    since: float | None
    questions: int
    by_status: dict[str, int]
    by_channel: dict[str, int]
    avg_elapsed_ms: float | None
    top_entries: tuple[EntryCount, ...]
    feedback: tuple[EntryFeedback, ...]
    unanswered: int
    themes: tuple[Theme, ...] = field(default=())

    def share(self, status: str) -> float:
        """The share of questions with ``status`` (0 when there are none)."""
        return self.by_status.get(status, 0) / self.questions if self.questions else 0.0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the ``rehabbot stats --json`` format)."""
        return {
            "days": self.days,
            "since": None
            if self.since is None
            else datetime.fromtimestamp(self.since, tz=UTC).isoformat(),
            "questions": self.questions,
            "answered": self.by_status.get("answer", 0),
            "suggested": self.by_status.get("suggest", 0),
            "fallback": self.by_status.get("fallback", 0),
            "crisis": self.by_status.get("crisis", 0),
            "smalltalk": self.by_status.get("smalltalk", 0),
            "share": {
                status: round(self.share(status), 4)
                for status in ("answer", "suggest", "fallback", "crisis", "smalltalk")
            },
            "by_channel": dict(self.by_channel),
            "avg_elapsed_ms": None
            if self.avg_elapsed_ms is None
            else round(self.avg_elapsed_ms, 1),
            "top_entries": [asdict(item) for item in self.top_entries],
            "feedback": [asdict(item) for item in self.feedback],
            "unanswered": self.unanswered,
            "themes": [
                {"label": t.label, "count": t.count, "examples": list(t.examples)}
                for t in self.themes
            ],
        }


def _window(since: float | None, column: str = "ts") -> tuple[str, tuple[Any, ...]]:
    if since is None:
        return "1 = 1", ()
    return f"{column} >= ?", (since,)


def compute_stats(
    db: Database,
    *,
    since: float | None,
    days: int | None,
    top: int = 10,
    max_themes: int = 10,
    threshold: int = DEFAULT_THRESHOLD,
) -> Stats:
    where, params = _window(since)
    with db.transaction(write=False) as tx:
        by_status = {
            status: int(count)
            for status, count in tx.all(
                f"SELECT status, COUNT(*) FROM question_log WHERE {where} GROUP BY status", params
            )
        }
        by_channel = {
            channel: int(count)
            for channel, count in tx.all(
                f"SELECT channel, COUNT(*) FROM question_log WHERE {where} GROUP BY channel",
                params,
            )
        }
        avg_row = tx.one(f"SELECT AVG(elapsed_ms) FROM question_log WHERE {where}", params)
        top_rows = tx.all(
            f"SELECT entry_id, COUNT(*) AS n FROM question_log "
            f"WHERE {where} AND status = 'answer' AND entry_id IS NOT NULL "
            f"GROUP BY entry_id ORDER BY n DESC, entry_id LIMIT ?",
            (*params, top),
        )
        q_where, q_params = _window(since, "q.ts")
        feedback_rows = tx.all(
            f"SELECT q.entry_id, "
            f"SUM(CASE WHEN f.value > 0 THEN 1 ELSE 0 END), "
            f"SUM(CASE WHEN f.value < 0 THEN 1 ELSE 0 END) "
            f"FROM feedback f JOIN question_log q ON q.id = f.log_id "
            f"WHERE {q_where} GROUP BY q.entry_id",
            q_params,
        )
    unanswered_texts = [row.question for row in _unanswered_rows(db, since)]
    themes, _ = group(unanswered_texts, threshold=threshold)
    feedback = sorted(
        (EntryFeedback(entry, int(up), int(down)) for entry, up, down in feedback_rows),
        key=lambda item: (-item.down, item.up, item.entry or ""),  # worst first
    )
    return Stats(
        days=days,
        since=since,
        questions=sum(by_status.values()),
        by_status=by_status,
        by_channel=by_channel,
        avg_elapsed_ms=None if avg_row is None or avg_row[0] is None else float(avg_row[0]),
        top_entries=tuple(EntryCount(entry, int(count)) for entry, count in top_rows),
        feedback=tuple(feedback),
        unanswered=sum(by_status.get(status, 0) for status in UNANSWERED_STATUSES),
        themes=tuple(themes[:max_themes]),
    )


def _unanswered_rows(
    db: Database, since: float | None, limit: int | None = _MAX_THEME_QUESTIONS
) -> list[UnansweredQuestion]:
    where, params = _window(since)
    sql = (
        f"SELECT ts, channel, mode, lang, status, confidence, question FROM question_log "
        f"WHERE {where} AND status IN ('suggest', 'fallback') ORDER BY ts DESC, id DESC"
    )
    if limit is not None:
        sql, params = sql + " LIMIT ?", (*params, limit)
    with db.transaction(write=False) as tx:
        rows = tx.all(sql, params)
    return [
        UnansweredQuestion(
            ts=float(ts),
            channel=channel,
            mode=mode,
            lang=lang,
            status=status,
            confidence=None if confidence is None else float(confidence),
            question=question,
            theme="",
        )
        for ts, channel, mode, lang, status, confidence, question in rows
    ]


def fetch_unanswered(
    db: Database, *, since: float | None, threshold: int = DEFAULT_THRESHOLD
) -> list[UnansweredQuestion]:
    """All unanswered questions in the window, each labelled with its theme.

    Grouped by theme, largest theme first, newest first within a theme: the
    order an admin works through them in.
    """
    rows = _unanswered_rows(db, since, limit=None)
    themes, assignment = group([row.question for row in rows], threshold=threshold)
    order = sorted(range(len(rows)), key=lambda index: assignment[index])  # stable: keeps newest first
    return [
        UnansweredQuestion(**{**asdict(rows[index]), "theme": themes[assignment[index]].label})
        for index in order
    ]
