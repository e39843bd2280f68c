"""Recognising a situation in free text, to offer the matching pathway.

Pathways are indexed with the same machinery as entries (same normalisation,
glossary and scoring), as stand-in entries made of their title, situation and
example phrasings. Only a confident match offers a pathway.
"""

from __future__ import annotations

import dataclasses

from bot.kb.model import KnowledgeBase
from bot.kb.pathways import Pathway
from bot.kb.schema import Entry, ModeText
from bot.matching import Index, Matcher

# Offering a pathway is a side note to the answer, so it needs a clear match.
OFFER = 0.55


class PathwayFinder:
    def __init__(self, kb: KnowledgeBase):
        self.kb = kb
        stand_ins = tuple(_stand_in(p) for p in kb.pathways)
        self.matcher = Matcher(Index(dataclasses.replace(kb, entries=stand_ins)), decision=False) if stand_ins else None

    def find(self, question: str, mode: str = "staff") -> Pathway | None:
        """The best pathway written for `mode` that fits the question clearly, if any."""
        if self.matcher is None:
            return None
        # Only the pathways that can reach OFFER are scored: most questions are not about a
        # situation, and ranking every question a second time cost a quarter of its CPU.
        ranked, analysis = self.matcher.rank(question, mode, floor=OFFER)
        if not any(t.is_content and t.text in self.matcher.index.postings for t in analysis.terms):
            return None
        # Pathways written for both audiences speak to staff ("klienten …"): an individual is
        # only offered the ones written for them.
        audiences = ("both", "staff") if mode == "staff" else ("individual",)
        for candidate in ranked:
            if candidate.entry.audience in audiences:
                return self.kb.pathway(candidate.entry.id) if candidate.score >= OFFER else None
        return None


def _stand_in(pathway: Pathway) -> Entry:
    situations = [pathway.situation.staff, pathway.situation.individual]
    if pathway.situation_en:
        situations += [pathway.situation_en.staff, pathway.situation_en.individual]
    return Entry(id=pathway.id, kind="faq", title=pathway.title, title_en=pathway.title_en,
                 audience=pathway.audience, answer=ModeText(staff=" ".join(s for s in situations if s)),
                 questions=tuple(dict.fromkeys(pathway.questions)), keywords=pathway.keywords)
