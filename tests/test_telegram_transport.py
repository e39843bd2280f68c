"""Transport and robustness: faults, webhook secret, bad input, load, and `rehabbot run` itself.

Everything talks to 127.0.0.1 only: the fake Bot API and, in webhook mode,
the bot's own listener.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fake_bot_api import Fault, build, polling
from telegram.ext import AIORateLimiter

from bot.service import Conversation

USER = 5151
SIP = "vem kallar till sip"
ERROR_SV = "Något gick fel hos mig. Försök igen om en stund."
REPO = Path(__file__).resolve().parent.parent


def html(bot, question: str, mode: str = "staff", lang: str = "sv") -> str:
    return bot.ask(question, mode, lang, fmt="telegram").text.strip()


def session(bot, questions: list[str], mode: str = "staff") -> list[str]:
    """What one chat is answered, message after message: each answer may lean on the last."""
    texts, conversation = [], Conversation()
    for question in questions:
        reply = bot.ask(question, mode, "sv", fmt="telegram", conversation=conversation)
        texts.append(reply.text.strip())
        conversation = reply.conversation
    return texts


def staff_users(store, uids) -> None:
    """Users who chose staff mode, so that no first message guesses another mode for them."""
    for uid in uids:
        store.store.set_settings(uid, mode="staff")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- faults ---------------------------------------------------------------------

@pytest.mark.filterwarnings("ignore:Deprecated since version v22.2")  # PTB's own RetryAfter internals
@pytest.mark.parametrize("fault", [Fault.http(500), Fault.too_many(retry_after=1), Fault.drop()],
                         ids=["500", "429-retry-after", "dropped-connection"])
async def test_the_answer_arrives_despite_a_failing_send(api, shipped_bot, fault):
    api.fail("sendMessage", fault)
    async with polling(build(api, shipped_bot)):
        answer = await api.reply_to(USER, SIP)
        later = await api.reply_to(USER, "/hjalp")  # and the bot keeps going
    attempts = api.calls_of("sendMessage", USER, ok=False)
    assert attempts[0].fault == fault.kind and attempts[1].fault == ""
    assert attempts[0].text == attempts[1].text == answer.text == html(shipped_bot, SIP)
    assert "Så använder du Rehabbot" in later.text
    if fault.kind == "retry_after":  # AIORateLimiter waits as long as Telegram asks
        assert attempts[1].at - attempts[0].at >= 1.0


async def test_an_answer_survives_six_failed_sends_in_a_row(api, shipped_bot):
    # Three retries once dropped the answer after the fourth 500; the retries now go on until a
    # deadline (a minute in production), with a doubling back-off.
    api.fail("sendMessage", *[Fault.http(500)] * 6)
    async with polling(build(api, shipped_bot)):
        answer = await api.reply_to(USER, SIP, timeout=30)
    failed = [c for c in api.calls_of("sendMessage", USER, ok=False) if c.fault]
    assert len(failed) == 6 and answer.text == html(shipped_bot, SIP)


async def test_a_failing_edit_is_retried_too(api, shipped_bot):
    async with polling(build(api, shipped_bot)):
        welcome = await api.reply_to(USER, "/start")
        api.fail("editMessageText", Fault.http(502, "Bad Gateway"), Fault.drop())
        edited = await api.after("editMessageText", lambda: api.press(USER, "l:en", welcome))
    assert "Language: English" in edited.text
    assert [c.fault for c in api.calls_of("editMessageText", ok=False)] == ["status", "drop", ""]


@pytest.mark.slow
async def test_polling_survives_a_failing_get_updates(api, shipped_bot):
    api.fail("getUpdates", Fault.http(500), Fault.drop())  # PTB's polling loop backs off 1 s, then 1.5 s
    async with polling(build(api, shipped_bot)):
        answer = await api.reply_to(USER, SIP, timeout=15)
    assert answer.text == html(shipped_bot, SIP)
    assert [c.fault for c in api.calls_of("getUpdates", ok=False) if c.fault] == ["status", "drop"]


@pytest.mark.parametrize(("lang", "expected"), [("sv", ERROR_SV),
                                           ("en", "Something went wrong on my side. Please try again in a moment.")])
async def test_a_fault_that_persists_is_reported_in_the_users_language_without_internals(
        api, shipped_bot, caplog, lang, expected):
    async with polling(build(api, shipped_bot, retry_deadline=1.0)):
        await api.reply_to(USER, f"/sprak {lang}")
        api.fail("sendMessage", Fault.http(400, "Bad Request: something unexpected"))
        before = len(api.sent(USER))
        api.send_text(USER, SIP)
        told = await api.next_sent(USER, before)
    assert told.text == expected
    assert "update" in caplog.text and "failed" in caplog.text
    assert "BadRequest" in caplog.text and SIP not in caplog.text  # logged, without the user's words


async def test_a_message_too_old_to_edit_is_shown_anew(api, shipped_bot):
    async with polling(build(api, shipped_bot)):
        listing = await api.reply_to(USER, "/aktorer")
        api.fail("editMessageText", Fault.http(400, "Bad Request: message can't be edited"))
        before = len(api.sent(USER))
        api.press(USER, listing.data_of(shipped_bot.kb.of_kind("actor")[0].title), listing)
        card = await api.next_sent(USER, before)
    assert card.text.startswith(f"<b>{shipped_bot.kb.of_kind('actor')[0].title}</b>")
    assert "◀ Tillbaka" in card.button_texts


# -- webhook --------------------------------------------------------------------

async def test_webhook_accepts_updates_only_with_the_secret_token(api, shipped_bot):
    port = free_port()
    url = f"http://127.0.0.1:{port}/hook"
    app = build(api, shipped_bot)
    async with app:
        await app.start()
        await app.updater.start_webhook(listen="127.0.0.1", port=port, url_path="hook", webhook_url=url,
                                        secret_token="s3cret_Token-1")
        try:
            assert api.webhook["url"] == url and api.webhook["secret_token"] == "s3cret_Token-1"
            async with httpx.AsyncClient() as client:
                missing = await client.post(url, json=api.text_update(USER, "xyzzy qwerty"))
                wrong = await client.post(url, json=api.text_update(USER, "xyzzy qwerty"),
                                          headers={"X-Telegram-Bot-Api-Secret-Token": "guess"})
                right = await client.post(url, json=api.text_update(USER, SIP),
                                          headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret_Token-1"})
            answer = await api.next_sent(USER, 0)
            await asyncio.sleep(0.2)  # nothing else is coming
        finally:
            await app.updater.stop()
            await app.stop()
    assert (missing.status_code, wrong.status_code, right.status_code) == (403, 403, 200)
    assert answer.text == html(shipped_bot, SIP) and len(api.sent(USER)) == 1
    assert not api.calls_of("getUpdates")


# -- bad input ------------------------------------------------------------------

async def test_bad_input_gets_a_sensible_reply_and_nothing_crashes(api, shipped_bot, store):
    async with polling(build(api, shipped_bot, store)):
        empty = await api.reply_to(USER, "")
        long = await api.reply_to(USER, "sjukpenning " * 420)  # 5,040 characters
        emoji = await api.reply_to(USER, "😀🙈🔥")
        arabic = await api.reply_to(USER, "مرحبا، من يساعدني في إعادة التأهيل؟")
        markup = await api.reply_to(USER, "<b>vem</b> kallar & till <script>sip</script>?")
        for send in (api.send_sticker, api.send_photo):
            before = len(api.sent(USER))
            send(USER)
            unreadable = await api.next_sent(USER, before)
            assert unreadable.text == "Jag kan bara läsa text. Skriv din fråga med ord, så svarar jag."
        unknown_command = await api.reply_to(USER, "/finnsinte")

        answer = await api.reply_to(USER, SIP)
        toasts = []
        for data in ("zz:unknown", "fb:999999:+", "fb:0:+", "v:no_such_entry::", "v:sip:q:", "p:a:99999",
                     "m:x", "v:" + "a" * 60 + "::", "o:../../etc", "n:abc"):
            toasts.append(await api.after("answerCallbackQuery", lambda d=data: api.press(USER, d, answer)))
    assert "Skriv din fråga" in empty.text
    assert "för lång för mig (högst 1000 tecken)" in long.text
    assert emoji.text == html(shipped_bot, "xyzzy qwerty")  # the fallback: where to turn instead
    # Arabic is answered in Arabic, as to a person asking for themself, the language offered as the setting.
    assert "كتبتَ باللغة العربية" in arabic.text and "✓ العربية" in arabic.button_texts
    assert "Skriv inte ditt personnummer" not in arabic.text and "لا تكتب رقمك الشخصي" in arabic.text  # notice too
    assert "<script>" not in markup.text and markup.params["parse_mode"] == "HTML"
    assert unknown_command.text == "Det kommandot känner jag inte. Skriv /hjalp för att se vad jag kan."
    stale = "Den här knappen fungerar inte längre. Skriv din fråga igen."
    assert [t.params.get("text") for t in toasts] == [
        stale, stale, stale, "Det svaret finns inte längre. Skriv din fråga igen.", stale, stale, stale, stale,
        stale, stale]
    assert not [c for c in api.sent(USER) if c.text == ERROR_SV]
    assert store.store.stats(1).questions == 4  # emoji, Arabic, markup, SIP; not the empty or too-long text


# -- long answers -----------------------------------------------------------------

async def test_an_answer_over_4096_characters_is_split_at_paragraphs(api, tmp_path):
    from bot.service import Rehabbot
    paragraphs = [f"Stycke {i}: " + "Handläggaren & läkaren <samverkar> om planen. " * 12 for i in range(12)]
    text = "\n\n".join(paragraphs)
    body = "\n".join("      " + line if line else "" for line in text.split("\n"))
    (tmp_path / "faq.yaml").write_text(
        "- id: lang_text\n  title: En mycket lång fråga\n  questions: [lång text om planen]\n"
        "  related: [kort]\n  answer: |\n" + body + "\n"
        "- id: kort\n  title: Kort\n  answer: Kort svar.\n", encoding="utf-8")
    bot = Rehabbot(tmp_path)
    async with polling(build(api, bot)):
        api.send_text(USER, "lång text om planen")
        await api.wait_for(lambda: len(api.sent(USER)) >= 3)
        await asyncio.sleep(0.3)
    parts = api.sent(USER)
    assert len(parts) == 3  # the fake rejects anything over 4,096 characters or with broken HTML
    assert parts[0].text.startswith("<b>En mycket lång fråga</b>")
    assert all(p.text.endswith("planen.") for p in parts[:-1])  # cut between paragraphs
    assert all(p.text.startswith("Stycke") for p in parts[1:])
    assert not parts[0].buttons and not parts[1].buttons and parts[2].button_texts == ["↗ Kort"]
    joined = "".join(p.text for p in parts)
    assert all(f"Stycke {i}:" in joined for i in range(12))
    assert "&lt;samverkar&gt;" in joined


# -- load -----------------------------------------------------------------------

def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


@pytest.mark.slow
async def test_load_200_users_5_messages_each_all_answered(api, shipped_bot, store, record_property):
    """200 users at once, each asking 5 questions in a row (waiting for each answer), as people do."""
    users, per_user = 200, 5
    questions = [e.questions[0] for e in shipped_bot.kb.entries if e.questions][:40]
    staff_users(store, [19_999, *range(20_000, 20_000 + users)])
    # The fake is not Telegram: no 30 messages/second cap here, so the numbers measure the bot itself.
    limiter = AIORateLimiter(overall_max_rate=0, overall_time_period=0, max_retries=3)
    latencies: list[float] = []

    async def user(uid: int) -> None:
        asked = [questions[(uid * per_user + k) % len(questions)] for k in range(per_user)]
        for question, expected in zip(asked, session(shipped_bot, asked)):
            before = len(api.sent(uid))
            update_id = api.send_text(uid, question)
            answer = await api.next_sent(uid, before, timeout=60)
            latencies.append(answer.at - api.pushed_at[update_id])
            assert answer.text == expected

    # The baseline user asks 50 questions in a row: over the flood limit, which is off here.
    from bot.channels.flood import FloodLimit
    async with polling(build(api, shipped_bot, store, rate_limiter=limiter, flood=FloodLimit.unlimited())):
        for _ in range(10):  # the baseline: one user alone, one message at a time
            await user(19_999)
        alone, latencies[:] = list(latencies), []
        started = time.perf_counter()
        await asyncio.gather(*(user(20_000 + i) for i in range(users)))
        wall = time.perf_counter() - started
    answered = sum(len(api.sent(20_000 + i)) for i in range(users))
    median, p95 = statistics.median(latencies), _percentile(latencies, 0.95)
    report = (f"load: {users} users x {per_user} messages: {answered} answered in {wall:.1f} s "
              f"({answered / wall:.0f}/s); update->answer median {median * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms; "
              f"one user alone: median {statistics.median(alone) * 1000:.1f} ms, "
              f"p95 {_percentile(alone, 0.95) * 1000:.1f} ms")
    print(report)
    record_property("load", report)
    assert answered == len(latencies) == users * per_user
    assert store.store.stats(1).questions == users * per_user + len(alone)
    # How fast is the benchmark's question (bench/); here: every one answered, once, and right.


@pytest.mark.slow
async def test_a_burst_of_1000_updates_is_answered_in_order_per_chat(api, shipped_bot, store):
    """All 1,000 messages at once: none lost, and each chat's answers in the order asked."""
    users, per_user = 200, 5
    questions = [e.questions[0] for e in shipped_bot.kb.entries if e.questions][:40]
    staff_users(store, range(30_000, 30_000 + users))
    limiter = AIORateLimiter(overall_max_rate=0, overall_time_period=0, max_retries=3)
    asked: dict[int, list[str]] = {}
    async with polling(build(api, shipped_bot, store, rate_limiter=limiter)):
        for k in range(per_user):
            for i in range(users):
                question = questions[(i * 7 + k) % len(questions)]
                asked.setdefault(30_000 + i, []).append(question)
                api.send_text(30_000 + i, question)
        await api.wait_for(lambda: sum(len(api.sent(uid)) for uid in asked) >= users * per_user, timeout=60)
        await asyncio.sleep(0.2)
    for uid, qs in asked.items():
        assert [c.text for c in api.sent(uid)] == session(shipped_bot, qs)


