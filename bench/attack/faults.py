"""5. Faults: Telegram failing under the bot, and its SQLite file taken away or frozen.

Held: every answer still arrives (late is fine: the retries run until a deadline of a minute),
and the process keeps running and answers what comes next. Each attack has a bot and a fake
Bot API of its own, so they run at the same time (most of their time is waiting).
"""

from __future__ import annotations

import asyncio
import itertools
import time

from bench.attack.core import Attack, Bot, Fault, Harness, exit_reason

CATEGORY = "faults"
SIP = "vem kallar till sip"
_users = itertools.count(4_700_000)


async def _answered(a: Attack, bot: Bot, name: str, within: float = 60.0, text: str = SIP,
                    expect: str = "SIP") -> float | None:
    """Ask; a try that holds when the answer arrives within `within` s; the seconds it took."""
    started = time.monotonic()
    try:
        answer = await bot.ask(next(_users), text, within=within)
    except AssertionError as exc:
        a.check(name, False, str(exc))
        return None
    took = time.monotonic() - started
    a.check(name, expect in answer.text, f"the answer was {answer.text[:60]!r}", note=f"{took:.1f} s")
    return took


def _keeps_running(a: Attack, bot: Bot, since: int) -> None:
    tracebacks = bot.tracebacks(since)
    a.check("the process keeps running", bot.alive, exit_reason(bot.process),
            note=f"{len(tracebacks)} tracebacks in the log" if tracebacks else "")


async def six_500s_in_a_row(a: Attack, bot: Bot) -> None:
    """sendMessage answers 500 six times in a row: the answer comes on the seventh attempt."""
    since = bot.mark()
    bot.api.fail("sendMessage", *[Fault.http(500)] * 6)
    await _answered(a, bot, "the answer arrives", within=60)
    failed = [c for c in bot.api.calls_of("sendMessage", ok=False) if c.fault]
    a.check("all six failures were retried", len(failed) == 6, f"{len(failed)} failed attempts seen")
    await _answered(a, bot, "the next question is answered", within=15, text="/hjalp", expect="Rehabbot")
    _keeps_running(a, bot, since)


async def too_many_requests_with_retry_after(a: Attack, bot: Bot) -> None:
    """429 with retry_after=3, twice: the bot waits as long as Telegram asks, then the answer arrives."""
    since = bot.mark()
    bot.api.fail("sendMessage", Fault.too_many(retry_after=3), Fault.too_many(retry_after=3))
    took = await _answered(a, bot, "the answer arrives", within=60)
    attempts = bot.api.calls_of("sendMessage", ok=False)
    gaps = [b.at - x.at for x, b in itertools.pairwise(attempts)][:2]
    a.check("it waited as long as asked (3 s each)", len(gaps) == 2 and min(gaps) >= 2.9,
            f"gaps between attempts {[round(g, 1) for g in gaps]}", note=f"total {took or 0:.1f} s")
    await _answered(a, bot, "the next question is answered", within=15)
    _keeps_running(a, bot, since)


async def dropped_connections(a: Attack, bot: Bot) -> None:
    """sendMessage's connection drops without an answer, three times: the answer still arrives."""
    since = bot.mark()
    bot.api.fail("sendMessage", Fault.drop(), Fault.drop(), Fault.drop())
    await _answered(a, bot, "the answer arrives", within=60)
    await _answered(a, bot, "the next question is answered", within=15)
    _keeps_running(a, bot, since)


async def get_updates_failing(a: Attack, bot: Bot) -> None:
    """getUpdates fails (500, dropped, 502, 429): polling backs off and resumes; nothing is lost."""
    since = bot.mark()
    bot.api.fail("getUpdates", Fault.http(500), Fault.drop(), Fault.http(502, "Bad Gateway"), Fault.too_many(2))
    await _answered(a, bot, "a question asked during the failures is answered", within=60)
    await _answered(a, bot, "the next question is answered", within=15)
    _keeps_running(a, bot, since)


async def sqlite_file_deleted(a: Attack, bot: Bot) -> None:
    """The SQLite file (and its -wal, -shm) deleted under the running bot: answers go on."""
    since = bot.mark()
    await _answered(a, bot, "answered before the deletion", within=30)
    for path in bot.db_files():
        path.unlink()
    for i in range(3):
        await _answered(a, bot, f"answered after the deletion ({i + 1})", within=30)
    await _answered(a, bot, "a setting is still taken (/sprak en)", within=30, text="/sprak en", expect="English")
    a.check("a database file is there again", bot.db.exists(), "no file at DATABASE_URL",
            note="recreated" if bot.db.exists() else "")
    _keeps_running(a, bot, since)


async def sqlite_file_read_only(a: Attack, bot: Bot) -> None:
    """The SQLite file and its -wal made immutable (chattr +i, read-only even for root): answers go on."""
    await _frozen(a, bot, with_shm=False)


async def sqlite_shm_read_only_too(a: Attack, bot: Bot) -> None:
    """The -shm (SQLite's memory-mapped WAL index) immutable as well, as on a file system gone read-only.

    SQLite writes the -shm through a shared memory map; when the kernel refuses such a write
    the process gets SIGBUS, which Python cannot catch."""
    await _frozen(a, bot, with_shm=True)


async def _frozen(a: Attack, bot: Bot, with_shm: bool) -> None:
    since = bot.mark()
    await _answered(a, bot, "answered before", within=30)
    frozen = [p for p in bot.db_files() if (with_shm or not p.name.endswith("-shm")) and bot.h.make_immutable(p)]
    if not frozen:
        a.check("the file could be made read-only", False, "chattr +i failed (not root, or not supported here)")
        return
    try:
        for i in range(3):
            await _answered(a, bot, f"answered while read-only ({i + 1})", within=30)
            if not bot.alive:  # one failure for one cause: the rest would only repeat it
                break
        if bot.alive:
            await _answered(a, bot, "a setting while read-only (/sprak en)", within=30, text="/sprak en",
                            expect="English")
        _keeps_running(a, bot, since)
    finally:
        for path in frozen:
            bot.h.make_mutable(path)
    if bot.alive:
        await _answered(a, bot, "answered once writable again", within=30)


ATTACKS = (six_500s_in_a_row, too_many_requests_with_retry_after, dropped_connections, get_updates_failing,
           sqlite_file_deleted, sqlite_file_read_only, sqlite_shm_read_only_too)


async def _alone(h: Harness, attack) -> None:
    async with h.bot(f"faults-{attack.__name__}") as bot:
        await h.run(CATEGORY, attack, bot)


async def run(h: Harness) -> None:
    start = len(h.attacks)
    await asyncio.gather(*(_alone(h, attack) for attack in ATTACKS))
    order = [f.__name__.replace("_", " ") for f in ATTACKS]
    h.attacks[start:] = sorted(h.attacks[start:], key=lambda x: order.index(x.name) if x.name in order else 99)
