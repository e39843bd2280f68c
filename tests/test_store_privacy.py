"""After a whole conversation full of personal data, none of it is stored.

A real PTB Application with the store's persistence handles questions that
contain a personnummer, a samordningsnummer, a phone number, an e-mail
address and a name; each is logged, voted on and kept in user_data, and
everything is logged at DEBUG through the redacting filter. Then every row of
every table is dumped as text (and, for SQLite, the raw database and WAL
bytes are read) and searched for the originals.
"""

from __future__ import annotations

import asyncio
import io
import logging
import re
import time

import pytest
from store_fixtures import FakeBotApi, dump_database, raw_sqlite_bytes, secret_for
from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from bot.store import open_store
from bot.store.logging_filter import RedactingFilter
from bot.store.persistence import StorePersistence
from bot.text.redact import redact

USER = 5551112223
QUESTIONS = [
    "Hej, jag heter Lisa Berg och mitt personnummer är 19640823-3234. Vem betalar min rehab?",
    "Min sambo har samordningsnummer 701063-2391, kan han få sjukpenning?",
    "Ring mig på 070-987 65 43 om arbetsförmedlingen",
    "Skicka svaret till lisa.berg@example.com tack",
    "Handläggaren har mitt ärende 2024123456 och numret 6408233234",
]
ORIGINALS = [
    "19640823-3234", "196408233234", "6408233234", "640823-3234",
    "701063-2391", "7010632391",
    "070-987 65 43", "0709876543", "987 65 43",
    "lisa.berg@example.com", "lisa.berg",
    "Lisa Berg",
    "2024123456",
    str(USER),
]


@pytest.mark.asyncio
async def test_no_table_or_log_line_holds_the_personal_data(fake_bot_api: FakeBotApi, store_url: str) -> None:
    log_stream = io.StringIO()
    handler = logging.StreamHandler(log_stream)
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    app_log = logging.getLogger("rehabbot.test.handlers")

    store = open_store(store_url, secret=secret_for(store_url))

    async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        question = update.message.text
        started = time.perf_counter()
        app_log.info("fråga från %s: %s", update.effective_user.id, question)
        log_id = await asyncio.to_thread(
            store.log_question,
            channel="telegram",
            mode="individual",
            lang="sv",
            question=question,
            entry_id=None,
            status="fallback",
            confidence=0.1,
            elapsed_ms=(time.perf_counter() - started) * 1000,
            user_id=update.effective_user.id,
        )
        await asyncio.to_thread(store.add_feedback, log_id, update.effective_user.id, -1)
        context.user_data.setdefault("history", []).append(question)
        notice = " (Personuppgifterna sparades inte.)" if redact(question).found else ""
        await update.message.reply_text(f"Jag vet inte.{notice}")

    app = (
        Application.builder()
        .token(fake_bot_api.token)
        .base_url(fake_bot_api.base_url)
        .updater(None)
        .persistence(StorePersistence(store))
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, answer))
    try:
        async with app:
            for question in QUESTIONS:
                await app.process_update(Update.de_json(fake_bot_api.text_update(USER, question), app.bot))
        await asyncio.to_thread(store.audit, "upload", USER, "refused", QUESTIONS[2])
    finally:
        store.close()
        root.removeHandler(handler)
        root.setLevel(old_level)

    # The conversation really happened and was stored (redacted).
    assert fake_bot_api.sent_texts().count("Jag vet inte. (Personuppgifterna sparades inte.)") == 5
    tables = dump_database(store_url)
    assert len(tables["question_log"]) == 5 and len(tables["feedback"]) == 5
    stored = repr(tables)
    for placeholder in ("[personnummer]", "[samordningsnummer]", "[telefon]", "[e-post]", "[namn]", "[nummer]"):
        assert placeholder in stored

    places = {"database rows": stored, "log output": log_stream.getvalue()}
    if store_url.startswith("sqlite:///"):
        places["SQLite file bytes"] = raw_sqlite_bytes(store_url).decode("utf-8", "replace")
    assert places["log output"].count("fråga från") == 5  # the handler's lines were captured
    for where, text in places.items():
        for original in ORIGINALS:
            assert original not in text, f"{original!r} found in {where}"
        # The personnummer's digits in any layout (separators dropped).
        assert "6408233234" not in re.sub(r"[\s\-+]", "", text), where
