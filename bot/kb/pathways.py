"""The pathway model and its checks: from a situation, through a few questions, to a plan.

A pathway is a small directed graph. A node either asks a question with
options (each pointing at the next node) or ends the walk with a plan: steps
in order, each naming the responsible actor, what to do, what to bring and
the knowledge entry that explains it.

`check_pathway` makes sure a pathway can always be walked to a plan: every
option leads to a node, every node is reachable from the start, and no walk
loops; with "a question has at least two options" (the model), every branch
ends in a plan. The walk (`bot.pathways.walk`) and the finder
(`bot.pathways.index`) consume this model.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Annotated, Any

from pydantic import Field, model_validator

from bot.kb.schema import PERSON, Audience, EntryId, ModeText, Source, Text, _Strict

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
    def _question_or_plan(self) -> Node:
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


Finding = tuple[tuple[Any, ...], str]  # (location inside the pathway, message)


def check_pathway(pathway: Pathway, entry_ids: set[str], actor_ids: set[str]) -> list[Finding]:
    findings: list[Finding] = []
    nodes = pathway.nodes
    if pathway.start not in nodes:
        findings.append((("start",), f"startnoden '{pathway.start}' finns inte bland 'nodes'"))
    for name, node in nodes.items():
        for i, option in enumerate(node.options):
            if option.next not in nodes:
                findings.append((("nodes", name, "options", i, "next"),
                                 f"alternativet '{option.label}' leder till '{option.next}', som inte finns"))
        for i, step in enumerate(node.plan):
            if step.actor != PERSON and step.actor not in actor_ids:
                findings.append((("nodes", name, "plan", i, "actor"),
                                 f"'actor' ska vara en aktör eller '{PERSON}'; '{step.actor}' finns inte"))
            if step.entry is not None and step.entry not in entry_ids:
                findings.append((("nodes", name, "plan", i, "entry"), f"posten '{step.entry}' finns inte"))
    if pathway.start in nodes:
        reachable = set(_reachable(pathway))
        for name in nodes:
            if name not in reachable:
                findings.append((("nodes", name), f"noden '{name}' kan inte nås från starten '{pathway.start}'"))
        for name, index in _back_edges(pathway):
            target = nodes[name].options[index].next
            findings.append((("nodes", name, "options", index, "next"),
                             f"alternativet leder tillbaka till '{target}': vägledningen går i cirkel"))
    return findings


def _reachable(pathway: Pathway) -> Iterator[str]:
    seen, stack = set(), [pathway.start]
    while stack:
        name = stack.pop()
        if name in seen or name not in pathway.nodes:
            continue
        seen.add(name)
        yield name
        stack.extend(option.next for option in pathway.nodes[name].options)


def _back_edges(pathway: Pathway) -> list[tuple[str, int]]:
    """Options that close a cycle (depth-first search from the start)."""
    found: list[tuple[str, int]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(name: str) -> None:
        state[name] = 1
        for index, option in enumerate(pathway.nodes[name].options):
            target = option.next
            if target not in pathway.nodes:
                continue
            if state.get(target) == 1:
                found.append((name, index))
            elif target not in state:
                visit(target)
        state[name] = 2

    visit(pathway.start)
    return found


def plans(pathway: Pathway) -> list[str]:
    """The names of the plan nodes reachable from the start."""
    return [name for name in _reachable(pathway) if pathway.nodes[name].is_plan]
