"""The web channel over HTTP: chat answers per second and their latency at 10 and 50
concurrent visitors, beside the same questions answered in-process, in one run.

The server is `rehabbot web` in a process of its own (as it runs in production), the
visitors are httpx clients in this one; each visitor has its own session and does what a
browser does for one question: POST the form, follow the redirect, read the page. The
ratio of an answer's latency over HTTP to `Rehabbot.ask` alone is the channel's overhead.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from bot.service import Rehabbot

LEVELS = (10, 50)
PER_VISITOR = 5  # questions in one session


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _load(url: str, questions: list[str], clients: int, total: int,
                progress: Callable[..., Any]) -> dict[str, Any]:
    """`clients` visitors ask `total` questions between them as fast as answers come."""
    feed = itertools.cycle(questions)
    latencies: list[float] = []
    errors = 0
    bar = progress(range(total), desc=f"web, {clients} visitors", total=total)
    ticks = iter(bar)
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async def visitor() -> None:
        """A visitor asks a few questions in one session, then the next visitor comes."""
        nonlocal errors
        while len(latencies) + errors < total:
            async with httpx.AsyncClient(base_url=url, follow_redirects=True, limits=limits, timeout=120) as client:
                page = (await client.get("/")).text
                csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
                assert csrf, "the chat page has no CSRF token"
                for _ in range(PER_VISITOR):
                    if len(latencies) + errors >= total:
                        break
                    started = time.perf_counter()
                    response = await client.post("/chat", data={"csrf": csrf.group(1), "do": "ask:",
                                                                "q": next(feed)})
                    if response.status_code == 200 and 'class="turn' in response.text:
                        latencies.append((time.perf_counter() - started) * 1000)
                    else:
                        errors += 1
                    next(ticks, None)

    started = time.perf_counter()
    await asyncio.gather(*(visitor() for _ in range(clients)))
    seconds = time.perf_counter() - started
    return {"clients": clients, "answers": len(latencies), "errors": errors,
            "per_s": len(latencies) / seconds if seconds else 0.0,
            "median_ms": statistics.median(latencies), "p95_ms": _percentile(latencies, 0.95)}


def run(bot: Rehabbot, kb_dir: Path, questions: list[tuple[str, str]], progress: Callable[..., Any],
        quick: bool = False) -> dict[str, Any]:
    texts = [q for q, _ in questions]
    inproc = []
    for q in progress(texts * 2, desc="web: in-process answers"):
        started = time.perf_counter()
        bot.ask(q, fmt="web")
        inproc.append((time.perf_counter() - started) * 1000)
    port = _free_port()
    # Every visitor comes from 127.0.0.1 here: the per-address flood limit would answer most with "wait".
    database = Path(os.environ.get("TMPDIR", "/tmp")) / f"rehabbot-bench-web-{port}.sqlite"
    env = {**os.environ, "REHABBOT_RATE_LIMIT": "off", "DATABASE_URL": f"sqlite:///{database}"}
    server = subprocess.Popen([sys.executable, "-m", "bot", "web", "--kb", str(kb_dir), "--port", str(port)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        while True:  # until it listens (or has died)
            if server.poll() is not None:
                raise RuntimeError("rehabbot web did not start: " + (server.stderr.read().decode()
                                                                       if server.stderr else ""))
            try:
                httpx.get(url + "/halsa", timeout=5)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        total = 150 if quick else 600
        levels = [asyncio.run(_load(url, texts, clients, total, progress)) for clients in LEVELS]
    finally:
        server.terminate()
        server.wait(60)
    median = statistics.median(inproc)
    for level in levels:
        level["median_vs_inprocess"] = level["median_ms"] / median if median else None
    return {"in_process": {"answers": len(inproc), "median_ms": median, "p95_ms": _percentile(inproc, 0.95)},
            "levels": levels, "semantic": bot.snapshot.semantic is not None,
            "cpus": os.cpu_count()}
