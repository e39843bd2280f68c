"""The conversation: /start, mode and language, /hjalp, /om, and free-text questions.

The same behaviour as the console (`bot/console.py`): a question goes to the
core in the user's mode and language; a suggestion can be picked by tapping
it (or, as in the console, by sending its number).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging

from telegram import Message, MessageEntity, Update
from telegram.constants import ChatType

from bot.channels.telegram.handlers import views
from bot.channels.telegram.handlers.common import (
    Context,
    get_prefs,
    message_of,
    remember_log,
    send,
    services,
    set_prefs,
    take_privacy_notice,
    user_id,
)
from bot.matching import SUGGEST
from bot.service import Conversation
from bot.settings import LANGS
from bot.text.normalize import as_number
from bot.text.redact import redact
from bot.understanding import guess_mode

logger = logging.getLogger(__name__)

MAX_QUESTION = 1000  # characters; longer texts are pasted documents, not questions
MODE_WORDS = {"staff": "staff", "yrke": "staff", "yrkesperson": "staff", "personal": "staff",
              "professional": "staff", "individual": "individual", "egen": "individual",
              "individ": "individual", "self": "individual", "myself": "individual"}
LANG_WORDS = {"sv": "sv", "svenska": "sv", "swedish": "sv", "en": "en", "engelska": "en", "english": "en",
              **{code: code for code in LANGS},
              "arabiska": "ar", "arabic": "ar", "persiska": "fa", "dari": "fa", "farsi": "fa", "persian": "fa",
              "somaliska": "so", "somali": "so", "tigrinja": "ti", "tigrinya": "ti", "turkiska": "tr",
              "turkish": "tr", "turkce": "tr", "polska": "pl", "polish": "pl", "polski": "pl"}


async def start(update: Update, context: Context) -> None:
    """Welcome, then the two modes and the two languages as buttons (`/start e_<id>` opens an entry)."""
    prefs = await get_prefs(update, context)
    if context.args and context.args[0].startswith("e_"):
        entry = services(context).rehabbot.kb.get(context.args[0][2:])
        if entry is not None:
            html, markup = views.entry_message(entry, services(context).rehabbot.kb, prefs)
            await send(message_of(update), html, markup)
            return
    html, markup = views.welcome(prefs)
    await send(message_of(update), html, markup)


async def mode(update: Update, context: Context) -> None:
    """/lage [staff|individual]: change mode, with buttons when no argument is given."""
    await _setting(update, context, MODE_WORDS, "mode")


async def language(update: Update, context: Context) -> None:
    """/sprak [sv|en]: change language, with buttons when no argument is given."""
    await _setting(update, context, LANG_WORDS, "lang")


async def _setting(update: Update, context: Context, words: dict[str, str], which: str) -> None:
    value = words.get((context.args or [""])[0].lower())
    if value is None:
        prefs = await get_prefs(update, context)
        intro = views.texts(prefs.lang)["choose_mode" if which == "mode" else "choose_lang"]
        html, markup = views.settings(prefs, intro=intro, modes=which == "mode", langs=which == "lang")
    else:
        prefs = await set_prefs(update, context, **{which: value})
        html, markup = views.settings(prefs, notice=take_privacy_notice(context, prefs),
                                      modes=which == "mode", langs=which == "lang")
    await send(message_of(update), html, markup)


async def help_command(update: Update, context: Context) -> None:
    prefs = await get_prefs(update, context)
    admin = services(context).is_admin(user_id(update))
    await send(message_of(update),
               views.render("help", prefs.lang, bot=context.bot.username or "rehabbot", admin=admin))


async def about(update: Update, context: Context) -> None:
    """/om: what the bot is, where the knowledge comes from, privacy, the knowledge base's version."""
    prefs = await get_prefs(update, context)
    svc = services(context)
    kb = svc.rehabbot.kb
    html = views.render("about", prefs.lang, retention_days=svc.store.retention_days, version=kb.version,
                        entries=len(kb.entries), loaded=kb.loaded_at.strftime("%Y-%m-%d %H:%M UTC"))
    await send(message_of(update), html)


async def question(update: Update, context: Context) -> None:
    """A question in a private chat (or one that mentions the bot in a group) → the core's answer."""
    message = message_of(update)
    text = _question_text(message, context.bot.username, context.bot.id)
    if text is None:  # a group message not addressed to us
        return
    await answer(update, context, message, text, channel="telegram")


