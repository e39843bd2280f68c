"""The designs we compare against, behind one small interface.

Every system ranks the entries of one `KnowledgeBase` for a question:
`rank(question, k)` gives the best k distinct entries with their scores, best
first, and `best(question)` is the single call that the speed part times (the
one a bot built on that design would make per question).

- `Ours`: the project's answering core, through `Rehabbot.ask` as users reach it.
- `RapidfuzzBaseline`: the naive design, `process.extractOne` with `WRatio`
  over every entry's title and example questions.
- `BM25Baseline`: BM25 (`bm25s`, its default Lucene variant) over each entry's
  text, keywords, titles and questions, tokenised with our own folding,
  stopwords and Snowball stemming (`bot.text.normalize`).

The baselines answer when their best score reaches a cut-off, tuned on the
evaluation set (see `tune_cutoff`), and refuse otherwise.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from rapidfuzz import fuzz, process, utils

from bot.kb.model import KnowledgeBase
from bot.kb.schema import Entry
from bot.service import Rehabbot
from bot.text.normalize import is_stopword, stem, tokens


class System(Protocol):
    name: str

    def rank(self, question: str, k: int = 5, mode: str = "staff") -> list[tuple[Entry, float]]: ...

    def best(self, question: str, mode: str = "staff") -> object: ...


class Ours:
    """Our matcher, through the same call as the console and Telegram."""

    name = "ours"

    def __init__(self, bot: Rehabbot):
        self.bot = bot

    def rank(self, question: str, k: int = 5, mode: str = "staff") -> list[tuple[Entry, float]]:
        reply = self.bot.ask(question, mode)
        return [(c.entry, c.score) for c in reply.match.candidates[:k]]

    def best(self, question: str, mode: str = "staff") -> object:
        return self.bot.ask(question, mode)


def _own_title(entry: Entry) -> list[str]:
    """Titles that say something: a title that is only the defaulted id does not."""
    return [t for t in (entry.title, entry.title_en) if t]


class RapidfuzzBaseline:
    """`process.extractOne(question, titles_and_questions, scorer=WRatio)`.

    The strings are preprocessed once (rapidfuzz's `default_process`: lower case,
    punctuation to spaces), so a question costs one pass of WRatio over them.
    An entry with neither a title of its own nor an example question (a bare FAQ
    answer) is represented by its answer text when `answer_fallback` is set;
    without it such an entry is only its id, which is what the naive design
    literally sees.
    """

    name = "rapidfuzz"

    def __init__(self, kb: KnowledgeBase, answer_fallback: bool = True):
        self.entries = kb.entries
        self.owner: list[int] = []
        choices: list[str] = []
        for pos, entry in enumerate(kb.entries):
            texts = _own_title(entry) + list(entry.questions)
            if not texts:
                texts = [entry.answer.staff or entry.answer.individual or ""] if answer_fallback else [entry.id]
            for text in texts:
                choices.append(utils.default_process(text))
                self.owner.append(pos)
        self.choices = choices

    def rank(self, question: str, k: int = 5, mode: str = "staff") -> list[tuple[Entry, float]]:
        query = utils.default_process(question)
        scores = process.cdist([query], self.choices, scorer=fuzz.WRatio, dtype=np.float32)[0]
        best: dict[int, float] = {}
        for index in np.argsort(-scores, kind="stable"):
            pos = self.owner[index]
            if pos not in best:
                best[pos] = float(scores[index])
                if len(best) == k:
                    break
        return [(self.entries[pos], score) for pos, score in best.items()]

    def best(self, question: str, mode: str = "staff") -> object:
        return process.extractOne(utils.default_process(question), self.choices, scorer=fuzz.WRatio)


def analyse(text: str) -> list[str]:
    """Our normalisation for the BM25 baseline: folded tokens, stopwords out, Snowball stems."""
    return [stem(t) for t in tokens(text) if not is_stopword(t)]


def entry_text(entry: Entry) -> list[str]:
    texts = _own_title(entry) + list(entry.keywords) + list(entry.questions)
    texts += [entry.answer.staff or "", entry.answer.individual or "", entry.legal_basis or ""]
    if entry.answer_en:
        texts += [entry.answer_en.staff or "", entry.answer_en.individual or ""]
    texts += list(entry.does_not) + list(entry.does_not_en)
    return [t for t in texts if t]


class BM25Baseline:
    """BM25 over entry text and questions, with our tokens and stems."""

    name = "bm25"

    def __init__(self, kb: KnowledgeBase):
        import bm25s  # a bench dependency, imported where used

        self.entries = kb.entries
        corpus = [analyse(" ".join(entry_text(entry))) for entry in kb.entries]
        self.retriever = bm25s.BM25()
        self.retriever.index(corpus, show_progress=False)
        self.vocabulary = self.retriever.vocab_dict

    def scores(self, question: str) -> np.ndarray:
        terms = [t for t in analyse(question) if t in self.vocabulary]
        if not terms:
            return np.zeros(len(self.entries), dtype=np.float32)
        return self.retriever.get_scores(terms)

    def rank(self, question: str, k: int = 5, mode: str = "staff") -> list[tuple[Entry, float]]:
        scores = self.scores(question)
        top = np.argsort(-scores, kind="stable")[:k]
        return [(self.entries[int(pos)], float(scores[pos])) for pos in top]

    def best(self, question: str, mode: str = "staff") -> object:
        scores = self.scores(question)
        pos = int(np.argmax(scores))
        return self.entries[pos], float(scores[pos])


@dataclass(frozen=True)
class Cutoff:
    value: float
    in_scope: float  # in-scope top-1 accuracy at this cut-off
    out_of_scope: float  # share of out-of-scope questions refused
    curve: tuple[tuple[float, float, float], ...] = ()  # (cut-off, in-scope, out-of-scope)


def tune_cutoff(in_scope: list[tuple[float, bool]], out_of_scope: list[float]) -> Cutoff:
    """The cut-off that maximises the mean of in-scope top-1 accuracy and out-of-scope refusal.

    `in_scope` holds (best score, whether the best entry is right) per question; a question
    counts as answered when its best score is at least the cut-off. Ties go to the
    cut-off with the better in-scope accuracy, then to the lower one. Candidates lie
    half-way between observed scores, so the choice does not sit on a data point.
    """
    values = sorted({s for s, _ in in_scope} | set(out_of_scope))
    if not values:
        return Cutoff(0.0, 0.0, 0.0)
    candidates = [values[0] - 1e-6] + [(a + b) / 2 for a, b in itertools.pairwise(values)] + [values[-1] + 1e-6]
    best: tuple[float, float, float] | None = None
    curve = []
    for cut in candidates:
        acc_in = sum(ok and s >= cut for s, ok in in_scope) / len(in_scope) if in_scope else 0.0
        acc_out = sum(s < cut for s in out_of_scope) / len(out_of_scope) if out_of_scope else 1.0
        curve.append((cut, acc_in, acc_out))
        key = ((acc_in + acc_out) / 2, acc_in, -cut)
        if best is None or key > ((best[1] + best[2]) / 2, best[1], -best[0]):
            best = (cut, acc_in, acc_out)
    assert best is not None
    return Cutoff(best[0], best[1], best[2], tuple(curve))
