"""Walking a pathway: where the user is, and how they move.

The state is just the list of nodes visited, so "back" is dropping the last
one and "start over" is keeping the first.

Written down, a walk is the option taken at each question (`choices`): with
the pathway, that is the whole walk (`follow`), small enough for the 64
bytes of a Telegram button, so a walk survives a restart of the bot. `shape_key` fingerprints the pathway's shape,
so a walk written down as option numbers can tell when the pathway has been
restructured under it (new or reordered options would otherwise silently
lead somewhere else); edits of wording leave the key unchanged.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from bot.kb.pathways import Node, Pathway


@dataclass(frozen=True)
class Walk:
    pathway: Pathway
    path: tuple[str, ...]

    @classmethod
    def start(cls, pathway: Pathway) -> Walk:
        return cls(pathway, (pathway.start,))

    @property
    def node_name(self) -> str:
        return self.path[-1]

    @property
    def node(self) -> Node:
        return self.pathway.nodes[self.node_name]

    @property
    def finished(self) -> bool:
        return self.node.is_plan

    def choose(self, index: int) -> Walk:
        """Take option `index` (0-based) of the current question."""
        options = self.node.options
        if not 0 <= index < len(options):
            raise ValueError(f"no option {index + 1} here")
        return Walk(self.pathway, (*self.path, options[index].next))

    def back(self) -> Walk:
        return Walk(self.pathway, self.path[:-1]) if len(self.path) > 1 else self

    def restart(self) -> Walk:
        return Walk.start(self.pathway)

    def answers(self) -> list[tuple[Node, int]]:
        """The questions asked so far with the option chosen at each."""
        out = []
        for here, there in zip(self.path, self.path[1:]):
            node = self.pathway.nodes[here]
            out.append((node, next(i for i, o in enumerate(node.options) if o.next == there)))
        return out

    @property
    def choices(self) -> tuple[int, ...]:
        """The option taken (0-based) at each question so far; `follow` walks them again."""
        return tuple(chosen for _, chosen in self.answers())

    @classmethod
    def follow(cls, pathway: Pathway, choices: Iterable[int]) -> Walk | None:
        """The walk that takes `choices` from the start, or None when they do not fit the pathway."""
        walk = cls.start(pathway)
        for index in choices:
            if walk.finished or not 0 <= index < len(walk.node.options):
                return None
            walk = walk.choose(index)
        return walk


def shape_key(pathway: Pathway) -> str:
    """Six hex digits that change when the pathway's nodes or the targets and order of its options do."""
    shape = "|".join([pathway.id, pathway.start] + [
        f"{name}>{','.join(o.next for o in node.options)}" for name, node in sorted(pathway.nodes.items())])
    return hashlib.blake2s(shape.encode("utf-8"), digest_size=3).hexdigest()
