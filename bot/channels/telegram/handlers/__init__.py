"""Telegram handlers, thin: an Update goes to the core (`bot.service.Rehabbot`) and back.

`register` adds them in the order they are tried. Message handlers only see
new messages (`UpdateType.MESSAGE`): an edited message is not a new question.
In groups only commands and messages that mention the bot are answered.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.channels.telegram.handlers import (
    admin,
    browse,
    buttons,
    callbacks,
    conversation,
    errors,
    flood,
    inline,
    maps,
    pathways,
)

NEW = filters.UpdateType.MESSAGE


class ButtonHandler(CallbackQueryHandler):
    """A button with a `callback_data` pattern. PTB lets a query with no data (or "") match
    every pattern, and a handler then finds no match to read (a TypeError, once): such a query
    matches none, and reaches `buttons.on_unknown`."""

    def check_update(self, update: object) -> bool | object | None:
        query = update.callback_query if isinstance(update, Update) else None
        if query is None or not isinstance(query.data, str) or not query.data:
            return False
        return super().check_update(update)


def register(app: Application) -> None:
    app.add_handler(TypeHandler(Update, flood.guard), group=-1)  # before everything else
    commands = [
        (["start"], conversation.start),
        (["lage", "mode"], conversation.mode),
        (["sprak", "language", "lang"], conversation.language),
        (["hjalp", "help"], conversation.help_command),
        (["om", "about"], conversation.about),
        (["aktorer", "actors"], browse.actors),
        (["insatser", "services"], browse.insatser),
        (["vemgorvad", "whodoeswhat"], browse.tasks),
        (["vagledning", "guide"], pathways.command),
        (["karta", "map"], maps.command),
        (["reload"], admin.reload),
        (["kbinfo"], admin.kbinfo),
        (["stats"], admin.stats),
    ]
    for names, callback in commands:
        app.add_handler(CommandHandler(names, callback, filters=NEW))

    app.add_handler(ButtonHandler(buttons.on_view, pattern=callbacks.VIEW))
    app.add_handler(ButtonHandler(buttons.on_open, pattern=callbacks.OPEN))
    app.add_handler(ButtonHandler(buttons.on_page, pattern=callbacks.PAGE))
    app.add_handler(ButtonHandler(buttons.on_feedback, pattern=callbacks.FEEDBACK))
    app.add_handler(ButtonHandler(buttons.on_none_of_these, pattern=callbacks.NONE_OF_THESE))
    app.add_handler(ButtonHandler(buttons.on_mode, pattern=callbacks.MODE))
    app.add_handler(ButtonHandler(buttons.on_lang, pattern=callbacks.LANG))
    app.add_handler(ButtonHandler(buttons.on_noop, pattern=callbacks.NOOP))
    app.add_handler(ButtonHandler(pathways.on_walk, pattern=callbacks.WALK))
    app.add_handler(ButtonHandler(pathways.on_plan, pattern=callbacks.PLAN))
    app.add_handler(ButtonHandler(pathways.on_walk_new, pattern=callbacks.WALK_NEW))
    app.add_handler(ButtonHandler(pathways.on_list, pattern=callbacks.WALK_LIST))
    app.add_handler(ButtonHandler(pathways.on_cancel, pattern=callbacks.WALK_CANCEL))
    app.add_handler(ButtonHandler(maps.on_map, pattern=callbacks.MAP))
    app.add_handler(ButtonHandler(admin.on_upload_confirm, pattern=callbacks.UPLOAD))
    app.add_handler(CallbackQueryHandler(buttons.on_unknown))  # anything else, empty data too

    app.add_handler(InlineQueryHandler(inline.inline_query))

    app.add_handler(MessageHandler(NEW & filters.ChatType.PRIVATE & filters.Document.ALL, admin.document))
    app.add_handler(MessageHandler(NEW & filters.TEXT & ~filters.COMMAND, conversation.question))
    # Unknown commands, stickers, photos, empty messages… in a private chat: say what works.
    app.add_handler(MessageHandler(NEW & filters.ChatType.PRIVATE, conversation.unsupported))

    app.add_error_handler(errors.on_error)
