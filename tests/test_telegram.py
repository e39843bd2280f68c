"""The Telegram conversation end to end: the real Application, polling a fake Bot API over HTTP.

Each test starts the bot with PTB's manual lifecycle against `FakeBotApi`
on 127.0.0.1, injects what users send, and asserts on the Bot API calls the
bot makes: text, buttons, `parse_mode`.
"""

from __future__ import annotations

import asyncio

import pytest
from fake_bot_api import BOT_USERNAME, build, polling

from bot.answers import render_entry
from bot.service import Rehabbot

USER = 4242
SIP = "vem kallar till sip"


def html(bot: Rehabbot, question: str, mode: str = "staff", lang: str = "sv") -> str:
    """What the core says, as Telegram HTML: the bot must send exactly this."""
    return bot.ask(question, mode, lang, fmt="telegram").text.strip()


async def test_start_registers_commands_and_offers_both_modes_and_languages(api, shipped_bot, store):
    async with polling(build(api, shipped_bot, store)):
        welcome = await api.reply_to(USER, "/start")

    lists = {c.params.get("language_code"): c.params["commands"] for c in api.calls_of("setMyCommands")}
    sv = [c["command"] for c in lists["sv"]]
    assert {"start", "lage", "sprak", "aktorer", "insatser", "vemgorvad", "hjalp", "om"} <= set(sv)
    assert lists[None] == lists["sv"]  # Swedish is the default list
    assert "Byt språk: svenska, English, العربية, فارسی, Soomaali, ትግርኛ, Türkçe, polski" in [
        c["description"] for c in lists["sv"]]
    assert set(lists) == {None, "sv", "en", "ar", "fa", "so", "ti", "tr", "pl"}  # each language its own list
    assert {"mode", "language", "help", "about"} <= {c["command"] for c in lists["en"]}
    assert "reload" not in sv  # admin commands are not advertised to everyone

    assert welcome.params["parse_mode"] == "HTML"
    assert "Rehabbot" in welcome.text and "In English" in welcome.text
    assert "automatisk tjänst – inte en människa" in welcome.text
    assert welcome.button_texts == ["✓ Jag arbetar med målgruppen", "Jag vill ha stöd för egen del",
                                    "✓ svenska", "English", "العربية", "فارسی", "Soomaali", "ትግርኛ", "Türkçe", "polski"]


async def test_mode_and_language_are_chosen_with_buttons_and_remembered(api, shipped_bot, store):
    async with polling(build(api, shipped_bot, store, persistence=store.persistence())):
        welcome = await api.reply_to(USER, "/start")
        chosen = await api.after("editMessageText", lambda: api.press(USER, welcome.data_of("egen del"), welcome))
        assert "✓ Jag vill ha stöd för egen del" in chosen.button_texts
        assert "Läge: stöd för egen del" in chosen.text
        assert "personnummer" in chosen.text  # the one-time privacy notice of individual mode

        # The same button again: the notice is not repeated …
        calm = await api.after("editMessageText", lambda: api.press(USER, welcome.data_of("egen del"), chosen))
        assert "personnummer" not in calm.text
        # … and once more: the same content. Telegram refuses the edit; the user sees no error.
        sent_before = len(api.sent(USER))
        api.press(USER, welcome.data_of("egen del"), calm)
        await api.wait_for(lambda: any("not modified" in c.fault for c in api.calls_of("editMessageText", ok=False)))
        english = await api.after("editMessageText", lambda: api.press(USER, "l:en", chosen))
        assert len(api.sent(USER)) == sent_before
        assert "Mode: support for myself. Language: English." in english.text
        assert "✓ English" in english.button_texts

        answer = await api.reply_to(USER, "who calls a SIP meeting")
        assert answer.text == html(shipped_bot, "who calls a SIP meeting", "individual", "en")

    # A restart with the same database: the settings and the notice already given are remembered.
    async with polling(build(api, shipped_bot, store, persistence=store.persistence())):
        again = await api.reply_to(USER, "who calls a SIP meeting")
    assert again.text == answer.text


