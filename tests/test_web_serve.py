"""`rehabbot web` and `rehabbot run --web` as programs: started for real, used over HTTP (and
over the fake Bot API for Telegram), stopped with SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import httpx
import pytest
from web_server import free_port

REPO = Path(__file__).resolve().parent.parent
SIP = "vem kallar till sip"


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REHABBOT_", "TELEGRAM_", "DATABASE_URL"))}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'web.sqlite'}", PYTHONPATH=str(REPO), REHABBOT_SEMANTIC="off")
    env.update(extra)
    return env


async def _up(url: str) -> httpx.Response:
    """The health check once the server listens (no time bound: it tries until the test's own timeout)."""
    async with httpx.AsyncClient() as client:
        while True:
            try:
                return await client.get(url + "/hälsa")
            except httpx.ConnectError:
                await asyncio.sleep(0.05)


async def _stop(process: asyncio.subprocess.Process) -> tuple[int, str]:
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
    try:
        _, err = await asyncio.wait_for(process.communicate(), 60)
    finally:
        if process.returncode is None:
            process.kill()
    return process.returncode or 0, err.decode()


async def _chat(url: str, question: str) -> str:
    import re
    async with httpx.AsyncClient(base_url=url, follow_redirects=True) as client:
        page = (await client.get("/")).text
        csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
        assert csrf
        return (await client.post("/chat", data={"csrf": csrf.group(1), "do": "ask:", "q": question})).text


@pytest.mark.slow
async def test_rehabbot_web_serves_the_chat_and_stops_cleanly(tmp_path: Path) -> None:
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "web", "--host", "127.0.0.1", "--port", str(port), env=_env(tmp_path),
        cwd=tmp_path, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        health = await asyncio.wait_for(_up(f"http://127.0.0.1:{port}"), 120)
        page = await _chat(f"http://127.0.0.1:{port}", SIP)
    finally:
        code, err = await _stop(process)
    assert code == 0, err
    assert health.json()["status"] == "ok"
    assert "Samordnad individuell plan (SIP)" in page
    assert SIP not in err  # no access log with the question in it


async def test_rehabbot_web_on_a_port_in_use_says_so_in_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "web", "--port", str(port), env=_env(tmp_path), cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        _, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 1
    lines = err.decode().strip().splitlines()
    assert lines == [f"rehabbot web: kan inte lyssna på 127.0.0.1:{port}: Address already in use"]


@pytest.mark.slow
async def test_rehabbot_run_with_web_serves_telegram_and_the_web_from_one_process(api, tmp_path: Path) -> None:
    port = free_port()
    env = _env(tmp_path, TELEGRAM_BOT_TOKEN=api.token, TELEGRAM_API_BASE_URL=api.base_url,
               REHABBOT_HEARTBEAT_FILE=str(tmp_path / "heartbeat"))
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "--web", "--web-port", str(port), env=env, cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        await api.wait_for(lambda: api.calls_of("getUpdates"), timeout=120)
        telegram = await api.reply_to(5151, SIP, timeout=60)
        await asyncio.wait_for(_up(f"http://127.0.0.1:{port}"), 120)
        page = await _chat(f"http://127.0.0.1:{port}", SIP)
    finally:
        code, err = await _stop(process)
    assert code == 0, err
    assert "<b>" in telegram.text and "SIP" in telegram.text
    assert "Samordnad individuell plan (SIP)" in page
    # One store behind both channels: both questions are in the one question log.
    import sqlite3
    with sqlite3.connect(tmp_path / "web.sqlite") as db:
        channels = sorted(row[0] for row in db.execute("SELECT channel FROM question_log"))
    assert channels == ["telegram", "web"]
