"""Keyed pseudonyms for Telegram ids, and sealing for the few ids PTB needs back.

Telegram user and chat ids identify a person, so none is stored in clear:

* Everywhere we only need to *find* rows again (settings, the question log,
  feedback, audit, PTB user/chat data) the id is replaced by
  HMAC-SHA256(key, id). Without the key the hash cannot be linked back to
  an id, not even by trying all ids.
* A ConversationHandler's state is keyed by a tuple of ids, and PTB wants
  those tuples back at start-up (``get_conversations`` returns them; there
  is no lazy lookup). So the tuple is *sealed*: encrypted with AES-256-GCM
  under a key derived from the same secret, next to its HMAC for lookups.

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

Separate keys are derived for hashing and for sealing, so the two uses never
share key material.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import secrets

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bot.store.db import Database

_LOG = logging.getLogger(__name__)

SECRET_ENV = "REHABBOT_SECRET"
_SECRET_ROW = "pseudonym_key"
_AAD = b"rehabbot/ptb-conversation-key"


class Pseudonymizer:
    """Turns ids into stable keyed hashes, and seals/unseals small payloads."""

    def __init__(self, master: bytes) -> None:
        if not master:
            raise ValueError("empty pseudonymisation key")
        self._hash_key = hmac.new(master, b"rehabbot/id-hash/v1", hashlib.sha256).digest()
        self._seal = AESGCM(hmac.new(master, b"rehabbot/seal/v1", hashlib.sha256).digest())

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

    def seal(self, plaintext: bytes) -> str:
        nonce = os.urandom(12)
        sealed = self._seal.encrypt(nonce, plaintext, _AAD)
        return base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def unseal(self, token: str) -> bytes:
        raw = base64.urlsafe_b64decode(token.encode("ascii"))
        return self._seal.decrypt(raw[:12], raw[12:], _AAD)


def load_master_key(db: Database, env: dict[str, str] | None = None) -> bytes:
    """``REHABBOT_SECRET`` if set, else the key in the ``secret`` table (created once)."""
    environ = os.environ if env is None else env
    configured = environ.get(SECRET_ENV, "")
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
