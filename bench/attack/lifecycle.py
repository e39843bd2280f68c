"""8. The rest: killed or stopped mid-burst, two instances on one SQLite file, erasure while running.

* SIGKILL in the middle of a burst of 300 queued messages, then a restart: every message is
  answered at least once after the restart (Telegram is told an update is done only once it
  is answered); the duplicates (a kill between an answer and its record) are counted.
* SIGTERM mid-burst: the process exits cleanly, and after a restart nothing is lost.
* Two instances (two bots, each with its own token and fake Bot API) on the same SQLite
  file, started at the same moment on a new file: both run, every message is answered once,
  the store loses no question and takes no "database is locked", and a setting one instance
  saved is the one the other uses.
* `python -m bot privacy forget ID` while the bot runs: the person's rows are gone at once,
  the running bot does not write them back when it stops, and it no longer uses them.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import signal
import time

from bench.attack.core import Attack, Bot, Harness, exit_reason, until

CATEGORY = "the rest"
SIP = "vem kallar till sip"
# Sent twice only what a kill caught between a send and its record: at most the updates in flight
# (max_concurrent_updates, 64), as tests/test_telegram_transport.py asserts; the count is reported.
DUPLICATES_ALLOWED = 64


async def _answered_all(bot: Bot, users: list[int], within: float) -> None:
    await until(lambda: not bot.alive or all(bot.api.sent(u) for u in users), within, step=0.1)
    await bot.quiet(1.5, limit=10)


async def _mid_burst(a: Attack, h: Harness, sig: int, base: int) -> None:
    users = list(range(base, base + h.size(300, 150)))
    async with h.bot(f"burst-{signal.Signals(sig).name}") as bot:
        api = bot.api
        for uid in users:
            api.send_text(uid, SIP)
        await api.wait_for(lambda: sum(bool(api.sent(u)) for u in users) >= 20, timeout=60)
        started = time.monotonic()
        code = await bot.stop(sig, within=30)
        took = time.monotonic() - started
        before = sum(bool(api.sent(u)) for u in users)
        if before >= len(users):
            raise RuntimeError(f"inconclusive: all {len(users)} were answered before the {signal.Signals(sig).name}")
        if sig == signal.SIGTERM:
            a.check("SIGTERM: the process exits cleanly", code == 0 and took < 30, f"{exit_reason(bot.process)} "
                    f"(code {code}) after {took:.1f} s", note=f"exit {code} after {took:.1f} s")
        await bot.start()
        await _answered_all(bot, users, within=h.size(120, 60))
        counts = [len(api.sent(u)) for u in users]
        missing = sum(c == 0 for c in counts)
        twice = sum(c - 1 for c in counts if c > 1)
        a.check(f"every one of {len(users)} answered at least once after the restart", not missing,
                f"{missing} of {len(users)} never answered", note=f"{before} answered before the signal")
        a.check(f"at most {DUPLICATES_ALLOWED} answered twice", twice <= DUPLICATES_ALLOWED,
                f"{twice} answered twice", note=f"{twice} duplicates")
        code = await bot.stop()
        a.check("the restarted bot stops cleanly", code == 0, f"exit code {code}")


async def sigkill_mid_burst(a: Attack, h: Harness) -> None:
    """SIGKILL while 300 queued messages are being answered, then a restart: none lost, duplicates counted."""
    await _mid_burst(a, h, signal.SIGKILL, 6_000_000)


async def sigterm_mid_burst(a: Attack, h: Harness) -> None:
    """SIGTERM while 300 queued messages are being answered: a clean exit, and nothing lost after a restart."""
    await _mid_burst(a, h, signal.SIGTERM, 6_100_000)


async def two_instances_on_one_sqlite_file(a: Attack, h: Harness) -> None:
    """Two bots started at once on one new SQLite file, both busy: no lost question, no lock errors."""
    from fake_bot_api import FakeBotApi
    # Two bots: two tokens (the number before the colon is the bot id), as staging and production.
    api_a, api_b = await FakeBotApi().start(), await FakeBotApi(token="654321:OTHER-fake-token").start()
    # Update ids are per bot; these two count from far apart, so that this attack is about the
    # shared file. The last tries below make them meet on purpose.
    api_b._update_ids = itertools.count(10_000_001)
    try:
        async with h.bot("twin-a", api=api_a, start=False) as one, h.bot("twin-b", api=api_b, start=False,
                                                                          db=None) as two:
            two.db = one.db
            since = (one.mark(), two.mark())
            started = await asyncio.gather(one.start(), two.start(), return_exceptions=True)
            a.check("both start on the same new file", not any(isinstance(x, Exception) for x in started),
                    "; ".join(str(x) for x in started if isinstance(x, Exception)))
            if not (one.alive and two.alive):
                return
            n = h.size(100, 40)
            users = {one: list(range(6_200_000, 6_200_000 + n)), two: list(range(6_300_000, 6_300_000 + n))}
            for bot, uids in users.items():
                for uid in uids:
                    bot.api.send_text(uid, SIP)
            await asyncio.gather(*(_answered_all(bot, uids, within=60) for bot, uids in users.items()))
            for bot, uids in users.items():
                counts = [len(bot.api.sent(u)) for u in uids]
                a.check(f"{bot.name}: every message answered once", all(c == 1 for c in counts),
                        f"{sum(c == 0 for c in counts)} unanswered, {sum(max(0, c - 1) for c in counts)} extra")
            stats = await one.cli("stats", "--json")
            logged = json.loads(stats.stdout).get("questions") if stats.returncode == 0 else None
            a.check(f"the store has all {2 * n} questions", logged == 2 * n,
                    f"stats says {logged} ({stats.stderr.strip()[:80]})")
            # A setting saved through one instance is the one the other uses (they share the store).
            shared, reference = 6_400_000, 6_400_001
            await one.ask(shared, "/sprak en")
            await two.ask(reference, "/sprak en")
            english = await two.ask(reference, SIP)
            answer = await two.ask(shared, SIP)
            a.check("a setting saved by one instance is used by the other", _title(answer) == _title(english),
                    f"the other instance answered {_title(answer)!r}, in English it is {_title(english)!r}")
            # Two bots (two tokens: staging and production, say) have update ids of their own, which
            # may be equal. The store's record of answered updates is one table for both.
            for name, first, second in (("the second bot", one, two), ("the first bot", two, one)):
                update_id, uids = 9_000_001 if first is one else 9_000_002, (6_600_001, 6_600_002)
                if first is two:
                    uids = (6_600_003, 6_600_004)
                for bot, uid, wait in ((first, uids[0], 10), (second, uids[1], 5)):
                    update = bot.api.text_update(uid, SIP)
                    update["update_id"] = update_id
                    bot.api.pushed_at[update_id] = time.perf_counter()
                    bot.api.push(update)
                    with contextlib.suppress(AssertionError):
                        await bot.api.next_sent(uid, 0, timeout=wait)
                    if bot is first:
                        await asyncio.sleep(1.0)  # the answered update's record is written just after the answer
                a.check(f"{name} answers its update {update_id} after the other answered its own {update_id}",
                        second.api.sent(uids[1]), "never answered: the shared handled_update table took it for "
                        "one answered before a restart (update ids are per bot, the table is not)")
            for bot, mark in zip((one, two), since):
                trouble = bot.log_lines(r"locked|store: \w+ (failed|took longer)", mark)
                tracebacks = bot.tracebacks(mark)
                a.check(f"{bot.name}: no lock errors or store failures in the log", not trouble and not tracebacks,
                        (trouble or tracebacks)[0] if trouble or tracebacks else "")
    finally:
        await api_a.stop()
        await api_b.stop()


def _title(call) -> str:
    """The first line of an answer (its entry's title, in the answer's language)."""
    return call.text.split("\n", 1)[0]


def _rows_of(bot: Bot, user_hash: str) -> dict[str, int]:
    """The person's rows, table by table."""
    queries = {"settings": "SELECT COUNT(*) FROM settings WHERE user_hash = ?",
               "question_log": "SELECT COUNT(*) FROM question_log WHERE user_hash = ?",
               "feedback": "SELECT COUNT(*) FROM feedback WHERE user_hash = ?",
               "audit": "SELECT COUNT(*) FROM audit WHERE user_hash = ?",
               "ptb_data": "SELECT COUNT(*) FROM ptb_data WHERE kind IN ('user', 'chat') AND key_hash = ?"}
    return {table: bot.count(sql, (user_hash,)) for table, sql in queries.items()}


