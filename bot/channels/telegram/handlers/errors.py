"""The error handler: log the fault, tell the user in their language, show no internals."""

from __future__ import annotations

import contextlib
import logging

from telegram import Update
from telegram.error import Forbidden, TelegramError

from bot.channels.telegram.handlers import views
from bot.channels.telegram.handlers.common import Context

logger = logging.getLogger(__name__)


async def on_error(update: object, context: Context) -> None:
    error = context.error
    if isinstance(error, Forbidden):  # the user blocked the bot: nobody to tell
        logger.info("cannot reach a user: %s", error)
        return
    # The update itself is not logged: it holds the user's text.
    update_id = update.update_id if isinstance(update, Update) else None
    logger.error("update %s failed", update_id, exc_info=error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    data = context.user_data or {}
    lang: str = data["lang"] if data.get("lang") in ("sv", "en") else "sv"
    if update.callback_query is not None:
        with contextlib.suppress(TelegramError):  # stop the button's spinner; it may be answered already
            await update.callback_query.answer()
    try:
        await context.bot.send_message(update.effective_chat.id, views.say(lang, "error"))
    except TelegramError:  # the fault may be the connection itself
        logger.warning("could not tell the user about the failure of update %s", update_id)
