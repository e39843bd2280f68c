"""A validated knowledge base with its indexes, kept pickled in the cache directory.

Reading, validating and indexing the shipped knowledge base is most of what `rehabbot ask`
spends before it can answer (and grows with the knowledge base); unpickling what the last
start built takes a fraction of it. A snapshot is keyed by the content of every file the
loader reads, the directory, and the code's version (a hash of this package's source, the
Python, numpy and pydantic versions), so any change builds anew. Only signed files are
unpickled (bot.cache): unpickling runs code, so a file the bot did not write is never loaded;
an unreadable or corrupt one is rebuilt.
"""

from __future__ import annotations

import copyreg
import dataclasses
import datetime as dt
import hashlib
import io
import logging
import pickle
import sys
import types
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot import cache
from bot.kb import KnowledgeBase, Problem, read_directory
from bot.matching import Index
from bot.pathways.index import PathwayFinder

log = logging.getLogger(__name__)

FORMAT = "1"  # bump when what a snapshot holds changes shape
KEEP = 8  # snapshots kept (one per knowledge-base version; ~3 MB for the shipped one)


@dataclasses.dataclass(frozen=True)
class Prepared:
    """What `read_directory` returns for a valid knowledge base, and what is built from it."""

    kb: KnowledgeBase
    problems: list[Problem]  # its warnings: `reload` reports them
    index: Index
    pathways: PathwayFinder


@lru_cache(maxsize=1)
def code_version() -> str:
    """Changes with any source file of the bot and the libraries whose objects are pickled."""
    import numpy
    import pydantic
    h = hashlib.sha256(f"{FORMAT}|{sys.version}|{numpy.__version__}|{pydantic.VERSION}".encode())
    package = Path(__file__).resolve().parent
    for source in sorted(package.rglob("*.py")):
        h.update(str(source.relative_to(package)).encode() + b"\0" + source.read_bytes() + b"\0")
    return h.hexdigest()


def content_key(directory: Path) -> str | None:
    """The key of the knowledge in `directory` as the loader reads it (its *.yaml and *.yml, and
    the translations in translations/*.yaml)."""
    try:
        h = hashlib.sha256(f"{code_version()}|{directory.resolve()}".encode())
        files = sorted(directory.glob("*.yaml")) + sorted(directory.glob("*.yml"))
        for file in [*files, *sorted(directory.glob("translations/*.yaml"))]:
            h.update(str(file.relative_to(directory)).encode() + b"\0" + file.read_bytes() + b"\0")
    except OSError:
        return None
    return h.hexdigest()[:32]


def _mapping(items: dict[Any, Any]) -> types.MappingProxyType[Any, Any]:
    return types.MappingProxyType(items)


def _dumps(prepared: Prepared) -> bytes:
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    # The knowledge base's read-only mappings, which pickle cannot take as they are.
    pickler.dispatch_table = copyreg.dispatch_table.copy()
    pickler.dispatch_table[types.MappingProxyType] = lambda m: (_mapping, (dict(m),))
    pickler.dump(prepared)
    return buffer.getvalue()


def _load(path: Path) -> Prepared | None:
    payload = cache.read_signed(path)
    if payload is None:
        return None
    try:
        prepared = pickle.loads(payload)  # signed with this bot's own key (bot.cache)
    except Exception as exc:  # noqa: BLE001 - a snapshot of another code version, damaged: rebuild
        log.info("rebuilding the knowledge-base snapshot %s: %s", path, exc)
        return None
    if not isinstance(prepared, Prepared):
        return None
    # When this process loaded it ("about" shows it), not when the snapshot was written.
    object.__setattr__(prepared.kb, "loaded_at", dt.datetime.now(dt.UTC))
    return prepared


def read_prepared(directory: Path, use_cache: bool = True) -> tuple[Prepared | None, list[Problem]]:
    """`read_directory` and the indexes, from the snapshot when there is one for exactly this
    knowledge and code; otherwise built, and written for the next start. An invalid knowledge
    base is never kept: its problems are found anew each time."""
    key = content_key(directory) if use_cache else None
    path = cache.cache_dir() / f"kb-{key}.pickle" if key else None
    if path is not None:
        prepared = _load(path)
        if prepared is not None:
            return prepared, prepared.problems
    kb, problems = read_directory(directory)
    if kb is None:
        return None, problems
    prepared = Prepared(kb, problems, Index(kb), PathwayFinder(kb))
    # Written only if no file changed while it was read: else it would be kept under the wrong key.
    if path is not None and content_key(directory) == key and cache.write_signed(path, _dumps(prepared)):
        cache.prune(path.parent, "kb-*.pickle", KEEP)
    return prepared, problems
