"""What the Telegram channel shows, one module per job; handlers decide *what* to show.

`base` (preferences, templates, buttons), `settings` (/start, mode and language), `answers`
(an answer and the entries opened from it), `lists`, `walks` (guided pathways) and `html`
(Telegram HTML within its limits). Everything is re-exported here: `views.reply_view(…)`.
"""

from bot.channels.telegram.handlers.views.answers import (
    answer_keyboard,
    available_sections,
    card_html,
    card_keyboard,
    entry_message,
    gist,
    reply_view,
    section_html,
    section_keyboard,
)
from bot.channels.telegram.handlers.views.base import (
    FORMAT,
    GIST_CHARS,
    MAX_MESSAGE,
    PAGE_SIZE,
    RELATED_BUTTONS,
    SHORT_OPTION,
    Markup,
    Prefs,
    button,
    keyboard,
    render,
    say,
    texts,
)
from bot.channels.telegram.handlers.views.html import (
    size,
    split_html,
)
from bot.channels.telegram.handlers.views.lists import (
    LIST_TITLES,
    list_page,
)
from bot.channels.telegram.handlers.views.settings import (
    language_offer,
    notice,
    offer_text,
    settings,
    settings_keyboard,
    welcome,
    with_row,
)
from bot.channels.telegram.handlers.views.walks import (
    pathway_list,
    plan_message,
    walk_data,
    walk_message,
)

__all__ = [
    "FORMAT",
    "GIST_CHARS",
    "LIST_TITLES",
    "MAX_MESSAGE",
    "PAGE_SIZE",
    "RELATED_BUTTONS",
    "SHORT_OPTION",
    "Markup",
    "Prefs",
    "answer_keyboard",
    "available_sections",
    "button",
    "card_html",
    "card_keyboard",
    "entry_message",
    "gist",
    "keyboard",
    "language_offer",
    "list_page",
    "notice",
    "offer_text",
    "pathway_list",
    "plan_message",
    "render",
    "reply_view",
    "say",
    "section_html",
    "section_keyboard",
    "settings",
    "settings_keyboard",
    "size",
    "split_html",
    "texts",
    "walk_data",
    "walk_message",
    "welcome",
    "with_row",
]
