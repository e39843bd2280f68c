"""/start and /lage, /sprak: the welcome, the mode and language buttons, the privacy notice."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot.channels.telegram.handlers import callbacks as cb
from bot.channels.telegram.handlers.views.base import (
    Markup,
    Prefs,
    button,
    render,
    texts,
)


def settings_keyboard(prefs: Prefs, modes: bool = True, langs: bool = True) -> InlineKeyboardMarkup:
    T, mark = texts(prefs.lang), texts(prefs.lang)["selected"]

    def chosen(text: str, on: bool) -> str:
        return f"{mark}{text}" if on else text

    rows = []
    if modes:
        rows += [[button(chosen(T["btn_staff"], prefs.mode == "staff"), cb.mode("staff"))],
                 [button(chosen(T["btn_individual"], prefs.mode == "individual"), cb.mode("individual"))]]
    if langs:
        rows.append([button(chosen(T["btn_sv"], prefs.lang == "sv"), cb.lang("sv")),
                     button(chosen(T["btn_en"], prefs.lang == "en"), cb.lang("en"))])
    return InlineKeyboardMarkup(rows)


def welcome(prefs: Prefs) -> tuple[str, Markup]:
    return render("welcome", prefs.lang), settings_keyboard(prefs)


def settings(prefs: Prefs, notice: bool = False, intro: str = "",
             modes: bool = True, langs: bool = True) -> tuple[str, Markup]:
    html = render("settings", prefs.lang, mode=prefs.mode, intro=intro, notice=notice)
    return html, settings_keyboard(prefs, modes, langs)


def notice(lang: str, found: frozenset[str] | set[str] = frozenset(), privacy: bool = False) -> str:
    """The one-time privacy notice and/or "it was not stored", or '' for neither."""
    kinds = texts(lang)["found_kinds"]
    names = [kinds[k] for k in sorted(found) if k in kinds]
    what = ""
    if names:
        what = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} {texts(lang)['and']} {names[-1]}"
    return render("notice", lang, found=what, privacy=privacy) if (what or privacy) else ""


