"""An answer and the entries opened from it: the text, its buttons, sections and cards."""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton

from bot.answers import render_entry
from bot.answers.render import entry_view, labels
from bot.channels.telegram.handlers import callbacks as cb
from bot.channels.telegram.handlers.views.base import (
    FORMAT,
    GIST_CHARS,
    RELATED_BUTTONS,
    Markup,
    Prefs,
    button,
    keyboard,
    render,
    texts,
)
from bot.kb.model import KnowledgeBase
from bot.kb.schema import Entry
from bot.matching import ANSWER, SUGGEST


def reply_view(reply: Any, kb: KnowledgeBase, prefs: Prefs, log_id: int | None) -> tuple[str, Markup]:
    """The answer to a question: `reply` is the core's `Reply`, rendered with fmt="telegram".

    When a guided pathway fits the question, the core has put its offer last in
    the text; its button starts the walk in a new message, so the answer stays.
    """
    match, text = reply.match, reply.text.strip()
    offer = [button(texts(prefs.lang)["btn_start_pathway"], cb.walk_new(reply.pathway.id))] \
        if reply.pathway is not None else []
    if reply.also is not None:  # the message's second question: one tap away
        offer = [button(f"↗ {reply.also.title_in(prefs.lang, prefs.mode)}", cb.open_entry(reply.also.id)), *offer]
    if reply.entry is not None and reply.status in (ANSWER, "crisis"):
        return text, answer_keyboard(reply.entry, kb, prefs, log_id, offer=offer)
    if reply.status == SUGGEST:
        ctx = cb.log_context(log_id)
        rows = [[button(e.title_in(prefs.lang), cb.view(e.id, "", ctx))] for e in match.suggestions]
        rows.append([button(labels()[prefs.lang]["none_of_these"], cb.none_of_these(log_id))])
        return text, keyboard([*rows, offer])
    return text, keyboard([offer])


def answer_keyboard(entry: Entry, kb: KnowledgeBase, prefs: Prefs, log_id: int | None,
                    shown: str = "", offer: list[InlineKeyboardButton] | None = None) -> Markup:
    """Under an answer: next steps and contacts, related entries, a pathway offered, 👍/👎 when it was logged."""
    T, ctx = texts(prefs.lang), cb.log_context(log_id)
    rows: list[list[InlineKeyboardButton]] = []
    if shown:
        rows.append([button(T["btn_back"], cb.view(entry.id, "", ctx))])
    parts = [("n", T["btn_next_steps"], entry.next_steps), ("c", T["btn_contacts"], entry.contacts)]
    rows.append([button(text, cb.view(entry.id, sec, ctx)) for sec, text, has in parts if has and sec != shown])
    if not shown:
        rows += [[button(f"↗ {e.title_in(prefs.lang, prefs.mode)}", cb.open_entry(e.id))]
                 for e in kb.related(entry, prefs.mode)[:RELATED_BUTTONS]]
    rows.append(offer or [])
    if log_id:
        rows.append([button(T["btn_up"], cb.feedback(log_id, True)),
                     button(T["btn_down"], cb.feedback(log_id, False))])
    return keyboard(rows)


def entry_message(entry: Entry, kb: KnowledgeBase, prefs: Prefs, section: str = "",
                  ctx: str = "") -> tuple[str, Markup]:
    """An entry (or one part of it) opened from a button, in the context it came from."""
    log_id, listing = cb.parse_context(ctx)
    if listing is None:  # an answer, or an entry opened on its own
        if not section or section not in available_sections(entry, kb, prefs.mode, card=False):
            html = render_entry(entry, kb, prefs.mode, prefs.lang, FORMAT)
            return html, answer_keyboard(entry, kb, prefs, log_id)
        return (section_html(entry, kb, prefs, section),
                answer_keyboard(entry, kb, prefs, log_id, shown=section))
    list_code, page_number = listing
    if not section:
        return card_html(entry, kb, prefs), card_keyboard(entry, kb, prefs, list_code, page_number)
    return section_html(entry, kb, prefs, section), section_keyboard(entry, kb, prefs, section, ctx)


def available_sections(entry: Entry, kb: KnowledgeBase, mode: str, card: bool = True) -> list[str]:
    if not card:
        return [s for s, has in (("n", entry.next_steps), ("c", entry.contacts)) if has]
    has = {"d": True, "x": bool(entry.does_not), "c": bool(entry.contacts), "n": bool(entry.next_steps),
           "r": bool(kb.related(entry, mode))}
    return [s for s in cb.SECTIONS if has[s]]


def section_html(entry: Entry, kb: KnowledgeBase, prefs: Prefs, section: str) -> str:
    v = entry_view(entry, kb, prefs.mode, prefs.lang)
    related = [{"id": e.id, "title": e.title_in(prefs.lang, prefs.mode)} for e in kb.related(entry, prefs.mode)]
    return render("section", prefs.lang, v=v, section=section, related=related)


def card_html(entry: Entry, kb: KnowledgeBase, prefs: Prefs) -> str:
    v = entry_view(entry, kb, prefs.mode, prefs.lang)
    return render("card", prefs.lang, v=v, gist=gist(v.text))


def gist(text: str, limit: int = GIST_CHARS) -> str:
    """The first paragraph, cut at a sentence (or word) near `limit` characters."""
    first = text.strip().split("\n\n", 1)[0].strip()
    if len(first) <= limit:
        return first
    cut = first[:limit]
    end = max(cut.rfind(". "), cut.rfind("! "), cut.rfind("? "))
    if end >= limit // 2:
        return cut[:end + 1]
    return cut.rsplit(" ", 1)[0].rstrip(",;:–-") + " …"


def _section_label(entry: Entry, section: str, lang: str) -> str:
    T = texts(lang)
    if section == "d":
        return T["btn_does"] if entry.kind == "actor" else T["btn_about"]
    if section == "r":
        return T["btn_insatser"] if entry.kind == "actor" else T["btn_related"]
    return {"x": T["btn_does_not"], "c": T["btn_contacts"], "n": T["btn_next_steps"]}[section]


def card_keyboard(entry: Entry, kb: KnowledgeBase, prefs: Prefs, list_code: str, page_number: int) -> Markup:
    lang, ctx = prefs.lang, cb.list_context(list_code, page_number)
    sections = [button(_section_label(entry, s, lang), cb.view(entry.id, s, ctx))
                for s in available_sections(entry, kb, prefs.mode)]
    rows = [sections[i:i + 2] for i in range(0, len(sections), 2)]
    if entry.kind in ("task", "insats"):  # who does it: straight to the actor's card
        actors = (kb.get(a) for a in entry.responsible)
        rows += [[button(f"→ {a.title_in(lang)}", cb.view(a.id, "", ctx))] for a in actors if a is not None]
    rows.append([button(texts(lang)["btn_back"], cb.page(list_code, page_number))])
    return keyboard(rows)


def section_keyboard(entry: Entry, kb: KnowledgeBase, prefs: Prefs, section: str, ctx: str) -> Markup:
    rows = []
    if section == "r":
        rows += [[button(e.title_in(prefs.lang, prefs.mode), cb.view(e.id, "", ctx))]
                 for e in kb.related(entry, prefs.mode)]
    rows.append([button(texts(prefs.lang)["btn_back"], cb.view(entry.id, "", ctx))])
    return keyboard(rows)


