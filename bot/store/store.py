"""The store: question log, feedback, settings, audit, retention and erasure.

Every method is synchronous and opens its own short transaction, so the bot
can call any of them from a worker thread (``asyncio.to_thread``) and several
instances can share a PostgreSQL database without coordinating.

Privacy is enforced here, at the only door into the database: free text is
redacted (:func:`bot.text.redact.redact`) and Telegram ids are replaced by
keyed hashes (:class:`bot.store.pseudonyms.Pseudonymizer`) before any SQL
runs, so no caller can forget to.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Self

from bot.settings import DEFAULT_RETENTION_DAYS
from bot.store.admin import AdminStore
from bot.store.db import Database
from bot.store.pseudonyms import Pseudonymizer
from bot.store.stats import Stats, UnansweredQuestion, compute_stats, fetch_unanswered
from bot.text.redact import redact

CHANNELS = frozenset({"telegram", "console", "inline", "web"})
STATUSES = frozenset({"answer", "suggest", "fallback", "crisis", "smalltalk"})
SETTING_KEYS = ("mode", "lang")
DAY_SECONDS = 86_400
HANDLED_DAYS = 2  # answered update ids kept (Telegram keeps an unconfirmed update for a day)

# How stale settings.last_seen may get before a read refreshes it. Retention
# counts from the last *use* of a setting, so an active user never loses it.
_SEEN_RESOLUTION = DAY_SECONDS


class Store:
    """Database-backed storage for the bot; build it with :func:`bot.store.open_store`."""

    def __init__(
        self,
        db: Database,
        pseudonyms: Pseudonymizer,
        *,
        retention_days: int = DEFAULT_RETENTION_DAYS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if retention_days < 1:
            raise ValueError("retention_days must be at least 1")
        self.db = db
        self.pseudonyms = pseudonyms
        self.retention_days = retention_days
        self.clock = clock
        self._purge_lock = threading.Lock()
        self._last_purge: float | None = None

    # -- lifecycle ---------------------------------------------------------

    @property
    def dialect(self) -> str:
        return self.db.dialect

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def admin(self) -> AdminStore:
        """The admins' dashboard tables: accounts, theme marks, knowledge-base versions."""
        return AdminStore(self.db, self.clock)

    def user_hash(self, user_id: int) -> str:
        """The pseudonym stored instead of a Telegram user (or chat) id."""
        return self.pseudonyms.id_hash(user_id)

    # -- question log and feedback -----------------------------------------

    def log_question(
        self,
        *,
        channel: str,
        mode: str | None,
        lang: str | None,
        question: str,
        entry_id: str | None,
        status: str,
        confidence: float | None,
        elapsed_ms: float | None,
        user_id: int | None = None,
    ) -> int:
        """Record one answered (or not) question, redacted; return the row id.

        ``user_id`` is optional and only ever stored as a keyed hash: it lets
        :meth:`forget` find the person's questions.
        """
        if channel not in CHANNELS:
            raise ValueError(f"unknown channel {channel!r}; expected one of {sorted(CHANNELS)}")
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}; expected one of {sorted(STATUSES)}")
        self._maybe_purge()
        user_hash = None if user_id is None else self.user_hash(user_id)
        with self.db.transaction() as tx:
            row = tx.one(
                "INSERT INTO question_log (ts, channel, mode, lang, question, entry_id, status, "
                "confidence, elapsed_ms, user_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "RETURNING id",
                (
                    self.clock(),
                    channel,
                    mode,
                    lang,
                    redact(question).text,
                    entry_id,
                    status,
                    None if confidence is None else float(confidence),
                    None if elapsed_ms is None else float(elapsed_ms),
                    user_hash,
                ),
            )
        assert row is not None
        return int(row[0])

    def add_feedback(self, log_id: int, user_id: int, value: int) -> bool:
        """Record 👍 (+1) or 👎 (-1) for a logged answer; a later vote replaces.

        Returns False when the log row no longer exists (purged or erased), so
        a late click on an old message is ignored rather than an error.
        """
        if value not in (1, -1):
            raise ValueError("feedback value must be +1 or -1")
        self._maybe_purge()
        with self.db.transaction() as tx:
            changed = tx.execute(
                "INSERT INTO feedback (log_id, user_hash, value, ts) "
                "SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM question_log WHERE id = ?) "
                "ON CONFLICT (log_id, user_hash) DO UPDATE SET value = excluded.value, ts = excluded.ts",
                (log_id, self.user_hash(user_id), value, self.clock(), log_id),
            )
        return changed > 0

    # -- settings -----------------------------------------------------------

    def get_settings(self, user_id: int) -> dict[str, str]:
        """The user's saved settings (``mode``, ``lang``), only those set."""
        self._maybe_purge()
        user_hash = self.user_hash(user_id)
        with self.db.transaction(write=False) as tx:
            row = tx.one(
                "SELECT mode, lang, last_seen FROM settings WHERE user_hash = ?", (user_hash,)
            )
        if row is None:
            return {}
        mode, lang, last_seen = row
        now = self.clock()
        if last_seen < now - _SEEN_RESOLUTION:
            with self.db.transaction() as tx:
                tx.execute(
                    "UPDATE settings SET last_seen = ? WHERE user_hash = ?", (now, user_hash)
                )
        return {key: value for key, value in (("mode", mode), ("lang", lang)) if value is not None}

    def set_settings(self, user_id: int, **values: str | None) -> None:
        """Save some of ``mode`` and ``lang``; keys given as None are left unchanged."""
        unknown = set(values) - set(SETTING_KEYS)
        if unknown:
            raise ValueError(f"unknown settings {sorted(unknown)}; expected {list(SETTING_KEYS)}")
        self._maybe_purge()
        now = self.clock()
        with self.db.transaction() as tx:
            # One atomic upsert, so two instances changing different settings
            # of the same user at once both win.
            tx.execute(
                "INSERT INTO settings (user_hash, mode, lang, updated, last_seen) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_hash) DO UPDATE SET "
                "mode = COALESCE(excluded.mode, settings.mode), "
                "lang = COALESCE(excluded.lang, settings.lang), "
                "updated = excluded.updated, last_seen = excluded.last_seen",
                (self.user_hash(user_id), values.get("mode"), values.get("lang"), now, now),
            )

    # -- audit --------------------------------------------------------------

    def audit(self, action: str, user_id: int | None, result: str, detail: str = "") -> int:
        """Record an admin action (reload, upload, refused attempt, …) and its result."""
        self._maybe_purge()
        user_hash = None if user_id is None else self.user_hash(user_id)
        with self.db.transaction() as tx:
            row = tx.one(
                "INSERT INTO audit (ts, action, user_hash, result, detail) "
                "VALUES (?, ?, ?, ?, ?) RETURNING id",
                (self.clock(), action, user_hash, result, redact(detail).text),
            )
        assert row is not None
        return int(row[0])

    # -- delivery -------------------------------------------------------------

    def mark_handled(self, bot_id: int, update_id: int) -> None:
        """Remember that bot `bot_id`'s Telegram update `update_id` has been answered."""
        now = self.clock()
        with self.db.transaction() as tx:
            tx.execute("INSERT INTO handled_update (bot_id, update_id, ts) VALUES (?, ?, ?) "
                       "ON CONFLICT (bot_id, update_id) DO NOTHING", (bot_id, update_id, now))
            if update_id % 10_000 == 0:  # now and then, not only at the daily purge
                tx.execute("DELETE FROM handled_update WHERE ts < ?", (now - HANDLED_DAYS * DAY_SECONDS,))

    def handled_of(self, bot_id: int, update_ids: Sequence[int]) -> set[int]:
        """Which of `update_ids` bot `bot_id` has answered (in this process or one before it)."""
        found: set[int] = set()
        ids = list(update_ids)
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            with self.db.transaction(write=False) as tx:
                rows = tx.all(f"SELECT update_id FROM handled_update WHERE bot_id = ? AND update_id IN "
                              f"({', '.join('?' * len(chunk))})", (bot_id, *chunk))
            found.update(int(r[0]) for r in rows)
        return found

    # -- retention and erasure ----------------------------------------------

    def purge(self, now: float | None = None) -> int:
        """Delete everything older than the retention period; return rows deleted.

        Runs by itself when the store opens and then at most daily, on the
        next call after a day has passed (see :meth:`_maybe_purge`).
        """
        now = self.clock() if now is None else now
        cutoff = now - self.retention_days * DAY_SECONDS
        deleted = 0
        with self.db.transaction() as tx:
            deleted += tx.execute(
                "DELETE FROM feedback WHERE ts < ? OR log_id IN "
                "(SELECT id FROM question_log WHERE ts < ?)",
                (cutoff, cutoff),
            )
            deleted += tx.execute("DELETE FROM question_log WHERE ts < ?", (cutoff,))
            deleted += tx.execute("DELETE FROM audit WHERE ts < ?", (cutoff,))
            deleted += tx.execute("DELETE FROM settings WHERE last_seen < ?", (cutoff,))
            tx.execute("DELETE FROM forgotten WHERE at < ?", (cutoff,))
            tx.execute("DELETE FROM handled_update WHERE ts < ?", (now - HANDLED_DAYS * DAY_SECONDS,))
            deleted += tx.execute(
                "DELETE FROM ptb_data WHERE kind IN ('user', 'chat') AND updated < ?", (cutoff,)
            )
        self._last_purge = now
        return deleted

    def _maybe_purge(self) -> None:
        """Purge if the last purge in this process is a day old (or never ran)."""
        now = self.clock()
        if self._last_purge is not None and now - self._last_purge < DAY_SECONDS:
            return
        # One thread purges; the others go on without waiting.
        if self._purge_lock.acquire(blocking=False):
            try:
                self.purge(now)
            finally:
                self._purge_lock.release()

    def forget(self, user_id: int) -> int:
        """Delete everything about one person (right to erasure); return rows deleted.

        Their settings, their questions (and all feedback on them), their own
        feedback, audit rows about them, and PTB data for them and for their
        private chat (whose id equals the user id) and any conversation state
        whose key includes their id.
        """
        user_hash = self.user_hash(user_id)
        deleted = 0
        with self.db.transaction() as tx:
            deleted += tx.execute(
                "DELETE FROM feedback WHERE user_hash = ? OR log_id IN "
                "(SELECT id FROM question_log WHERE user_hash = ?)",
                (user_hash, user_hash),
            )
            deleted += tx.execute("DELETE FROM question_log WHERE user_hash = ?", (user_hash,))
            deleted += tx.execute("DELETE FROM audit WHERE user_hash = ?", (user_hash,))
            deleted += tx.execute("DELETE FROM settings WHERE user_hash = ?", (user_hash,))
            deleted += tx.execute(
                "DELETE FROM ptb_data WHERE kind IN ('user', 'chat') AND key_hash = ?",
                (user_hash,),
            )
            # A running bot (this process or another) still holds the person's data in memory;
            # it checks this before using or writing it again (bot.store.persistence).
            tx.execute(
                "INSERT INTO forgotten (user_hash, at) VALUES (?, ?) "
                "ON CONFLICT (user_hash) DO UPDATE SET at = excluded.at",
                (user_hash, self.clock()),
            )
        return deleted

    def forgotten_since(self, user_hash: str, since: float) -> bool:
        """Whether the person with this hash was erased after `since` (Unix seconds)."""
        with self.db.transaction(write=False) as tx:
            row = tx.one("SELECT at FROM forgotten WHERE user_hash = ?", (user_hash,))
        return row is not None and float(row[0]) >= since

    # -- insight ------------------------------------------------------------

    def stats(self, days: int | None = None, **options: Any) -> Stats:
        """Numbers for admins over the last ``days`` days (all retained rows if None)."""
        self._maybe_purge()
        return compute_stats(self.db, since=self._since(days), days=days, **options)

    def unanswered(self, days: int | None = None) -> list[UnansweredQuestion]:
        """Questions answered by a suggestion or the fallback, each with its theme."""
        self._maybe_purge()
        return fetch_unanswered(self.db, since=self._since(days))

    def _since(self, days: int | None) -> float | None:
        if days is None:
            return None
        if days < 1:
            raise ValueError("days must be at least 1")
        return self.clock() - days * DAY_SECONDS
