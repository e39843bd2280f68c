"""/start and /lage, /sprak: the welcome, the mode and language buttons, the privacy notice."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot.answers.render import found_phrase, labels
from bot.channels.telegram.handlers import callbacks as cb
from bot.channels.telegram.handlers.views.base import (
    Markup,
    Prefs,
    button,
    render,
    texts,
)
from bot.settings import LANGS


def settings_keyboard(prefs: Prefs, modes: bool = True, langs: bool = True) -> InlineKeyboardMarkup:
    T, mark = texts(prefs.lang), texts(prefs.lang)["selected"]

    def chosen(text: str, on: bool) -> str:
        return f"{mark}{text}" if on else text

    rows = []
    if modes:
        rows += [[button(chosen(T["btn_staff"], prefs.mode == "staff"), cb.mode("staff"))],
                 [button(chosen(T["btn_individual"], prefs.mode == "individual"), cb.mode("individual"))]]
    if langs:  # each language in its own name, two to a row
        names = labels()["sv"]["web"]["lang_names"]
        buttons = [button(chosen(names[code], prefs.lang == code), cb.lang(code)) for code in LANGS]
        rows += [buttons[i:i + 2] for i in range(0, len(buttons), 2)]
    return InlineKeyboardMarkup(rows)


def offer_text(lang: str) -> str:
    """"You wrote in Arabic. Do you want me to always answer in Arabic?", in that language (escaped)."""
    from markupsafe import escape
    name = labels()["sv"]["web"]["lang_names"][lang]
    return str(escape(labels()[lang]["language_offer"].format(language=name)))


def with_row(markup: Markup, extra: InlineKeyboardMarkup) -> InlineKeyboardMarkup:
    rows = [list(row) for row in (markup.inline_keyboard if markup else ())]
    return InlineKeyboardMarkup([*rows, *[list(row) for row in extra.inline_keyboard]])


def language_offer(lang: str) -> InlineKeyboardMarkup:
    """Under an answer given in the message's language: make it the setting, in one tap."""
    name = labels()["sv"]["web"]["lang_names"][lang]
    return InlineKeyboardMarkup([[button(f"✓ {name}", cb.lang(lang))]])


def welcome(prefs: Prefs) -> tuple[str, Markup]:
    return render("welcome", prefs.lang), settings_keyboard(prefs)


def settings(prefs: Prefs, notice: bool = False, intro: str = "",
             modes: bool = True, langs: bool = True) -> tuple[str, Markup]:
    html = render("settings", prefs.lang, mode=prefs.mode, intro=intro, notice=notice)
    return html, settings_keyboard(prefs, modes, langs)


def notice(lang: str, found: frozenset[str] | set[str] = frozenset(), privacy: bool = False) -> str:
    """The one-time privacy notice and/or "it was not stored", or '' for neither."""
    what = found_phrase(lang, found)
    return render("notice", lang, found=what, privacy=privacy) if (what or privacy) else ""


