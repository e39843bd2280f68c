"""/aktorer, /insatser, /vemgorvad: the paged lists of entries."""

from __future__ import annotations

from bot.channels.telegram.handlers import callbacks as cb
from bot.channels.telegram.handlers.views.base import (
    PAGE_SIZE,
    Markup,
    button,
    keyboard,
    render,
    texts,
)
from bot.kb.model import KnowledgeBase

LIST_TITLES = {"a": "list_actors", "i": "list_insatser", "t": "list_tasks"}


def list_page(kb: KnowledgeBase, list_code: str, page_number: int, lang: str) -> tuple[str, Markup]:
    """One page of /aktorer, /insatser or /vemgorvad: a button per entry, ◀ n/N ▶."""
    entries = kb.of_kind(cb.LISTS[list_code])
    pages = max(1, -(-len(entries) // PAGE_SIZE))
    page_number = min(max(page_number, 0), pages - 1)
    shown = entries[page_number * PAGE_SIZE:(page_number + 1) * PAGE_SIZE]
    ctx = cb.list_context(list_code, page_number)
    rows = [[button(e.title_in(lang), cb.view(e.id, "", ctx))] for e in shown]
    if pages > 1:
        T = texts(lang)
        rows.append([
            button(T["btn_prev"], cb.page(list_code, page_number - 1)) if page_number > 0
            else button("·", cb.NOOP_DATA),
            button(f"{page_number + 1}/{pages}", cb.NOOP_DATA),
            button(T["btn_next"], cb.page(list_code, page_number + 1)) if page_number < pages - 1
            else button("·", cb.NOOP_DATA)])
    html = render("list", lang, title=texts(lang)[LIST_TITLES[list_code]], page=page_number, pages=pages)
    return html, keyboard(rows)


