"""Follow-up questions that lean on the last answer: "och hur kontaktar jag dem?".

A short question with a pointing word ("dem", "hen", "det", "där") or an
opening "och …"/"men om …", asked within a few turns of an answer, is about
that answer's subject. The core then reads it together with the subject of the
entry just answered, and prefers that entry and the entries it links to.
"""

from __future__ import annotations

import re

from bot.text.normalize import fold

TURNS = 3  # messages after an answer during which a follow-up may lean on it
MAX_WORDS = 9

_OPENING = re.compile(r"^(och|men|sa|samt|plus|and|but|so|what about|how about|och om|men om|om (hen|han|hon|"
                      r"klienten|jag|vi|de|dom)|vad (hander|gor man) (om|da|sen)|sen da|och sen|vad mer|"
                      r"ok (och|men)|okej (och|men))\b")
_POINTING = re.compile(r"\b(dem|dom|de|den|det|dit|dar|dar|denna|detta|hen|henne|honom|hans|hennes|deras|"
                       r"they|them|it|there|their|that|this|he|she|him|her)\b")
_ASKING_ALONE = re.compile(r"^(vem betalar|vem bestammer|vem ansvarar|hur lang tid tar det|hur lange|vad kostar det|"
                           r"hur kontaktar jag|hur ansoker (jag|man)|vart vander jag mig|vad ska jag ta med|"
                           r"who pays|who decides|how long|how do i contact|how do i apply|what should i bring)\b")


def is_follow_up(question: str) -> bool:
    """Whether a question looks like it leans on what was said before."""
    folded = fold(question).strip(" ?!.")
    words = folded.split()
    if not words or len(words) > MAX_WORDS:
        return False
    return bool(_OPENING.match(folded) or _ASKING_ALONE.match(folded) or _POINTING.search(folded))
