"""What a user names when asking for a map: an actor by its name, short name, abbreviation or a
glossary form ("FK", "soc", "vården"), or a pathway. One answer for every channel: `/karta FK`
in Telegram and `rehabbot map --actor fk` are the same actor."""

from __future__ import annotations

from bot.kb.model import KnowledgeBase
from bot.kb.schema import Entry
from bot.text.normalize import fold


def short_name(title: str) -> str:
    """"Socialtjänsten – ekonomiskt bistånd (försörjningsstöd)" → "Socialtjänsten"."""
    return title.split(" (", maxsplit=1)[0].split(" – ", maxsplit=1)[0].strip()


def _actor_names(entry: Entry) -> set[str]:
    names = {entry.id, entry.title_in("sv"), entry.title_in("en")}
    names |= {short_name(n) for n in list(names)}
    for title in (entry.title_in("sv"), entry.title_in("en")):  # "Försäkringskassan (FK)" → "FK"
        if "(" in title and title.endswith(")"):
            names.add(title[title.rindex("(") + 1:-1])
    return {fold(n) for n in names if n}


def find_target(kb: KnowledgeBase, text: str) -> tuple[str, str] | None:
    """What `/karta <text>` names: ("a", actor id) or ("p", pathway id), or None.

    An actor by id, name, short name or abbreviation ("FK"), or by a glossary
    form of its name ("soc", "vården"); a pathway by id or title; then a
    name that starts with `text`, when only one does.
    """
    wanted = fold(" ".join(text.split()))
    actors = [(a.id, _actor_names(a)) for a in kb.of_kind("actor")]
    for actor_id, names in actors:
        if wanted in names:
            return "a", actor_id
    for pathway in kb.pathways:
        if wanted in {pathway.id, fold(pathway.title), fold(pathway.title_en or "")}:
            return "p", pathway.id
    for term in kb.glossary:
        if wanted in {fold(form) for form in term.forms}:
            found = next((actor_id for actor_id, names in actors if fold(term.term) in names), None)
            if found:
                return "a", found
    starting = [("a", actor_id) for actor_id, names in actors if any(n.startswith(wanted) for n in names)]
    starting += [("p", p.id) for p in kb.pathways if p.id.startswith(wanted) or fold(p.title).startswith(wanted)]
    if len(wanted) >= 3 and len(starting) == 1:
        return starting[0]
    return None
