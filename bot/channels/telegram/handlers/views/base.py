"""The building blocks: a user's preferences, the templates and labels, buttons and keyboards.

All wording comes from `bot/answers/templates/telegram/` and the `tg:` labels in
`bot/answers/labels.yaml`; the templates are autoescaped, so knowledge text can never inject markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.answers.render import environment, labels
from bot.settings import LANGS, MODES

FORMAT = "telegram"
MAX_MESSAGE = 4096  # Telegram's limit for one message's text
PAGE_SIZE = 8
RELATED_BUTTONS = 3
GIST_CHARS = 320
SHORT_OPTION = 14  # options this short ("Ja", "Nej", "Vet inte") sit side by side

Markup = InlineKeyboardMarkup | None


@dataclass(frozen=True)
class Prefs:
    """A user's mode and language, as the console has them."""

    mode: str = "staff"
    lang: str = "sv"
    mode_chosen: bool = False  # False: the first telling question decides the mode (bot.understanding.guess_mode)

    def __post_init__(self) -> None:
        if self.mode not in MODES or self.lang not in LANGS:
            raise ValueError(f"unknown mode or language: {self.mode!r}, {self.lang!r}")


# -- templates ---------------------------------------------------------------

def texts(lang: str) -> dict[str, Any]:
    """The Telegram labels (`tg:` in labels.yaml) of one language."""
    return labels()[lang]["tg"]


def render(name: str, lang: str, **context: Any) -> str:
    """A template of `templates/telegram/` as Telegram HTML."""
    template = environment().get_template(f"{FORMAT}/{name}.j2")
    html = template.render(L=labels()[lang], T=texts(lang), lang=lang, **context)
    return re.sub(r"\n{3,}", "\n\n", html).strip()


def say(lang: str, key: str, **values: Any) -> str:
    """One label as HTML, its values escaped (only labels with fixed text go out unescaped)."""
    from markupsafe import escape
    text = str(escape(texts(lang)[key]))
    return text.format(**{k: escape(v) for k, v in values.items()}) if values else text


def button(text: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=data)


def keyboard(rows: list[list[InlineKeyboardButton]]) -> Markup:
    rows = [row for row in rows if row]
    return InlineKeyboardMarkup(rows) if rows else None


