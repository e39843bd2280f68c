"""7. Webhook: `python -m bot run --webhook URL` with REHABBOT_WEBHOOK_SECRET, attacked over HTTP.

Held: a request without the right secret is refused with 401 or 403 and answers nobody; a
huge body without the secret is refused before it is read (the answer comes while the body
is still being sent, and the RSS stays low); malformed JSON is a 4xx without a traceback in
the log; an update that comes twice (Telegram retries a webhook whose answer it did not get)
is answered once; and the process keeps running throughout.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time

import httpx

from bench.attack.core import Attack, Bot, Harness

CATEGORY = "webhook"
SECRET = "wh_Secret-123"
HEADER = "X-Telegram-Bot-Api-Secret-Token"
SIP = "vem kallar till sip"
_users = itertools.count(5_400_000)
BIG_MB = 50
RSS_GROWTH_LIMIT_MB = 25


async def _post(client: httpx.AsyncClient, bot: Bot, body: dict | bytes, secret: str | None,
                content_type: str = "application/json") -> int:
    headers = {"Content-Type": content_type}
    if secret is not None:
        headers[HEADER] = secret
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    response = await client.post(bot.webhook_url, content=content, headers=headers)
    return response.status_code


async def _raw_post(bot: Bot, body: bytes, secret: str | None) -> int | None:
    """A POST written byte for byte (an HTTP client would refuse a header value with a trailing space)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", bot.webhook_port)
    head = (f"POST /telegram HTTP/1.1\r\nHost: 127.0.0.1:{bot.webhook_port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n"
            + (f"{HEADER}: {secret}\r\n" if secret is not None else "") + "\r\n")
    writer.write(head.encode() + body)
    try:
        data = await asyncio.wait_for(reader.read(4096), 30)
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()
    parts = data.split()
    return int(parts[1]) if data.startswith(b"HTTP/") and len(parts) > 1 else None


async def bad_secrets(a: Attack, bot: Bot, client: httpx.AsyncClient) -> None:
    """No secret, a wrong one, one with a trailing or leading space, another case, a prefix: 401/403, no answer."""
    cases = {"missing": None, "wrong": "guess", "with a trailing space": SECRET + " ",
             "with a leading space": " " + SECRET, "in lower case": SECRET.lower(), "a prefix": SECRET[:-1],
             "one character more": SECRET + "x", "empty": "", "the secret twice": f"{SECRET},{SECRET}"}
    results = {}
    for name, secret in cases.items():
        uid = next(_users)
        body = json.dumps(bot.api.text_update(uid, SIP)).encode()
        results[name] = (uid, await _raw_post(bot, body, secret))
    uid = next(_users)
    right = await _post(client, bot, bot.api.text_update(uid, SIP), SECRET)
    with contextlib.suppress(AssertionError):
        await bot.api.next_sent(uid, 0, timeout=30)
    await bot.quiet(1.0)
    for name, (user, status) in results.items():
        answered = len(bot.api.sent(user))
        problems = []
        if status not in (401, 403):
            problems.append(f"HTTP {status}")
        if answered:
            problems.append(f"answered {answered}×")
        if name in ("with a trailing space", "with a leading space") and problems:
            problems.append("HTTP drops the whitespace around a header value (RFC 9110 5.5), so the server "
                            "cannot see it")
        a.check(f"secret {name}", not problems, "; ".join(problems), note=f"HTTP {status}")
    a.check("the right secret (the control)", right == 200 and len(bot.api.sent(uid)) == 1,
            f"HTTP {right}, {len(bot.api.sent(uid))} answers")