async def test_lage_and_sprak_take_an_argument_like_the_console(api, shipped_bot):
    async with polling(build(api, shipped_bot)):
        changed = await api.reply_to(USER, "/lage individual")
        assert "Läge: stöd för egen del" in changed.text
        assert changed.button_texts == ["Jag arbetar med målgruppen", "✓ Jag vill ha stöd för egen del"]
        english = await api.reply_to(USER, "/sprak en")
        assert "Language: English" in english.text
        assert english.button_texts == ["svenska", "✓ English", "العربية", "فارسی", "Soomaali", "ትግርኛ", "Türkçe",
                                        "polski"]
        menu = await api.reply_to(USER, "/lage")  # no value: the current one and the choices
        assert "Choose a mode" in menu.text and "Mode: support for myself" in menu.text
        assert menu.button_texts == ["I work with the target group", "✓ I want support for myself"]
        answer = await api.reply_to(USER, SIP)
    # A Swedish question with English set: answered in Swedish, and Swedish offered back.
    assert answer.text.startswith(html(shipped_bot, SIP, "individual", "en"))
    assert "Du skrev på svenska. Vill du att jag alltid svarar på svenska?" in answer.text
    assert "✓ svenska" in answer.button_texts


async def test_a_question_gets_the_answer_with_next_steps_related_and_feedback(api, shipped_bot, store):
    expected = shipped_bot.ask(SIP, "staff", "sv", fmt="telegram")
    entry = expected.entry
    assert entry is not None and entry.next_steps
    async with polling(build(api, shipped_bot, store)):
        answer = await api.reply_to(USER, SIP)
        assert answer.text == expected.text.strip()
        assert answer.params["parse_mode"] == "HTML"
        up = answer.data_of("👍")
        log_id = int(up.split(":")[1])
        assert up == f"fb:{log_id}:+" and answer.data_of("👎") == f"fb:{log_id}:-"
        assert answer.data_of("Nästa steg") == f"v:{entry.id}:n:{log_id}"
        related = [b["callback_data"] for row in answer.buttons for b in row if b["text"].startswith("↗")]
        assert related and all(data.startswith("o:") for data in related)

        steps = await api.after("editMessageText", lambda: api.press(USER, answer.data_of("Nästa steg"), answer))
        assert "– Nästa steg" in steps.text and "1. <b>" in steps.text
        assert steps.button_texts[0] == "◀ Tillbaka" and "👍" in steps.button_texts
        back = await api.after("editMessageText", lambda: api.press(USER, steps.data_of("Tillbaka"), steps))
        assert back.text == render_entry(entry, shipped_bot.kb, "staff", "sv", "telegram")
        assert expected.text.startswith(back.text)  # the answer may offer a guided pathway below the entry

        thanks = await api.after("answerCallbackQuery", lambda: api.press(USER, back.data_of("👍"), back))
        assert thanks.params["text"] == "Tack för din återkoppling!"
        opened = await api.after("sendMessage", lambda: api.press(USER, related[0], back))
        assert opened.text.startswith("<b>") and opened.chat_id == USER

    stats = store.store.stats(1)
    assert stats.questions == 1 and stats.by_channel == {"telegram": 1}
    assert [(f.entry, f.up, f.down) for f in stats.feedback] == [(entry.id, 1, 0)]


async def test_did_you_mean_offers_buttons_and_none_of_these(api, ambiguous_kb, store):
    bot = Rehabbot(ambiguous_kb)
    async with polling(build(api, bot, store)):
        offer = await api.reply_to(USER, "kontakt")
        assert "Menade du" in offer.text
        assert offer.button_texts == ["Kontakt med Försäkringskassan", "Kontakt med Arbetsförmedlingen",
                                      "Inget av dessa"]
        log_id = offer.data_of("Inget av dessa").split(":")[1]
        assert offer.data_of("Arbetsförmedlingen") == f"v:contact_af::{log_id}"

        picked = await api.after("editMessageText", lambda: api.press(USER, offer.data_of("Arbets"), offer))
        assert "<b>Kontakt med Arbetsförmedlingen</b>" in picked.text and "Ring kundtjänst." in picked.text
        assert picked.data_of("👍") == f"fb:{log_id}:+"  # feedback counts for the question asked

        again = await api.reply_to(USER, "kontakt")
        none = await api.after("editMessageText", lambda: api.press(USER, again.data_of("Inget av dessa"), again))
        assert "Fråga hellre någon av dessa" in none.text and not none.buttons

        third = await api.reply_to(USER, "kontakt")
        assert "Menade du" in third.text
        by_number = await api.reply_to(USER, "2")  # the console's way works too
        assert "<b>Kontakt med Arbetsförmedlingen</b>" in by_number.text


