"""From text to weighted index terms, for entries and questions alike.

A text becomes its content stems plus the glossary concepts it mentions. A
question additionally gets its unknown words repaired against the index
vocabulary: inflected forms ("jobbtorget"), compounds ("finsamteamet",
"rehabplanen"), and typos ("finsamtem", "rehabkordinatorn").
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from bot.kb.translations import LANGUAGES
from bot.matching.glossary import PhraseTable
from bot.text.language import ENGLISH, OTHER, detect, identify
from bot.text.normalize import is_stopword, stem, tokens

STOPWORD_WEIGHT = 0.2
# Glossary concepts are the domain's named things (actors, insatser, benefits): what a
# question is about. They count more than an ordinary word of the same rarity.
CONCEPT_WEIGHT = 2.0
# The situation around a question ("sjukskriven sedan tre år, ingen SGI") can tip a close call
# between candidates, but must not dilute the question: it counts this much of a question word,
# and its words the knowledge base never uses are ignored.
CONTEXT_WEIGHT = 0.7
# Endings tried, longest first, when an inflected word is not in the vocabulary.
_ENDINGS = ("ernas", "arnas", "ornas", "erna", "arna", "orna", "ens", "ets", "ar", "er", "or",
            "en", "et", "na", "n", "t", "s", "e", "a")


@dataclass
class Term:
    """One term of a question: the stem looked up, and how much it counts."""

    text: str
    weight: float  # how sure we are that the user meant this term, times its importance
    source: str  # the word as typed (folded)
    how: str = "exact"  # exact | inflection | compound | typo | glossary | unknown
    importance: float = 1.0  # what the term would count if typed exactly (stopwords count little)

    @property
    def is_content(self) -> bool:
        return self.importance >= 1.0

    @property
    def is_concept(self) -> bool:
        return self.how == "glossary"


@dataclass
class Analysis:
    terms: list[Term] = field(default_factory=list)
    content: str = ""  # content stems and concepts, for phrase similarity
    plain: str = ""  # every folded token, for whole-phrase similarity
    concepts: list[str] = field(default_factory=list)
    lang: str = "sv"  # the language the question was stemmed in


def stem_language(text: str, lang: str | None = None) -> str:
    """The stemmer for `text`: the given language, else the one the text is written in."""
    if lang is None:
        lang = identify(text)
        if lang == OTHER:  # which other: its words live apart (bot.text.normalize.stem)
            lang = detect(text) or OTHER
    return lang if lang in ("sv", ENGLISH, *LANGUAGES) else OTHER


def question_language(text: str) -> str | None:
    """The language a person's message is written in, when it is one of the other languages
    the bot serves: the function-word test of `identify` takes "var" (Turkish: "there is") and
    "de" for Swedish, and a Turkish question stemmed as Swedish meets none of its translations'
    words. The knowledge texts are not asked: their language is known or Swedish."""
    found = detect(text)
    return found if found in LANGUAGES else None


def text_terms(text: str, phrases: PhraseTable, lang: str | None = None) -> tuple[list[str], list[str]]:
    """Index side: (stems including stopwords, glossary concepts) of `text`."""
    lang = stem_language(text, lang)
    stems = [stem(t, lang) for t in tokens(text)]
    return stems, [hit.concept for hit in phrases.find(stems)]


def meaning_terms(text: str, phrases: PhraseTable, lang: str | None = None) -> list[str]:
    """The content of a phrase as the matcher sees a question's: glossary phrases become
    their concept, stopwords are dropped. Example questions are compared in these terms."""
    lang = stem_language(text, lang)
    words = tokens(text)
    stems = [stem(t, lang) for t in words]
    hits = phrases.find(stems)
    covered = {i for hit in hits for i in range(hit.start, hit.end)}
    content = [s for i, (s, w) in enumerate(zip(stems, words)) if i not in covered and not is_stopword(w)]
    return content + [hit.concept for hit in hits]


class QueryAnalyzer:
    """Analyses questions against a fixed vocabulary (built once per index)."""

    def __init__(self, vocabulary: set[str], phrases: PhraseTable):
        self.vocabulary = vocabulary
        self.phrases = phrases
        by_length: dict[int, list[str]] = {}
        # Sorted: rapidfuzz keeps the first of equally good typo repairs, and a set's order
        # changes with Python's string hashing from one process to the next.
        for word in sorted(vocabulary):
            if len(word) >= 4 and not word.startswith("~") and ":" not in word:  # not another language's
                by_length.setdefault(len(word), []).append(word)
        self._by_length = by_length

    def analyze(self, question: str, lang: str | None = None, context: str = "") -> Analysis:
        """`lang`: the language to stem in ("sv", "en", anything else: unstemmed); by default
        the one the question is written in. `context`: the situation the message describes
        besides its question, weighed `CONTEXT_WEIGHT` (bot.understanding.segment)."""
        message = question + " " + context
        lang = stem_language(message, lang or question_language(message))
        analysis = self._analyze(question, lang)
        if context:
            for term in self._analyze(context, lang).terms:
                term.weight *= CONTEXT_WEIGHT
                term.importance *= CONTEXT_WEIGHT
                term.how = f"context {term.how}"
                analysis.terms.append(term)
        return analysis

    def _analyze(self, question: str, lang: str) -> Analysis:
        words = tokens(question)
        analysis = Analysis(plain=" ".join(words), lang=lang)
        stems: list[str] = []
        origin: list[tuple[str, float, str]] = []
        for word in words:
            for repaired, score, how in self._repair(word, lang):
                stems.append(repaired)
                origin.append((word, score, how))
        hits = self.phrases.find(stems)
        covered: set[int] = set()
        for hit in hits:
            covered.update(range(hit.start, hit.end))
            score = min(origin[i][1] for i in range(hit.start, hit.end))
            source = " ".join(origin[i][0] for i in range(hit.start, hit.end))
            analysis.terms.append(Term(hit.concept, CONCEPT_WEIGHT * score, source, "glossary", CONCEPT_WEIGHT))
            analysis.concepts.append(hit.concept)
        content = []
        for i, (word_stem, (word, score, how)) in enumerate(zip(stems, origin)):
            if i in covered:
                continue
            importance = STOPWORD_WEIGHT if is_stopword(word) else 1.0
            analysis.terms.append(Term(word_stem, importance * score, word, how, importance))
            if not is_stopword(word):
                content.append(word_stem)
        analysis.content = " ".join(content + analysis.concepts)
        return analysis

    def _repair(self, word: str, lang: str = "sv") -> list[tuple[str, float, str]]:
        """The vocabulary stem(s) a typed word stands for, with a certainty in (0, 1]."""
        base = stem(word, lang)
        if lang != "sv" and base not in self.vocabulary and stem(word) in self.vocabulary:
            base = stem(word)  # a Swedish name inside an English sentence: "Försäkringskassans"
        if base in self.vocabulary or is_stopword(word) or len(word) <= 3 or word.isdigit():
            return [(base, 1.0, "exact" if base in self.vocabulary else "unknown")]
        for ending in _ENDINGS:
            if word.endswith(ending) and len(word) - len(ending) >= 4:
                for candidate in (word[: -len(ending)], stem(word[: -len(ending)])):
                    if candidate in self.vocabulary:
                        return [(candidate, 1.0, "inflection")]
        split = self._compound(word)
        if split:
            return split
        typo = self._typo(base)
        if typo:
            return [typo]
        return [(base, 1.0, "unknown")]

    def _compound(self, word: str) -> list[tuple[str, float, str]] | None:
        """Split a compound into two known parts, preferring the longest head."""
        for cut in range(len(word) - 3, 2, -1):
            head, tail = word[:cut], word[cut:]
            head_known = head if head in self.vocabulary else None
            if head_known is None and head.endswith("s") and head[:-1] in self.vocabulary:
                head_known = head[:-1]  # the Swedish linking s: arbetslivs|inriktad
            if head_known is None:
                continue
            tail_stem = stem(tail)
            for candidate in (tail, tail_stem):
                if candidate in self.vocabulary:
                    return [(head_known, 0.9, "compound"), (candidate, 0.9, "compound")]
            for ending in _ENDINGS:
                if tail.endswith(ending) and len(tail) - len(ending) >= 3 and tail[: -len(ending)] in self.vocabulary:
                    return [(head_known, 0.9, "compound"), (tail[: -len(ending)], 0.9, "compound")]
        return None

    def _typo(self, word: str) -> tuple[str, float, str] | None:
        cutoff = 80 if len(word) >= 6 else 86
        candidates: list[str] = []
        for length in range(len(word) - 2, len(word) + 3):
            candidates.extend(self._by_length.get(length, ()))
        best = process.extractOne(word, candidates, scorer=fuzz.ratio, score_cutoff=cutoff)
        if best is None:
            return None
        return best[0], best[1] / 100, "typo"