# -- rehabbot run -----------------------------------------------------------------

def _env(api, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REHABBOT_", "TELEGRAM_", "DATABASE_URL"))}
    env.update(TELEGRAM_BOT_TOKEN=api.token, TELEGRAM_API_BASE_URL=api.base_url,
               DATABASE_URL=f"sqlite:///{tmp_path / 'run.sqlite'}", PYTHONPATH=str(REPO))
    env.update(extra)
    return env


async def _stop(process: asyncio.subprocess.Process) -> tuple[int, str]:
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
    try:
        _, err = await asyncio.wait_for(process.communicate(), 30)
    finally:
        if process.returncode is None:
            process.kill()
    return process.returncode, err.decode()


@pytest.mark.slow
async def test_rehabbot_run_polls_the_configured_api_and_stops_cleanly(api, tmp_path):
    heartbeat = tmp_path / "heartbeat"
    env = _env(api, tmp_path, REHABBOT_HEARTBEAT_FILE=str(heartbeat))
    health = [sys.executable, "-m", "bot", "health"]

    def check(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*health, *extra], env=env, capture_output=True, text=True, timeout=60)
    before = await asyncio.to_thread(check)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env=env, cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        await api.wait_for(lambda: api.calls_of("getUpdates"), timeout=60)
        answer = await api.reply_to(USER, SIP, timeout=30)
        for _ in range(600):  # the first beat comes as polling starts
            if heartbeat.exists():
                break
            await asyncio.sleep(0.05)
        running = await asyncio.to_thread(check)
    finally:
        code, err = await _stop(process)
    assert code == 0, err
    # The health check sees the running bot's own heartbeat (Docker's HEALTHCHECK).
    assert before.returncode == 1 and "inget pulsslag" in before.stderr
    assert running.returncode == 0 and running.stdout.startswith("frisk"), running.stderr
    stale = await asyncio.to_thread(check, "--max-age", "0")
    assert stale.returncode == 1 and "senaste pulsslaget" in stale.stderr
    assert answer.params["parse_mode"] == "HTML" and "<b>" in answer.text
    assert len(api.calls_of("setMyCommands")) == 9  # the default list and one per language
    assert SIP not in err  # the question is not in the log


