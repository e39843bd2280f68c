"""Fixtures shared by the store tests: real databases and the fake Bot API.

Every store test runs twice, against a SQLite file and against a real
PostgreSQL server (``REHABBOT_TEST_DATABASE_URL``, set up by
``.ci/postgres.sh``). Without that variable the PostgreSQL runs skip locally
and *fail* when ``CI`` is set, so CI can never pass by not testing.

Each PostgreSQL test gets its own schema (via ``search_path`` in the URL):
as isolated as a fresh database, but much faster to create and drop.

The fixtures reach every test through ``pytest_plugins`` in conftest.py;
helpers such as ``dump_database`` are imported by name.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
from fake_bot_api import FakeBotApi

from bot.store import Store, open_store

PG_ENV = "REHABBOT_TEST_DATABASE_URL"
REPO_ROOT = Path(__file__).resolve().parent.parent


# -- databases ---------------------------------------------------------------


# PostgreSQL needs REHABBOT_SECRET (the key is never kept in the database); SQLite makes its key file.
TEST_SECRET = "a-long-secret-for-the-postgresql-test-runs"


def secret_for(url: str) -> str | None:
    return TEST_SECRET if url.startswith("postgres") else None


@pytest.fixture(scope="session")
def pg_url() -> str:
    """The throwaway PostgreSQL database's URL, or skip (locally) / fail (CI)."""
    url = os.environ.get(PG_ENV)
    if not url:
        reason = f"{PG_ENV} is not set: run `eval \"$(bash .ci/postgres.sh)\"` to test PostgreSQL"
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {reason}", pytrace=False)
        pytest.skip(reason)
    return url


def with_search_path(url: str, schema: str) -> str:
    """``url`` with libpq ``options=-csearch_path=schema`` added."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "options"]
    query.append(("options", f"-csearch_path={schema}"))
    return urlunsplit(parts._replace(query=urlencode(query)))


@pytest.fixture
def pg_schema_url(pg_url: str) -> Iterator[str]:
    """A URL whose tables live in a fresh schema, dropped afterwards."""
    import psycopg

    schema = f"test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield with_search_path(pg_url, schema)
    finally:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A DATABASE_URL for an empty database: a SQLite file, then PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store' / 'rehabbot.sqlite3'}"
    return request.getfixturevalue("pg_schema_url")


class Clock:
    """A clock the test moves by hand (Unix seconds)."""

    def __init__(self, now: float = 1_750_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, *, days: float = 0, seconds: float = 0) -> None:
        self.now += days * 86_400 + seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_store(store_url: str) -> Iterator[Callable[..., Store]]:
    """Open stores on ``store_url``; closes them all."""
    opened: list[Store] = []

    def make(**kwargs: Any) -> Store:
        kwargs.setdefault("secret", secret_for(store_url))
        store = open_store(store_url, **kwargs)
        opened.append(store)
        return store

    yield make
    for store in opened:
        with contextlib.suppress(Exception):
            store.close()


def fetch_all(url: str, sql: str) -> list[tuple[Any, ...]]:
    """Rows of one query, read through a freshly opened store (as another instance would)."""
    store = open_store(url, secret=secret_for(url))
    try:
        with store.db.transaction(write=False) as tx:
            return tx.all(sql)
    finally:
        store.close()


def dump_database(url: str) -> dict[str, list[str]]:
    """Every row of every table (ours and the engine's), as text, by table."""
    if url.startswith("sqlite:///"):
        conn = sqlite3.connect(url[len("sqlite:///") :])
        try:
            tables = [
                row[0]
                for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            ]
            return {
                table: [repr(row) for row in conn.execute(f'SELECT * FROM "{table}"')]
                for table in tables
            }
        finally:
            conn.close()
    import psycopg

    with psycopg.connect(url) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = current_schema()"
            )
        ]
        return {
            table: [repr(row) for row in conn.execute(f'SELECT * FROM "{table}"')]
            for table in tables
        }


def raw_sqlite_bytes(url: str) -> bytes:
    """The SQLite database file and its WAL, as bytes (what a stolen disk holds)."""
    path = Path(url[len("sqlite:///") :])
    return b"".join(
        candidate.read_bytes()
        for candidate in (path, Path(f"{path}-wal"))
        if candidate.exists()
    )


# -- a fake Telegram Bot API on 127.0.0.1 --------------------------------------


@pytest.fixture
async def fake_bot_api() -> AsyncIterator[FakeBotApi]:
    """The suite's fake Bot API server (tests/fake_bot_api.py), started for one test."""
    async with FakeBotApi() as api:
        yield api


def log_many(url: str, instance: str, count: int, threads: int, start: Any) -> list[int]:
    """Worker for the concurrency test: one store (its own pool), ``threads`` threads.

    Lives here, at module level, so a spawned process can import it.
    """
    from concurrent.futures import ThreadPoolExecutor

    store = open_store(url, secret=secret_for(url), pool_size=threads)
    try:
        start.wait(timeout=60)

        def one(index: int) -> int:
            return store.log_question(
                channel="telegram",
                mode="staff",
                lang="sv",
                question=f"fråga {instance}-{index}",
                entry_id="sip",
                status="answer",
                confidence=0.9,
                elapsed_ms=1.0,
                user_id=index,
            )

        with ThreadPoolExecutor(max_workers=threads) as pool:
            return list(pool.map(one, range(count)))
    finally:
        store.close()