async def answer(update: Update, context: Context, message: Message, text: str, channel: str) -> None:
    prefs = await get_prefs(update, context)
    text = text.strip()
    if not text:
        await send(message, views.say(prefs.lang, "ask_now"))
        return
    if len(text) > MAX_QUESTION:
        await send(message, views.say(prefs.lang, "too_long", max=MAX_QUESTION))
        return
    svc = services(context)
    chat = context.chat_data if context.chat_data is not None else {}
    offered = chat.get("offered") or []
    number = as_number(text)
    if number is not None and 1 <= number <= len(offered):  # the console's way to pick a suggestion
        entry = svc.rehabbot.kb.get(offered[number - 1])
        chat["offered"] = []
        if entry is not None:
            html, markup = views.entry_message(entry, svc.rehabbot.kb, prefs, "", str(chat.get("offered_log") or ""))
            await send(message, html, markup)
            return
    guessed = guess_mode(text) if not prefs.mode_chosen else None
    if guessed is not None:  # until the user chooses, their first telling message decides
        prefs = await set_prefs(update, context, mode=guessed)
    # In a worker thread: matching (the semantic encode above all) must never stop the event loop,
    # which polls, sends and keeps httpx's timers for every other chat meanwhile.
    reply = await asyncio.to_thread(svc.rehabbot.ask, text, prefs.mode, prefs.lang, fmt=views.FORMAT,
                                    conversation=Conversation.from_dict(chat.get("conversation")))
    chat["conversation"] = reply.conversation.to_dict()
    match = reply.match
    log_id = await svc.store.log_question(
        channel=channel, mode=prefs.mode, lang=prefs.lang, question=text, status=reply.status,
        entry_id=reply.entry.id if reply.entry else None, confidence=match.confidence,
        elapsed_ms=reply.elapsed_ms, user_id=user_id(update))
    remember_log(context, log_id)
    chat["offered"] = [e.id for e in match.suggestions] if reply.status == SUGGEST else []
    chat["offered_log"] = log_id
    shown = dataclasses.replace(prefs, lang=reply.lang)  # the buttons speak the answer's language
    html, markup = views.reply_view(reply, svc.rehabbot.kb, shown, log_id)
    if reply.offer_language:  # written in another language than the setting: offer it
        html += "\n\n<i>" + views.offer_text(reply.lang) + "</i>"
        markup = views.with_row(markup, views.language_offer(reply.lang))
    said = views.notice(shown.lang, _personal_data(text), take_privacy_notice(context, prefs))
    if guessed is not None:
        said = "\n\n".join(x for x in (said, f"<i>{views.say(shown.lang, 'mode_guessed_' + guessed)}</i>") if x)
    await send(message, f"{said}\n\n{html}" if said else html, markup)


def _personal_data(text: str) -> frozenset[str]:
    """What kinds of personal data the store's redaction would remove from `text`."""
    return frozenset(redact(text).kinds)


def _question_text(message: Message, username: str | None, bot_id: int) -> str | None:
    """The question: all of it in a private chat; in a group only when it mentions us, without the mention."""
    text = message.text or ""
    if message.chat.type == ChatType.PRIVATE:
        return text
    mentioned = False
    for entity, value in message.parse_entities([MessageEntity.MENTION, MessageEntity.TEXT_MENTION]).items():
        if (entity.type == MessageEntity.MENTION and username and value.lower() == f"@{username.lower()}") or (
                entity.type == MessageEntity.TEXT_MENTION and entity.user and entity.user.id == bot_id):
            mentioned = True
            text = text.replace(value, " ")
    return " ".join(text.split()) if mentioned else None


async def unsupported(update: Update, context: Context) -> None:
    """Stickers, photos, voice, empty messages…: say what works instead."""
    message = update.effective_message
    if message is None or message.chat.type != ChatType.PRIVATE:
        return
    prefs = await get_prefs(update, context)
    # An unknown command points to /hjalp; an empty text is a question not yet asked; the rest we cannot read.
    text = message.text
    key = "unsupported" if text is None else "unknown_command" if text.startswith("/") else "ask_now"
    await send(message, views.say(prefs.lang, key))
