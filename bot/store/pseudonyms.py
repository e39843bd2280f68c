"""Keyed pseudonyms for Telegram ids.

Telegram user and chat ids identify a person, so none is stored in clear: where
we need to *find* rows again (settings, the question log, feedback, audit, PTB
user/chat data) the id is replaced by HMAC-SHA256(key, id). Without the key the
hash cannot be linked back to an id, not even by trying all ids.

Where the key comes from (decided here, documented in the README):
``REHABBOT_SECRET`` when set (give every instance the same value). Never the
database itself: with the key in a table of the same database, whoever read
the database could reverse every pseudonym by trying ids in order. So on
SQLite a random key is generated once into a file beside the database
(``rehabbot.sqlite3.key``, mode 0600; a key an older version kept in the
``secret`` table moves there at the first start), and PostgreSQL, shared by
instances on several hosts, needs ``REHABBOT_SECRET``: `rehabbot run` refuses
to start without it; statistics and export work without (they need no pseudonym).

Changing the key orphans existing pseudonyms: settings and conversation
state are then not found again (they expire by retention), nothing leaks.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
from pathlib import Path

from bot.store.db import Database

_LOG = logging.getLogger(__name__)

SECRET_ENV = "REHABBOT_SECRET"
_SECRET_ROW = "pseudonym_key"


class MissingSecret(ValueError):
    """A pseudonym was needed, and there is no key (PostgreSQL without REHABBOT_SECRET)."""


class Pseudonymizer:
    """Turns ids into stable keyed hashes."""

    def __init__(self, master: bytes | None) -> None:
        """`master` None: no key (PostgreSQL without REHABBOT_SECRET). Statistics and export still
        work; anything that needs a pseudonym says what is missing."""
        if master is not None and not master:
            raise ValueError("empty pseudonymisation key")
        self._hash_key = hmac.new(master, b"rehabbot/id-hash/v1", hashlib.sha256).digest() if master else None

    @property
    def _key(self) -> bytes:
        if self._hash_key is None:
            raise MissingSecret(f"{SECRET_ENV} saknas: med PostgreSQL hålls nyckeln för pseudonymerna "
                                "utanför databasen (samma värde i alla instanser)")
        return self._hash_key

    def id_hash(self, telegram_id: int) -> str:
        """The pseudonym of a Telegram user or chat id.

        Users and chats share one namespace on purpose: in a private chat the
        chat id equals the user id, so erasing a user also finds that chat.
        """
        return hmac.new(self._key, b"id:%d" % int(telegram_id), hashlib.sha256).hexdigest()

    def text_hash(self, label: str, text: str) -> str:
        """A keyed hash of any other identifying text (e.g. a conversation key)."""
        message = label.encode() + b"\0" + text.encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()


def load_master_key(db: Database, configured: str | None = None) -> bytes | None:
    """``configured`` (``REHABBOT_SECRET``) if set, else, on SQLite, the key file beside the
    database (created once, mode 0600); None on PostgreSQL without a configured key."""
    if configured:
        if len(configured) < 16:
            _LOG.warning("%s är kortare än 16 tecken: använd en lång slumpmässig nyckel", SECRET_ENV)
        return configured.encode("utf-8")
    path = getattr(db, "path", None)
    if db.dialect != "sqlite" or not path or path == ":memory:":
        return None
    key_file = Path(f"{path}.key")
    with db.transaction() as tx:  # one writer at a time: two starting instances agree on one key
        if not key_file.exists():
            row = tx.one("SELECT value FROM secret WHERE name = ?", (_SECRET_ROW,))
            _write_private(key_file, row[0] if row else secrets.token_hex(32))
        tx.execute("DELETE FROM secret WHERE name = ?", (_SECRET_ROW,))  # an older version's copy
    return bytes.fromhex(key_file.read_text(encoding="ascii").strip())


def _write_private(path: Path, text: str) -> None:
    staging = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as stream:
        stream.write(text + "\n")
    os.replace(staging, path)
