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

from bot.matching.normalize import fold

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
    return Levenshtein.distance(pattern, word) <= (1 if len(pattern) < 9 else 2)


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
        found: CrisisHit | None = None
        for phrase in self.phrases:
            if self._starts(phrase, words):
                found = CrisisHit(phrase.category, phrase.text, phrase.lang)
                break
        if found is not None and found.category != DISTRESS:
            return found
        for category, window, groups in self.together:
            if self._together(groups, window, words) and (found is None or category != DISTRESS):
                first = groups[0][0]
                return CrisisHit(category, " + ".join(g[0].text for g in groups), first.lang)
        return found

    def _together(self, groups: tuple[tuple[_Phrase, ...], ...], window: int, words: list[str]) -> bool:
        """Whether one phrase of each group starts within `window` words of the first group's."""
        anchors = sorted({i for phrase in groups[0] for i in self._starts(phrase, words)})
        for anchor in anchors:
            if all(any(abs(i - anchor) <= window for phrase in group for i in self._starts(phrase, words))
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
    def _starts(phrase: _Phrase, words: list[str]) -> list[int]:
        """Where in `words` the phrase occurs (the positions of its first word)."""
        starts = []
        first, first_prefix = phrase.words[0], phrase.prefix[0]
        for start, word in enumerate(words):
            if not _word_matches(first, first_prefix, word):
                continue
            position, ok = start, True
            for pattern, prefix in zip(phrase.words[1:], phrase.prefix[1:]):
                window = words[position + 1: position + 2 + GAP]
                found = next((k for k, w in enumerate(window) if _word_matches(pattern, prefix, w)), None)
                if found is None:
                    ok = False
                    break
                position += 1 + found
            if ok:
                starts.append(start)
        return starts


@lru_cache(maxsize=1)
def shipped_detector() -> CrisisDetector:
    text = files("bot.understanding").joinpath("crisis_lexicon.yaml").read_text(encoding="utf-8")
    return CrisisDetector(yaml.safe_load(text))


def detect_crisis(message: str) -> CrisisHit | None:
    """The crisis a message is about, if any (with the shipped lexicon)."""
    return shipped_detector().detect(message)


def crisis_line(lang: str) -> str:
    """The lexicon's one-line crisis message in `lang` ("call 112 …"), or ''."""
    return shipped_detector().reply_lines.get(lang, "")
