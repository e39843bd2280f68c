"""Rendering pathway walks: the current question, or the finished plan."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.answers.render import _tidy, environment, labels
from bot.kb.model import KnowledgeBase
from bot.kb.pathways import Pathway
from bot.kb.schema import PERSON, ModeText
from bot.pathways.walk import Walk


@dataclass
class StepView:
    who: str
    do: str
    bring: str = ""
    contact: str = ""
    entry: str = ""  # entry id
    entry_title: str = ""


@dataclass
class WalkView:
    id: str
    title: str
    situation: str
    question: str = ""
    options: list[str] = field(default_factory=list)
    answers: list[tuple[str, str]] = field(default_factory=list)
    note: str = ""
    steps: list[StepView] = field(default_factory=list)
    first: bool = True


def _text(sv: ModeText | None, en: ModeText | None, mode: str, lang: str) -> str:
    chosen = en if lang == "en" and en is not None else sv
    return chosen.for_mode(mode).strip() if chosen else ""


def walk_view(walk: Walk, kb: KnowledgeBase, mode: str, lang: str) -> WalkView:
    p, node, L = walk.pathway, walk.node, labels()[lang]
    view = WalkView(p.id, p.title_in(lang), _text(p.situation, p.situation_en, mode, lang),
                    first=len(walk.path) == 1)
    for asked, chosen in walk.answers():
        option = asked.options[chosen]
        view.answers.append((_text(asked.ask, asked.ask_en, mode, lang),
                             option.label_en if lang == "en" and option.label_en else option.label))
    if not node.is_plan:
        view.question = _text(node.ask, node.ask_en, mode, lang)
        view.options = [o.label_en if lang == "en" and o.label_en else o.label for o in node.options]
        return view
    view.note = _text(node.note, node.note_en, mode, lang)
    for step in node.plan:
        actor = kb.get(step.actor)
        who = (L["person_individual"] if mode == "individual" else L["person_staff"]) if step.actor == PERSON \
            else (actor.title_in(lang) if actor else step.actor)
        entry = kb.get(step.entry)
        # The actor's contact; for a step of the individual's own, the contact of the entry it links to.
        contacts = (actor.contacts if actor else ()) or (entry.contacts if entry else ())
        contact = ""
        if contacts:
            c = contacts[0]
            contact = ", ".join(x for x in (c.role or c.name, c.phone, c.url) if x)
        view.steps.append(StepView(
            who=who, do=_text(step.do, step.do_en, mode, lang),
            bring=(step.bring_en if lang == "en" and step.bring_en else step.bring) or "",
            contact=contact, entry=step.entry or "", entry_title=entry.title_in(lang) if entry else ""))
    return view


def render_walk(walk: Walk, kb: KnowledgeBase, mode: str = "staff", lang: str = "sv", fmt: str = "text") -> str:
    template = environment().get_template(f"{fmt}/pathway.j2")
    return _tidy(template.render(v=walk_view(walk, kb, mode, lang), L=labels()[lang], mode=mode, lang=lang))


def render_pathway_list(pathways: list[Pathway], mode: str = "staff", lang: str = "sv", fmt: str = "text") -> str:
    template = environment().get_template(f"{fmt}/pathway_list.j2")
    items = [(p.id, p.title_in(lang)) for p in pathways]
    return _tidy(template.render(items=items, L=labels()[lang], mode=mode, lang=lang))
