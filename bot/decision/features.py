"""What the decision looks at: a fixed vector of numbers about one ranking.

Each feature is something a careful reader would check before trusting the
first candidate: how well it scores and by how much it leads, how much of the
question the knowledge base understood at all, how long the question is, and
whether the entry was written for this reader. The names are the contract
between `fit` (which learns a weight per name) and `model` (which applies the
weights), and `ask --json --explain` shows them.
"""

from __future__ import annotations

import math
from collections.abc import Container
from typing import TYPE_CHECKING, Any

from bot.kb.translations import LANGUAGES

if TYPE_CHECKING:
    from bot.matching.analyze import Analysis
    from bot.matching.matcher import Candidate

NAMES = (
    "score", "score2", "lead", "lead3", "same_subject", "coverage", "headline", "phrase",
    "known_share", "content_terms", "concepts", "matched_share", "repaired_share",
    "context", "english", "other_audience", "bare",
    # Asked in one of the translated languages: their words and scores are the translations' own.
    "foreign",
    # A linear model cannot bend: these let it trust a high score more when the lead is clear too.
    "score_sq", "score_lead", "lead_sqrt", "phrase_sq", "score_known", "coverage_headline",
    # The lead over the best candidate about another subject: a sibling entry of the same topic
    # ranked second is no real doubt.
    "lead_other", "lead_other_sqrt",
    # How much of the first entry's title the question names, and by how much more than the second's.
    "named", "named_lead",
    # Do the score's parts agree? The first by total is also first by wording, by BM25.
    "agree_phrase", "agree_bm25", "phrase_lead",
)
# With the semantic re-ranker ready (bot.matching.semantic): an independent judge of meaning.
SEMANTIC_NAMES = (*NAMES, "sem", "sem_lead", "sem_agree", "sem_max")


def _subjects(candidate: Candidate) -> set[str]:
    return {candidate.entry.id, *candidate.entry.topics}


def semantic_features(candidates: list[Candidate], similarity: Any, positions: dict[str, int]) -> dict[str, float]:
    """How the first candidate fares in meaning (e5 cosine similarity) among the candidates."""
    if not candidates:
        return {"sem": 0.0, "sem_lead": 0.0, "sem_agree": 0.0, "sem_max": 0.0}
    sims = [float(similarity[positions[c.entry.id]]) for c in candidates]
    first = candidates[0]
    others = [sim for c, sim in zip(candidates[1:], sims[1:]) if not (_subjects(c) & _subjects(first))]
    return {"sem": sims[0], "sem_lead": sims[0] - max(others, default=0.0), "sem_agree": float(sims[0] >= max(sims)),
            "sem_max": max(sims)}


def features(candidates: list[Candidate], analysis: Analysis, mode: str, same_subject: bool,
             has_examples: bool, known: Container[str]) -> dict[str, float]:
    """The features of a ranking (best first). `known`: the index's vocabulary."""
    first = candidates[0] if candidates else None
    score = first.score if first else 0.0
    score2 = candidates[1].score if len(candidates) > 1 else 0.0
    score3 = candidates[2].score if len(candidates) > 2 else 0.0
    content = {t.text: t for t in analysis.terms if t.is_content}
    known_content = [t for t in content if t in known]
    matched = set(first.matched) if first else set()
    repaired = sum(1 for t in content.values() if t.how in ("typo", "compound"))
    parts = first.parts if first else {}
    audience = first.entry.audience if first else "both"
    lead = score - score2
    other = next((c.score for c in candidates[1:] if first and not (_subjects(c) & _subjects(first))), 0.0)
    lead_other = score - other
    coverage, headline, phrase = parts.get("coverage", 0.0), parts.get("headline", 0.0), parts.get("phrase", 0.0)
    known_share = len(known_content) / len(content) if content else 0.0
    return {
        "score": score,
        "score2": score2,
        "lead": lead,
        "lead3": score - score3,
        "same_subject": float(same_subject),
        "coverage": coverage,
        "headline": headline,
        "phrase": phrase,
        "known_share": known_share,
        "content_terms": math.log1p(len(content)),
        "concepts": min(len(analysis.concepts), 4) / 4,
        "matched_share": len(matched & set(content)) / len(content) if content else 0.0,
        "repaired_share": repaired / len(content) if content else 0.0,
        "context": float(any(t.how.startswith("context") for t in analysis.terms)),
        "english": float(analysis.lang == "en"),
        "foreign": float(analysis.lang in LANGUAGES),
        "other_audience": float(audience not in ("both", mode)),
        "bare": float(not has_examples),
        "score_sq": score * score,
        "score_lead": score * lead,
        "lead_sqrt": math.sqrt(max(lead, 0.0)),
        "phrase_sq": phrase * phrase,
        "score_known": score * known_share,
        "coverage_headline": coverage * headline,
        "lead_other": lead_other,
        "lead_other_sqrt": math.sqrt(max(lead_other, 0.0)),
        "agree_phrase": float(bool(first) and phrase >= max(c.parts.get("phrase", 0.0) for c in candidates)),
        "agree_bm25": float(bool(first)
                            and parts.get("bm25", 0.0) >= max(c.parts.get("bm25", 0.0) for c in candidates)),
        "phrase_lead": phrase - max((c.parts.get("phrase", 0.0) for c in candidates[1:]
                                     if first and not (_subjects(c) & _subjects(first))), default=0.0),
        "named": parts.get("named", 0.0),
        "named_lead": parts.get("named", 0.0) - (candidates[1].parts.get("named", 0.0) if len(candidates) > 1 else 0.0),
    }
