"""`rehabbot web`, and uvicorn beside the Telegram bot (`rehabbot run --web`, `run --webhook`).

uvicorn serves the Starlette application, as python-telegram-bot's own custom-webhook
example does; in `run --web` the bot's Application is started by hand on the same event
loop (its `async with` and `updater.start_polling`), so one program serves both channels
from one core, one store gateway and one knowledge base.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import sys
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import uvicorn

from bot.channels.web.app import WebConfig, create_app
from bot.service import Rehabbot
from bot.settings import Settings
from bot.store.gateway import StoreGateway, open_gateway
from bot.store.logging_filter import install as install_redaction

logger = logging.getLogger(__name__)


def config_of(settings: Settings) -> WebConfig:
    return WebConfig(operator=settings.web_operator, contact=settings.web_contact,
                     secure_cookies=settings.web_https, review_days=settings.review_max_age_days,
                     rate_limit=settings.rate_limit)


class _Server(uvicorn.Server):
    """uvicorn's server, ending on SIGINT/SIGTERM with exit status 0 as `rehabbot run` does
    (uvicorn itself raises the signal again once it has shut down, so the process would die by it)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def _follow(server: uvicorn.Server, rehabbot: Rehabbot, gateway: StoreGateway) -> asyncio.Task[None] | None:
    """Follow the versions published from the dashboard on any instance sharing the database."""
    from bot.kb.follow import Follower
    follower = Follower.of(rehabbot, gateway)
    if follower is None:
        return None
    app: Any = server.config.app
    web = getattr(app.state, "web", None)
    if web is not None:
        web.follower = follower  # it publishes too: no need to take its own up again
    return asyncio.create_task(follower.run())


def _server(app: Any, settings: Settings, host: str, port: int) -> uvicorn.Server:
    # access_log off: a request line holds the address and the query (a search is a question).
    config = uvicorn.Config(app, host=host, port=port, access_log=False, log_level="info",
                            proxy_headers=settings.web_https, server_header=False, lifespan="off")
    return _Server(config)


def _can_bind(host: str, port: int) -> str | None:
    """Why the address cannot be served, or None: said in one line before anything starts."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        return f"okänd adress {host}: {exc.strerror}"
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            return f"kan inte lyssna på {host}:{port}: {exc.strerror}"
    return None


def run_web(settings: Settings, rehabbot: Rehabbot, host: str, port: int) -> int:
    """`rehabbot web`: serve until stopped. Non-zero with one line when it cannot start."""
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
    install_redaction()
    problem = _can_bind(host, port)
    if problem:
        print(f"rehabbot web: {problem}", file=sys.stderr)
        return 1
    from bot.channels.telegram.heartbeat import keep_beating
    gateway = open_gateway(settings)
    server = _server(create_app(rehabbot, gateway, config_of(settings)), settings, host, port)

    async def main() -> None:
        # The heartbeat `rehabbot health` (Docker's HEALTHCHECK) reads, as with `rehabbot run`.
        beat = asyncio.create_task(keep_beating(settings.heartbeat()))
        follow = _follow(server, rehabbot, gateway)
        try:
            await server.serve()
        finally:
            beat.cancel()
            if follow is not None:
                follow.cancel()
    try:
        print(f"Rehabbot på webben: http://{host}:{port}/ (Ctrl-C avslutar)", file=sys.stderr, flush=True)
        asyncio.run(main())
    finally:
        gateway.close()
    return 0


def run_with_telegram(args: Any, rehabbot: Rehabbot) -> int:
    """`rehabbot run --web` and `rehabbot run --webhook URL`: the Telegram bot on this event loop
    beside uvicorn, which serves the web channel (`--web`), Telegram's webhook (`--webhook`) or
    both; without `--webhook` the bot polls."""
    from starlette.applications import Starlette
    from telegram import Update
    from telegram.error import TelegramError

    from bot.channels.telegram.heartbeat import keep_beating
    from bot.channels.telegram.run import _configure_logging, application_for, webhook_secret, why_not_started
    from bot.channels.telegram.webhook import webhook_route

    _configure_logging()
    settings: Settings = args.settings
    host, port = (args.web_host, args.web_port) if args.web else (args.listen, args.port)
    problem = _can_bind(host, port)
    if problem:
        print(f"rehabbot run: {problem}", file=sys.stderr)
        return 1
    gateway = open_gateway(settings)
    application = application_for(settings, rehabbot, gateway)
    secret = webhook_secret(settings) if args.webhook else ""
    route = webhook_route(application, urlsplit(args.webhook).path or "/", secret) if args.webhook else None
    if args.web:
        server = _server(create_app(rehabbot, gateway, config_of(settings), telegram=route), settings, host, port)
    else:
        assert route is not None
        server = _server(Starlette(routes=[route]), settings, host, port)

    async def main() -> None:
        async with application:
            if args.webhook:
                await application.bot.set_webhook(args.webhook, secret_token=secret,
                                                  allowed_updates=Update.ALL_TYPES)
            await application.start()
            updater = application.updater
            if not args.webhook:
                assert updater is not None
                await updater.start_polling(allowed_updates=Update.ALL_TYPES)
            beat = asyncio.create_task(keep_beating(settings.heartbeat()))
            follow = _follow(server, rehabbot, gateway)
            try:
                await server.serve()  # until SIGINT/SIGTERM, which uvicorn handles
            finally:
                beat.cancel()
                if follow is not None:
                    follow.cancel()
                if updater is not None and updater.running:
                    await updater.stop()
                await application.stop()

    try:
        asyncio.run(main())
    except (TelegramError, OSError) as exc:
        print(f"rehabbot run: {why_not_started(exc, settings.telegram_base_url)}", file=sys.stderr)
        return 1
    finally:
        gateway.close()
    return 0
