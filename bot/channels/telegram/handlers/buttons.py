"""Inline buttons: one small handler per kind of `callback_data` (see `callbacks.py`).

Every query is answered (Telegram shows a spinner until it is); data that
matches no pattern, or names an entry that no longer exists, gets a short
"this button no longer works" instead of an error.
"""

from __future__ import annotations

from telegram import Message, Update

from bot.channels.telegram.handlers import callbacks as cb
from bot.channels.telegram.handlers import views
from bot.channels.telegram.handlers.common import (
    Context,
    get_prefs,
    knows_log,
    match_of,
    query_of,
    send,
    services,
    set_prefs,
    show,
    take_privacy_notice,
    user_id,
)


async def on_view(update: Update, context: Context) -> None:
    """`v:<id>:<sec>:<ctx>`: an entry, or a part of it, in the same message."""
    query = query_of(update)
    found = match_of(context)
    svc = services(context)
    prefs = await get_prefs(update, context)
    entry = svc.rehabbot.kb.get(found["id"])
    if entry is None:
        await query.answer(views.texts(prefs.lang)["entry_gone"])
        return
    await query.answer()
    html, markup = views.entry_message(entry, svc.rehabbot.kb, prefs, found["sec"], found["ctx"])
    await show(query, html, markup)


async def on_open(update: Update, context: Context) -> None:
    """`o:<id>`: a related entry in a new message, so the answer above stays."""
    query = query_of(update)
    svc = services(context)
    prefs = await get_prefs(update, context)
    entry = svc.rehabbot.kb.get(match_of(context)["id"])
    message = query.message if isinstance(query.message, Message) else None  # not an InaccessibleMessage
    if entry is None or message is None:
        await query.answer(views.texts(prefs.lang)["entry_gone"])
        return
    await query.answer()
    html, markup = views.entry_message(entry, svc.rehabbot.kb, prefs)
    await send(message, html, markup)


async def on_page(update: Update, context: Context) -> None:
    """`p:<list>:<page>`: a page of /aktorer, /insatser or /vemgorvad."""
    query = query_of(update)
    found = match_of(context)
    prefs = await get_prefs(update, context)
    await query.answer()
    html, markup = views.list_page(services(context).rehabbot.kb, found["list"], int(found["page"]), prefs.lang)
    await show(query, html, markup)


async def on_feedback(update: Update, context: Context) -> None:
    """`fb:<log>:<+|->`: 👍/👎 on an answer this chat was given."""
    query = query_of(update)
    found = match_of(context)
    prefs = await get_prefs(update, context)
    T = views.texts(prefs.lang)
    log_id, uid = int(found["log"]), user_id(update)
    if uid is None or not knows_log(context, log_id):
        await query.answer(T["stale"])
        return
    saved = await services(context).store.add_feedback(log_id, uid, 1 if found["value"] == "+" else -1)
    await query.answer(T["thanks"] if saved else T["thanks_unsaved"])


async def on_none_of_these(update: Update, context: Context) -> None:
    """`n:<log>`: none of the suggestions fit → where to turn instead."""
    query = query_of(update)
    prefs = await get_prefs(update, context)
    await query.answer()
    await show(query, views.render("fallback", prefs.lang, mode=prefs.mode), None)


async def on_mode(update: Update, context: Context) -> None:
    """`m:<s|i>`: staff or individual; the message is redrawn with the choice marked."""
    query = query_of(update)
    prefs = await set_prefs(update, context, mode=cb.MODE_CODES[match_of(context)["mode"]])
    await query.answer()
    html, markup = views.settings(prefs, notice=take_privacy_notice(context, prefs))
    await show(query, html, markup)


async def on_lang(update: Update, context: Context) -> None:
    """`l:<sv|en>`: the language; everything after this comes in it."""
    query = query_of(update)
    prefs = await set_prefs(update, context, lang=match_of(context)["lang"])
    await query.answer()
    html, markup = views.settings(prefs, notice=take_privacy_notice(context, prefs))
    await show(query, html, markup)


async def on_noop(update: Update, context: Context) -> None:
    await query_of(update).answer()


async def on_unknown(update: Update, context: Context) -> None:
    """Anything else: an old button from an earlier version, or forged data."""
    prefs = await get_prefs(update, context)
    await query_of(update).answer(views.texts(prefs.lang)["stale"])
