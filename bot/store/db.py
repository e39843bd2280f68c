"""Connections to SQLite or PostgreSQL behind one small interface.

The rest of the store writes SQL once, with ``?`` placeholders and portable
SQL (``INSERT … ON CONFLICT``, ``RETURNING``), and runs it inside
``with db.transaction() as tx:``. Only this module knows the differences:

* **SQLite** is the zero-setup default. One connection per process, guarded
  by a lock, because the bot calls the store from worker threads
  (``asyncio.to_thread``) and a sqlite3 connection must not be used by two
  threads at once. WAL mode lets readers (``rehabbot stats`` in another
  process) run while the bot writes; ``busy_timeout`` makes a second writer
  process wait instead of failing. Write transactions start with
  ``BEGIN IMMEDIATE`` so two processes never deadlock upgrading read locks.
* **PostgreSQL** is for several bot instances sharing one database. A
  ``psycopg_pool`` pool gives each concurrent task its own connection;
  ``?`` becomes ``%s``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import platformdirs

_LOG = logging.getLogger(__name__)

APP_NAME = "rehabbot"
SQLITE_FILENAME = "rehabbot.sqlite3"


def default_sqlite_path() -> Path:
    """Where the embedded database lives when nothing is configured."""
    return Path(platformdirs.user_data_dir(APP_NAME)) / SQLITE_FILENAME


def default_url() -> str:
    return f"sqlite:///{default_sqlite_path()}"


class Tx(Protocol):
    """One open transaction."""

    dialect: str

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a statement; return the number of rows it changed."""

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    def one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None: ...


class Database(Protocol):
    dialect: str
    url: str

    def transaction(self, write: bool = True) -> Any:
        """Context manager yielding a :class:`Tx`; commits on success.

        ``write=False`` promises the transaction only reads, which lets
        SQLite skip taking the write lock.
        """

    def close(self) -> None: ...


class _SqliteTx:
    dialect = "sqlite"

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self._conn.execute(sql, tuple(params)).rowcount

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._conn.execute(sql, tuple(params)).fetchall()

    def one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        return self._conn.execute(sql, tuple(params)).fetchone()


def _private_file(path: Path) -> None:
    """Create the database file readable by its owner only (0600; SQLite gives the -wal and
    -shm files the same mode) in a directory we create 0700: the question log is personal data
    even redacted, and the default umask made both world-readable."""
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # another instance may be first
    if not path.exists():
        path.touch(mode=0o600)
        path.chmod(0o600)  # whatever the umask


class SqliteDatabase:
    dialect = "sqlite"

    def __init__(self, path: str, *, busy_timeout_ms: int = 30_000) -> None:
        self.path = path
        self.url = f"sqlite:///{path}"
        self._busy_timeout_ms = busy_timeout_ms
        self._lock = threading.RLock()
        self._conn = self._connect()
        # Called with a fresh connection when the file had to be recreated (bot.store.migrations).
        self.on_recreate: Callable[[], object] | None = None

    def _connect(self) -> sqlite3.Connection:
        path, busy_timeout_ms = self.path, self._busy_timeout_ms
        if path != ":memory:":
            _private_file(Path(path))
        # isolation_level=None: we issue BEGIN/COMMIT ourselves.
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=busy_timeout_ms / 1000)
        self._file = os.stat(path).st_ino if path != ":memory:" else None
        with self._lock:
            self._conn = conn
            conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            if path != ":memory:":
                self._enable_wal(busy_timeout_ms / 1000)
                # NORMAL is durable across application crashes in WAL mode;
                # only a power loss may drop the last transactions.
                conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
        return conn

    def _still_there(self) -> None:
        """A database file deleted (or replaced) under the running bot: questions went to the
        unlinked file and were gone. Open the file anew, create its schema, and say so."""
        if self._file is None:
            return
        try:
            if os.stat(self.path).st_ino == self._file:
                return
        except FileNotFoundError:
            pass
        _LOG.error("SQLite-databasen %s försvann medan boten körde; en ny skapas och loggningen fortsätter",
                   self.path)
        old = self._conn
        self._connect()
        with contextlib.suppress(sqlite3.Error):
            old.close()
        if self.on_recreate is not None:
            self.on_recreate()

    def _enable_wal(self, timeout_s: float) -> None:
        """Switch the file to WAL (a lasting property of the file).

        Changing the journal mode needs an exclusive lock, and SQLite reports
        "database is locked" at once, without its busy handler, when another
        process holds one, e.g. two instances opening a new file together.
        So retry for up to the busy timeout; once the file is in WAL mode,
        later opens see that and skip the change.
        """
        deadline = time.monotonic() + timeout_s
        delay = 0.01
        while True:
            try:
                mode = self._conn.execute("PRAGMA journal_mode").fetchone()[0]
                if mode.lower() != "wal":
                    mode = self._conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if mode.lower() == "wal":
                    return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc):
                    raise
            if time.monotonic() > deadline:
                # Some file systems cannot do WAL; the store still works
                # (rollback journal), only concurrent readers wait longer.
                _LOG.warning("SQLite-databasen %s kunde inte sättas i WAL-läge", self.path)
                return
            time.sleep(delay)
            delay = min(delay * 2, 0.5)

    @contextmanager
    def transaction(self, write: bool = True) -> Iterator[_SqliteTx]:
        with self._lock:
            if write:
                self._still_there()
            self._conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield _SqliteTx(self._conn)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def journal_mode(self) -> str:
        with self._lock:
            return self._conn.execute("PRAGMA journal_mode").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self._conn.close()


class _PostgresTx:
    dialect = "postgresql"

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    @staticmethod
    def _sql(sql: str) -> str:
        # Our SQL never contains a literal '?' or '%'; values travel as params.
        return sql.replace("?", "%s")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self._conn.execute(self._sql(sql), tuple(params)).rowcount

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._conn.execute(self._sql(sql), tuple(params)).fetchall()

    def one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        return self._conn.execute(self._sql(sql), tuple(params)).fetchone()


class PostgresDatabase:
    dialect = "postgresql"

    def __init__(self, url: str, *, min_size: int = 1, max_size: int = 8) -> None:
        from psycopg_pool import ConnectionPool

        self.url = url
        self._pool = ConnectionPool(
            conninfo=url,
            min_size=min_size,
            max_size=max_size,
            open=True,
            check=ConnectionPool.check_connection,
            name="rehabbot-store",
        )
        self._pool.wait(timeout=30)

    @contextmanager
    def transaction(self, write: bool = True) -> Iterator[_PostgresTx]:
        # The pool's connection context commits on success and rolls back on
        # an exception.
        with self._pool.connection() as conn:
            yield _PostgresTx(conn)

    def close(self) -> None:
        self._pool.close()


def connect(url: str, *, pool_size: int = 8) -> SqliteDatabase | PostgresDatabase:
    """Open the database a ``DATABASE_URL`` names.

    ``sqlite:///relative/path``, ``sqlite:////absolute/path`` (as in
    SQLAlchemy: what follows ``sqlite:///`` is the path) or
    ``sqlite:///:memory:``; ``postgresql://…`` or ``postgres://…``.
    """
    if url.startswith("sqlite:///"):
        return SqliteDatabase(url[len("sqlite:///") :])
    if url.startswith(("postgresql://", "postgres://")):
        return PostgresDatabase(url, max_size=pool_size)
    raise ValueError(
        f"DATABASE_URL måste börja med sqlite:/// eller postgresql:// (fick {url.split(':', 1)[0]}:…)"
    )
