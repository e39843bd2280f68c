"""Glossary phrases: abbreviations and synonyms that mean the same thing.

Admins list "FK", "Försäkringskassan" and "f-kassan" under one term in
`glossary.yaml`; here every form becomes a sequence of stems, and any run of
stems in a text that equals a form is recognised as the term's *concept*. The
concept is an index term of its own, shared by all forms, which is what lets
"FK" in a question find an entry that only ever says "Försäkringskassan".
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.kb.schema import GlossaryTerm
from bot.text.normalize import stem, tokens

CONCEPT_PREFIX = "~"


@dataclass(frozen=True)
class PhraseHit:
    start: int
    end: int  # exclusive
    concept: str


class PhraseTable:
    """Finds glossary forms in a sequence of stems, longest form first."""

    def __init__(self, glossary: tuple[GlossaryTerm, ...]):
        self._forms: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        self.labels: dict[str, str] = {}
        self.vocabulary: set[str] = set()
        for index, term in enumerate(glossary):
            concept = f"{CONCEPT_PREFIX}{index}"
            self.labels[concept] = term.term
            # A form is found in Swedish and in English text alike ("social services"); the other
            # languages' everyday words for the term only in their own vocabulary.
            # A foreign form stands for the concept in that language ("ar:~12"), which texts in the
            # language share and Swedish texts do not.
            variants = {(tuple(stem(t, lang) for t in tokens(form)), concept)
                        for form in term.forms for lang in ("sv", "en")}
            variants |= {(tuple(stem(t, lang) for t in tokens(form)), f"{lang}:{concept}")
                         for lang, form in term.foreign_forms}
            for stems, meaning in variants:
                if stems:
                    self._forms.setdefault(stems[0], []).append((stems, meaning))
                    self.labels[meaning] = term.term
                    self.vocabulary.update(stems)
        for candidates in self._forms.values():
            candidates.sort(key=lambda item: -len(item[0]))

    def find(self, stems: list[str]) -> list[PhraseHit]:
        hits: list[PhraseHit] = []
        i = 0
        while i < len(stems):
            for form, concept in self._forms.get(stems[i], ()):
                if tuple(stems[i:i + len(form)]) == form:
                    hits.append(PhraseHit(i, i + len(form), concept))
                    i += len(form)
                    break
            else:
                i += 1
        return hits
