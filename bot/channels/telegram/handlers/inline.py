"""Inline mode: `@bot fråga` in any chat offers up to five answers to share."""

from __future__ import annotations

import asyncio
import re

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    Update,
)

from bot.answers import render_entry
from bot.channels.telegram.handlers import views
from bot.channels.telegram.handlers.common import Context, get_prefs, services, user_id
from bot.channels.telegram.handlers.conversation import MAX_QUESTION
from bot.matching import ANSWER, SUGGEST
from bot.service import CRISIS, SMALLTALK

MAX_RESULTS = 5
DESCRIPTION_CHARS = 100


async def inline_query(update: Update, context: Context) -> None:
    """The best matches as articles; choosing one posts the answer (Telegram HTML) in that chat."""
    query = update.inline_query
    assert query is not None, "InlineQueryHandler only passes updates with an inline query"
    prefs = await get_prefs(update, context)
    T = views.texts(prefs.lang)
    ask_bot = InlineQueryResultsButton(text=T["btn_ask_bot"], start_parameter="inline")
    text = " ".join(query.query.split())[:MAX_QUESTION]
    if not text:
        await query.answer([], button=ask_bot, cache_time=0, is_personal=True)
        return
    svc = services(context)
    kb = svc.rehabbot.kb
    reply = await asyncio.to_thread(svc.rehabbot.ask, text, prefs.mode, prefs.lang, fmt=views.FORMAT)  # off the loop
    match = reply.match
    await svc.store.log_question(
        channel="inline", mode=prefs.mode, lang=prefs.lang, question=text, status=reply.status,
        entry_id=reply.entry.id if reply.entry else None, confidence=match.confidence,
        elapsed_ms=reply.elapsed_ms, user_id=user_id(update))
    if reply.status == CRISIS:  # the crisis reply, and nothing else to pick
        first = reply.text.split("\n", 1)[0]
        crisis = InlineQueryResultArticle(id="crisis", title=re.sub(r"<[^>]+>", "", first)[:64],
                                          input_message_content=InputTextMessageContent(reply.text))
        await query.answer([crisis], button=ask_bot, cache_time=0, is_personal=True)
        return
    if reply.status == SMALLTALK:
        await query.answer([], button=ask_bot, cache_time=0, is_personal=True)
        return
    chosen = []
    if match.status == ANSWER and match.entry is not None:
        chosen.append(match.entry)
    elif match.status == SUGGEST:
        chosen += match.suggestions
    if chosen:  # fill up with the rest of the ranking that is at least worth suggesting
        floor = svc.rehabbot.snapshot.matcher.thresholds.suggest
        chosen += [c.entry for c in match.candidates if c.score >= floor]
    entries = list({e.id: e for e in chosen}.values())[:MAX_RESULTS]
    results = []
    for entry in entries:
        html = views.split_html(render_entry(entry, kb, prefs.mode, prefs.lang, views.FORMAT))[0]
        plain = entry.text_in(prefs.mode, prefs.lang)[0]
        markup = None
        if context.bot.username:
            markup = InlineKeyboardMarkup([[InlineKeyboardButton(
                T["btn_open"], url=f"https://t.me/{context.bot.username}?start=e_{entry.id}")]])
        results.append(InlineQueryResultArticle(
            id=entry.id, title=entry.title_in(prefs.lang),
            description=" ".join(plain.split())[:DESCRIPTION_CHARS],
            input_message_content=InputTextMessageContent(html), reply_markup=markup))
    await query.answer(results, button=ask_bot, cache_time=0, is_personal=True)
