"""Ranking entries for a question and deciding how sure we are.

Score parts, each in [0, 1]:
- coverage: how much of the question's meaning (terms weighted by rarity) the
  entry contains anywhere;
- headline: the same, counting only its title and keywords;
- phrase: the best rapidfuzz similarity between the question and one of the
  entry's example questions or its title.
The confidence is a weighted sum of the parts. The status (answer, suggest,
fallback) is decided on top of the ranking by the calibrated model of
`bot.decision`; the hand-set `Thresholds` remain for plain FAQ entries the
model never saw, and for fitting the model itself.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

import numpy as np
from rapidfuzz import fuzz

from bot.decision.features import features, semantic_features
from bot.decision.model import (
    ANSWER,
    FALLBACK,
    SUGGEST,
    Decision,
    DecisionModel,
    shipped_model,
)
from bot.kb.schema import Entry
from bot.matching.analyze import Analysis, meaning_terms
from bot.matching.index import Index


@dataclass(frozen=True)
class Thresholds:
    # Tuned on the development set, 5-fold held-out example questions of the knowledge base
    # and tests/fixtures/out_of_scope.yaml (the highest out-of-scope confidence seen: 0.37).
    answer: float = 0.46  # at least this confident to answer outright
    suggest: float = 0.30  # below this nothing fits: fallback
    margin: float = 0.02  # best two closer than this (and unrelated): ask which one
    sure: float = 0.65  # above this the margin rule does not apply …
    tie: float = 0.01  # … unless the best two are practically tied
    candidates: int = 20  # lexical candidates that get phrase similarity
    shown: int = 5  # candidates reported
    suggestions: int = 3  # suggestions offered to the user
    # The semantic re-ranker (bot.matching.semantic): the candidates are ordered by
    # `score + semantic_weight · (similarity − best similarity among them)`, chosen on SweFAQ dev
    # (bench/semantic.py) …
    semantic_weight: float = 2.0
    # … and a question with no word the knowledge base knows gets suggestions when its best
    # similarity reaches this (tests/fixtures/multilingual.yaml, in and out of scope: bench/REPORT.md).
    foreign_suggest: float = 0.88


@dataclass(frozen=True)
class Weights:
    coverage: float = 0.40
    headline: float = 0.25
    phrase: float = 0.35
    bare: float = 0.6  # confidence per unit of coverage for an entry with no title and no example question
    audience: float = 0.92  # factor for an entry written for the other audience
    # Factor for an entry written for staff and individuals alike: one written for this reader
    # alone (for a person: their words, their own next steps) wins a close call. 0.94: on
    # eval/realistic.yaml +2 points ranked first, on eval/multilingual.yaml +1.6.
    both: float = 0.94
    meaning: float = 0.8  # share of shared meaning (vs. wording) in the phrase similarity
    # Factor for a task entry ("Vem gör vad?": a task and who does it) when the question asks who:
    # "sip vem kallar" is about who calls, which the task answers and the entry about SIP only mentions.
    # 1.1: +2 points answered right on eval/realistic.yaml, unchanged on the held-out example questions.
    who: float = 1.1
    # Factor for an actor entry the question names when it asks what that actor does ("vad gör
    # soc i rehabiliteringen", "vilken roll har vården"): the role is what the actor entry answers,
    # while "rehabiliteringen" alone pulled entries about the person's own part ahead of it.
    # 1.1: +1 answered right on eval/dev.yaml, the held-out example questions unchanged; 1.2 and
    # 1.35 changed nothing further.
    role: float = 1.1


@dataclass(frozen=True, eq=False)
class TermHits:
    """Which of the question's terms one entry contains, worked out only when read: `--explain`
    shows it and the decision reads it for the best candidate only, while working it out for
    every candidate of every question cost about a third of a lexical question."""

    hits: Sequence[tuple[str, np.ndarray]]  # (term, its sorted posting list), shared by one ranking
    pos: int

    def __call__(self) -> tuple[str, ...]:
        return tuple(t for t, docs in self.hits if _contains(docs, self.pos))

    def __eq__(self, other: object) -> bool:
        """Equal to the same terms, worked out or not: candidates compare as before."""
        if isinstance(other, TermHits):
            return self() == other()
        return isinstance(other, tuple) and self() == other

    def __hash__(self) -> int:
        return hash(self())


@dataclass(frozen=True)
class Candidate:
    entry: Entry
    score: float
    parts: dict[str, float] = field(default_factory=dict)
    terms: tuple[str, ...] | TermHits = ()  # the question's terms the entry contains, or how to find them

    @property
    def matched(self) -> tuple[str, ...]:
        """The question's terms (index stems and concepts) that the entry contains."""
        return self.terms if isinstance(self.terms, tuple) else self.terms()


