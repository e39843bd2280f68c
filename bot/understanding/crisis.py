"""Recognising a crisis before anything else is done with a message.

A message about suicide or self-harm, acute danger, violence in a close
relationship or acute need (no food today, nowhere to sleep tonight) gets the
fixed crisis reply, never a suggestion list. The phrases live in
`crisis_lexicon.yaml` (per category and language, written by hand, to be
reviewed like the knowledge base), so that adding a phrasing is an edit of
data, not of code.

Matching is deliberately forgiving, because a miss costs far more than a false
alarm: both sides are folded (case, å/ä/ö and other diacritics), a phrase's
words must occur in order with at most `GAP` other words between them ("jag
vill verkligen inte leva längre" matches "vill inte leva"), a word ending in
`*` matches any ending, and a word of six letters or more also matches with a
typo or two ("sjalvmort"). Phrases under `never:` ("ta livet lite lugnare")
are cut out of the message before the check, so a figure of speech does not
raise an alarm while a real crisis in the same message still does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

import yaml
from rapidfuzz.distance import Levenshtein

from bot.text.normalize import fold

DISTRESS = "distress"  # worn out, given up: the crisis lines come first, then the answer
GAP = 2  # other words allowed between two consecutive words of a phrase
FUZZY_MIN = 6  # letters from which a word also matches with typos
_WORD = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class CrisisHit:
    category: str  # suicide | self_harm | danger | violence | acute_need | distress
    phrase: str  # the lexicon phrase that matched, as written there
    lang: str  # the lexicon language of that phrase


@dataclass(frozen=True)
class _Phrase:
    words: tuple[str, ...]
    prefix: tuple[bool, ...]
    text: str
    category: str
    lang: str


# Persian typed on an Arabic keyboard (ي, ك, ى) and stretched Arabic words (tatweel ـ): one form.
_ARABIC = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک", "ـ": None})


def _words(text: str) -> list[str]:
    return _WORD.findall(fold(text).translate(_ARABIC))


def _compile(text: str, category: str, lang: str) -> _Phrase:
    words: list[str] = []
    prefix: list[bool] = []
    for w in text.split():
        for part in _words(w.rstrip("*")):
            words.append(part)
            prefix.append(False)
        if w.endswith("*") and prefix:
            prefix[-1] = True
    return _Phrase(tuple(words), tuple(prefix), text, category, lang)


@lru_cache(maxsize=262144)
def _word_matches(pattern: str, prefix: bool, word: str) -> bool:
    if prefix:
        if word.startswith(pattern):
            return True
        # A typo inside the stem: compare the stem with the same number of letters.
        return len(pattern) >= FUZZY_MIN and Levenshtein.distance(pattern, word[:len(pattern)]) <= 1
    if word == pattern:
        return True
    if len(pattern) < FUZZY_MIN or abs(len(word) - len(pattern)) > 2:
        return False
    allowed = 1 if len(pattern) < 9 else 2
    return Levenshtein.distance(pattern, word, score_cutoff=allowed) <= allowed


class _Where:
    """Where each lexicon word occurs in one message, worked out once per word and message."""

    def __init__(self, words: list[str]):
        self.by_word: dict[str, list[int]] = {}
        for i, word in enumerate(words):
            self.by_word.setdefault(word, []).append(i)
        # A typo seldom hits both of the first two letters: only words sharing one are compared.
        self.by_start: dict[tuple[int, str], set[str]] = {}
        for word in self.by_word:
            for k in (0, 1):
                if len(word) > k:
                    self.by_start.setdefault((k, word[k]), set()).add(word)
        self._memo: dict[tuple[str, bool], tuple[int, ...]] = {}

    def __call__(self, pattern: str, prefix: bool) -> tuple[int, ...]:
        key = (pattern, prefix)
        found = self._memo.get(key)
        if found is None:
            exact = self.by_word.get(pattern)
            if exact is not None and not prefix:
                found = tuple(exact)
            elif not prefix and len(pattern) < FUZZY_MIN:
                found = ()
            else:
                near = self.by_start.get((0, pattern[0]), set()) | self.by_start.get((1, pattern[1:2]), set())
                found = tuple(sorted(i for word in near if _word_matches(pattern, prefix, word)
                                     for i in self.by_word[word]))
            self._memo[key] = found
        return found


class CrisisDetector:
    """The lexicon, compiled once; `detect` is pure and thread-safe."""

    def __init__(self, lexicon: dict):
        self.categories: tuple[str, ...] = tuple(lexicon.get("categories") or lexicon.get("phrases", {}).keys())
        phrases: list[_Phrase] = []
        for category, by_lang in (lexicon.get("phrases") or {}).items():
            for lang, texts in (by_lang or {}).items():
                for text in texts or ():
                    phrase = _compile(str(text), category, lang)
                    if phrase.words:
                        phrases.append(phrase)
        # Longest phrases first: the most specific match names the category.
        self.phrases = tuple(sorted(phrases, key=lambda p: -len(p.words)))
        # The phrases by their first word: a message is looked up once per distinct first word,
        # and only the phrases whose first word it has are followed further, in the order above.
        self._by_first: dict[tuple[str, bool], list[int]] = {}
        for i, phrase in enumerate(self.phrases):
            self._by_first.setdefault((phrase.words[0], phrase.prefix[0]), []).append(i)
        # Those first words by their first and by their second letter, keyed like `_Where.by_start`:
        # a message word can only match a lexicon word that shares one of them, so the others are not tried.
        self._first_by_letter: dict[tuple[int, str], list[tuple[str, bool]]] = {}
        for word, prefix in self._by_first:
            for k in (0, 1):
                if len(word) > k:
                    self._first_by_letter.setdefault((k, word[k]), []).append((word, prefix))
        self.together = tuple(
            (str(rule["category"]), int(rule.get("window", 6)),
             tuple(tuple(_compile(str(t), str(rule["category"]), "*") for t in group) for group in rule["groups"]))
            for rule in (lexicon.get("together") or ()))
        self.reply_lines = {str(k): str(v) for k, v in (lexicon.get("reply_lines") or {}).items() if v}
        self.never = tuple(tuple(_words(str(t))) for by_lang in (lexicon.get("never") or {}).values()
                           for t in (by_lang or ()) if _words(str(t)))

    def detect(self, message: str) -> CrisisHit | None:
        words = self._without_figures_of_speech(_words(message))
        if not words:
            return None
        where = _Where(words)
        found: CrisisHit | None = None
        firsts = {key for letter in where.by_start for key in self._first_by_letter.get(letter, ())}
        maybe = sorted(i for key in firsts if where(*key) for i in self._by_first[key])
        for phrase in (self.phrases[i] for i in maybe):
            if self._starts(phrase, where):
                found = CrisisHit(phrase.category, phrase.text, phrase.lang)
                break
        if found is not None and found.category != DISTRESS:
            return found
        for category, window, groups in self.together:
            if self._together(groups, window, where) and (found is None or category != DISTRESS):
                first = groups[0][0]
                return CrisisHit(category, " + ".join(g[0].text for g in groups), first.lang)
        return found

    def _together(self, groups: tuple[tuple[_Phrase, ...], ...], window: int, where: _Where) -> bool:
        """Whether one phrase of each group starts within `window` words of the first group's."""
        anchors = sorted({i for phrase in groups[0] for i in self._starts(phrase, where)})
        for anchor in anchors:
            if all(any(abs(i - anchor) <= window for phrase in group for i in self._starts(phrase, where))
                   for group in groups[1:]):
                return True
        return False

    def _without_figures_of_speech(self, words: list[str]) -> list[str]:
        """The message's words with every `never:` phrase cut out (replaced by a gap marker
        that matches nothing, so the words around it are not joined into a new phrase)."""
        out = list(words)
        for figure in self.never:
            n = len(figure)
            for i in range(len(out) - n + 1):
                if tuple(out[i:i + n]) == figure:
                    out[i:i + n] = ["\x00"] * n
        return out

    @staticmethod
    def _starts(phrase: _Phrase, where: _Where) -> list[int]:
        """Where in the message the phrase occurs (the positions of its first word): each next
        word within `GAP` other words of the one before."""
        spots = []
        for word, prefix in zip(phrase.words, phrase.prefix):
            positions = where(word, prefix)
            if not positions:
                return []  # most phrases end here, at their first word
            spots.append(positions)
        starts = []
        for start in spots[0]:
            position = start
            for positions in spots[1:]:
                position = next((i for i in positions if position < i <= position + 1 + GAP), -1)
                if position < 0:
                    break
            if position >= 0:
                starts.append(start)
        return starts


@lru_cache(maxsize=1)
def shipped_detector() -> CrisisDetector:
    text = files("bot.understanding").joinpath("crisis_lexicon.yaml").read_text(encoding="utf-8")
    # libyaml when PyYAML has it: the lexicon is the largest file every question needs, and the
    # pure-Python loader spent a tenth of `rehabbot ask` on it.
    return CrisisDetector(yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))


def detect_crisis(message: str) -> CrisisHit | None:
    """The crisis a message is about, if any (with the shipped lexicon)."""
    return shipped_detector().detect(message)


def crisis_line(lang: str) -> str:
    """The lexicon's one-line crisis message in `lang` ("call 112 …"), or ''."""
    return shipped_detector().reply_lines.get(lang, "")