async def test_nothing_fits_points_where_to_turn_instead(api, shipped_bot):
    question = "xyzzy qwerty"
    assert shipped_bot.ask(question).status == "fallback"
    async with polling(build(api, shipped_bot)):
        fallback = await api.reply_to(USER, question)
    assert "Det vet jag tyvärr inte" in fallback.text and "1177" in fallback.text
    assert not fallback.buttons


async def test_browsing_actors_card_sections_and_back(api, shipped_bot):
    actors = shipped_bot.kb.of_kind("actor")
    async with polling(build(api, shipped_bot)):
        listing = await api.reply_to(USER, "/aktorer")
        assert "Aktörerna" in listing.text
        assert listing.button_texts == [a.title for a in actors]
        fk = actors[0]
        card = await api.after("editMessageText", lambda: api.press(USER, listing.data_of(fk.title), listing))
        assert f"<b>{fk.title}</b>" in card.text
        assert {"Vad de gör", "Vad de inte gör", "Kontakt", "◀ Tillbaka"} <= set(card.button_texts)
        shown = card
        for label, heading in [("Vad de gör", "Vad de gör"), ("Vad de inte gör", "Vad de inte gör"),
                               ("Kontakt", "Kontakt"), ("Insatser", "Insatser och se även")]:
            if label not in card.button_texts:
                continue
            api.press(USER, card.data_of(label), shown)
            shown = await api.after("editMessageText", lambda: None)
            assert f"– {heading}" in shown.text
            api.press(USER, shown.data_of("Tillbaka"), shown)
            shown = await api.after("editMessageText", lambda: None)
            assert shown.text == card.text
        back = await api.after("editMessageText", lambda: api.press(USER, card.data_of("Tillbaka"), shown))
        assert back.button_texts == listing.button_texts


async def test_insatser_are_paged_and_tasks_lead_to_the_actor(api, shipped_bot):
    async with polling(build(api, shipped_bot)):
        first = await api.reply_to(USER, "/insatser")
        assert "Sida 1 av" in first.text and "▶" in first.button_texts
        second = await api.after("editMessageText", lambda: api.press(USER, first.data_of("▶"), first))
        assert "Sida 2 av" in second.text and second.button_texts != first.button_texts
        counter = await api.after("answerCallbackQuery", lambda: api.press(USER, "_", second))
        assert "text" not in counter.params

        tasks = await api.reply_to(USER, "/vemgorvad")
        task = shipped_bot.kb.of_kind("task")[0]
        card = await api.after("editMessageText", lambda: api.press(USER, tasks.data_of(task.title), tasks))
        actor = shipped_bot.kb.get(task.responsible[0])
        to_actor = card.data_of(f"→ {actor.title}")
        actor_card = await api.after("editMessageText", lambda: api.press(USER, to_actor, card))
        assert f"<b>{actor.title}</b>" in actor_card.text


async def test_help_and_about(api, shipped_bot, store):
    async with polling(build(api, shipped_bot, store)):
        help_text = await api.reply_to(USER, "/hjalp")
        about = await api.reply_to(USER, "/om")
        english = await api.reply_to(USER, "/sprak en")
        about_en = await api.reply_to(USER, "/about")
    assert "/vemgorvad" in help_text.text and f"@{BOT_USERNAME}" in help_text.text
    assert "/reload" not in help_text.text
    assert shipped_bot.kb.version in about.text and "90 dagar" in about.text and "personnummer" in about.text
    assert "automatisk tjänst, inte en människa" in about.text
    assert "Language: English" in english.text
    assert "About Rehabbot" in about_en.text and "90 days" in about_en.text
    assert "automated service, not a person" in about_en.text