@dataclass(frozen=True)
class Match:
    status: str
    question: str
    candidates: tuple[Candidate, ...]
    suggestions: tuple[Entry, ...] = ()
    analysis: Analysis | None = None
    features: dict[str, float] = field(default_factory=dict)  # what the decision looked at
    decision: Decision | None = None  # the calibrated model's probabilities (None: hand-set thresholds)

    @property
    def entry(self) -> Entry | None:
        return self.candidates[0].entry if self.status == ANSWER else None

    @property
    def confidence(self) -> float:
        return self.candidates[0].score if self.candidates else 0.0


_WHO = frozenset({"vem", "vilka", "who", "vems"})


def _asks_who(plain: str) -> bool:
    """Whether a question (folded) asks who does something."""
    return any(word in _WHO for word in plain.split())


# "vad gör X", "vilken roll har X", "X:s uppdrag", "what does X do": but not "vad gör jag/vi nu",
# which asks for one's own next step.
_ROLE = re.compile(r"\b(?:vad (?:gor|jobbar|sysslar|hjalper) (?!(?:jag|vi|man|du|ni|hen|han|hon|de|dom|det)\b)"
                   r"|vilken (?:roll|uppgift)|roll(?:en)?\b|uppdrag(?:et)?\b|ansvarar .{0,40}\bfor\b"
                   r"|what (?:does|do) (?!(?:i|we|you)\b)|role\b|responsible for)")


# A concept this common (idf below it: in about a third of the entries or more) names no one actor.
_NAMING_IDF = 0.5


def _asks_role(plain: str) -> bool:
    """Whether a question (folded) asks what an actor does or is responsible for."""
    return _ROLE.search(plain) is not None and not _asks_who(plain)


def _contains(docs: np.ndarray, pos: int) -> bool:
    """Whether the sorted posting list `docs` holds `pos`: a binary search, not a scan."""
    i = int(np.searchsorted(docs, pos))
    return i < len(docs) and int(docs[i]) == pos


class Similarity(Protocol):
    """What the matcher needs of a semantic model (bot.matching.semantic.SemanticReranker)."""

    def similarity(self, text: str, among: Sequence[int] | None = None) -> np.ndarray | None:
        """Per entry (in the index's order), how close in meaning `text` is; None while not ready.
        `among`: only these entry positions are needed."""


def rerank(candidates: Sequence[Candidate], similarity: np.ndarray, positions: dict[str, int],
           weight: float) -> list[Candidate]:
    """The candidates ordered by `score + weight · (similarity − best similarity)`, each with
    `parts["semantic"]`; their scores (the lexical confidence) are unchanged."""
    sims = [float(similarity[positions[c.entry.id]]) for c in candidates]
    top = max(sims, default=0.0)
    marked = [replace(c, parts={**c.parts, "semantic": s}) for c, s in zip(candidates, sims)]
    order = sorted(range(len(marked)), key=lambda i: -(marked[i].score + weight * (sims[i] - top)))
    return [marked[i] for i in order]


