"""The store against real databases: SQLite files and a PostgreSQL server.

Every test taking ``make_store`` or ``store_url`` runs once per engine.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from store_fixtures import Clock, dump_database, secret_for

from bot.settings import Settings, SettingsError
from bot.store import open_store
from bot.store.db import connect
from bot.store.migrations import MIGRATIONS, SchemaTooNew, Step, latest_version, migrate


def _log(store, question="Vad gör Försäkringskassan?", **overrides):
    values = {
        "channel": "telegram",
        "mode": "staff",
        "lang": "sv",
        "question": question,
        "entry_id": "fk",
        "status": "answer",
        "confidence": 0.91,
        "elapsed_ms": 12.5,
    }
    values.update(overrides)
    return store.log_question(**values)


def _count(store, table: str) -> int:
    with store.db.transaction(write=False) as tx:
        return tx.one(f"SELECT COUNT(*) FROM {table}")[0]


# -- question log ---------------------------------------------------------------


def test_log_question_stores_the_redacted_row_and_returns_its_id(make_store) -> None:
    store = make_store()
    first = _log(store, "Mitt pnr är 811218-9876, vem betalar?", user_id=77)
    second = _log(store, "Och sjukresor?", status="fallback", entry_id=None, confidence=0.2)
    assert second > first
    with store.db.transaction(write=False) as tx:
        rows = tx.all(
            "SELECT id, channel, mode, lang, question, entry_id, status, confidence, elapsed_ms, "
            "user_hash FROM question_log ORDER BY id"
        )
    assert rows[0][:9] == (
        first, "telegram", "staff", "sv", "Mitt pnr är [personnummer], vem betalar?", "fk", "answer", 0.91, 12.5,
    )
    assert rows[0][9] == store.user_hash(77) and rows[0][9] != "77"
    assert rows[1][0] == second and rows[1][4:7] == ("Och sjukresor?", None, "fallback")
    assert rows[1][9] is None


@pytest.mark.parametrize(
    ("field", "value"), [("channel", "sms"), ("status", "maybe")]
)
def test_log_question_rejects_unknown_channel_and_status(make_store, field, value) -> None:
    store = make_store()
    with pytest.raises(ValueError):
        _log(store, **{field: value})
    assert _count(store, "question_log") == 0


# -- feedback -------------------------------------------------------------------


def test_feedback_one_vote_per_user_and_row_later_vote_replaces(make_store) -> None:
    store = make_store()
    log_id = _log(store)
    assert store.add_feedback(log_id, 1, 1)
    assert store.add_feedback(log_id, 2, 1)
    assert store.add_feedback(log_id, 1, -1)  # user 1 changes their mind
    with store.db.transaction(write=False) as tx:
        votes = sorted(tx.all("SELECT user_hash, value FROM feedback WHERE log_id = ?", (log_id,)))
    assert sorted(votes) == sorted([(store.user_hash(1), -1), (store.user_hash(2), 1)])


def test_feedback_on_a_missing_row_is_ignored_and_bad_values_refused(make_store) -> None:
    store = make_store()
    assert store.add_feedback(999_999, 1, 1) is False
    log_id = _log(store)
    with pytest.raises(ValueError):
        store.add_feedback(log_id, 1, 2)
    assert _count(store, "feedback") == 0


# -- settings ---------------------------------------------------------------------


def test_settings_partial_updates_and_unknown_keys(make_store) -> None:
    store = make_store()
    assert store.get_settings(5) == {}
    store.set_settings(5, mode="individual")
    assert store.get_settings(5) == {"mode": "individual"}
    store.set_settings(5, lang="en")
    assert store.get_settings(5) == {"mode": "individual", "lang": "en"}
    store.set_settings(5, mode="staff", lang=None)  # None leaves lang alone
    assert store.get_settings(5) == {"mode": "staff", "lang": "en"}
    assert store.get_settings(6) == {}
    with pytest.raises(ValueError):
        store.set_settings(5, colour="blue")


def test_restart_keeps_mode_and_language(make_store) -> None:
    first = make_store()
    first.set_settings(4242, mode="individual", lang="en")
    first.close()
    second = make_store()
    assert second.get_settings(4242) == {"mode": "individual", "lang": "en"}


def test_two_instances_see_each_others_settings_at_once(make_store) -> None:
    a, b = make_store(), make_store()
    a.set_settings(9, mode="individual")
    b.set_settings(9, lang="en")
    assert a.get_settings(9) == b.get_settings(9) == {"mode": "individual", "lang": "en"}


# -- pseudonyms -----------------------------------------------------------------


def test_user_ids_are_stored_only_as_keyed_hashes(make_store, store_url) -> None:
    store = make_store()
    user_id = 5550123987
    store.set_settings(user_id, mode="staff")
    _log(store, user_id=user_id)
    store.add_feedback(_log(store), user_id, 1)
    store.audit("reload", user_id, "refused", "inte admin")
    text = repr(dump_database(store_url))
    assert str(user_id) not in text
    assert store.user_hash(user_id) in text
    assert len(store.user_hash(user_id)) == 64


def test_generated_key_is_kept_so_hashes_survive_a_restart(make_store) -> None:
    first_hash = make_store().user_hash(31337)
    assert make_store().user_hash(31337) == first_hash
    assert make_store().user_hash(31338) != first_hash


def test_rehabbot_secret_decides_the_hashes(make_store) -> None:
    generated = make_store().user_hash(31337)
    a = make_store(secret="a-long-secret-shared-by-all-instances")
    b = make_store(secret="a-long-secret-shared-by-all-instances")
    other = make_store(secret="another-long-secret-for-another-deployment")
    assert a.user_hash(31337) == b.user_hash(31337)
    assert a.user_hash(31337) not in (generated, other.user_hash(31337))


# -- audit --------------------------------------------------------------------------


def test_audit_rows_are_recorded_with_redacted_detail(make_store) -> None:
    store = make_store()
    first = store.audit("reload", 1, "ok", "12 poster")
    second = store.audit("upload", None, "refused", "fil från 070-123 45 67")
    assert second > first
    with store.db.transaction(write=False) as tx:
        rows = tx.all("SELECT action, user_hash, result, detail FROM audit ORDER BY id")
    assert rows == [
        ("reload", store.user_hash(1), "ok", "12 poster"),
        ("upload", None, "refused", "fil från [telefon]"),
    ]


# -- retention ------------------------------------------------------------------------


def test_purge_deletes_rows_older_than_the_retention(make_store, clock: Clock) -> None:
    store = make_store(clock=clock, retention_days=30)
    old = _log(store, user_id=1)
    store.add_feedback(old, 2, 1)
    store.audit("reload", 1, "ok")
    store.set_settings(1, mode="staff")
    clock.advance(days=20)
    recent = _log(store)
    store.add_feedback(recent, 2, -1)
    store.set_settings(2, lang="en")
    clock.advance(days=11)  # the first rows are now 31 days old

    deleted = store.purge()

    assert deleted == 4  # question, its feedback, audit row, user 1's settings
    with store.db.transaction(write=False) as tx:
        assert tx.all("SELECT id FROM question_log") == [(recent,)]
        assert tx.all("SELECT log_id FROM feedback") == [(recent,)]
    assert _count(store, "audit") == 0
    assert store.get_settings(1) == {}
    assert store.get_settings(2) == {"lang": "en"}
    assert store.purge() == 0


def test_purge_runs_by_itself_on_open_and_then_daily(store_url, clock: Clock) -> None:
    store = open_store(store_url, secret=secret_for(store_url), retention_days=7, clock=clock)
    assert store.retention_days == 7
    _log(store)
    store.close()

    clock.advance(days=8)
    store = open_store(store_url, secret=secret_for(store_url), retention_days=7, clock=clock)
    assert _count(store, "question_log") == 0  # purged on open

    _log(store)
    clock.advance(days=7, seconds=60)
    _log(store)  # a day since the last purge: this call purges first
    assert _count(store, "question_log") == 1
    store.close()


def test_settings_in_use_are_not_purged(make_store, clock: Clock) -> None:
    store = make_store(clock=clock, retention_days=30)
    store.set_settings(1, mode="individual")
    for _ in range(5):  # read every 10 days: retention counts from the last use
        clock.advance(days=10)
        assert store.get_settings(1) == {"mode": "individual"}
    store.purge()
    assert store.get_settings(1) == {"mode": "individual"}


@pytest.mark.parametrize("days", [0, -3])
def test_a_retention_below_one_day_is_refused(store_url, days) -> None:
    with pytest.raises(ValueError, match="retention_days"):
        open_store(store_url, secret=secret_for(store_url), retention_days=days)


# -- erasure -----------------------------------------------------------------------


def test_forget_deletes_everything_about_one_person_only(make_store) -> None:
    store = make_store()
    anna, bo = 1001, 1002
    for user in (anna, bo):
        store.set_settings(user, mode="individual", lang="sv")
        _log(store, f"fråga från {user}", user_id=user)
        store.audit("upload", user, "refused")
    anna_question = _log(store, "annas fråga", user_id=anna)
    store.add_feedback(anna_question, bo, 1)  # Bo's vote on Anna's question goes with it
    bos_question = _log(store, "bos fråga", user_id=bo)
    store.add_feedback(bos_question, anna, -1)  # Anna's vote on Bo's question goes too
    anonymous = _log(store, "anonym konsolfråga", channel="console")

    deleted = store.forget(anna)

    # settings, 2 questions, 1 audit, Bo's vote on Anna's question, Anna's vote
    assert deleted == 6
    assert store.get_settings(anna) == {}
    assert store.get_settings(bo) == {"mode": "individual", "lang": "sv"}
    with store.db.transaction(write=False) as tx:
        hashes = {row[0] for row in tx.all("SELECT user_hash FROM question_log")}
        assert hashes == {store.user_hash(bo), None}
        assert tx.all("SELECT id FROM question_log WHERE id = ?", (anonymous,)) == [(anonymous,)]
        assert tx.all("SELECT user_hash FROM audit") == [(store.user_hash(bo),)]
        assert tx.all("SELECT COUNT(*) FROM feedback") == [(0,)]
    assert store.forget(anna) == 0


# -- schema and migrations ----------------------------------------------------------


def test_migrations_are_idempotent_on_reopen(make_store, store_url) -> None:
    store = make_store()
    _log(store)
    store.set_settings(3, mode="staff")
    store.close()
    for _ in range(2):
        again = make_store()
        assert migrate(again.db) == []
        with again.db.transaction(write=False) as tx:
            versions = tx.all("SELECT version FROM schema_version ORDER BY version")
        assert versions == [(step.version,) for step in MIGRATIONS]
        assert _count(again, "question_log") == 1
        assert again.get_settings(3) == {"mode": "staff"}
        again.close()


def test_a_new_migration_step_is_applied_once_in_order(store_url) -> None:
    db = connect(store_url)
    try:
        assert migrate(db) == [step.version for step in MIGRATIONS]
        extra = Step(
            latest_version() + 1,
            "test: a column added later",
            ("ALTER TABLE question_log ADD COLUMN test_extra TEXT",),
        )
        assert migrate(db, (*MIGRATIONS, extra)) == [extra.version]
        assert migrate(db, (*MIGRATIONS, extra)) == []
        with db.transaction() as tx:
            tx.execute(
                "INSERT INTO question_log (ts, channel, question, status, test_extra) "
                "VALUES (1, 'console', 'q', 'answer', 'x')"
            )
        # Code that knows fewer steps than the database refuses to touch it.
        with pytest.raises(SchemaTooNew):
            migrate(db)
    finally:
        db.close()


def test_concurrent_opens_migrate_once(store_url) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=4) as pool:
        stores = list(pool.map(lambda _: open_store(store_url, secret=secret_for(store_url)), range(4)))
    try:
        with stores[0].db.transaction(write=False) as tx:
            assert tx.all("SELECT COUNT(*) FROM schema_version") == [(len(MIGRATIONS),)]
            assert tx.all("SELECT COUNT(*) FROM secret") == [(0,)]  # the key is never in the database
        assert len({store.user_hash(1) for store in stores}) == 1  # one shared key
    finally:
        for store in stores:
            store.close()


# -- SQLite specifics -----------------------------------------------------------------


def test_sqlite_uses_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "wal.sqlite3"
    store = open_store(f"sqlite:///{path}")
    try:
        assert store.db.journal_mode() == "wal"
        _log(store)
        # WAL is a property of the file: a separate connection sees it too.
        other = sqlite3.connect(path)
        try:
            assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert other.execute("SELECT COUNT(*) FROM question_log").fetchone()[0] == 1
        finally:
            other.close()
    finally:
        store.close()


def test_default_database_is_created_in_the_user_data_directory(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    store = open_store()
    try:
        expected = tmp_path / "data" / "rehabbot" / "rehabbot.sqlite3"
        assert store.db.url == f"sqlite:///{expected}"
        _log(store)
        assert expected.is_file()
    finally:
        store.close()


def test_database_url_from_the_settings_is_used(tmp_path: Path) -> None:
    path = tmp_path / "from-env.sqlite3"
    settings = Settings.from_env({"DATABASE_URL": f"sqlite:///{path}"})
    store = open_store(settings.database_url)
    store.close()
    assert path.is_file()


def test_unknown_database_scheme_is_refused() -> None:
    with pytest.raises(ValueError, match="DATABASE_URL"):
        open_store("mysql://user:secret@host/db")


def test_a_new_sqlite_database_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    import os
    import stat
    old = os.umask(0o022)  # the usual default: files 0644, directories 0755
    try:
        store = open_store(f"sqlite:///{tmp_path / 'data' / 'rehabbot.sqlite3'}")
        store.log_question(channel="console", mode="staff", lang="sv", question="vem kallar till sip",
                           entry_id="sip", status="answer", confidence=0.9, elapsed_ms=1.0)
        store.close()
    finally:
        os.umask(old)
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "data").iterdir()}
    assert modes["rehabbot.sqlite3"] == 0o600 and all(m & 0o077 == 0 for m in modes.values()), modes
    assert stat.S_IMODE((tmp_path / "data").stat().st_mode) == 0o700



def test_the_pseudonym_key_is_kept_outside_the_database(tmp_path: Path) -> None:
    # With the key in a table of the same database, whoever read the database reversed every
    # pseudonym by trying ids in order. On SQLite the key is a file beside it, mode 0600.
    import stat
    path = tmp_path / "rehabbot.sqlite3"
    store = open_store(f"sqlite:///{path}")
    hashed = store.user_hash(5550123987)
    store.close()
    key = tmp_path / "rehabbot.sqlite3.key"
    assert key.is_file() and stat.S_IMODE(key.stat().st_mode) == 0o600
    assert key.read_text().strip() not in path.read_bytes().decode("latin-1")
    again = open_store(f"sqlite:///{path}")
    assert again.user_hash(5550123987) == hashed  # the same key at the next start
    again.close()


def test_a_key_an_older_version_kept_in_the_database_moves_to_the_file(tmp_path: Path) -> None:
    path = tmp_path / "rehabbot.sqlite3"
    store = open_store(f"sqlite:///{path}")
    with store.db.transaction() as tx:  # as an older version left it: the key in the table, no file
        tx.execute("INSERT INTO secret (name, value) VALUES (?, ?)", ("pseudonym_key", "ab" * 32))
    store.close()
    (tmp_path / "rehabbot.sqlite3.key").unlink()
    moved = open_store(f"sqlite:///{path}")
    try:
        assert moved.user_hash(1) == open_store(f"sqlite:///{path}", secret=None).user_hash(1)
        assert (tmp_path / "rehabbot.sqlite3.key").read_text().strip() == "ab" * 32  # pseudonyms stay valid
        with moved.db.transaction(write=False) as tx:
            assert tx.all("SELECT COUNT(*) FROM secret") == [(0,)]
    finally:
        moved.close()


def test_a_bot_on_postgresql_without_a_secret_is_refused_at_start(tmp_path: Path) -> None:
    from conftest import run_cli
    with pytest.raises(SettingsError, match="REHABBOT_SECRET saknas"):
        Settings.from_env({"DATABASE_URL": "postgresql://bot@db/rehabbot"}).check_for_service()
    Settings.from_env({"DATABASE_URL": "postgresql://bot@db/rehabbot", "REHABBOT_SECRET": "s" * 32}).check_for_service()
    Settings.from_env({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"}).check_for_service()
    result = run_cli("run", env={"TELEGRAM_BOT_TOKEN": "123:abc", "DATABASE_URL": "postgresql://bot@127.0.0.1:9/x"})
    assert result.returncode == 2 and result.stderr.strip().splitlines() == [
        ("rehabbot run: REHABBOT_SECRET saknas: med PostgreSQL ska nyckeln för pseudonymerna hållas utanför "
        "databasen (samma värde i alla instanser)")]


def test_statistics_work_on_postgresql_without_a_secret_and_erasure_says_what_is_missing(pg_schema_url) -> None:
    from bot.store.pseudonyms import MissingSecret
    store = open_store(pg_schema_url)  # no secret (on SQLite the key file is the key)
    try:
        store.log_question(channel="console", mode="staff", lang="sv", question="vem kallar till sip",
                           entry_id="sip", status="answer", confidence=0.9, elapsed_ms=1.0)
        assert store.stats().questions == 1
        with pytest.raises(MissingSecret, match="REHABBOT_SECRET saknas"):
            store.forget(12345)
    finally:
        store.close()


def test_a_database_file_deleted_under_the_running_bot_is_made_anew(tmp_path: Path, caplog) -> None:
    # The questions once went on into the unlinked file, and were gone.
    path = tmp_path / "rehabbot.sqlite3"
    store = open_store(f"sqlite:///{path}")
    try:
        store.log_question(channel="console", mode="staff", lang="sv", question="vem kallar till sip",
                           entry_id="sip", status="answer", confidence=0.9, elapsed_ms=1.0)
        for name in ("rehabbot.sqlite3", "rehabbot.sqlite3-wal", "rehabbot.sqlite3-shm"):
            (tmp_path / name).unlink(missing_ok=True)
        store.log_question(channel="console", mode="staff", lang="sv", question="vad gör fk",
                           entry_id=None, status="fallback", confidence=0.1, elapsed_ms=1.0)
        assert path.exists() and store.stats().questions == 1  # the new file has the new question
    finally:
        store.close()
    assert "försvann medan boten körde" in caplog.text
    reopened = open_store(f"sqlite:///{path}")
    assert reopened.stats().questions == 1
    reopened.close()