async def test_inline_mode_offers_up_to_five_answers_to_share(api, shipped_bot, store):
    async with polling(build(api, shipped_bot, store)):
        answered = await api.after("answerInlineQuery", lambda: api.inline(USER, "vem kallar till sip"))
        empty = await api.after("answerInlineQuery", lambda: api.inline(USER, "   "))
    results = answered.params["results"]
    assert 1 <= len(results) <= 5
    assert results[0]["id"] == shipped_bot.ask(SIP).entry.id
    content = results[0]["input_message_content"]
    assert content["parse_mode"] == "HTML" and content["message_text"].startswith("<b>")
    assert results[0]["reply_markup"]["inline_keyboard"][0][0]["url"].endswith(f"?start=e_{results[0]['id']}")
    assert empty.params["results"] == [] and empty.params["button"]["start_parameter"] == "inline"
    assert store.store.stats(1).by_channel == {"inline": 1}


async def test_deep_link_from_an_inline_answer_opens_the_entry(api, shipped_bot):
    async with polling(build(api, shipped_bot)):
        opened = await api.reply_to(USER, "/start e_sip")
        unknown = await api.reply_to(USER, "/start e_no_such_entry")
    assert opened.text.startswith("<b>Samordnad individuell plan")
    assert "Rehabbot" in unknown.text  # an unknown entry: just the welcome


async def test_in_groups_only_commands_and_mentions_are_answered(api, shipped_bot):
    group = -100123
    async with polling(build(api, shipped_bot)):
        api.send_text(USER, SIP, chat_id=group)  # not for us
        mentioned = await api.reply_to(USER, f"@{BOT_USERNAME} {SIP}", chat_id=group)
        command = await api.reply_to(USER, f"/hjalp@{BOT_USERNAME}", chat_id=group)
        api.send_sticker(USER)  # a private sticker afterwards shows the group message above was skipped, not queued
        await api.wait_for(lambda: len(api.sent(USER)) == 1)
    assert len(api.sent(group)) == 2
    assert mentioned.text == html(shipped_bot, SIP)
    assert mentioned.params["reply_parameters"]["message_id"]  # in a group the answer quotes the question
    assert "Så använder du Rehabbot" in command.text


async def test_personal_data_is_not_stored_and_the_user_is_told(api, shipped_bot, store):
    async with polling(build(api, shipped_bot, store)):
        answer = await api.reply_to(USER, "min klient 811218-9876 ska till SIP, vem kallar")
    assert answer.text.startswith("⚠️ Det du skrev innehöll ett personnummer. Det har inte sparats.")
    rows = store.store.db.transaction(write=False)
    with rows as tx:
        logged = tx.all("SELECT question FROM question_log")
    assert logged == [("min klient [personnummer] ska till SIP, vem kallar",)]


async def test_without_a_store_the_bot_answers_without_feedback_buttons(api, shipped_bot):
    async with polling(build(api, shipped_bot)):
        answer = await api.reply_to(USER, SIP)
    assert answer.text == html(shipped_bot, SIP)
    assert not [t for t in answer.button_texts if t in ("👍", "👎")]


class _BrokenStore:
    """A database that fails at every call."""

    retention_days = 90
    dialect = "sqlite"

    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise OSError("database is locked")
        return fail


async def test_a_failing_store_costs_the_log_not_the_answer(api, shipped_bot, caplog):
    from bot.store.gateway import StoreGateway
    async with polling(build(api, shipped_bot, StoreGateway(_BrokenStore()))):
        answer = await api.reply_to(USER, SIP)
    assert answer.text == html(shipped_bot, SIP)
    assert "store: log_question failed" in caplog.text


@pytest.mark.parametrize(("lang", "expected"),
                         [("sv", "Tack för din återkoppling!"), ("en", "Thanks for your feedback!")])
async def test_feedback_thanks_in_the_users_language(api, shipped_bot, store, lang, expected):
    async with polling(build(api, shipped_bot, store)):
        await api.reply_to(USER, f"/sprak {lang}")
        answer = await api.reply_to(USER, SIP)
        thanks = await api.after("answerCallbackQuery", lambda: api.press(USER, answer.data_of("👎"), answer))
    assert thanks.params["text"] == expected


