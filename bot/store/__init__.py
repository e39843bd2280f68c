"""Database access for Rehabbot: question log, feedback, settings, audit.

Entry point: :func:`open_store`. Everything that goes in is redacted and
pseudonymised first (see :mod:`bot.store.store`); the schema is created and
migrated on open (:mod:`bot.store.migrations`); old rows are purged on open
and then daily. Redaction itself is :func:`bot.text.redact.redact`, not
re-exported here so that ``bot.text.redact`` stays the module.

Environment (read here, once, when the store opens):

``DATABASE_URL``
    ``sqlite:///PATH`` or ``postgresql://…``; default: a SQLite file in the
    user's data directory (platformdirs), created on first start.
``REHABBOT_RETENTION_DAYS``
    days to keep logs, feedback, audit rows and unused settings (default 90).
``REHABBOT_SECRET``
    key for the pseudonyms of Telegram ids (default: generated once and kept
    in the database's ``secret`` table; see :mod:`bot.store.pseudonyms`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping

from bot.store.db import connect, default_url
from bot.store.migrations import migrate
from bot.store.pseudonyms import Pseudonymizer, load_master_key
from bot.text.redact import Redacted
from bot.store.stats import Stats, UnansweredQuestion
from bot.store.store import DEFAULT_RETENTION_DAYS, Store
from bot.store.themes import Theme

__all__ = [
    "Redacted",
    "Stats",
    "Store",
    "Theme",
    "UnansweredQuestion",
    "open_store",
    "resolve_url",
]

RETENTION_ENV = "REHABBOT_RETENTION_DAYS"


def resolve_url(url: str | None = None, env: Mapping[str, str] | None = None) -> str:
    """``url``, else ``DATABASE_URL``, else the default SQLite file."""
    environ = os.environ if env is None else env
    return url or environ.get("DATABASE_URL") or default_url()


def _retention_days(environ: Mapping[str, str]) -> int:
    raw = environ.get(RETENTION_ENV, "").strip()
    if not raw:
        return DEFAULT_RETENTION_DAYS
    try:
        days = int(raw)
    except ValueError:
        days = 0
    if days < 1:
        raise ValueError(f"{RETENTION_ENV} måste vara ett heltal ≥ 1 (fick {raw!r})")
    return days


def open_store(
    url: str | None = None,
    *,
    env: Mapping[str, str] | None = None,
    clock: Callable[[], float] = time.time,
    retention_days: int | None = None,
    pool_size: int = 8,
) -> Store:
    """Open (creating and migrating as needed) the store a URL names.

    ``env`` replaces ``os.environ`` (tests); ``clock`` gives the current time
    as Unix seconds (tests of retention); ``retention_days`` overrides
    ``REHABBOT_RETENTION_DAYS``.
    """
    environ = os.environ if env is None else env
    days = retention_days if retention_days is not None else _retention_days(environ)
    db = connect(resolve_url(url, environ), pool_size=pool_size)
    try:
        migrate(db)
        pseudonyms = Pseudonymizer(load_master_key(db, dict(environ)))
        store = Store(db, pseudonyms, retention_days=days, clock=clock)
        store.purge()
    except BaseException:
        db.close()
        raise
    return store
