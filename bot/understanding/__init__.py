"""Understanding a message before matching it: crisis, small talk, question and context, mode.

`understand` runs the steps in the order that keeps people safe: a crisis is
recognised on the whole, raw message before anything else, small talk next,
and only then is the message taken apart into the question to match and the
situation around it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.text.language import identify
from bot.text.normalize import fold
from bot.understanding.crisis import CrisisHit, detect_crisis
from bot.understanding.segment import Segments, segment
from bot.understanding.smalltalk import greets, small_talk

__all__ = ["CrisisHit", "Segments", "Understanding", "guess_mode", "understand"]


@dataclass(frozen=True)
class Understanding:
    message: str
    lang: str  # sv | en | other: the language the message is written in
    crisis: CrisisHit | None = None
    smalltalk: str | None = None  # the kind of small talk (bot.understanding.smalltalk)
    segments: Segments | None = None


def understand(message: str) -> Understanding:
    lang = identify(message)
    crisis = detect_crisis(message)
    if crisis is not None:
        return Understanding(message, lang, crisis=crisis, segments=segment(message))
    kind = small_talk(message)
    if kind is not None:
        return Understanding(message, lang, smalltalk=kind)
    segments = segment(message)
    if segments.filler_only and greets(message):  # "Hej! Jag heter Amina." is a greeting too
        return Understanding(message, lang, smalltalk="greeting", segments=segments)
    return Understanding(message, lang, segments=segments)


_STAFF = re.compile(r"\b(klient(en|ens|er|erna)?|min(a)? klient(er)?|hen(s)?|brukare(n)?|patient(en)?|"
                    r"handlaggare jag|jag (jobbar|arbetar) (som|pa|inom)|som socialsekreterare|"
                    r"vi pa (soc|socialtjansten|enheten)|the client|my client|the patient)\b")
_INDIVIDUAL = re.compile(r"\b(jag|mig|min|mitt|mina|i|my|me)\b")


def guess_mode(message: str) -> str | None:
    """The mode a first message suggests when the user has not chosen one: "klienten", "min
    klient", "hen" → staff; "jag", "mitt" … → individual; nothing telling → None. A message in
    Arabic, Somali … is a person asking for themself: staff write to the bot in Swedish."""
    from bot.kb.translations import LANGUAGES
    from bot.text.language import detect
    if detect(message) in LANGUAGES:
        return "individual"
    folded = fold(message)
    if _STAFF.search(folded):
        return "staff"
    if _INDIVIDUAL.search(folded):
        return "individual"
    return None
