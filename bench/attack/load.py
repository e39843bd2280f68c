"""6. Load: many users at Telegram's pace, a burst all at once, and one user flooding.

The bot runs as in production, with python-telegram-bot's AIORateLimiter at Telegram's limit
of 30 messages a second overall, so 30 questions a second is as fast as it may answer.

Held: every message answered, none twice; and while one user floods, the others are not
starved (their 95th percentile from message to answer stays under OTHERS_P95_S).

Questions come from a pool whose answers are one message each (checked at the start), so
the n-th message to a chat is the answer to the n-th question in it (each chat is answered
in order) and the time from question to answer can be measured per message.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections import defaultdict

from bench.attack.core import Attack, Bot, Harness, label, percentile

CATEGORY = "load"
STEADY_P95_S = 5.0
OTHERS_P95_S = 3.0
MAX_NOTICES = 3  # "too fast" notices for one flood: one per run of excess (the bucket refills 1 per 2 s)
CANDIDATES = ["vem kallar till sip", "vad är sjukpenning", "vad gör arbetsförmedlingen", "vad är försörjningsstöd",
              "vad är en rehabplan", "vem betalar sjukpenning", "vad är SGI", "vad gör försäkringskassan",
              "vad är samordningsförbund", "vem har ansvar för rehabilitering", "vad är arbetsträning",
              "hur söker jag försörjningsstöd", "vad är aktivitetsersättning", "vad gör socialtjänsten",
              "tack", "hej", "vad är ett läkarintyg", "vad gör vårdcentralen", "vad är sjukersättning",
              "vad är FINSAM"]


async def single_message_questions(bot: Bot, first_user: int) -> list[str]:
    """The candidates whose answer is exactly one message (all asked at once, by users of their own)."""
    users = {q: first_user + i for i, q in enumerate(CANDIDATES)}
    for q, uid in users.items():
        bot.api.send_text(uid, q)
    await bot.api.wait_for(lambda: all(bot.api.sent(u) for u in users.values()), timeout=60)
    await bot.quiet(1.0)
    return [q for q, uid in users.items() if len(bot.api.sent(uid)) == 1]


def _tally(bot: Bot, sends: dict[int, list[int]]) -> tuple[int, int, list[float]]:
    """(messages never answered, extra answers, seconds from message to answer)."""
    missing = extra = 0
    latencies: list[float] = []
    for uid, update_ids in sends.items():
        replies = bot.api.sent(uid)
        missing += max(0, len(update_ids) - len(replies))
        extra += max(0, len(replies) - len(update_ids))
        latencies += [r.at - bot.api.pushed_at[u] for r, u in zip(replies, update_ids)]
    return missing, extra, latencies


async def _drain(bot: Bot, sends: dict[int, list[int]], within: float, stall: float = 10.0) -> float:
    """Wait until every chat has as many answers as it sent, or `within` s, or `stall` seconds
    without a new answer; the seconds waited."""
    total = sum(len(v) for v in sends.values())
    started = progress_at = time.monotonic()
    answered = -1
    while time.monotonic() - started < within and bot.alive:
        now_answered = sum(min(len(bot.api.sent(u)), len(v)) for u, v in sends.items())
        if now_answered >= total:
            break
        if now_answered != answered:
            answered, progress_at = now_answered, time.monotonic()
        elif time.monotonic() - progress_at > stall:
            break
        await asyncio.sleep(0.1)
    took = time.monotonic() - started
    await bot.quiet(1.5, limit=15)
    return took


def _ms(values: list[float]) -> str:
    if not values:
        return "no answers"
    return (f"p50 {statistics.median(values) * 1000:.0f} ms, p95 {percentile(values, 0.95) * 1000:.0f} ms, "
            f"max {max(values) * 1000:.0f} ms")


def _counts(a: Attack, what: str, total: int, missing: int, extra: int, note: str = "") -> None:
    a.check(f"{what}: every message answered", not missing, f"{missing} of {total} never answered", note=note)
    a.check(f"{what}: none answered twice", not extra, f"{extra} extra answers")


async def steady_load(a: Attack, bot: Bot, questions: list[str]) -> None:
    """2,000 messages from 300 users at about 30 a second (Telegram's own limit for a bot)."""
    h = bot.h
    users, total, rate = h.size(300, 60), h.size(2000, 300), 30.0
    uids = [5_000_000 + i for i in range(users)]
    sends: dict[int, list[int]] = defaultdict(list)
    started = time.perf_counter()
    for k in range(total):
        delay = started + k / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        uid = uids[(k * 7) % users]
        sends[uid].append(bot.api.send_text(uid, questions[k % len(questions)]))
    sent_in = time.perf_counter() - started
    waited = await _drain(bot, sends, within=h.size(120, 60))
    missing, extra, latencies = _tally(bot, sends)
    _counts(a, f"{total} messages", total, missing, extra,
            note=f"sent at {total / sent_in:.1f}/s; all answered {waited:.1f} s after the last")
    p95 = percentile(latencies, 0.95)
    a.check(f"p95 message → answer under {STEADY_P95_S:.0f} s", p95 <= STEADY_P95_S, f"p95 {p95:.1f} s",
            note=_ms(latencies))


async def burst(a: Attack, bot: Bot, questions: list[str]) -> None:
    """1,000 messages (200 users × 5) all at once: none lost, none twice."""
    h = bot.h
    users, per_user = h.size(200, 60), 5
    uids = [5_100_000 + i for i in range(users)]
    sends: dict[int, list[int]] = defaultdict(list)
    for k in range(per_user):
        for i, uid in enumerate(uids):
            sends[uid].append(bot.api.send_text(uid, questions[(i * 3 + k) % len(questions)]))
    total = users * per_user
    waited = await _drain(bot, sends, within=h.size(180, 60))
    missing, extra, latencies = _tally(bot, sends)
    _counts(a, f"{total} at once", total, missing, extra,
            note=f"drained in {waited:.1f} s ({total / max(waited, 0.001):.0f}/s); {_ms(latencies)}")


async def _flood(a: Attack, bot: Bot, flood_texts: list[str], questions: list[str], flooder: int) -> None:
    """The flooder's messages all at once, then the others asking as people do; the tries on the others."""
    h = bot.h
    others, per_other = [flooder + 1 + i for i in range(h.size(40, 15))], h.size(5, 3)
    baseline: list[float] = []
    for i in range(10):  # the others' wait with nobody flooding
        started = time.monotonic()
        await bot.ask(flooder - 1, questions[i % len(questions)], within=30)
        baseline.append(time.monotonic() - started)
    flood_sends = {flooder: [bot.api.send_text(flooder, text) for text in flood_texts]}
    waits: list[float] = []
    lost = 0

    async def person(uid: int) -> None:
        nonlocal lost
        for k in range(per_other):
            started = time.monotonic()
            try:
                await bot.ask(uid, questions[(uid + k) % len(questions)], within=60)
            except AssertionError:
                lost += 1
                waits.append(60.0)
                continue
            waits.append(time.monotonic() - started)
            await asyncio.sleep(0.5)  # reading the answer
    await asyncio.gather(*(person(uid) for uid in others))
    a.flood_sends = flood_sends  # type: ignore[attr-defined]
    a.drained = await _drain(bot, flood_sends, within=h.size(180, 90), stall=3.0)  # type: ignore[attr-defined]
    others_extra = sum(max(0, len(bot.api.sent(u)) - per_other) for u in others)
    a.check("the others: every message answered once", not lost and not others_extra,
            f"{lost} never answered, {others_extra} answered twice")
    p95 = percentile(waits, 0.95)
    a.check(f"the others' p95 under {OTHERS_P95_S:.0f} s during the flood", p95 <= OTHERS_P95_S,
            f"p95 {p95:.1f} s during the flood (alone: p95 {percentile(baseline, 0.95) * 1000:.0f} ms)",
            note=f"during the flood {_ms(waits)}; alone {_ms(baseline)}")


async def one_user_floods(a: Attack, bot: Bot, questions: list[str]) -> None:
    """One user sends 600 messages at once while 40 others ask as people do: the others are not starved.

    The issue asks for a per-person limit with a polite notice (bot/channels/flood.py: a burst
    of 20, then one message per 2 s): held when the flooder got the burst, a notice or a few
    (one per run of excess), nothing twice, and far fewer answers than messages."""
    from bot.channels.flood import BURST
    flooder, flood = 5_200_000, bot.h.size(600, 150)
    await _flood(a, bot, [questions[k % len(questions)] for k in range(flood)], questions, flooder)
    replies = bot.api.sent(flooder)
    _, extra, _ = _tally(bot, a.flood_sends)  # type: ignore[attr-defined]
    notices = [c for c in replies if label("too_fast") in c.text]
    answered = len(replies) - len(notices)
    a.check(f"the flooder's {flood}: the burst answered, the rest limited", BURST <= answered < flood // 2,
            f"{answered} answered, {len(notices)} 'too fast' notices",
            note=f"drained {a.drained:.1f} s after the others")  # type: ignore[attr-defined]
    a.check(f"the flooder's {flood}: none answered twice, a notice or a few (one per run of excess)",
            not extra and 1 <= len(notices) <= MAX_NOTICES, f"{extra} extra answers, {len(notices)} notices")


async def a_flood_of_crisis_messages(a: Attack, bot: Bot, questions: list[str]) -> None:
    """One user floods with crisis messages: the crisis reply comes at once, again and again up
    to the crisis allowance (30, then one a second), and the others are not starved.

    "A person in crisis may write many times": they get the numbers every time up to the
    allowance; beyond it a flooder no longer holds back every other chat."""
    from bot.channels.flood import CRISIS_BURST
    flooder, flood = 5_300_000, bot.h.size(600, 150)
    texts = ["jag vill inte leva längre", "jag orkar inte leva", "jag vill ta livet av mig"]
    await _flood(a, bot, [texts[k % len(texts)] for k in range(flood)], questions, flooder)
    replies = bot.api.sent(flooder)
    _, extra, _ = _tally(bot, a.flood_sends)  # type: ignore[attr-defined]
    crisis = [c for c in replies if "90101" in c.text]
    a.check(f"the {flood} crisis messages: the crisis reply at least {CRISIS_BURST} times", len(crisis) >= CRISIS_BURST,
            f"{len(crisis)} crisis replies", note=f"drained {a.drained:.1f} s after the others")  # type: ignore[attr-defined]
    a.check(f"the {flood} crisis messages: none answered twice", not extra, f"{extra} extra answers")


async def run(h: Harness) -> None:
    async with h.bot("load") as bot:
        questions = await single_message_questions(bot, 4_900_000)
        if len(questions) < 5:
            raise RuntimeError(f"only {len(questions)} candidate questions are answered in one message")
        for attack in (steady_load, burst, one_user_floods, a_flood_of_crisis_messages):
            await h.run(CATEGORY, attack, bot, questions)
