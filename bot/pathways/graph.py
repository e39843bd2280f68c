"""Checks that a pathway can always be walked to a plan.

Every option must lead to a node, every node must be reachable from the
start, and no walk may loop: together with "a question has at least two
options" (the schema), that means every branch ends in a plan.
"""

from __future__ import annotations

from typing import Any, Iterator

from bot.kb.schema import PERSON
from bot.pathways.schema import Pathway

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
