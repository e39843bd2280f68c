"""Larger knowledge bases for the speed part, grown from the real one.

A knowledge base of N entries is the real one plus generated variants of its
entries: each variant is a copy with a suffixed id, a made-up name of its own
(as if the same kind of service existed under another name in another
municipality) and its words perturbed: some replaced by synthetic words, some
dropped, neighbours swapped and sentences shuffled. The synthetic words come
from a pool that grows with N the way a real vocabulary does (Heaps' law,
V ∝ N^0.6, anchored at the real knowledge base's vocabulary) and are drawn
with a Zipf distribution, so larger knowledge bases have both more distinct
words and longer posting lists for the common ones.

The result is written as a knowledge directory (YAML, the project's own
format, with the real topics and glossary) so that loading it goes through the
real loader and its validation.
"""

from __future__ import annotations

import bisect
import itertools
import random
import re
import shutil
from pathlib import Path

import yaml

from bot.kb.model import KnowledgeBase
from bot.kb.schema import Entry
from bot.text.normalize import plain, tokens

HEAPS_BETA = 0.6
ZIPF_S = 1.07

_ONSETS = ["b", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "bl", "br", "dr", "fl", "fr",
           "gr", "kl", "kr", "pl", "pr", "sk", "sl", "sm", "sn", "sp", "st", "str", "sv", "tr", "sj", "skr", "spr",
           "tj"]
_NUCLEI = ["a", "e", "i", "o", "u", "y", "å", "ä", "ö", "a", "e", "i", "o", "ä"]
_CODAS = ["", "", "", "n", "r", "l", "s", "t", "k", "m", "ng", "nd", "st", "rt", "ll", "ck", "rn", "lk"]
_SPLIT_SENTENCES = re.compile(r"(?<=[.!?])\s+")


def synthetic_vocabulary(size: int, seed: int = 0) -> list[str]:
    """`size` distinct pronounceable pseudo-Swedish words, some of them compounds."""
    rng = random.Random(seed)
    words: list[str] = []
    seen: set[str] = set()
    while len(words) < size:
        word = "".join(rng.choice(_ONSETS) + rng.choice(_NUCLEI) + rng.choice(_CODAS)
                       for _ in range(rng.choice((1, 2, 2, 3))))
        if rng.random() < 0.25 and words:  # a compound of an earlier word and this one
            word = rng.choice(words) + ("s" if rng.random() < 0.3 else "") + word
        if len(word) >= 4 and word not in seen:
            seen.add(word)
            words.append(word)
    return words


class _Zipf:
    """Draws words from a list with probability ∝ 1 / rank^s."""

    def __init__(self, words: list[str], rng: random.Random):
        self.words = words
        self.rng = rng
        self.cumulative = list(itertools.accumulate(1.0 / (r ** ZIPF_S) for r in range(1, len(words) + 1)))

    def draw(self) -> str:
        x = self.rng.random() * self.cumulative[-1]
        return self.words[min(bisect.bisect_left(self.cumulative, x), len(self.words) - 1)]


def vocabulary_size(kb: KnowledgeBase) -> int:
    seen: set[str] = set()
    for entry in kb.entries:
        for text in (entry.display_title, *entry.questions, entry.answer.staff or "", entry.answer.individual or ""):
            seen.update(tokens(text))
    return len(seen)


