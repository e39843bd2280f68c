"""What the admins' dashboard keeps in the store: accounts, themes marked done, and every
published version of the knowledge base.

Accounts belong to staff who keep the knowledge, not to the people who ask. A password is
kept only as an argon2 hash (argon2-cffi, the library the OWASP cheat sheet points to);
failed logins lock an account for a time that doubles with each further failure, and the
lock lives in the database, so restarting the server does not reset it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.store.db import Database

ROLES = ("editor", "viewer")
FREE_FAILURES = 5  # wrong passwords before the first lockout
FIRST_LOCK_S = 60.0  # then 1, 2, 4 … minutes
MAX_LOCK_S = 3600.0


class AccountError(ValueError):
    """A name, role or password that cannot be used; the message is the one line to show."""


@dataclass(frozen=True)
class Account:
    name: str
    role: str
    created: float
    locked_until: float = 0.0
    failed: int = 0

    @property
    def can_publish(self) -> bool:
        return self.role == "editor"


@dataclass(frozen=True)
class Login:
    """The outcome of a login: the account, or why not (and until when it is locked)."""

    account: Account | None
    locked_until: float = 0.0


@dataclass(frozen=True)
class Version:
    id: int
    ts: float
    by_name: str
    note: str
    digest: str
    files: Mapping[str, str]


def _hasher() -> Any:
    from argon2 import PasswordHasher
    return PasswordHasher()


def digest_of(files: Mapping[str, str]) -> str:
    """A fingerprint of a whole knowledge directory: the same files, the same digest."""
    h = hashlib.sha256()
    for name in sorted(files):
        h.update(name.encode() + b"\0" + files[name].encode() + b"\0")
    return h.hexdigest()[:16]


class AdminStore:
    """The dashboard's tables over one `Database` (the store's)."""

    def __init__(self, db: Database, clock: Callable[[], float] = time.time):
        self.db, self.clock = db, clock

    # -- accounts -----------------------------------------------------------

    def add(self, name: str, password: str, role: str = "editor") -> Account:
        name = _valid_name(name)
        if role not in ROLES:
            raise AccountError(f"okänd roll {role!r}: välj editor eller viewer")
        hashed = _hasher().hash(_valid_password(password))
        with self.db.transaction() as tx:
            if tx.one("SELECT 1 FROM admin_account WHERE name = ?", (name,)):
                raise AccountError(f"kontot {name} finns redan (byt lösenord med rehabbot admin passwd {name})")
            tx.execute("INSERT INTO admin_account (name, role, password_hash, created) VALUES (?, ?, ?, ?)",
                       (name, role, hashed, self.clock()))
        return Account(name, role, self.clock())

    def passwd(self, name: str, password: str) -> None:
        hashed = _hasher().hash(_valid_password(password))
        with self.db.transaction() as tx:
            if not tx.execute("UPDATE admin_account SET password_hash = ?, failed = 0, locked_until = 0 "
                              "WHERE name = ?", (hashed, name)):
                raise AccountError(f"inget konto heter {name}")

    def remove(self, name: str) -> None:
        with self.db.transaction() as tx:
            if not tx.execute("DELETE FROM admin_account WHERE name = ?", (name,)):
                raise AccountError(f"inget konto heter {name}")

    def accounts(self) -> list[Account]:
        with self.db.transaction(write=False) as tx:
            rows = tx.all("SELECT name, role, created, locked_until, failed FROM admin_account ORDER BY name")
        return [Account(n, r, float(c), float(lu), int(f)) for n, r, c, lu, f in rows]

    def get(self, name: str) -> Account | None:
        return next((a for a in self.accounts() if a.name == name), None)

    def login(self, name: str, password: str) -> Login:
        """Check a password; count a failure, and lock after `FREE_FAILURES` of them."""
        from argon2.exceptions import InvalidHashError, VerificationError
        now = self.clock()
        with self.db.transaction(write=False) as tx:
            row = tx.one("SELECT role, password_hash, created, failed, locked_until FROM admin_account "
                         "WHERE name = ?", (name,))
        hasher = _hasher()
        if row is None:
            # The same work as for a real account, so the time taken does not tell which names exist.
            with contextlib.suppress(VerificationError):
                hasher.verify(_DUMMY_HASH, password)
            return Login(None)
        role, hashed, created, failed, locked_until = row
        if float(locked_until) > now:
            return Login(None, float(locked_until))
        try:
            hasher.verify(hashed, password)
        except (VerificationError, InvalidHashError):
            failed = int(failed) + 1
            lock = 0.0
            if failed >= FREE_FAILURES:
                lock = now + min(FIRST_LOCK_S * 2 ** (failed - FREE_FAILURES), MAX_LOCK_S)
            with self.db.transaction() as tx:
                tx.execute("UPDATE admin_account SET failed = ?, locked_until = ? WHERE name = ?",
                           (failed, lock, name))
            return Login(None, lock)
        with self.db.transaction() as tx:
            tx.execute("UPDATE admin_account SET failed = 0, locked_until = 0 WHERE name = ?", (name,))
            if hasher.check_needs_rehash(hashed):
                tx.execute("UPDATE admin_account SET password_hash = ? WHERE name = ?",
                           (hasher.hash(password), name))
        return Login(Account(name, role, float(created)))

    # -- themes of unanswered questions ---------------------------------------

    def mark_theme(self, signature: str, status: str, by_name: str) -> None:
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM theme_mark WHERE signature = ?", (signature,))
            if status:
                tx.execute("INSERT INTO theme_mark (signature, status, by_name, ts) VALUES (?, ?, ?, ?)",
                           (signature, status, by_name, self.clock()))

    def theme_marks(self) -> dict[str, str]:
        with self.db.transaction(write=False) as tx:
            return dict(tx.all("SELECT signature, status FROM theme_mark"))

    # -- knowledge-base versions ---------------------------------------------

    def add_version(self, files: Mapping[str, str], by_name: str, note: str = "") -> Version:
        digest = digest_of(files)
        with self.db.transaction() as tx:
            row = tx.one("INSERT INTO kb_version (ts, by_name, note, digest, files) VALUES (?, ?, ?, ?, ?) "
                         "RETURNING id", (self.clock(), by_name, note, digest,
                                          json.dumps(dict(files), ensure_ascii=False)))
        assert row is not None
        return Version(int(row[0]), self.clock(), by_name, note, digest, dict(files))

    def versions(self, limit: int = 50) -> list[Version]:
        """The newest versions first, without their files (see `version`)."""
        with self.db.transaction(write=False) as tx:
            rows = tx.all("SELECT id, ts, by_name, note, digest FROM kb_version ORDER BY id DESC LIMIT ?", (limit,))
        return [Version(int(i), float(ts), by, note, digest, {}) for i, ts, by, note, digest in rows]

    def version(self, version_id: int) -> Version | None:
        with self.db.transaction(write=False) as tx:
            row = tx.one("SELECT id, ts, by_name, note, digest, files FROM kb_version WHERE id = ?", (version_id,))
        if row is None:
            return None
        i, ts, by, note, digest, files = row
        return Version(int(i), float(ts), by, note, digest, json.loads(files))

    def latest_version(self) -> Version | None:
        with self.db.transaction(write=False) as tx:
            row = tx.one("SELECT MAX(id) FROM kb_version")
        return self.version(int(row[0])) if row and row[0] is not None else None


def _valid_name(name: str) -> str:
    name = name.strip()
    if not (1 <= len(name) <= 64) or not all(c.isalnum() or c in "._-@" for c in name):
        raise AccountError(f"kontonamnet {name!r} går inte: använd 1–64 bokstäver, siffror och . _ - @")
    return name


def _valid_password(password: str) -> str:
    if len(password) < 12:
        raise AccountError("lösenordet är för kort: minst 12 tecken")
    if len(password) > 1024:
        raise AccountError("lösenordet är för långt: högst 1024 tecken")
    return password


# A hash of a random password, verified when the name is unknown (never matches anything typed).
_DUMMY_HASH = "$argon2id$v=19$m=65536,t=3,p=4$EOJ2l9DKCeYDiHkVSBLqAQ$KVBJGoe3JnRBJTzWa9viYqTf50vpSx4Un6OxPJrOltI"
