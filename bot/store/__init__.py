"""Database access for Rehabbot: question log, feedback, settings, audit.

Entry point: :func:`open_store`. Everything that goes in is redacted and
pseudonymised first (see :mod:`bot.store.store`); the schema is created and
migrated on open (:mod:`bot.store.migrations`); old rows are purged on open
and then daily. Redaction itself is :func:`bot.text.redact.redact`, not
re-exported here so that ``bot.text.redact`` stays the module.

What it needs comes from `bot.settings.Settings` (``DATABASE_URL``,
``REHABBOT_RETENTION_DAYS``, ``REHABBOT_SECRET``), passed in by the caller:
the URL (default: a SQLite file in the user's data directory, created on first
start), the days to keep logs, feedback, audit rows and unused settings, and
the key for the pseudonyms of Telegram ids (default: generated once and kept in
the database's ``secret`` table; see :mod:`bot.store.pseudonyms`).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from bot.store.db import SqliteDatabase, connect, default_url
from bot.store.migrations import migrate
from bot.store.pseudonyms import Pseudonymizer, load_master_key
from bot.store.stats import Stats, UnansweredQuestion
from bot.store.store import DEFAULT_RETENTION_DAYS, Store
from bot.store.themes import Theme
from bot.text.redact import Redacted

__all__ = [
    "Redacted",
    "Stats",
    "Store",
    "Theme",
    "UnansweredQuestion",
    "open_store",
    "resolve_url",
]

def resolve_url(url: str | None = None) -> str:
    """``url``, else the default SQLite file."""
    return url or default_url()


def open_store(
    url: str | None = None,
    *,
    retention_days: int = DEFAULT_RETENTION_DAYS,
    secret: str | None = None,
    clock: Callable[[], float] = time.time,
    pool_size: int = 8,
) -> Store:
    """Open (creating and migrating as needed) the store a URL names.

    ``clock`` gives the current time as Unix seconds (tests of retention).
    """
    if retention_days < 1:
        raise ValueError(f"retention_days must be at least 1, not {retention_days}")
    db = connect(resolve_url(url), pool_size=pool_size)
    try:
        migrate(db)
        if isinstance(db, SqliteDatabase):  # a file deleted under the running bot is made anew
            db.on_recreate = lambda: migrate(db)
        pseudonyms = Pseudonymizer(load_master_key(db, secret))
        store = Store(db, pseudonyms, retention_days=retention_days, clock=clock)
        store.purge()
    except BaseException:
        db.close()
        raise
    return store
