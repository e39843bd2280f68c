"""`rehabbot run`: the Telegram bot with long polling (the webhook is served by uvicorn: bot/channels/web/serve.py)."""

from __future__ import annotations

import asyncio
import logging
import secrets
import sys
from typing import TYPE_CHECKING, Any

from telegram import Update
from telegram.error import InvalidToken, TelegramError
from telegram.ext import Application

from bot.channels.flood import FloodLimit
from bot.channels.telegram.app import build_application
from bot.channels.telegram.heartbeat import keep_beating
from bot.kb.follow import Follower
from bot.settings import Settings
from bot.store.gateway import StoreGateway, open_gateway
from bot.store.logging_filter import install as install_redaction

if TYPE_CHECKING:
    from bot.service import Rehabbot


logger = logging.getLogger(__name__)


def _without_retry_traceback(record: logging.LogRecord) -> bool:
    """PTB's network retry loop logs every failed attempt with a full traceback; its message
    ("Network Retry Loop …: Failed run …") and our one-line reason say all an operator needs."""
    if record.name.startswith("telegram.ext") and "Network Retry Loop" in record.getMessage():
        record.exc_info = None
        record.exc_text = None
    return True


def _configure_logging() -> None:
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request, token in the URL
    for handler in logging.getLogger().handlers:
        handler.addFilter(_without_retry_traceback)
    install_redaction()  # personal data is redacted from every log line


def why_not_started(exc: BaseException, base_url: str) -> str:
    """The one line said when the bot cannot reach Telegram or is refused by it."""
    if isinstance(exc, InvalidToken):
        return "Telegram godtar inte TELEGRAM_BOT_TOKEN (ogiltig token)"
    return f"kunde inte starta mot {base_url}: {exc}"


def application_for(settings: Settings, rehabbot: Rehabbot, gateway: StoreGateway) -> Application:
    """The bot's Application as every way of running it configures it."""
    assert settings.telegram_token
    return build_application(rehabbot, settings.telegram_token, store=gateway, admin_ids=settings.admin_ids,
                             base_url=settings.telegram_base_url, base_file_url=settings.telegram_base_file_url,
                             persistence=gateway.persistence(), review_days=settings.review_max_age_days,
                             flood=FloodLimit() if settings.rate_limit else FloodLimit.unlimited())


def webhook_secret(settings: Settings) -> str:
    """REHABBOT_WEBHOOK_SECRET, or a fresh one: setWebhook registers it at every start."""
    return settings.webhook_secret or secrets.token_urlsafe(32)


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop's event loop where it is installed (not on Windows), asyncio's otherwise. The bot
    spends much of each message in the loop's own machinery (polling, sending, httpx's sockets):
    on the Telegram benchmark uvloop delivered about 15 % more answers per second. uvicorn (the
    web channel and the webhook) picks uvloop by itself."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def run(args: Any, rehabbot: Rehabbot) -> int:
    """`rehabbot run` with long polling: serve until stopped (SIGINT/SIGTERM). Non-zero with one
    line when it cannot start. (`--webhook` and `--web` run on uvicorn: bot/channels/web/serve.py.)"""
    _configure_logging()
    settings: Settings = args.settings
    if not settings.telegram_token:
        print("rehabbot run: TELEGRAM_BOT_TOKEN saknas", file=sys.stderr)
        return 2
    gateway = open_gateway(settings)
    app = application_for(settings, rehabbot, gateway)
    heartbeat: list[asyncio.Task[None]] = []

    async def start_heartbeat(_app: Application) -> None:
        heartbeat.append(asyncio.create_task(keep_beating(settings.heartbeat())))
        follower = Follower.of(rehabbot, gateway)  # the knowledge published from the web dashboard
        if follower is not None:
            heartbeat.append(asyncio.create_task(follower.run()))

    async def stop_heartbeat(_app: Application) -> None:
        for task in heartbeat:
            task.cancel()

    app.post_init, app.post_shutdown = start_heartbeat, stop_heartbeat
    asyncio.set_event_loop(new_event_loop())  # run_polling runs on the current loop
    try:
        app.run_polling(allowed_updates=Update.ALL_TYPES)
    except (TelegramError, OSError) as exc:
        print(f"rehabbot run: {why_not_started(exc, settings.telegram_base_url)}", file=sys.stderr)
        return 1
    finally:
        gateway.close()
    return 0
