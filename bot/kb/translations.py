"""Translations of what an individual reads, per language, beside the Swedish knowledge.

`knowledge/translations/<lang>.yaml` holds, for each entry an individual can be given, the
title, the answer, the individual's own next step and the ways people ask it in that
language, with `status` (`machine` until a person has reviewed it, then `reviewed`), the date
and `source`: the fingerprint of the Swedish texts it was made from. When the Swedish changes,
the fingerprint no longer matches and `kb check` says the translation is outdated; the bot
then shows the Swedish original rather than a translation of something no longer said.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Literal

from pydantic import Field

from bot.kb.schema import PERSON, Entry, Text, _Strict

LANGUAGES = ("ar", "fa", "so", "ti", "tr", "pl")  # besides Swedish and English, which live in the entries
Status = Literal["machine", "reviewed"]


def source_text(entry: Entry) -> str:
    """The Swedish an individual reads of `entry`: what its translations are made from."""
    own = next((s.do for s in entry.next_steps if s.who == PERSON), "")
    return "\n".join((entry.title_in("sv", "individual"), entry.answer.for_mode("individual").strip(), own))


def fingerprint(entry: Entry) -> str:
    return hashlib.sha256(source_text(entry).encode("utf-8")).hexdigest()[:12]


class EntryTranslation(_Strict):
    id: str
    status: Status = "machine"
    translated: dt.date
    source: str = Field(pattern=r"^[0-9a-f]{12}$")
    title: Text
    answer: Text
    next_step: Text | None = None
    questions: tuple[Text, ...] = ()


class GlossaryForm(_Strict):
    """Everyday words in the language for a Swedish glossary term ("التأمين الاجتماعي" → Försäkringskassan)."""

    term: Text
    forms: tuple[Text, ...]


class LanguageFile(_Strict):
    language: Literal["ar", "fa", "so", "ti", "tr", "pl"]
    entries: tuple[EntryTranslation, ...] = ()
    glossary: tuple[GlossaryForm, ...] = ()
