"""/vagledning: the list of guided pathways, one question at a time, and the finished plan."""

from __future__ import annotations

from telegram import InlineKeyboardButton

from bot.answers.pathways import render_pathway_list, render_walk, walk_view
from bot.channels.telegram.handlers import callbacks as cb
from bot.channels.telegram.handlers.views.base import (
    FORMAT,
    SHORT_OPTION,
    Markup,
    Prefs,
    button,
    keyboard,
    render,
    say,
    texts,
)
from bot.kb.model import KnowledgeBase
from bot.pathways.walk import Walk, shape_key


def pathway_list(kb: KnowledgeBase, prefs: Prefs, notice: str = "") -> tuple[str, Markup]:
    """/vagledning: the pathways for the user's mode, numbered, and a button for each."""
    offered = kb.pathways_for(prefs.mode)
    if not offered:
        return say(prefs.lang, "pathways_none"), None
    html = render_pathway_list(offered, prefs.mode, prefs.lang, FORMAT)
    rows = [[button(f"{number}. {p.title_in(prefs.lang)}", walk_data(Walk.start(p)))]
            for number, p in enumerate(offered, 1)]
    return (f"{notice}\n\n{html}" if notice else html), keyboard(rows)


def walk_data(walk: Walk, action: str = "") -> str:
    """The button that shows `walk` (or, with an action, sends or maps its plan): its whole state."""
    return cb.walk(walk.pathway.id, shape_key(walk.pathway), walk.choices, action)


def walk_message(walk: Walk, kb: KnowledgeBase, prefs: Prefs) -> tuple[str, Markup]:
    """One step of a walk: the question with its options as buttons, or the plan and what to do with it.

    Below either: ◀ back (from the first question: to the list), ↺ start over,
    and ✖ cancel while questions remain.
    """
    T, lang = texts(prefs.lang), prefs.lang
    html = render_walk(walk, kb, prefs.mode, lang, FORMAT)
    rows: list[list[InlineKeyboardButton]] = []
    if not walk.finished:
        options = [button(o.label_en if lang == "en" and o.label_en else o.label, walk_data(walk.choose(i)))
                   for i, o in enumerate(walk.node.options)]
        if all(len(b.text) <= SHORT_OPTION for b in options):
            rows += [options[i:i + 2] for i in range(0, len(options), 2)]
        else:
            rows += [[b] for b in options]
    else:
        rows += [[button(T["btn_send_plan"], walk_data(walk, cb.SEND_PLAN))],
                 [button(T["btn_plan_map"], walk_data(walk, cb.MAP_PLAN))]]
        linked = (kb.get(e) for e in dict.fromkeys(s.entry for s in walk.node.plan if s.entry))
        rows += [[button(f"↗ {e.title_in(lang)}", cb.open_entry(e.id))] for e in linked if e is not None]
    first = len(walk.path) == 1
    nav = [button(T["btn_back"], cb.WALK_LIST_DATA if first else walk_data(walk.back()))]
    if not first:
        nav.append(button(T["btn_restart"], walk_data(walk.restart())))
    if not walk.finished:
        nav.append(button(T["btn_cancel"], cb.WALK_CANCEL_DATA))
    rows.append(nav)
    return html, keyboard(rows)


def plan_message(walk: Walk, kb: KnowledgeBase, prefs: Prefs, bot: str | None) -> str:
    """The finished plan as a message of its own (no buttons), to forward to a colleague.

    Situation, the answers given, then each step: who, what to do, what to
    bring, the contact, and the entry as a link that opens it in the bot.
    """
    v = walk_view(walk, kb, prefs.mode, prefs.lang)
    reviewed = walk.pathway.reviewed.isoformat() if walk.pathway.reviewed else ""
    return render("pathway_plan", prefs.lang, v=v, bot=bot or "", reviewed=reviewed)