def _left(rows: dict[str, int]) -> str:
    return ", ".join(f"{n} in {t}" for t, n in rows.items() if n) or "none"


async def privacy_forget_while_running(a: Attack, h: Harness) -> None:
    """`python -m bot privacy forget ID` while the bot runs: gone at once, not written back, not used again."""
    forgotten, asks_again, kept, fresh = 6_500_001, 6_500_002, 6_500_003, 6_500_004
    async with h.bot("forget") as bot:
        for uid in (forgotten, asks_again, kept):
            await bot.ask(uid, "/sprak en")
            answer = await bot.ask(uid, SIP)
            await bot.ask(uid, "vad är sjukpenning")
            if uid == forgotten:  # 👍 on an answer: a feedback row to forget too
                up = next((b["callback_data"] for row in answer.buttons for b in row
                           if b.get("callback_data", "").startswith("fb:")), None)
                if up is not None:
                    await bot.api.after("answerCallbackQuery", lambda d=up, m=answer, u=uid: bot.api.press(u, d, m))
        english = _title(answer)
        swedish = _title(await bot.ask(fresh, SIP))
        await bot.quiet(0.5)
        hashes = {uid: bot.user_hash(uid) for uid in (forgotten, asks_again, kept)}
        before = _rows_of(bot, hashes[forgotten])
        a.check("there was something to forget (the check is not vacuous)",
                before["settings"] and before["question_log"] and before["feedback"], f"rows before: {before}",
                note=_left(before))
        results = [await bot.cli("privacy", "forget", str(uid)) for uid in (forgotten, asks_again)]
        a.check("the command succeeds while the bot runs", all(r.returncode == 0 for r in results),
                f"exit {[r.returncode for r in results]}: {results[0].stderr.strip()[:100]}",
                note=results[0].stdout.strip()[:80])
        now = _rows_of(bot, hashes[forgotten])
        a.check("the person's rows are gone at once", not any(now.values()), f"left: {_left(now)}")
        again = _title(await bot.ask(asks_again, SIP))
        a.check("the running bot no longer uses the erased setting (English)", again == swedish,
                f"answered {again!r} (English: {english!r}, Swedish: {swedish!r})")
        code = await bot.stop()  # python-telegram-bot's persistence writes what it holds on the way out
        after = _rows_of(bot, hashes[forgotten])
        a.check("the stopping bot does not write them back", not any(after.values()) and code == 0,
                f"after the stop: {_left(after)} (exit {code})")
        control = _rows_of(bot, hashes[kept])
        a.check("someone else's rows are kept (the control)", control["settings"] and control["question_log"],
                f"the other user's rows: {control}")
        await bot.start()
        later = _title(await bot.ask(forgotten, SIP))
        a.check("after a restart the erased person is a stranger", later == swedish,
                f"answered {later!r}, a new user gets {swedish!r}")


async def run(h: Harness) -> None:
    for attack in (sigkill_mid_burst, sigterm_mid_burst, two_instances_on_one_sqlite_file,
                   privacy_forget_while_running):
        await h.run(CATEGORY, attack, h)
