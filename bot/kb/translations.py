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

import yaml
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
    reviewed: dt.date | None = None  # when a person checked it against the Swedish
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


def mark_reviewed(text: str, entry_id: str, on: dt.date) -> str:
    """The translation file `text` with `entry_id`'s translation marked `status: reviewed` on `on`.

    Only the two lines change (or are added after `id:`), so comments, order and the
    translator's line breaks stay as they were, and the diff an admin sees is those lines.
    Raises KeyError when the file has no translation of `entry_id`."""
    for field, value in (("status", "reviewed"), ("reviewed", on.isoformat())):
        keys = _keys_of(text, entry_id)
        lines = text.splitlines(keepends=True)
        if field in keys:
            node = keys[field][1]
            row = lines[node.start_mark.line]
            end = node.end_mark.column if node.end_mark.line == node.start_mark.line else len(row.rstrip("\n"))
            lines[node.start_mark.line] = row[:node.start_mark.column] + value + row[end:]
        else:
            after = keys["status" if "status" in keys else "id"][1].end_mark.line
            indent = " " * keys["id"][0].start_mark.column
            lines.insert(after + 1, f"{indent}{field}: {value}\n")
        text = "".join(lines)
    return text


def _keys_of(text: str, entry_id: str) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    """The key and value nodes of `entry_id`'s item in a translation file."""
    root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    entries = next((v for k, v in getattr(root, "value", ()) if k.value == "entries"), None)
    for item in getattr(entries, "value", ()):
        keys: dict[str, tuple[yaml.Node, yaml.Node]] = {
            k.value: (k, v) for k, v in getattr(item, "value", ()) if isinstance(k, yaml.ScalarNode)}
        if "id" in keys and keys["id"][1].value == entry_id:
            return keys
    raise KeyError(entry_id)