class Matcher:
    def __init__(self, index: Index, thresholds: Thresholds | None = None, weights: Weights | None = None,
                 semantic: Similarity | None = None, decision: DecisionModel | bool | None = True):
        """`decision`: the calibrated model (bot.decision); True: the shipped one; None or False:
        the hand-set `thresholds` (used while fitting the model, and when none is shipped)."""
        self.index = index
        self.thresholds = thresholds or Thresholds()
        self.weights = weights or Weights()
        self.decision = shipped_model() if decision is True else (decision or None)
        # With the semantic re-ranker ready, the model fitted on its features too (when shipped).
        self.semantic_decision = shipped_model(semantic=True) if decision is True else None
        # Optional (bot.matching.semantic): re-orders the candidates once its embeddings are ready;
        # until then, or without it, matching is purely lexical.
        self.semantic = semantic
        self._positions = {entry.id: pos for pos, entry in enumerate(index.entries)}
        # Each actor entry's concepts, from its first two titles ("Socialtjänsten …": soc) and its
        # keywords ("vårdcentral" for the healthcare entry): a question asking what that actor does is
        # about the actor entry (Weights.role). A keyword's concept that another actor has too, or
        # one most entries use ("sjukskrivning", low idf), names no actor.
        actors = [pos for pos, entry in enumerate(index.entries) if entry.kind == "actor"]
        titled = {pos: {t for title in index.title_terms[pos][:2] for t in title if t.startswith("~")}
                  for pos in actors}
        keyed = {pos: {t for word in index.entries[pos].keywords for t in meaning_terms(word, index.phrases, "sv")
                       if t.startswith("~") and index.idf.get(t, index.max_idf) >= _NAMING_IDF} for pos in actors}
        self._actors = {pos: titled[pos] | {t for t in keyed[pos] if not any(
            t in titled[other] | keyed[other] for other in actors if other != pos)} for pos in actors}

    def rank(self, question: str, mode: str = "staff", context: str = "",
             floor: float = 0.0) -> tuple[list[Candidate], Analysis]:
        """The lexical candidates, best first, and the question's analysis. `floor`: leave out the
        candidates whose score cannot reach it (the pathway finder offers nothing below its
        own threshold), so that their phrase similarity is never computed."""
        index, weights = self.index, self.weights
        analysis = index.analyzer.analyze(question[:2000], context=context[:2000])
        if not index.size:
            return [], analysis
        bm25 = np.zeros(index.size)
        covered = np.zeros(index.size)
        headline = np.zeros(index.size)
        total = 0.0
        terms: dict[str, float] = {}
        importance: dict[str, float] = {}
        asked = {t.text for t in analysis.terms if not t.how.startswith("context")}
        context_only = {t.text for t in analysis.terms if t.how.startswith("context")} - asked
        for term in analysis.terms:  # one weight per distinct term
            terms[term.text] = max(term.weight, terms.get(term.text, 0.0))
            importance[term.text] = max(term.importance, importance.get(term.text, 0.0))
        for text, weight in terms.items():
            postings = index.postings.get(text)
            if postings is None and (importance[text] < 1.0 or text in context_only):
                continue  # a question word the knowledge base never uses says nothing either way
            idf = index.idf.get(text, index.max_idf)
            # Measured against what the term would count if typed exactly: a repaired typo covers less.
            total += importance[text] * idf
            if postings is None:
                continue
            bm25[postings.docs] += weight * idf * postings.bm25
            covered[postings.docs] += weight * idf
            headline[postings.docs] += weight * idf * postings.headline
        if total <= 0:
            shown = range(min(index.size, self.thresholds.shown))
            return [self._candidate(pos, 0.0, {}, ()) for pos in shown], analysis
        coverage = covered / total
        headline_share = headline / total
        lexical = 0.5 * coverage + 0.5 * (bm25 / max(float(bm25.max()), 1e-9))
        query: dict[str, float] = {}
        for term in analysis.terms:
            if term.is_content:
                query[term.text] = max(query.get(term.text, 0.0), term.weight * index.idf.get(term.text, index.max_idf))
        query_mass = sum(query.values())
        asked_terms = {t.text for t in analysis.terms if t.is_content}
        who = _asks_who(analysis.plain)
        named_actors = ({pos for pos, concepts in self._actors.items() if concepts & asked_terms}
                        if _asks_role(analysis.plain) else set())
        k = min(self.thresholds.candidates, index.size)
        top = np.argpartition(-lexical, k - 1)[:k] if k < index.size else np.arange(index.size)
        missing = sorted(named_actors.difference(map(int, top)))
        if missing:  # an actor named this way is always a candidate
            top = np.concatenate([top, np.array(missing, dtype=top.dtype)])
        hits = [(t, p.docs) for t in terms if (p := index.postings.get(t)) is not None]
        rows = []  # (position, parts, score without phrase similarity and audience, audience factor, reach)
        for pos in map(int, top):
            parts = {"coverage": float(coverage[pos]), "headline": float(headline_share[pos]),
                     "bm25": float(bm25[pos])}
            # How much of the title the question names: mixed into the score at 0.1-0.3 it lost more
            # than it won on the held-out rewritings, so it only informs the decision (bot.decision).
            parts["named"] = self._named(asked_terms, pos)
            audience = index.entries[pos].audience
            factor = 1.0 if audience == mode else weights.both if audience == "both" else weights.audience
            if who and index.entries[pos].kind == "task":
                factor *= weights.who
            elif pos in named_actors:
                factor *= weights.role
            if not index.has_examples[pos]:
                # Nothing to compare the wording with, so headline and phrase say nothing:
                # coverage alone sets the confidence (measured on SweFAQ: see bench/REPORT.md).
                base = weights.bare * parts["coverage"]
                reach = base * factor
            else:
                base = weights.coverage * parts["coverage"] + weights.headline * parts["headline"]
                reach = (base + weights.phrase * float(covered[pos] > 0)) * factor  # a phrase similarity is ≤ 1
            rows.append((pos, parts, base, factor, reach))
        ranked = self._with_phrases(rows, query, query_mass, analysis, covered, hits, floor)
        ranked.sort(key=lambda c: (-c.score, -c.parts.get("bm25", 0.0), c.entry.id))
        return ranked, analysis

    def _with_phrases(self, rows: list[tuple[int, dict[str, float], float, float, float]], query: dict[str, float],
                      query_mass: float, analysis: Analysis, covered: np.ndarray,
                      hits: list[tuple[str, np.ndarray]], floor: float) -> list[Candidate]:
        """The candidates scored with their phrase similarity, leaving out (unscored) the ones
        whose score cannot reach `floor` whatever their phrase similarity (at most 1)."""
        weights, index = self.weights, self.index
        ranked = []
        for pos, parts, base, factor, reach in rows:
            if reach < floor - 1e-4:  # scores are rounded to 4 decimals
                continue
            phrase = self._phrase(query, query_mass, analysis, pos) if covered[pos] > 0 else 0.0
            parts["phrase"] = phrase
            score = ((base + weights.phrase * phrase) if index.has_examples[pos] else base) * factor
            ranked.append(self._candidate(pos, min(max(score, 0.0), 1.0), parts, TermHits(hits, pos)))
        return ranked

    def match(self, question: str, mode: str = "staff", context: str = "") -> Match:
        """Rank, then decide answer / suggest / fallback with the calibrated decision model
        (bot.decision) on the lexical ranking; the semantic re-ranker, when ready, only
        re-orders the candidates (so which entry is answered or offered)."""
        ranked, analysis = self.rank(question, mode, context)
        if context and not self._knows(analysis):
            # "… vad ska jag göra?": the question itself names nothing, so the situation is the question.
            question, context = f"{context} {question}", ""
            ranked, analysis = self.rank(question, mode)
        t = self.thresholds
        if not self._knows(analysis) and ranked:
            return self._foreign(question, ranked, analysis)
        if not ranked:
            return Match(FALLBACK, question, (), (), analysis)
        feats = self.features(ranked, analysis, mode)
        similarity = (self.semantic.similarity(question + " " + context, [self._positions[c.entry.id] for c in ranked])
                      if self.semantic is not None else None)
        model = self.decision
        if similarity is not None:
            feats.update(semantic_features(ranked, similarity, self._positions))
            model = self.semantic_decision or model
        status, decision = self._decide(ranked, feats, model)
        # Word for word a title or example question of the best entry (unique across the
        # knowledge base, `kb check` sees to that): what it answers is known, not guessed.
        exact = ranked[0].entry.id if self._asked_as_written(ranked[0], analysis) else None
        if similarity is not None:  # the order: which entry is answered or offered
            ranked = rerank(ranked, similarity, self._positions, t.semantic_weight)
        if exact is not None:
            status = ANSWER
            ranked.sort(key=lambda c: c.entry.id != exact)  # stable: the rest keep their order
        shown = tuple(ranked[: t.shown])
        offered = tuple(c.entry for c in ranked[: t.suggestions] if c.score > 0) if status == SUGGEST else ()
        return Match(status, question, shown, offered, analysis, feats, decision)

    def _asked_as_written(self, best: Candidate, analysis: Analysis) -> bool:
        return bool(analysis.plain) and any(
            phrase.plain == analysis.plain for phrase in self.index.phrase_texts[self._positions[best.entry.id]])

    def _knows(self, analysis: Analysis) -> bool:
        """Whether the question (not its context) has a content word the knowledge base uses."""
        return any(term.is_content and term.text in self.index.postings for term in analysis.terms)

    def features(self, ranked: list[Candidate], analysis: Analysis, mode: str) -> dict[str, float]:
        same = len(ranked) > 1 and self._same_subject(ranked[0].entry, ranked[1].entry)
        has_examples = self.index.has_examples[self._positions[ranked[0].entry.id]] if ranked else True
        return features(ranked, analysis, mode, same, has_examples, self.index.postings)

    def _decide(self, ranked: list[Candidate], feats: dict[str, float],
                model: DecisionModel | None) -> tuple[str, Decision | None]:
        """The fitted model's decision; the hand-set thresholds when no model is given, or when
        the best entry is a plain FAQ entry with no title and no example question (the
        contract's minimal format, which the model never saw: coverage is all there is)."""
        if model is not None and not feats["bare"]:
            decision = model.decide(feats)
            return decision.status, decision
        t, best = self.thresholds, ranked[0]
        runner_up = ranked[1] if len(ranked) > 1 else None
        lead = feats["lead"] if runner_up is not None else 1.0
        close = ((lead < t.tie or (lead < t.margin and best.score < t.sure))
                 and runner_up is not None and not feats["same_subject"])
        if best.score < t.suggest:
            return FALLBACK, None
        if best.score >= t.answer and not close:
            return ANSWER, None
        return SUGGEST, None

    def _foreign(self, question: str, ranked: list[Candidate], analysis: Analysis) -> Match:
        """No word of the question is known to the knowledge base (another language, or nothing
        we cover): fallback, unless the semantic model finds entries close enough in meaning to
        offer as suggestions (never an answer)."""
        t = self.thresholds
        similarity = self.semantic.similarity(question) if self.semantic is not None else None
        if similarity is None:
            return Match(FALLBACK, question, tuple(ranked[: t.shown]), (), analysis)
        order = np.argsort(-similarity, kind="stable")[: t.shown]
        lexical = {c.entry.id: c for c in ranked}
        found = []
        for pos in order:
            entry, semantic = self.index.entries[int(pos)], float(similarity[pos])
            known = lexical.get(entry.id)
            found.append(Candidate(entry, known.score, {**known.parts, "semantic": semantic}, known.terms)
                         if known else self._candidate(int(pos), 0.0, {"semantic": semantic}, ()))
        candidates = tuple(found)
        if float(similarity[order[0]]) < t.foreign_suggest:
            return Match(FALLBACK, question, candidates, (), analysis)
        return Match(SUGGEST, question, candidates, tuple(c.entry for c in candidates[: t.suggestions]), analysis)

    def _candidate(self, pos: int, score: float, parts: dict[str, float],
                   terms: tuple[str, ...] | TermHits) -> Candidate:
        return Candidate(self.index.entries[pos], round(score, 4), parts, terms)

    def _named(self, asked: set[str], pos: int) -> float:
        """How much of the entry's best-matching title (idf-weighted) the question names:
        "Vad gör samordningsförbundet?" names all of "Samordningsförbundet", little of
        "Insatskatalogen (Samordningsförbundet …)"."""
        best = 0.0
        for title in self.index.title_terms[pos]:
            mass = sum(title.values())
            if mass:
                best = max(best, sum(w for t, w in title.items() if t in asked) / mass)
        return best

    def _phrase(self, query: dict[str, float], query_mass: float, analysis: Analysis, pos: int) -> float:
        """Similarity to the closest example question: mostly shared meaning (an idf-weighted
        Dice coefficient over content terms), a little the wording as typed. The wording (an edit
        distance, the costly part) is compared only with the phrases that can still beat the
        best so far: the result is the same as comparing every one."""
        phrases = self.index.phrase_texts[pos]
        shared: dict[int, float] = {}  # only the phrases sharing a term: most share none
        where = self.index.phrase_terms[pos]
        for term, weight in query.items():  # the order of the sums as phrase by phrase
            for i, idf in where.get(term, ()):
                shared[i] = shared.get(i, 0.0) + min(weight, idf)
        meaning = self.weights.meaning
        dice = {i: 2 * s / (query_mass + phrases[i].mass) if query_mass + phrases[i].mass else 0.0
                for i, s in shared.items()}
        best = 0.0
        for i in sorted(dice, key=dice.__getitem__, reverse=True):
            if meaning * dice[i] + (1 - meaning) <= best:
                return best  # a wording similarity is at most 1: neither this phrase nor the rest can win
            wording = fuzz.ratio(analysis.plain, phrases[i].plain) / 100
            best = max(best, meaning * dice[i] + (1 - meaning) * wording)
        for i, phrase in enumerate(phrases):  # sharing no meaning: the wording alone
            if (1 - meaning) <= best:
                break
            if i not in dice:
                wording = fuzz.ratio(analysis.plain, phrase.plain) / 100
                best = max(best, (1 - meaning) * wording)
        return best

    @staticmethod
    def _same_subject(a: Entry, b: Entry) -> bool:
        """Two entries about the same topic are not a real ambiguity."""
        return bool({a.id, *a.topics} & {b.id, *b.topics})