async def test_an_answer_does_not_wait_for_a_locked_database(api, shipped_bot, tmp_path, caplog):
    # Another process holds the SQLite file's write lock: every answer once waited the 30 s
    # busy timeout. Now it goes out without the 👍/👎 buttons, and the question is logged once
    # the lock is released.
    import sqlite3

    from bot.store import open_store
    from bot.store.gateway import StoreGateway
    path = tmp_path / "locked.sqlite"
    gateway = StoreGateway(open_store(f"sqlite:///{path}"))
    gateway.answer_wait_s = 0.2
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        async with polling(build(api, shipped_bot, gateway)):
            await api.reply_to(USER, "/start")
            answer = await api.reply_to(USER, SIP)
            assert answer.text == html(shipped_bot, SIP)
            assert "👍" not in answer.button_texts  # no log row to give feedback on (yet)
            other.execute("ROLLBACK")
            for _ in range(200):  # the write behind the answer finishes once the lock is gone
                if gateway.store.stats(1).questions:
                    break
                await asyncio.sleep(0.05)
        assert gateway.store.stats(1).questions == 1
    finally:
        other.close()
        gateway.close()
    assert "the answer did not wait for it" in caplog.text


async def test_superscript_and_circled_digits_get_an_answer_not_a_crash(api, shipped_bot, store, caplog):
    async with polling(build(api, shipped_bot, store)):
        await api.reply_to(USER, "vem ska jag ringa")  # suggestions are offered: a number picks one
        for text in ("²", "①", "/vagledning ²"):
            reply = await api.reply_to(USER, text)
            assert reply.text, text
    assert "ValueError" not in caplog.text and "Traceback" not in caplog.text


async def test_a_button_press_without_data_gets_the_stale_notice(api, shipped_bot, store, caplog):
    # PTB matches a query without callback_data to every pattern; a handler then crashed.
    async with polling(build(api, shipped_bot, store)):
        answer = await api.reply_to(USER, SIP)
        for data in ("", None):
            key = (answer.chat_id, answer.params.get("message_id") or answer.params.get("_message_id"))
            message = {k: v for k, v in api.messages[key].items() if not k.startswith("_")}
            query = {"id": f"q{data}", "from": api.user(USER), "chat_instance": "ci", "message": message}
            if data is not None:
                query["data"] = data
            notice = await api.after("answerCallbackQuery", lambda q=query: api.push({"callback_query": q}))
            assert notice.params.get("text"), data
    assert "Traceback" not in caplog.text


async def test_a_database_that_cannot_open_at_start_is_tried_again(api, shipped_bot, tmp_path, caplog):
    # PostgreSQL down at start once meant no database for the rest of the process's life.
    from bot.settings import Settings
    from bot.store import open_store
    from bot.store.gateway import ReopeningGateway, open_gateway
    blocker = tmp_path / "data"
    blocker.write_text("a file where the database's directory should be")
    url = f"sqlite:///{blocker / 'rehabbot.sqlite3'}"
    assert isinstance(open_gateway(Settings.from_env({"DATABASE_URL": url})), ReopeningGateway)
    gateway = ReopeningGateway(lambda: open_store(url), "cannot open", first_wait=0.0)  # no back-off here
    async with polling(build(api, shipped_bot, gateway)):
        first = await api.reply_to(USER, SIP)  # answered without a database
        assert first.text == html(shipped_bot, SIP) and not gateway.available
        blocker.unlink()  # the database can be reached again
        await api.reply_to(USER, "/hjalp")  # the next update finds it (a call during the reopening goes without)
        await api.wait_for(lambda: gateway.available)
        await api.reply_to(USER, SIP)
        assert gateway.store.stats(1).questions == 1
    gateway.close()
    assert "still no database" in caplog.text and "can be reached again" in caplog.text


class _LoopNoting(Rehabbot):
    """The real core, noting for each question whether it was answered on a thread running an
    event loop: matching (the semantic encode above all) must never stall polling and sending."""

    on_loop: list[bool]

    def ask(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        try:
            asyncio.get_running_loop()
            self.on_loop.append(True)
        except RuntimeError:
            self.on_loop.append(False)
        return super().ask(*args, **kwargs)


async def test_questions_are_answered_off_the_event_loop(api, shipped_bot, store):
    bot = _LoopNoting(shipped_bot.directory, kb=shipped_bot.kb)
    bot.on_loop = []
    async with polling(build(api, bot, store)):
        answer = await api.reply_to(USER, SIP)
        inline = await api.after("answerInlineQuery", lambda: api.inline(USER, SIP))
    assert answer.text == html(shipped_bot, SIP)
    assert inline.params["results"][0]["id"] == shipped_bot.ask(SIP).entry.id
    assert bot.on_loop == [False, False]
