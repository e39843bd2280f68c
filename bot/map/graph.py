"""Building the process map from the knowledge base.

The seeds' own answer to "who does what" was a process map with one lane per
actor. Here the lanes are Graphviz clusters, one per actor; an insats sits in
the lane of the actor that provides it (its first `responsible`), and the
`relations` of entries are the labelled edges. Nothing is drawn by hand: a
new entry or relation in the YAML shows up on the next map.

Highlighting an actor or a pathway keeps the whole map for orientation but
greys out everything else, so a phone screen shows the part that matters.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise
from pathlib import Path

import graphviz

from bot.kb.model import KnowledgeBase
from bot.kb.schema import PERSON, Entry

RELATION_LABELS = {
    "sv": {"refers_to": "aktualiserar", "applies_to": "ansöker hos", "calls": "kallar till", "sends": "skickar",
           "coordinates": "samordnar", "finances": "finansierar", "provides": "erbjuder",
           "participates": "deltar i", "decides": "beslutar om"},
    "en": {"refers_to": "refers to", "applies_to": "applies to", "calls": "calls", "sends": "sends",
           "coordinates": "coordinates", "finances": "finances", "provides": "provides",
           "participates": "takes part in", "decides": "decides on"},
}
PERSON_LABEL = {"sv": "Individen", "en": "The individual"}
SHARED_LANE = {"sv": "Gemensamt", "en": "Shared"}
LANE_COLOURS = ["#e3f2fd", "#fff3e0", "#e8f5e9", "#fce4ec", "#ede7f6", "#e0f7fa", "#f9fbe7", "#efebe9"]
DIM = "#6b6b6b"  # greyed out, yet readable (5:1 on white, WCAG AA)
STRONG = "#c62828"
MAX_LABEL = 22
DPI = 96  # the PNG resolution; a channel with a size limit may render smaller


class MapError(ValueError):
    """An unknown actor or pathway was asked for."""


def _wrap(text: str, width: int = MAX_LABEL) -> str:
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return "\n".join(lines)


def _nodes_of(kb: KnowledgeBase) -> list[Entry]:
    """Actors, insatser and whatever else a relation points at."""
    wanted = {e.id for e in kb.entries if e.kind in ("actor", "insats")}
    for entry in kb.entries:
        if entry.relations:
            wanted.add(entry.id)
            wanted.update(r.to for r in entry.relations)
    return [e for e in kb.entries if e.id in wanted]


def _lane(entry: Entry, actors: set[str]) -> str | None:
    if entry.kind == "actor":
        return entry.id
    return next((a for a in entry.responsible if a in actors), None)


def build_graph(kb: KnowledgeBase, actor: str | None = None, pathway: str | None = None,
                plan: str | None = None, lang: str = "sv", link: Callable[[str], str] | None = None,
                only: bool = False) -> graphviz.Digraph:
    """The map as a Graphviz graph; `actor` or `pathway` (optionally one `plan` node of it) highlighted.
    Drawn in Swedish or English (another language's map reads in Swedish, the names it keeps).

    `link`: each entry's node links to `link(entry_id)` (the web's SVG map); `only`: with an actor
    or pathway, draw only the highlighted part, small enough to read on a phone."""
    lang = lang if lang in RELATION_LABELS else "sv"
    actors = {e.id for e in kb.of_kind("actor")}
    if actor is not None and actor not in actors:
        raise MapError(f"okänd aktör: {actor} (finns: {', '.join(sorted(actors))})")
    focus: set[str] | None = None
    steps: list[list[str]] = []
    if actor is not None:
        focus = {actor} | {e.id for e in kb.entries if _lane(e, actors) == actor}
        focus |= {r.to for e in kb.entries if e.id in focus for r in e.relations}
        focus |= {e.id for e in kb.entries for r in e.relations if r.to == actor}
    if pathway is not None:
        found = kb.pathway(pathway)
        if found is None:
            raise MapError(f"okänd vägledning: {pathway} (finns: {', '.join(p.id for p in kb.pathways)})")
        plan_nodes = [n for n in found.nodes.values() if n.is_plan]
        if plan is not None:
            if plan not in found.nodes or not found.nodes[plan].is_plan:
                raise MapError(f"'{plan}' är ingen plan i vägledningen {pathway}")
            plan_nodes = [found.nodes[plan]]
        focus = set()
        on_map = {e.id for e in _nodes_of(kb)}
        for node in plan_nodes:
            # A step sits at its entry when that is on the map (an insats, an actor), else at its actor.
            sequence = [s.entry if s.entry in on_map else s.actor for s in node.plan]
            steps.append(sequence)
            focus.update(sequence)
            focus.update(s.actor for s in node.plan)
        # The order of the steps is drawn for one plan only: several overlaid would be a tangle.
        steps = steps if len(steps) == 1 else []
    numbers: dict[str, list[str]] = {}
    for sequence in steps:
        for number, node_id in enumerate(sequence, 1):
            numbers.setdefault(node_id, []).append(str(number))

    def label(node_id: str, title: str) -> str:
        """The title, led by the step numbers that happen here: "1, 4 · Socialtjänsten"."""
        return (", ".join(numbers[node_id]) + " · " if node_id in numbers else "") + title

    graph = graphviz.Digraph("rehabiliteringskarta", format="png")
    graph.attr(rankdir="LR", fontname="DejaVu Sans", fontsize="20", labelloc="t", newrank="true",
               nodesep="0.25", ranksep="0.6", dpi=str(DPI), compound="true", pad="0.3",
               label="Vem gör vad? Processkarta" if lang == "sv" else "Who does what? Process map")
    graph.attr("node", shape="box", style="rounded,filled", fontname="DejaVu Sans", fontsize="14",
               fillcolor="white", margin="0.15,0.08")
    graph.attr("edge", fontname="DejaVu Sans", fontsize="11", color="#546e7a", fontcolor="#37474f")

    def shown(entry_id: str) -> bool:
        return focus is None or entry_id in focus

    entries = _nodes_of(kb)
    by_lane: dict[str | None, list[Entry]] = {}
    for entry in entries:
        by_lane.setdefault(_lane(entry, actors), []).append(entry)
    lanes = [a.id for a in kb.of_kind("actor")] + [None]
    for number, lane in enumerate(lanes):
        members = by_lane.get(lane, [])
        if only and focus is not None:
            members = [e for e in members if e.id in focus]
        if not members:
            continue
        title = kb.by_id[lane].title_in(lang) if lane else SHARED_LANE[lang]
        with graph.subgraph(name=f"cluster_{lane or 'shared'}") as sub:
            colour = LANE_COLOURS[number % len(LANE_COLOURS)] if shown(lane or "") or focus is None else "#f5f5f5"
            sub.attr(label=_wrap(title, 30), style="rounded,filled", fontsize="16", fillcolor=colour,
                     color="#90a4ae")
            for entry in members:
                attrs = {"penwidth": "2.5", "fontcolor": "black"} if entry.kind == "actor" else {}
                if focus is not None:
                    attrs = {**attrs, "color": STRONG, "penwidth": "3"} if shown(entry.id) else \
                        {"fontcolor": DIM, "color": DIM}
                if link is not None:
                    attrs = {**attrs, "URL": link(entry.id), "tooltip": entry.title_in(lang), "target": "_top"}
                sub.node(entry.id, _wrap(label(entry.id, entry.title_in(lang))), **attrs)
    if focus is not None and PERSON in focus:
        graph.node(PERSON, label(PERSON, PERSON_LABEL[lang]), shape="ellipse", color=STRONG, penwidth="3")

    ids = {e.id for e in entries}
    labels = RELATION_LABELS[lang]
    for entry in entries:
        for relation in entry.relations:
            if relation.to not in ids or (only and focus is not None
                                           and not (entry.id in focus and relation.to in focus)):
                continue
            text = (relation.label_en if lang == "en" else relation.label) or labels[relation.type]
            bold = focus is None or (entry.id in focus and relation.to in focus)
            graph.edge(entry.id, relation.to, label=_wrap(text, 16),
                       **({} if bold else {"color": DIM, "fontcolor": DIM}))
    for sequence in steps:
        for number, (here, there) in enumerate(pairwise(sequence), 2):
            if here != there:
                graph.edge(here, there, label=f"steg {number}" if lang == "sv" else f"step {number}",
                           color=STRONG, fontcolor=STRONG, style="bold", constraint="false")
    return graph


def render_bytes(kb: KnowledgeBase, fmt: str = "png", actor: str | None = None, pathway: str | None = None,
                 plan: str | None = None, lang: str = "sv", dpi: int | None = None,
                 link: Callable[[str], str] | None = None, only: bool = False) -> bytes:
    """The map as PNG or SVG bytes (`dpi` overrides the default resolution of a PNG)."""
    if fmt not in ("png", "svg"):
        raise MapError(f"kartan kan skrivas som .png eller .svg, inte '{fmt}'")
    graph = build_graph(kb, actor, pathway, plan, lang, link, only)
    if dpi is not None:
        graph.attr(dpi=str(dpi))
    return graph.pipe(format=fmt)


def render_map(kb: KnowledgeBase, out: str | Path, actor: str | None = None, pathway: str | None = None,
               plan: str | None = None, lang: str = "sv") -> Path:
    """Write the map to `out`; the format (png or svg) follows the file name."""
    out = Path(out)
    fmt = out.suffix.lower().lstrip(".")
    if fmt not in ("png", "svg"):
        raise MapError(f"kartan kan skrivas som .png eller .svg, inte '{out.suffix or out.name}'")
    data = render_bytes(kb, fmt, actor, pathway, plan, lang)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    return out
