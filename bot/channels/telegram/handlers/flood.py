"""The per-person flood limit in front of every other handler (bot/channels/flood.py).

Runs in handler group -1, so it sees each update first: within the limit nothing happens
here; over it, the first message gets a polite notice in the person's language and the
rest stop here (`ApplicationHandlerStop`), so one flooding user no longer keeps the bot from
everyone else. Messages and inline queries count (each is matched against the knowledge);
button presses do not (they cost an answer to the press, and people tap through pages fast).
Admins are never limited (an upload and its confirmation come in a row).
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from bot.channels.flood import ALLOW, NOTICE
from bot.channels.telegram.handlers import views
from bot.channels.telegram.handlers.common import Context, get_prefs, send, services


async def guard(update: Update, context: Context) -> None:
    user = update.effective_user
    message, inline = update.message, update.inline_query
    if user is None or (message is None and inline is None):
        return
    svc = services(context)
    if svc.is_admin(user.id):
        return
    verdict = svc.flood.check(user.id, message.text or "" if message is not None else "")
    if verdict == ALLOW:
        return
    if verdict == NOTICE and message is not None:
        prefs = await get_prefs(update, context)
        await send(message, views.say(prefs.lang, "too_fast"))
    raise ApplicationHandlerStop
