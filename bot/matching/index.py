"""The search index, built once per knowledge base.

Each entry becomes a weighted bag of stems and glossary concepts (title and
keywords count most, example questions next, answer texts least), stored as
posting arrays so that scoring a question touches only the entries that share
a term with it. Phrase similarity, the expensive part, is computed later and
only for the few best lexical candidates.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np

from bot.kb.model import KnowledgeBase
from bot.kb.schema import Entry
from bot.kb.translations import LANGUAGES
from bot.matching.analyze import QueryAnalyzer, meaning_terms, text_terms
from bot.matching.glossary import PhraseTable
from bot.text.language import own_words
from bot.text.normalize import is_stopword, plain, stem, tokens

# How much each field counts towards an entry's term frequencies.
FIELD_WEIGHTS = {"title": 3.0, "keywords": 2.5, "questions": 1.5, "text": 1.0}
BM25_K1 = 1.2
BM25_B = 0.75


@dataclass(frozen=True)
class Postings:
    docs: np.ndarray  # entry positions
    bm25: np.ndarray  # the BM25 term score of each of those entries (before idf)
    headline: np.ndarray  # 1.0 where the term is in the entry's title or keywords


class PostingsTable(Mapping[str, Postings]):
    """term → Postings, kept as three arrays over all terms and each term's slice of them.

    One small array per term and field made 40,000 arrays, and unpickling them was a third of
    a cached `rehabbot ask`; three arrays pickle as three buffers. A term's Postings are views."""

    def __init__(self, rows_by_term: dict[str, list[tuple[int, float, float]]]):
        self._where: dict[str, tuple[int, int]] = {}
        start = 0
        for term, rows in rows_by_term.items():
            self._where[term] = (start, start + len(rows))
            start += len(rows)
        rows = [row for term_rows in rows_by_term.values() for row in term_rows]
        self._docs = np.fromiter((r[0] for r in rows), dtype=np.int32, count=len(rows))
        self._bm25 = np.fromiter((r[1] for r in rows), dtype=np.float64, count=len(rows))
        self._headline = np.fromiter((r[2] for r in rows), dtype=np.float64, count=len(rows))

    def __getitem__(self, term: str) -> Postings:
        start, end = self._where[term]
        return Postings(self._docs[start:end], self._bm25[start:end], self._headline[start:end])

    def __contains__(self, term: object) -> bool:
        return term in self._where

    def __iter__(self) -> Iterator[str]:
        return iter(self._where)

    def __len__(self) -> int:
        return len(self._where)


