"""What every handler needs: the services, the user's settings, sending and editing."""

from __future__ import annotations

import re
from collections import deque
from typing import TYPE_CHECKING, Any

from telegram import CallbackQuery, Message, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.channels.telegram.handlers.views import Markup, Prefs, split_html
from bot.settings import LANGS, MODES

if TYPE_CHECKING:
    from bot.channels.telegram import Services

Context = ContextTypes.DEFAULT_TYPE
RECENT_LOGS = 50  # log ids whose 👍/👎 buttons a chat may still press


def services(context: Context) -> Services:
    return context.application.services  # type: ignore[attr-defined]


def message_of(update: Update) -> Message:
    """The message a command or message handler answers: their filter (`UpdateType.MESSAGE`) admits no other."""
    message = update.effective_message
    assert message is not None, "CommandHandler and MessageHandler only pass updates with a message"
    return message


def query_of(update: Update) -> CallbackQuery:
    """The query of the button that was pressed."""
    query = update.callback_query
    assert query is not None, "CallbackQueryHandler only passes updates with a callback query"
    return query


def match_of(context: Context) -> re.Match[str]:
    """The button's `callback_data` matched against its handler's pattern."""
    assert context.matches, "CallbackQueryHandler(pattern=<regex>) sets context.matches"
    return context.matches[0]


def user_id(update: Update) -> int | None:
    return update.effective_user.id if update.effective_user else None


async def get_prefs(update: Update, context: Context) -> Prefs:
    """The user's mode and language: the store's copy when there is one, else this process's."""
    data = context.user_data if context.user_data is not None else {}
    saved: dict[str, Any] = {}
    uid = user_id(update)
    if uid is not None:
        saved = await services(context).store.get_settings(uid) or {}
    mode = saved.get("mode") or data.get("mode")
    lang = saved.get("lang") or data.get("lang")
    chosen = bool(saved.get("mode")) or bool(data.get("mode_chosen"))
    prefs = Prefs(mode if mode in MODES else "staff", lang if lang in LANGS else "sv", chosen)
    if context.user_data is not None:
        context.user_data.update(mode=prefs.mode, lang=prefs.lang)
    return prefs


async def set_prefs(update: Update, context: Context, mode: str | None = None, lang: str | None = None) -> Prefs:
    current = await get_prefs(update, context)
    prefs = Prefs(mode or current.mode, lang or current.lang, current.mode_chosen or mode is not None)
    if context.user_data is not None:
        context.user_data.update(mode=prefs.mode, lang=prefs.lang, mode_chosen=prefs.mode_chosen)
    uid = user_id(update)
    if uid is not None:
        await services(context).store.set_settings(uid, mode=mode, lang=lang)
    return prefs


def take_privacy_notice(context: Context, prefs: Prefs) -> bool:
    """True once per user, the first time they are in individual mode."""
    if prefs.mode != "individual" or context.user_data is None or context.user_data.get("privacy_noticed"):
        return False
    context.user_data["privacy_noticed"] = True
    return True


def remember_log(context: Context, log_id: int | None) -> None:
    """Feedback buttons are honoured only for answers this chat was given (forged data is not)."""
    if log_id and context.chat_data is not None:
        recent = deque(context.chat_data.get("logs", []), maxlen=RECENT_LOGS)
        recent.append(log_id)
        context.chat_data["logs"] = list(recent)


def knows_log(context: Context, log_id: int) -> bool:
    return context.chat_data is not None and log_id in context.chat_data.get("logs", [])


async def send(message: Message, html: str, markup: Markup = None) -> Message:
    """Reply with `html`, split at paragraphs when longer than a message; buttons go on the last part."""
    parts = split_html(html)
    sent = message
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        sent = await message.reply_text(part, reply_markup=markup if last else None)
    return sent


async def show(query: CallbackQuery, html: str, markup: Markup = None) -> None:
    """Put `html` in the message the button belongs to; if it needs several messages, send them."""
    parts = split_html(html)
    message = query.message if isinstance(query.message, Message) else None
    if len(parts) == 1:
        try:
            await query.edit_message_text(parts[0], reply_markup=markup)
            return
        except BadRequest as exc:
            reason = str(exc).lower()
            # Tapping the button of what is already shown: nothing to change, nothing wrong.
            if "not modified" in reason:
                return
            # A message too old to edit, gone, or a photo (no text to edit): show it anew instead.
            if message is None or not ("can't be edited" in reason or "not found" in reason
                                       or "no text in the message" in reason):
                raise
    if message is not None:
        await send(message, html, markup)
