"""Keyed pseudonyms for Telegram ids.

Telegram user and chat ids identify a person, so none is stored in clear: where
we need to *find* rows again (settings, the question log, feedback, audit, PTB
user/chat data) the id is replaced by HMAC-SHA256(key, id). Without the key the
hash cannot be linked back to an id, not even by trying all ids.

Where the key comes from (decided here, documented in the README of the
store): ``REHABBOT_SECRET`` when set (recommended in production; give every
instance the same value). Otherwise a random key generated once and kept in
the ``secret`` table of the same database. A key file beside the database
would not work for PostgreSQL, where several instances on different hosts
must derive the same hashes, and one mechanism for both engines is easier to
reason about. The ``secret`` table is never read by the statistics or the
export; whoever can read the whole database can reverse the pseudonyms, so
set ``REHABBOT_SECRET`` when database dumps travel further than the bot.

Changing the key orphans existing pseudonyms: settings and conversation
state are then not found again (they expire by retention), nothing leaks.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets

from bot.store.db import Database

_LOG = logging.getLogger(__name__)

SECRET_ENV = "REHABBOT_SECRET"
_SECRET_ROW = "pseudonym_key"


class Pseudonymizer:
    """Turns ids into stable keyed hashes."""

    def __init__(self, master: bytes) -> None:
        if not master:
            raise ValueError("empty pseudonymisation key")
        self._hash_key = hmac.new(master, b"rehabbot/id-hash/v1", hashlib.sha256).digest()

    def id_hash(self, telegram_id: int) -> str:
        """The pseudonym of a Telegram user or chat id.

        Users and chats share one namespace on purpose: in a private chat the
        chat id equals the user id, so erasing a user also finds that chat.
        """
        return hmac.new(self._hash_key, b"id:%d" % int(telegram_id), hashlib.sha256).hexdigest()

    def text_hash(self, label: str, text: str) -> str:
        """A keyed hash of any other identifying text (e.g. a conversation key)."""
        message = label.encode() + b"\0" + text.encode()
        return hmac.new(self._hash_key, message, hashlib.sha256).hexdigest()


def load_master_key(db: Database, configured: str | None = None) -> bytes:
    """``configured`` (``REHABBOT_SECRET``) if set, else the key in the ``secret`` table (created once)."""
    if configured:
        if len(configured) < 16:
            _LOG.warning("%s är kortare än 16 tecken: använd en lång slumpmässig nyckel", SECRET_ENV)
        return configured.encode("utf-8")
    with db.transaction() as tx:
        # Two instances starting together both try to insert; the first wins
        # and both read the same value.
        tx.execute(
            "INSERT INTO secret (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
            (_SECRET_ROW, secrets.token_hex(32)),
        )
        row = tx.one("SELECT value FROM secret WHERE name = ?", (_SECRET_ROW,))
    assert row is not None
    return bytes.fromhex(row[0])
