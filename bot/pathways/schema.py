"""The pathway model: from a situation, through a few questions, to an ordered plan.

A pathway is a small directed graph. A node either asks a question with
options (each pointing at the next node) or ends the walk with a plan: steps
in order, each naming the responsible actor, what to do, what to bring and
the knowledge entry that explains it.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import Field, model_validator

from bot.kb.schema import Audience, EntryId, ModeText, Source, Text, _Strict

NodeId = Annotated[str, Field(pattern=r"^[a-z0-9_]+$", max_length=24)]


class Option(_Strict):
    label: Text
    label_en: Text | None = None
    next: NodeId


class PlanStep(_Strict):
    actor: EntryId  # an actor entry id, or `individ`
    do: ModeText
    do_en: ModeText | None = None
    bring: Text | None = None
    bring_en: Text | None = None
    entry: EntryId | None = None  # the knowledge entry that explains this step


class Node(_Strict):
    ask: ModeText | None = None
    ask_en: ModeText | None = None
    options: tuple[Option, ...] = ()
    plan: tuple[PlanStep, ...] = ()
    note: ModeText | None = None  # said before the plan, e.g. why this route
    note_en: ModeText | None = None

    @model_validator(mode="after")
    def _question_or_plan(self) -> "Node":
        if self.plan and (self.ask or self.options):
            raise ValueError("en nod är antingen en fråga (ask + options) eller en plan (plan), inte båda")
        if not self.plan and not self.ask:
            raise ValueError("en nod behöver 'ask' med 'options', eller 'plan'")
        if self.ask and len(self.options) < 2:
            raise ValueError("en fråga behöver minst två svarsalternativ i 'options'")
        return self

    @property
    def is_plan(self) -> bool:
        return bool(self.plan)


class Pathway(_Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9_]+$", max_length=24)]
    title: Text
    title_en: Text | None = None
    audience: Audience = "both"
    situation: ModeText
    situation_en: ModeText | None = None
    questions: tuple[Text, ...] = ()
    keywords: tuple[Text, ...] = ()
    start: NodeId
    nodes: dict[NodeId, Node]
    sources: tuple[Source, ...] = ()
    reviewed: dt.date | None = None

    def title_in(self, lang: str) -> str:
        return self.title_en if lang == "en" and self.title_en else self.title
