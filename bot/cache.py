"""Files the bot keeps in its cache directory, read back only when the bot wrote them.

Some caches hold executable content: a pickled knowledge-base snapshot, Jinja's compiled
templates (marshalled code). A cache directory is not a place anyone vouches for (a shared
home, a restored backup, another program's files), so each such file is signed: an HMAC-SHA256
over its content with a random key kept beside it (`cache.key`, mode 0600, owned by this user).
A file whose signature does not verify, or a key anyone else can read or write, is never
loaded: the cache is rebuilt (or not used), and the bot works as it would without it.
Writes are atomic (a temporary file renamed over the old one), so a reader sees the old file
or the whole new one, never half of either.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import os
import secrets
import stat
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

MAGIC = b"rehabbot-signed-1\n"
KEY_FILE = "cache.key"
_SIGNATURE = hashlib.sha256().digest_size
_warned: set[Path] = set()  # directories whose untrusted key was reported (once per process)


def cache_dir() -> Path:
    """The user's cache directory (platformdirs; XDG_CACHE_HOME on Linux)."""
    from platformdirs import user_cache_dir
    return Path(user_cache_dir("rehabbot"))


def _trusted(path: Path) -> bool:
    """A regular file of ours that nobody else can read or write."""
    info = path.lstat()
    if not stat.S_ISREG(info.st_mode) or info.st_mode & 0o077:
        return False
    return not hasattr(os, "getuid") or info.st_uid == os.getuid()


def signing_key(directory: Path) -> bytes | None:
    """The directory's key, created on first use; None when it cannot be trusted or made."""
    path = directory / KEY_FILE
    try:
        if not path.exists():
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(prefix=".cache-key-", dir=directory)  # mkstemp: mode 0600
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(secrets.token_bytes(32))
                with contextlib.suppress(FileExistsError):  # another process made it first: theirs
                    os.link(tmp, path)  # atomic and never replaces: two first starts agree on one key
            finally:
                os.unlink(tmp)
        if not _trusted(path):
            if directory not in _warned:
                _warned.add(directory)
                log.warning("not using the cache in %s: %s is readable or writable by others", directory, path)
            return None
        key = path.read_bytes()
    except OSError as exc:
        log.info("not using the cache in %s: %s", directory, exc)
        return None
    return key if len(key) == 32 else None


def _signature(key: bytes, payload: bytes) -> bytes:
    return hmac.new(key, MAGIC + payload, hashlib.sha256).digest()


def write_signed(path: Path, payload: bytes) -> bool:
    """Write `payload` signed and atomically; False (logged) when the cache cannot be written."""
    key = signing_key(path.parent)
    if key is None:
        return False
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(MAGIC + _signature(key, payload))
                f.write(payload)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:  # a full disk, a read-only home: work without the cache
        log.warning("could not write the cache file %s: %s", path, exc)
        return False
    return True


def read_signed(path: Path) -> bytes | None:
    """The payload of a file `write_signed` wrote with this directory's key; None for anything
    else (missing, truncated, altered, written by someone else, or no trusted key)."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    head = len(MAGIC) + _SIGNATURE
    if len(data) < head or not data.startswith(MAGIC):
        return None
    key = signing_key(path.parent)
    if key is None:
        return None
    payload = data[head:]
    if not hmac.compare_digest(data[len(MAGIC):head], _signature(key, payload)):
        log.info("ignoring the cache file %s: its signature does not verify", path)
        return None
    return payload


def prune(directory: Path, pattern: str, keep: int) -> None:
    """Keep the `keep` most recently written files matching `pattern`."""
    try:
        files = sorted(directory.glob(pattern), key=lambda f: f.stat().st_mtime, reverse=True)
        for old in files[keep:]:
            old.unlink(missing_ok=True)
    except OSError:
        pass
