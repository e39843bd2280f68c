"""The loaded knowledge base: an immutable snapshot.

A running bot holds one of these and replaces it whole on reload, so a reader
never sees half of an old and half of a new knowledge base.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from bot.kb.pathways import Pathway
from bot.kb.schema import Document, Entry, GlossaryTerm, Source
from bot.text.normalize import as_number


@dataclass(frozen=True)
class KnowledgeBase:
    directory: Path
    entries: tuple[Entry, ...]
    glossary: tuple[GlossaryTerm, ...] = ()
    pathways: tuple[Pathway, ...] = ()
    topics: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    origins: Mapping[str, tuple[str, int]] = field(default_factory=lambda: MappingProxyType({}))
    documents: Mapping[str, Document] = field(default_factory=lambda: MappingProxyType({}))
    version: str = ""
    loaded_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", MappingProxyType({e.id: e for e in self.entries}))

    @property
    def by_id(self) -> Mapping[str, Entry]:
        return self._by_id  # type: ignore[attr-defined]

    def pathway(self, pathway_id: str | None) -> Pathway | None:
        return next((p for p in self.pathways if p.id == pathway_id), None)

    def pathways_for(self, mode: str) -> list[Pathway]:
        """The pathways a user in `mode` is offered, numbered in this order in every channel
        (`/vagledning 2` and `rehabbot guide 2` are the same pathway)."""
        return [p for p in self.pathways if p.audience in ("both", mode)]

    def find_pathway(self, wanted: str, mode: str) -> Pathway | None:
        """The pathway for `mode` a user names by its number in `pathways_for(mode)` or by its id."""
        offered, wanted = self.pathways_for(mode), wanted.strip().lower()
        if (number := as_number(wanted)) is not None:
            return offered[number - 1] if 1 <= number <= len(offered) else None
        return next((p for p in offered if p.id == wanted), None)

    def related(self, entry: Entry, mode: str = "staff") -> list[Entry]:
        """What an entry points on to (its `related`, and for an actor the insatser it provides),
        without the staff-only entries when the reader is an individual."""
        ids = list(entry.related)
        if entry.kind == "actor":
            ids += [e.id for e in self.of_kind("insats") if entry.id in e.responsible]
        found = (self.get(i) for i in dict.fromkeys(ids) if i != entry.id)
        return [e for e in found if e is not None and (mode != "individual" or e.audience != "staff")]

    def get(self, entry_id: str | None) -> Entry | None:
        return self.by_id.get(entry_id) if entry_id else None

    def of_kind(self, kind: str) -> list[Entry]:
        return [e for e in self.entries if e.kind == kind]

    def cite(self, source: Source) -> tuple[str, str | None]:
        """A source as a person reads it: a title (never a file name) and a link if there is one."""
        document = self.documents.get(source.document or "")
        title = source.title or (document.title if document else None)
        if title is None and source.url:
            title = source.url.split("//", 1)[1].removeprefix("www.").rstrip("/")
        title = title or "källdokument"  # a document sources.yaml does not know: never its file name
        if source.section and source.document:
            title = f"{title}, {source.section}"
        return title, source.url or (document.url if document else None)

    def citations(self, sources: tuple[Source, ...]) -> list[tuple[str, str | None]]:
        """The sources as a person reads them, a document's sections under its title once."""
        cited: dict[str, tuple[list[str], str | None]] = {}
        for source in sources:
            title, url = self.cite(source.model_copy(update={"section": None}))
            sections, _ = cited.setdefault(title, ([], url))
            if source.section:
                sections.append(source.section)
        return [(", ".join((title, *sections)), url) for title, (sections, url) in cited.items()]

    def counts(self) -> dict[str, int]:
        return dict(Counter(e.kind for e in self.entries))

    def topics_of(self, entry: Entry) -> list[str]:
        """The contract's `topics`: the entry's id followed by its topics, without repeats."""
        return list(dict.fromkeys((entry.id, *entry.topics)))

    def past_review(self, max_age_days: int, today: dt.date | None = None) -> list[Entry]:
        today = today or dt.date.today()
        return [e for e in self.entries
                if e.reviewed is not None and (today - e.reviewed).days > max_age_days]
