"""StorePersistence with a real python-telegram-bot Application.

A settings conversation (/installningar → mode → language) is started in one
Application, which is then shut down, and finished in a second Application on
a newly opened store: the conversation state, user_data, chat_data and
bot_data must all have survived, and the database must hold no Telegram id
in clear. The Bot API is a fake HTTP server on 127.0.0.1.
"""

from __future__ import annotations

import asyncio

import pytest
from telegram import Update
from telegram.ext import (
    Application,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    PersistenceInput,
    filters,
)

from bot.store import Store, open_store
from bot.store.persistence import StorePersistence

try:
    from tests.store_fixtures import (  # noqa: F401
        FakeBotApi, dump_database, fake_bot_api, pg_schema_url, pg_url, store_url,
    )
except ImportError:
    from store_fixtures import (  # noqa: F401
        FakeBotApi, dump_database, fake_bot_api, pg_schema_url, pg_url, store_url,
    )

MODE, LANG = range(2)
USER = 5551234567
OTHER_USER = 5559876543


def build_app(api: FakeBotApi, store: Store) -> Application:
    """A small bot: a persistent settings conversation that also uses the store."""

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        context.bot_data["starts"] = context.bot_data.get("starts", 0) + 1
        context.chat_data["started_here"] = True
        await update.message.reply_text("Välj läge: staff eller individual")
        return MODE

    async def choose_mode(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        context.user_data["mode"] = update.message.text
        context.user_data["last_question"] = "mitt pnr är 811218-9876"
        await asyncio.to_thread(store.set_settings, update.effective_user.id, mode=update.message.text)
        await update.message.reply_text("Välj språk: sv eller en")
        return LANG

    async def choose_lang(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        mode = context.user_data.get("mode", "okänt")
        context.user_data["lang"] = update.message.text
        await asyncio.to_thread(store.set_settings, update.effective_user.id, lang=update.message.text)
        started = "ja" if context.chat_data.get("started_here") else "nej"
        await update.message.reply_text(
            f"Klart: läge {mode}, språk {update.message.text}, startad här: {started}, "
            f"starter totalt: {context.bot_data.get('starts')}"
        )
        return ConversationHandler.END

    app = (
        Application.builder()
        .token(api.token)
        .base_url(api.base_url)
        .updater(None)
        .persistence(StorePersistence(store))
        .build()
    )
    app.add_handler(
        ConversationHandler(
            entry_points=[CommandHandler("installningar", start)],
            states={
                MODE: [MessageHandler(filters.TEXT & ~filters.COMMAND, choose_mode)],
                LANG: [MessageHandler(filters.TEXT & ~filters.COMMAND, choose_lang)],
            },
            fallbacks=[],
            name="installningar",
            persistent=True,
        )
    )
    return app


async def send(app: Application, api: FakeBotApi, user_id: int, text: str) -> None:
    await app.process_update(Update.de_json(api.text_update(user_id, text), app.bot))


@pytest.mark.asyncio
async def test_conversation_and_data_survive_a_restart(fake_bot_api: FakeBotApi, store_url: str) -> None:
    store = open_store(store_url, env={})
    app = build_app(fake_bot_api, store)
    async with app:
        await send(app, fake_bot_api, USER, "/installningar")
        await send(app, fake_bot_api, USER, "individual")
        await send(app, fake_bot_api, OTHER_USER, "/installningar")
    store.close()
    assert fake_bot_api.sent_texts()[-1] == "Välj läge: staff eller individual"

    # A new process would do exactly this: open the store, build the app.
    store = open_store(store_url, env={})
    app = build_app(fake_bot_api, store)
    async with app:
        await send(app, fake_bot_api, USER, "en")  # answered in state LANG: the state survived
        reply = fake_bot_api.sent_texts()[-1]
        assert reply == "Klart: läge individual, språk en, startad här: ja, starter totalt: 2"
        await send(app, fake_bot_api, OTHER_USER, "staff")  # OTHER_USER is still in state MODE
        assert fake_bot_api.sent_texts()[-1] == "Välj språk: sv eller en"
    assert store.get_settings(USER) == {"mode": "individual", "lang": "en"}
    store.close()

    # The finished conversation is gone from the database: plain text now
    # matches no state and gets no reply.
    store = open_store(store_url, env={})
    app = build_app(fake_bot_api, store)
    sent_before = len(fake_bot_api.sent_texts())
    async with app:
        await send(app, fake_bot_api, USER, "sv")
        assert len(fake_bot_api.sent_texts()) == sent_before
        await send(app, fake_bot_api, OTHER_USER, "sv")
        assert fake_bot_api.sent_texts()[-1].startswith("Klart: läge staff, språk sv")
    store.close()

    dump = repr(dump_database(store_url))
    for real_id in (USER, OTHER_USER):
        assert str(real_id) not in dump
    assert "811218-9876" not in dump and "[personnummer]" in dump  # user_data was redacted


@pytest.mark.asyncio
async def test_persistence_methods_keep_ids_out_and_forget_finds_them(store_url: str) -> None:
    store = open_store(store_url, env={})
    try:
        persistence = StorePersistence(store, store_data=PersistenceInput(callback_data=True))
        await persistence.update_user_data(USER, {"mode": "staff", "note": "ring 070-123 45 67"})
        await persistence.update_chat_data(USER, {"x": 1})
        await persistence.update_chat_data(OTHER_USER, {"x": 2})
        await persistence.update_conversation("c", (USER, USER), 1)
        await persistence.update_conversation("c", (OTHER_USER, OTHER_USER), 2)
        await persistence.update_bot_data({"reloads": 3})
        await persistence.update_callback_data(([("uuid-1", 1.5, {"k": "v"})], {"m": "uuid-1"}))

        fresh = StorePersistence(store, store_data=PersistenceInput(callback_data=True))
        assert await fresh.get_user_data() == {}  # loaded lazily, by hash
        user_data: dict = {}
        await fresh.refresh_user_data(USER, user_data)
        assert user_data == {"mode": "staff", "note": "ring [telefon]"}
        assert await fresh.get_conversations("c") == {(USER, USER): 1, (OTHER_USER, OTHER_USER): 2}
        assert await fresh.get_bot_data() == {"reloads": 3}
        assert await fresh.get_callback_data() == ([("uuid-1", 1.5, {"k": "v"})], {"m": "uuid-1"})

        # An empty dict for a user this process never loaded must not wipe stored data.
        await fresh.update_user_data(OTHER_USER, {})
        await persistence.update_user_data(OTHER_USER, {"mode": "individual"})
        await StorePersistence(store).update_user_data(OTHER_USER, {})
        other: dict = {}
        await StorePersistence(store).refresh_user_data(OTHER_USER, other)
        assert other == {"mode": "individual"}

        dump = repr(dump_database(store_url))
        assert str(USER) not in dump and str(OTHER_USER) not in dump

        deleted = store.forget(USER)
        assert deleted == 3  # user data, private chat data, conversation
        after = StorePersistence(store)
        assert await after.get_conversations("c") == {(OTHER_USER, OTHER_USER): 2}
        gone: dict = {}
        await after.refresh_user_data(USER, gone)
        assert gone == {}

        await after.update_conversation("c", (OTHER_USER, OTHER_USER), None)
        assert await after.get_conversations("c") == {}
        await after.drop_chat_data(OTHER_USER)
        chat: dict = {}
        await StorePersistence(store).refresh_chat_data(OTHER_USER, chat)
        assert chat == {}
    finally:
        store.close()


@pytest.mark.asyncio
async def test_non_json_data_is_refused_with_a_clear_error(store_url: str) -> None:
    store = open_store(store_url, env={})
    try:
        with pytest.raises(TypeError, match="JSON"):
            await StorePersistence(store).update_user_data(USER, {"when": object()})
    finally:
        store.close()