async def _huge_body(bot: Bot, size: int, secret: str | None) -> tuple[int | None, int, float]:
    """POST a body of `size` bytes in 1 MB writes; stop when the server answers or closes.
    (status or None, bytes sent before the answer, seconds)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", bot.webhook_port)
    head = (f"POST /telegram HTTP/1.1\r\nHost: 127.0.0.1:{bot.webhook_port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {size}\r\n" + (f"{HEADER}: {secret}\r\n" if secret is not None else "") + "\r\n")
    started = time.monotonic()
    writer.write(head.encode())
    answer = asyncio.create_task(reader.read(4096))
    chunk, sent = b"1" * (1024 * 1024), 0
    try:
        while sent < size and not answer.done():
            part = chunk[: min(len(chunk), size - sent)]
            writer.write(part)
            await asyncio.wait_for(writer.drain(), 10)
            sent += len(part)
            await asyncio.sleep(0)  # let the answer arrive between writes
    except (TimeoutError, ConnectionError, OSError):
        pass
    try:
        data = await asyncio.wait_for(answer, 30)
    except (TimeoutError, ConnectionError, OSError):
        data = b""
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()
    status = int(data.split()[1]) if data.startswith(b"HTTP/") and len(data.split()) > 1 else None
    return status, sent, time.monotonic() - started


async def a_huge_body(a: Attack, bot: Bot, client: httpx.AsyncClient) -> None:
    """50 MB without a secret (and with a wrong one): refused before the body is read, RSS stays low."""
    size = BIG_MB * 1024 * 1024
    for name, secret in (("without a secret", None), ("with a wrong secret", "guess"))[: bot.h.size(2, 1)]:
        before = bot.peak_rss_mb()
        status, sent, took = await _huge_body(bot, size, secret)
        await asyncio.sleep(0.3)
        growth = bot.peak_rss_mb() - before
        problems = []
        if status not in (401, 403, 413):
            problems.append(f"HTTP {status}" if status else "no HTTP answer")
        if sent >= size:
            problems.append(f"read all {BIG_MB} MB before answering")
        if growth > RSS_GROWTH_LIMIT_MB:
            problems.append(f"peak RSS +{growth:.0f} MB")
        a.check(f"{BIG_MB} MB {name}", not problems and bot.alive, "; ".join(problems) or "the process died",
                note=f"HTTP {status} after {sent / 2**20:.0f} MB, {took:.1f} s, peak RSS +{growth:.0f} MB")


async def malformed_bodies(a: Attack, bot: Bot, client: httpx.AsyncClient) -> None:
    """Malformed JSON and JSON that is no update, with the right secret: a 4xx, no traceback, nothing breaks."""
    bodies = {"cut-off JSON": b'{"update_id": 1, "message": ', "not JSON": b"\x00\xff<xml/>",
              "invalid UTF-8": b'{"update_id": 5, "x": "\xff\xfe"}', "a list": b"[]", "a string": b'"x"',
              "null": b"null", "an update_id that is text": b'{"update_id": "x"}', "empty": b"",
              "a message missing its chat": json.dumps({"update_id": 424242, "message": {"message_id": 1,
                                                                                         "date": 0}}).encode()}
    for name, body in bodies.items():
        since = bot.mark()
        status = await _post(client, bot, body, SECRET)
        await asyncio.sleep(0.2)
        tracebacks = bot.tracebacks(since)
        problems = []
        if status >= 500:
            problems.append(f"HTTP {status}")
        if tracebacks:
            problems.append(f"traceback in the log: {tracebacks[0]}")
        if not bot.alive:
            problems.append("the process died")
        a.check(name, not problems, "; ".join(problems), note=f"HTTP {status}")
    uid = next(_users)
    await _post(client, bot, bot.api.text_update(uid, SIP), SECRET)
    try:
        await bot.api.next_sent(uid, 0, timeout=30)
        a.check("answered afterwards", True)
    except AssertionError as exc:
        a.check("answered afterwards", False, str(exc))


async def the_same_update_twice(a: Attack, bot: Bot, client: httpx.AsyncClient) -> None:
    """An update delivered twice (one after the other, and twice at once): answered once."""
    for name, at_once in (("twice, one after the other", False), ("twice at once", True),
                          ("five times at once", True)):
        uid = next(_users)
        update = bot.api.text_update(uid, SIP)
        times = 5 if name.startswith("five") else 2
        if at_once:
            statuses = await asyncio.gather(*(_post(client, bot, update, SECRET) for _ in range(times)))
        else:
            statuses = [await _post(client, bot, update, SECRET) for _ in range(times)]
            await asyncio.sleep(0)
        with contextlib.suppress(AssertionError):
            await bot.api.next_sent(uid, 0, timeout=30)
        await bot.quiet(1.0)
        count = len(bot.api.sent(uid))
        a.check(name, count == 1, f"answered {count}×", note=f"HTTP {sorted(set(statuses))}")


async def the_log_stays_clean(a: Attack, bot: Bot, since: int) -> None:
    """After all of it: the process runs, no traceback in its log."""
    a.check("the process is still running", bot.alive, "it exited")
    found = bot.tracebacks(since)
    a.check("no traceback in the log", not found, f"{len(found)} tracebacks, first: {found[0] if found else ''}")


async def run(h: Harness) -> None:
    async with h.bot("webhook", webhook=True, webhook_secret=SECRET) as bot, httpx.AsyncClient(timeout=60) as client:
        since = bot.mark()
        a = await h.run(CATEGORY, bad_secrets, bot, client)
        del a
        for attack in (a_huge_body, malformed_bodies, the_same_update_twice):
            await h.run(CATEGORY, attack, bot, client)
        await h.run(CATEGORY, the_log_stays_clean, bot, since)