class _Variants:
    def __init__(self, kb: KnowledgeBase, size: int, seed: int):
        self.rng = random.Random(seed)
        real = max(len(kb.entries), 1)
        real_vocabulary = vocabulary_size(kb)
        pool = max(int(real_vocabulary * (max(size, real) / real) ** HEAPS_BETA) - real_vocabulary, 200)
        self.pool = synthetic_vocabulary(pool, seed)
        self.zipf = _Zipf(self.pool, self.rng)
        self.names = synthetic_vocabulary(size + 50, seed + 1)  # rare words: one name per variant
        self.questions_seen = {plain(q) for e in kb.entries for q in e.questions}
        self.ids_seen = {e.id for e in kb.entries}

    def words(self, text: str, name: str, replace: float = 0.12, insert: bool = True) -> str:
        out: list[str] = []
        for word in text.split():
            r = self.rng.random()
            if r < replace:
                out.append(self.zipf.draw())
            elif r < replace + 0.05:
                continue  # dropped
            else:
                out.append(word)
        for i in range(len(out) - 1):
            if self.rng.random() < 0.08:
                out[i], out[i + 1] = out[i + 1], out[i]
        if insert and out and self.rng.random() < 0.5:
            out.insert(self.rng.randrange(len(out) + 1), name)
        return " ".join(out) or name

    def text(self, text: str | None, name: str) -> str | None:
        if not text:
            return text
        sentences = [self.words(s, name) for s in _SPLIT_SENTENCES.split(text) if s.strip()]
        self.rng.shuffle(sentences)
        return " ".join(sentences)

    def new_id(self, base: str, number: int) -> str:
        candidate = f"{base[:22]}_v{number}"
        while candidate in self.ids_seen:
            candidate = f"{base[:16]}_{self.rng.randrange(10**8)}_v{number}"[:32]
        self.ids_seen.add(candidate)
        return candidate

    def variant(self, entry: Entry, number: int) -> dict:
        name = self.names[number % len(self.names)]
        data = entry.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
        data["id"] = self.new_id(entry.id, number)
        data["kind"] = entry.kind
        title = entry.display_title
        data["title"] = f"{self.words(title, name, 0.15, insert=False)} {name}"
        if entry.title_en:
            data["title_en"] = f"{entry.title_en} ({name})"
        for mode in ("staff", "individual"):
            if data.get("answer", {}).get(mode):
                data["answer"][mode] = self.text(data["answer"][mode], name)
        if "answer_en" in data:
            for mode in ("staff", "individual"):
                if data["answer_en"].get(mode):
                    data["answer_en"][mode] = self.text(data["answer_en"][mode], name)
        if "legal_basis" in data:
            data["legal_basis"] = self.text(data["legal_basis"], name)
        if "does_not" in data:
            data["does_not"] = [self.text(t, name) or t for t in data["does_not"]]
        questions = []
        for question in entry.questions:
            varied = self.words(question, name)
            key = plain(varied)
            if key in self.questions_seen:
                varied = f"{varied} {self.zipf.draw()} {name}"
                key = plain(varied)
            if key and key not in self.questions_seen:
                self.questions_seen.add(key)
                questions.append(varied)
        data["questions"] = questions
        if entry.keywords:
            data["keywords"] = [k if self.rng.random() < 0.5 else self.zipf.draw() for k in entry.keywords] + [name]
        return data


def grow(kb: KnowledgeBase, size: int, target: Path, seed: int = 0) -> Path:
    """Write a knowledge directory of about `size` entries (the real ones first) to `target`."""
    target.mkdir(parents=True, exist_ok=True)
    for special in ("topics.yaml", "glossary.yaml"):
        if (kb.directory / special).exists():
            shutil.copy(kb.directory / special, target / special)
    for source in sorted(kb.directory.glob("*.yaml")):
        if source.name not in ("topics.yaml", "glossary.yaml"):
            shutil.copy(source, target / source.name)
    variants = _Variants(kb, size, seed)
    generated = []
    originals = list(kb.entries)
    for number in range(max(size - len(originals), 0)):
        generated.append(variants.variant(originals[number % len(originals)], number))
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    chunk = 200  # several files, as a large knowledge base would be split (each below the loader's 2 MB)
    for start in range(0, len(generated), chunk):
        path = target / f"generated_{start // chunk:03d}.yaml"
        path.write_text(yaml.dump(generated[start:start + chunk], Dumper=dumper, allow_unicode=True,
                                  sort_keys=False, width=10_000), encoding="utf-8")
    return target