@pytest.mark.slow
async def test_rehabbot_run_webhook_needs_the_secret(api, tmp_path):
    process, url, _ = await _webhook_process(api, tmp_path)
    try:
        async with httpx.AsyncClient() as client:
            refused = await client.post(url, json=api.text_update(USER, SIP))
            accepted = await client.post(url, json=api.text_update(USER, SIP),
                                         headers={"X-Telegram-Bot-Api-Secret-Token": "from_the_env"})
        answer = await api.next_sent(USER, 0, timeout=30)
    finally:
        code, err = await _stop(process)
    assert code == 0, err
    assert api.webhook["url"] == url and api.webhook["secret_token"] == "from_the_env"
    assert (refused.status_code, accepted.status_code) == (403, 200)
    assert "<b>" in answer.text


@pytest.mark.slow
async def test_rehabbot_run_refuses_a_bad_token_with_one_line(api, tmp_path):
    env = _env(api, tmp_path, TELEGRAM_BOT_TOKEN="999:not-the-token")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env=env, cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    _, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 1
    last = err.decode().strip().splitlines()[-1]
    assert last == "rehabbot run: Telegram godtar inte TELEGRAM_BOT_TOKEN (ogiltig token)"


async def test_rehabbot_run_without_a_token_refuses_to_start(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    env["PYTHONPATH"] = str(REPO)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env=env, cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    _, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode != 0
    lines = err.decode().strip().splitlines()
    assert len(lines) == 1 and "TELEGRAM_BOT_TOKEN" in lines[0]


POLL = {"id": "5", "question": "Q?", "options": [{"text": "a", "voter_count": 0}], "total_voter_count": 0,
        "is_closed": False, "is_anonymous": True, "type": "regular", "allows_multiple_answers": False}


async def test_an_update_ptb_cannot_read_costs_that_update_only(api, shipped_bot, store, caplog):
    # A poll without a field PTB requires (here persistent_id) once failed every getUpdates:
    # the offset never moved past it, and nobody got an answer again, not even after a restart.
    async with polling(build(api, shipped_bot, store, persistence=store.persistence())):
        bad = api.push({"poll": POLL})
        answer = await api.reply_to(USER, "vem kallar till sip")
        also_bad = api.push({"message": {"message_id": 9, "date": 0, "chat": {"id": USER, "type": "private"},
                                         "from": {"id": USER, "is_bot": False, "first_name": "x"}, "poll": POLL}})
        again = await api.reply_to(USER, "tack")
    assert "SIP" in answer.text and again.text
    skipped = [r.getMessage() for r in caplog.records
               if "skipped: python-telegram-bot cannot read it" in r.getMessage()]
    assert skipped and f"update {bad} (poll)" in skipped[0]
    assert any(f"update {also_bad} (message)" in m for m in skipped)
    offsets = [c.params.get("offset") for c in api.calls_of("getUpdates")]
    assert max(o or 0 for o in offsets) > also_bad  # the offset moved past both


async def test_the_same_update_twice_is_answered_once(api, shipped_bot):
    # A webhook retry, or a getUpdates answer lost after Telegram delivered it, brings an update
    # again: the person must not get two answers.
    update = api.text_update(USER, SIP)
    async with polling(build(api, shipped_bot)):
        before = len(api.sent(USER))
        api.push(update)
        api.push(update)
        await api.next_sent(USER, before)
        later = await api.reply_to(USER, "/hjalp")  # what comes after is answered as usual
    texts = [c.text for c in api.sent(USER)[before:]]
    assert texts.count(html(shipped_bot, SIP)) == 1 and texts[-1] == later.text


@pytest.mark.slow
@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
async def test_a_kill_or_stop_mid_burst_loses_no_message(api, tmp_path, stop):
    # The offset once confirmed a batch as soon as it was queued: of 300 queued messages, 239
    # were never answered after a SIGKILL and a restart. Now Telegram is told only of answered ones.
    users = range(60_000, 60_300)
    env = _env(api, tmp_path)
    start = [sys.executable, "-m", "bot", "run"]
    first = await asyncio.create_subprocess_exec(*start, env=env, cwd=tmp_path, stdout=asyncio.subprocess.PIPE,
                                                 stderr=asyncio.subprocess.PIPE)
    try:
        await api.wait_for(lambda: api.calls_of("getUpdates"), timeout=60)
        for uid in users:
            api.send_text(uid, SIP)
        await api.wait_for(lambda: sum(bool(api.sent(uid)) for uid in users) >= 20, timeout=60)
    finally:
        # SIGKILL: no cleanup, no last getUpdates. SIGTERM: PTB stops, cancelling what is not
        # answered yet; those were once recorded as answered, and 199 of 300 never came again.
        first.send_signal(stop)
        await asyncio.wait_for(first.wait(), 60)
    answered_before = sum(bool(api.sent(uid)) for uid in users)
    assert answered_before < len(users), "the burst was over before the kill; the test proves nothing"
    second = await asyncio.create_subprocess_exec(*start, env=env, cwd=tmp_path, stdout=asyncio.subprocess.PIPE,
                                                  stderr=asyncio.subprocess.PIPE)
    try:
        await api.wait_for(lambda: all(api.sent(uid) for uid in users), timeout=120)
        await asyncio.sleep(0.5)  # anything sent twice would come now
    finally:
        code, err = await _stop(second)
    assert code == 0, err
    counts = [len(api.sent(uid)) for uid in users]
    assert min(counts) == 1  # every message answered
    # Sent twice only what the kill caught between a send and its record (a send on its way, whose
    # answer never came back): at most the updates in flight at once (64), a handful in practice.
    assert sum(n - 1 for n in counts) <= 64, counts


async def test_a_flooding_user_gets_one_notice_and_everyone_else_is_answered(api, shipped_bot):
    # One user's 600 messages were once all answered while everyone else waited.
    from bot.channels.flood import BURST, FloodLimit
    flooder, other = 7007, 7008
    frozen = FloodLimit(clock=lambda: 1000.0)  # no refill during the test: the counts are exact
    notice = "Du skickar många meddelanden på kort tid. Vänta en minut, så svarar jag igen."
    async with polling(build(api, shipped_bot, flood=frozen)):
        for _ in range(600):
            api.send_text(flooder, SIP)
        answered = await api.reply_to(other, SIP, timeout=60)
        crisis = await api.reply_to(flooder, "jag orkar inte mer, jag vill inte leva", timeout=60)
    texts = [c.text for c in api.sent(flooder)]
    assert answered.text == html(shipped_bot, SIP)
    assert texts.count(notice) == 1 and texts.index(notice) == BURST
    assert len(texts) == BURST + 2  # the burst, one notice, and the crisis reply: never held back
    assert "90101" in crisis.text and "112" in crisis.text


async def _webhook_process(api, tmp_path: Path, *extra: str) -> tuple[asyncio.subprocess.Process, str, int]:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    env = _env(api, tmp_path, REHABBOT_WEBHOOK_SECRET="from_the_env")
    args = ("--web", "--web-port", str(port)) if "--web" in extra else ("--listen", "127.0.0.1", "--port", str(port))
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "--webhook", url, *args, env=env, cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        await api.wait_for(lambda: api.calls_of("setWebhook"), timeout=60)
        async with httpx.AsyncClient() as client:
            for _ in range(200):  # the listener comes up right after setWebhook
                try:
                    await client.get(f"http://127.0.0.1:{port}/")
                    break
                except httpx.ConnectError:
                    await asyncio.sleep(0.1)
    except BaseException:
        await _stop(process)
        raise
    return process, url, port


@pytest.mark.slow
async def test_the_webhook_checks_the_secret_before_the_body_and_answers_an_update_once(api, tmp_path):
    # PTB's tornado server read bodies of up to 100 MB before it looked at the secret.
    secret = {"X-Telegram-Bot-Api-Secret-Token": "from_the_env"}
    process, url, _ = await _webhook_process(api, tmp_path)
    update = api.text_update(USER, SIP)
    try:
        async with httpx.AsyncClient(timeout=60) as client:
            big = b'{"update_id": 1, "pad": "' + b"x" * (3 * 1024 * 1024) + b'"}'
            unauthenticated = await client.post(url, content=big)
            wrong = [await client.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": s})
                     for s in ("from_the_en", "from_the_envX", "FROM_THE_ENV", "")]
            too_big = await client.post(url, content=big, headers=secret)
            broken = await client.post(url, content=b"{not json", headers=secret)
            first, again = await asyncio.gather(client.post(url, json=update, headers=secret),
                                                client.post(url, json=update, headers=secret))
        await asyncio.sleep(0.5)  # a second answer would come now
    finally:
        code, err = await _stop(process)
    assert code == 0, err
    assert unauthenticated.status_code == 403 and {r.status_code for r in wrong} == {403}
    assert (too_big.status_code, broken.status_code) == (413, 400)
    assert (first.status_code, again.status_code) == (200, 200)  # 200 once answered: at-least-once
    assert len(api.sent(USER)) == 1 and "<b>" in api.sent(USER)[0].text


@pytest.mark.slow
async def test_run_with_the_web_and_the_webhook_serves_both_on_one_port(api, tmp_path):
    process, url, port = await _webhook_process(api, tmp_path, "--web")
    try:
        async with httpx.AsyncClient(timeout=60) as client:
            page = await client.get(f"http://127.0.0.1:{port}/")
            accepted = await client.post(url, json=api.text_update(USER, SIP),
                                         headers={"X-Telegram-Bot-Api-Secret-Token": "from_the_env"})
        answer = await api.next_sent(USER, 0, timeout=30)
    finally:
        code, err = await _stop(process)
    assert code == 0, err
    assert page.status_code == 200 and "Rehabbot" in page.text
    assert accepted.status_code == 200 and "<b>" in answer.text


async def test_a_message_without_a_chat_is_skipped_without_a_traceback(api, shipped_bot, caplog):
    # Only a broken sender makes one; PTB's filters once failed on it with an AttributeError.
    broken = api.text_update(USER, SIP)
    del broken["message"]["chat"]
    async with polling(build(api, shipped_bot)):
        api.push(broken)
        after = await api.reply_to(USER, "/hjalp")  # the next update is answered as usual
    assert after.text and len(api.sent(USER)) == 1
    assert f"update {broken['update_id']} skipped: a message without a chat" in caplog.text
    assert "Traceback" not in caplog.text and "AttributeError" not in caplog.text


def test_rehabbot_run_polls_on_uvloop_where_it_is_installed():
    uvloop = pytest.importorskip("uvloop")  # a dependency everywhere but Windows
    from bot.channels.telegram.run import new_event_loop
    loop = new_event_loop()
    try:
        assert isinstance(loop, uvloop.Loop)
        assert loop.run_until_complete(asyncio.sleep(0, result="ran")) == "ran"
    finally:
        loop.close()
