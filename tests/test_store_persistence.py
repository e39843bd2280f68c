"""StorePersistence with a real python-telegram-bot Application.

A small bot keeps what Rehabbot keeps (a user's mode in user_data, the
conversation with the last answer in chat_data, counters in bot_data). One
Application is shut down and a second one, on a newly opened store, must go on
where the first stopped, and the database must hold no Telegram id in clear.
The Bot API is a fake HTTP server on 127.0.0.1.
"""

from __future__ import annotations

import asyncio

import pytest
from store_fixtures import FakeBotApi, dump_database, secret_for
from telegram import Update
from telegram.ext import (
    Application,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    PersistenceInput,
    filters,
)

from bot.store import Store, open_store
from bot.store.persistence import StorePersistence

USER = 5551234567
OTHER_USER = 5559876543


def build_app(api: FakeBotApi, store: Store) -> Application:
    """`/lage MODE` sets the user's mode; every other message is one turn of the chat's conversation."""

    async def set_mode(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        mode = context.args[0] if context.args else "staff"
        context.user_data["mode"] = mode
        context.bot_data["modes_set"] = context.bot_data.get("modes_set", 0) + 1
        await asyncio.to_thread(store.set_settings, update.effective_user.id, mode=mode)
        await update.message.reply_text(f"Läge: {mode}")

    async def turn(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        conversation = context.chat_data.setdefault("conversation", {"turns": 0})
        conversation["turns"] += 1
        conversation["last"] = update.message.text
        await update.message.reply_text(
            f"Tur {conversation['turns']}, läge {context.user_data.get('mode', 'okänt')}, "
            f"lägen satta: {context.bot_data.get('modes_set', 0)}")

    app = (
        Application.builder()
        .token(api.token)
        .base_url(api.base_url)
        .updater(None)
        .persistence(StorePersistence(store))
        .build()
    )
    app.add_handler(CommandHandler("lage", set_mode))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, turn))
    return app


async def send(app: Application, api: FakeBotApi, user_id: int, text: str) -> None:
    await app.process_update(Update.de_json(api.text_update(user_id, text), app.bot))


@pytest.mark.asyncio
async def test_user_chat_and_bot_data_survive_a_restart(fake_bot_api: FakeBotApi, store_url: str) -> None:
    store = open_store(store_url, secret=secret_for(store_url))
    async with build_app(fake_bot_api, store) as app:
        await send(app, fake_bot_api, USER, "/lage individual")
        await send(app, fake_bot_api, USER, "mitt pnr är 811218-9876, vad gör FK?")
        await send(app, fake_bot_api, OTHER_USER, "vem kallar till sip")
    store.close()
    assert fake_bot_api.sent_texts()[-1] == "Tur 1, läge okänt, lägen satta: 1"

    # A new process would do exactly this: open the store, build the app.
    store = open_store(store_url, secret=secret_for(store_url))
    async with build_app(fake_bot_api, store) as app:
        await send(app, fake_bot_api, USER, "och hur kontaktar jag dem?")
        assert fake_bot_api.sent_texts()[-1] == "Tur 2, läge individual, lägen satta: 1"
        await send(app, fake_bot_api, OTHER_USER, "tack")
        assert fake_bot_api.sent_texts()[-1] == "Tur 2, läge okänt, lägen satta: 1"
    assert store.get_settings(USER) == {"mode": "individual"}
    store.close()

    dump = repr(dump_database(store_url))
    for real_id in (USER, OTHER_USER):
        assert str(real_id) not in dump
    assert "811218-9876" not in dump  # chat_data is redacted before it is written
    assert "och hur kontaktar jag dem?" in dump  # what is not identifying is kept as it was


@pytest.mark.asyncio
async def test_persistence_methods_keep_ids_out_and_forget_finds_them(store_url: str) -> None:
    store = open_store(store_url, secret=secret_for(store_url))
    try:
        persistence = StorePersistence(store, store_data=PersistenceInput(callback_data=True))
        await persistence.update_user_data(USER, {"mode": "staff", "note": "ring 070-123 45 67"})
        await persistence.update_chat_data(USER, {"x": 1})
        await persistence.update_chat_data(OTHER_USER, {"x": 2})
        await persistence.update_bot_data({"reloads": 3})
        await persistence.update_callback_data(([("uuid-1", 1.5, {"k": "v"})], {"m": "uuid-1"}))

        fresh = StorePersistence(store, store_data=PersistenceInput(callback_data=True))
        assert await fresh.get_user_data() == {}  # loaded lazily, by hash
        user_data: dict = {}
        await fresh.refresh_user_data(USER, user_data)
        assert user_data == {"mode": "staff", "note": "ring [telefon]"}
        assert await fresh.get_conversations("c") == {}  # no ConversationHandler, nothing kept
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
        assert deleted == 2  # user data, private chat data
        after = StorePersistence(store)
        gone: dict = {}
        await after.refresh_user_data(USER, gone)
        assert gone == {}

        await after.drop_chat_data(OTHER_USER)
        chat: dict = {}
        await StorePersistence(store).refresh_chat_data(OTHER_USER, chat)
        assert chat == {}
    finally:
        store.close()


@pytest.mark.asyncio
async def test_non_json_data_is_refused_with_a_clear_error(store_url: str) -> None:
    store = open_store(store_url, secret=secret_for(store_url))
    try:
        with pytest.raises(TypeError, match="JSON"):
            await StorePersistence(store).update_user_data(USER, {"when": object()})
    finally:
        store.close()


@pytest.mark.asyncio
async def test_privacy_forget_reaches_a_running_bot(fake_bot_api: FakeBotApi, store_url: str) -> None:
    # `rehabbot privacy forget` runs in another process: the running bot held the person's mode
    # and conversation in memory and wrote them back at the next flush.
    store = open_store(store_url, secret=secret_for(store_url))
    admin = open_store(store_url, secret=secret_for(store_url))  # the CLI's own connection
    try:
        async with build_app(fake_bot_api, store) as app:
            await send(app, fake_bot_api, USER, "/lage individual")
            await send(app, fake_bot_api, USER, "vem kallar till sip")
            await app.update_persistence()
            assert "individual" in repr(dump_database(store_url))
            admin.forget(USER)
            await app.update_persistence()  # the flush must not bring it back
            assert str(store.user_hash(USER)) not in repr(dump_database(store_url)["ptb_data"])
            await send(app, fake_bot_api, USER, "och sen?")
            # The running bot no longer has it either: a first turn, mode unknown.
            assert fake_bot_api.sent_texts()[-1] == "Tur 1, läge okänt, lägen satta: 1"
    finally:
        admin.close()
        store.close()