class Index:
    """Lexical index of one knowledge base; immutable after construction."""

    def __init__(self, kb: KnowledgeBase):
        self.kb = kb
        self.entries: tuple[Entry, ...] = kb.entries
        self.phrases = PhraseTable(kb.glossary)
        self.size = len(self.entries)
        freqs: list[dict[str, float]] = []
        headline_terms: list[set[str]] = []
        lengths = np.zeros(max(self.size, 1))
        own_lengths: dict[str, dict[int, float]] = defaultdict(lambda: defaultdict(float))
        base_terms: list[set[str]] = []
        for pos, entry in enumerate(self.entries):
            tf: dict[str, float] = defaultdict(float)  # field weights are fractions
            headline: set[str] = set()
            own: set[str] = set()  # the terms of the Swedish and English texts
            for field, texts in _fields(entry).items():
                weight = FIELD_WEIGHTS[field]
                for text, lang in texts:
                    stems, concepts = text_terms(text, self.phrases, lang)
                    translated = lang in LANGUAGES
                    for term in stems + concepts:
                        tf[term] += weight
                        if translated:
                            # Each translated language's words (and the concepts found in them) are
                            # normalised by that language's text alone: five translations of an entry
                            # must not make its Swedish words count less, nor its concepts commoner.
                            own_lengths[str(lang)][pos] += weight
                        else:
                            lengths[pos] += weight
                            own.add(term)
                    if field in ("title", "keywords"):
                        headline.update(t for t, word in zip(stems, tokens(text)) if not is_stopword(word))
                        headline.update(concepts)
            freqs.append(tf)
            headline_terms.append(headline)
            base_terms.append(own)
        avg = float(lengths.mean()) if self.size else 1.0
        own_avg = {lang: sum(v.values()) / len(v) for lang, v in own_lengths.items()}
        df: Counter = Counter()
        for tf, own in zip(freqs, base_terms):
            df.update(t for t in tf if t in own or _vocabulary(t))
        for tf in freqs:  # a concept found only in translations still has an idf
            df.update(t for t in tf if t not in df)
        self.idf = {t: math.log(1 + (self.size - n + 0.5) / (n + 0.5)) for t, n in df.items()}
        self.max_idf = math.log(1 + (self.size + 0.5) / 0.5)
        collected: dict[str, list[tuple[int, float, float]]] = defaultdict(list)
        for pos, tf in enumerate(freqs):
            norm = BM25_K1 * (1 - BM25_B + BM25_B * lengths[pos] / avg)
            for term, f in tf.items():
                lang = _vocabulary(term)
                n = norm if not lang else BM25_K1 * (1 - BM25_B + BM25_B * own_lengths[lang][pos] / own_avg[lang])
                collected[term].append((pos, f * (BM25_K1 + 1) / (f + n), float(term in headline_terms[pos])))
        self.postings = PostingsTable(collected)
        self.analyzer = QueryAnalyzer(set(self.postings) | self.phrases.vocabulary, self.phrases)
        self.phrase_texts = [self._phrases_of(entry) for entry in self.entries]
        # Per entry, term → (phrase number, idf) of the phrases containing it: the matcher adds up
        # what a question shares with each phrase by looking up the question's few terms.
        self.phrase_terms = [_where(phrases) for phrases in self.phrase_texts]
        # What each title names (content terms with their idf): whether a question names it too.
        self.title_terms = [[{t: self.idf.get(t, self.max_idf) for t in meaning_terms(text, self.phrases, lang)}
                             for text, lang in _titles(entry) if entry.title]
                            for entry in self.entries]
        # A plain FAQ entry (the contract's minimal format) has no title or example question.
        self.has_examples = [bool(entry.title or entry.questions) for entry in self.entries]

    def _phrases_of(self, entry: Entry) -> list[ExamplePhrase]:
        """The entry's title and example questions, each as plain text and idf-weighted terms."""
        out = []
        for text, lang in _titles(entry) + [(q, None) for q in entry.questions] + _translated_questions(entry):
            if text:
                terms = {t: self.idf.get(t, self.max_idf) for t in meaning_terms(text, self.phrases, lang)}
                out.append(ExamplePhrase(plain(text), terms, sum(terms.values())))
        return out


@dataclass(frozen=True)
class ExamplePhrase:
    plain: str
    terms: dict[str, float]  # content term → idf
    mass: float


def _where(phrases: list[ExamplePhrase]) -> dict[str, tuple[tuple[int, float], ...]]:
    where: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for i, phrase in enumerate(phrases):
        for term, idf in phrase.terms.items():
            where[term].append((i, idf))
    return {term: tuple(found) for term, found in where.items()}


Texts = list[tuple[str, "str | None"]]  # (text, its language; None: identify it)


def _titles(entry: Entry) -> Texts:
    titles: Texts = [(entry.display_title, "sv"), (entry.title_individual or "", "sv"),
                     (entry.title_en or "", "en"), (entry.title_individual_en or "", "en")]
    titles += [(own_words(t.title), lang) for lang, t in entry.translations.items()]  # ar, fa …: unstemmed
    return [(t, lang) for t, lang in titles if t]


def _vocabulary(term: str) -> str:
    """The translated language whose own word `term` is ("ar" for "ar:…"), or '' (Swedish, English, concepts)."""
    head, sep, _ = term.partition(":")
    return head if sep and len(head) == 2 else ""


def _translated_questions(entry: Entry) -> Texts:
    """How people ask the entry in the other languages (translations/<lang>.yaml)."""
    return [(own_words(q), lang) for lang, t in entry.translations.items() for q in t.questions]


def _fields(entry: Entry) -> dict[str, Texts]:
    """Each field's texts with the language to stem them in: the English fields as English."""
    texts: Texts = [(entry.answer.staff or "", "sv"), (entry.answer.individual or "", "sv"),
                    (entry.legal_basis or "", "sv")]
    if entry.answer_en:
        texts += [(entry.answer_en.staff or "", "en"), (entry.answer_en.individual or "", "en")]
    texts += [(t, "sv") for t in entry.does_not] + [(t, "en") for t in entry.does_not_en]
    texts += [(own_words(t.answer), lang) for lang, t in entry.translations.items()]
    return {
        "title": _titles(entry),
        "keywords": [(k, None) for k in entry.keywords],
        "questions": [(q, None) for q in entry.questions] + _translated_questions(entry),
        "text": [(t, lang) for t, lang in texts if t],
    }


__all__ = ["FIELD_WEIGHTS", "Index", "Postings", "stem"]
