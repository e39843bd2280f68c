"""LIX, the Swedish readability index: how hard a text is to read.

LIX = words per sentence + 100 × the share of words longer than six letters.
Below 30 is easy (children's books, lättläst), 30–40 ordinary, above 40 hard
(official texts). Individuals get texts of at most `INDIVIDUAL_MAX` (issue 11):
the measure is crude (it counts "Försäkringskassan" as hard), but a text above
it nearly always has a long sentence or a pile of abstract words to fix.
"""

from __future__ import annotations

import re

INDIVIDUAL_MAX = 35

_URL = re.compile(r"https?://\S+|www\.\S+")
# Abbreviations whose dots do not end a sentence, and list numbers ("1. Ring …").
_NOT_AN_END = re.compile(r"\b(?:t\.ex|bl\.a|s\.k|m\.m|o\.s\.v|d\.v\.s|dvs|ca|kap|nr|e\.g|i\.e)\.|(?<!\w)\d+\.(?=\s)",
                         re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_](?:[\w\-–]*\w)?|\d+(?:[ .,:]\d+)*")
_END = re.compile(r"[.!?:]+(?=\s|$)")


def lix(text: str) -> float:
    """The LIX of `text` (0 for a text without words). A web address counts as one short word."""
    plain = _NOT_AN_END.sub(" ", _URL.sub(" url ", text))
    words = _WORD.findall(plain)
    if not words:
        return 0.0
    sentences = max(1, len(_END.findall(plain.strip() + ("" if _END.search(plain.strip()[-1:]) else "."))))
    long_words = sum(1 for w in words if sum(c.isalpha() for c in w) > 6)
    return round(len(words) / sentences + 100 * long_words / len(words), 1)
