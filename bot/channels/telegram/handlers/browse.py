"""Browsing without a question: /aktorer, /insatser (paged), /vemgorvad (task → actor)."""

from __future__ import annotations

from telegram import Update

from bot.channels.telegram.handlers import views
from bot.channels.telegram.handlers.common import Context, get_prefs, message_of, send, services


async def _list(update: Update, context: Context, list_code: str) -> None:
    prefs = await get_prefs(update, context)
    html, markup = views.list_page(services(context).rehabbot.kb, list_code, 0, prefs.lang)
    await send(message_of(update), html, markup)


async def actors(update: Update, context: Context) -> None:
    """/aktorer: the actors → an actor card → what they do, don't do, contacts, next steps, insatser."""
    await _list(update, context, "a")


async def insatser(update: Update, context: Context) -> None:
    """/insatser: the insatskatalog, a page at a time."""
    await _list(update, context, "i")


async def tasks(update: Update, context: Context) -> None:
    """/vemgorvad: the tasks; each card leads on to the actor responsible."""
    await _list(update, context, "t")
