"""Grouping unanswered questions into themes by similarity.

An admin improving the knowledge base needs "12 frågor om färdtjänst", not
twelve lines that differ in wording. The grouping is deliberately simple and
deterministic:

1. Each question goes through the matcher's own normalisation (`bot.text`):
   folded (case, NFKC, å/ä/ö → a/a/o), question words and other stop words
   dropped, each remaining word stemmed ("färdtjänsten" → "fardtjanst").
   Without the stop words, "hur gör jag med X" and "hur gör jag med Y" would
   look alike.
2. Identical stem strings are merged and counted.
3. Leader clustering: going from the most frequent wording to the least, a
   wording joins the theme whose leader it resembles most
   (rapidfuzz ``token_set_ratio`` ≥ ``threshold``, 65 by default), or else leads a new
   theme. ``token_set_ratio`` scores 100 when one wording's words are a
   subset of the other's, which is what "about the same thing" usually
   means in short questions. Leader clustering is O(n·themes) and needs no
   number of themes up front, unlike k-means; agglomerative clustering
   would be O(n²) for little gain on texts this short.
4. A theme's label is its most common content word(s) — the words found in
   more than half of its questions — written as people wrote them.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from bot.text.normalize import is_stopword, stem, tokens

DEFAULT_THRESHOLD = 65

# The words of the redaction placeholders ("[personnummer]", "[telefon]" …) say nothing about a theme.
PLACEHOLDER_WORDS = frozenset(["personnummer", "samordningsnummer", "telefon", "post", "nummer", "namn", "epost",
                               "adress", "kontonummer", "diarienummer", "diagnos"])


@dataclass(frozen=True)
class Theme:
    """A group of similar questions."""

    label: str
    count: int
    examples: tuple[str, ...]


def content_words(text: str) -> list[tuple[str, str]]:
    """(stem, word as written, lower-cased) for each content word of ``text``."""
    out = []
    for written in re.findall(r"[\w-]+", unicodedata.normalize("NFKC", text)):
        for part in tokens(written):
            if len(part) < 2 or part.isdigit() or is_stopword(part) or part in PLACEHOLDER_WORDS:
                continue
            out.append((stem(part), written.casefold()))
    return out


def signature(text: str) -> str:
    """The comparable form of a question: its content-word stems, in order."""
    return " ".join(stem_ for stem_, _ in content_words(text))


def group(
    questions: Sequence[str], *, threshold: int = DEFAULT_THRESHOLD
) -> tuple[list[Theme], list[int]]:
    """Group ``questions``; return themes (largest first) and each question's theme index."""
    by_signature: dict[str, list[int]] = defaultdict(list)
    for index, question in enumerate(questions):
        by_signature[signature(question)].append(index)

    # Most frequent wording first; ties: shorter (more general) first, then
    # alphabetical, so the result never depends on row order.
    ordered = sorted(by_signature, key=lambda sig: (-len(by_signature[sig]), len(sig), sig))
    leaders: list[str] = []
    members: list[list[str]] = []
    for sig in ordered:
        match = None
        if sig and leaders:
            match = process.extractOne(
                sig, leaders, scorer=fuzz.token_set_ratio, score_cutoff=threshold
            )
        if match is None:
            leaders.append(sig)
            members.append([sig])
        else:
            members[match[2]].append(sig)

    themes_unsorted = []
    for sigs in members:
        indices = [index for sig in sigs for index in by_signature[sig]]
        themes_unsorted.append((_make_theme([questions[i] for i in indices]), indices))
    themes_unsorted.sort(key=lambda pair: (-pair[0].count, pair[0].label))

    assignment = [0] * len(questions)
    for theme_index, (_, indices) in enumerate(themes_unsorted):
        for index in indices:
            assignment[index] = theme_index
    return [theme for theme, _ in themes_unsorted], assignment


def _make_theme(questions: list[str], max_examples: int = 3) -> Theme:
    document_frequency: Counter[str] = Counter()
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    first_seen: dict[str, int] = {}
    for question in questions:
        seen = set()
        for position, (stem_, written) in enumerate(content_words(question)):
            spellings[stem_][written] += 1
            first_seen.setdefault(stem_, position)
            seen.add(stem_)
        document_frequency.update(seen)

    common = [
        stem_
        for stem_, df in document_frequency.most_common()
        if df * 2 > len(questions)
    ][:2]
    common.sort(key=lambda stem_: first_seen[stem_])
    wordings = Counter(" ".join(question.split()) for question in questions)
    if common and len(questions) > 1:
        label = " ".join(spellings[stem_].most_common(1)[0][0] for stem_ in common)
    else:
        label = wordings.most_common(1)[0][0]
    examples = tuple(text for text, _ in wordings.most_common(max_examples))
    return Theme(label=label, count=len(questions), examples=examples)
