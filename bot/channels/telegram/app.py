"""The Telegram `Application`: the core, the store, the admins and the handlers wired together.

`build_application` gives PTB's `Application` with our `Services` attached
(`context.application.services` in a handler), PTB's `AIORateLimiter`, the
transport of `bot.channels.telegram.transport`, the store's PTB persistence,
and `setMyCommands` in Swedish and English at start. The conversation itself is
in `bot/channels/telegram/handlers/`.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from telegram import BotCommand, BotCommandScopeChat, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    BasePersistence,
    BaseRateLimiter,
    Defaults,
)

from bot.channels.flood import FloodLimit
from bot.channels.telegram.delivery import Delivery
from bot.channels.telegram.transport import (
    PerChatUpdateProcessor,
    RetryingRequest,
    UpdatesRequest,
    file_url_for,
)
from bot.settings import DEFAULT_REVIEW_AGE_DAYS, DEFAULT_TELEGRAM_BASE_URL, LANGS
from bot.store.gateway import NoStore, StoreGateway

if TYPE_CHECKING:
    from bot.channels.telegram.handlers.maps import MapCache
    from bot.service import Rehabbot


logger = logging.getLogger(__name__)


def _map_cache() -> MapCache:
    from bot.channels.telegram.handlers.maps import (
        MapCache,  # not at import time: the handlers import this module's types
    )
    return MapCache()


@dataclass
class Services:
    """Everything a handler reaches through `context.application.services`."""

    rehabbot: Rehabbot
    store: StoreGateway
    admin_ids: frozenset[int] = frozenset()
    review_days: int = DEFAULT_REVIEW_AGE_DAYS
    kb_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    flood: FloodLimit = field(default_factory=FloodLimit)  # per person (bot/channels/flood.py)
    maps: MapCache = field(default_factory=_map_cache)  # the process maps drawn so far
    # Uploads that would remove entries, waiting for the admin's "yes": token → (file name, bytes, admin)
    pending_uploads: dict[str, tuple[str, bytes, int | None]] = field(default_factory=dict)

    def is_admin(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.admin_ids


class RehabApplication(Application):
    """PTB's Application with our services attached (bot_data stays plain, persistable data)."""

    def __init__(self, *, services: Services, **kwargs: Any):
        super().__init__(**kwargs)
        self.services = services
        self._commands_registered = False

    async def initialize(self) -> None:
        """PTB's initialize (getMe, persistence), then the command lists: in run_* and the manual lifecycle alike."""
        await super().initialize()
        if not self._commands_registered:
            self._commands_registered = True
            await register_commands(self)


def build_application(
    rehabbot: Rehabbot,
    token: str,
    *,
    store: StoreGateway | None = None,
    admin_ids: frozenset[int] | set[int] = frozenset(),
    base_url: str | None = None,
    base_file_url: str | None = None,
    persistence: BasePersistence | None = None,
    rate_limiter: BaseRateLimiter | None = None,
    retry_deadline: float = 60.0,
    backoff: float = 0.5,
    max_concurrent_updates: int = 64,
    connection_pool_size: int = 16,
    connect_timeout: float = 5.0,
    read_timeout: float = 10.0,
    review_days: int = DEFAULT_REVIEW_AGE_DAYS,
    flood: FloodLimit | None = None,
) -> Application:
    """The configured Application; start it with `run` or PTB's manual lifecycle."""
    from bot.channels.telegram.handlers import register

    base_url = base_url or DEFAULT_TELEGRAM_BASE_URL
    services = Services(rehabbot, store or NoStore(), frozenset(admin_ids), review_days, flood=flood or FloodLimit())
    # The updates between fetch and answer (at-least-once, once), for this bot (the token's number).
    bot_id = int(token.split(":", 1)[0]) if token.split(":", 1)[0].isdigit() else 0
    delivery = Delivery(services.store, bot_id)
    builder = (
        ApplicationBuilder()
        .application_class(RehabApplication, {"services": services})
        .token(token)
        .base_url(base_url)
        .base_file_url(base_file_url or file_url_for(base_url))
        .request(RetryingRequest(connection_pool_size=connection_pool_size, deadline=retry_deadline,
                                 backoff=backoff, connect_timeout=connect_timeout, read_timeout=read_timeout,
                                 write_timeout=read_timeout, pool_timeout=read_timeout))
        # getUpdates is retried by PTB's own polling loop; its read timeout covers the long poll.
        .get_updates_request(UpdatesRequest(connection_pool_size=2, connect_timeout=connect_timeout,
                                            read_timeout=read_timeout, delivery=delivery))
        .rate_limiter(rate_limiter or AIORateLimiter(max_retries=10))  # 429s: as long as Telegram asks
        .concurrent_updates(PerChatUpdateProcessor(max_concurrent_updates, delivery))
        .defaults(Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)))
    )
    if persistence is not None:
        builder = builder.persistence(persistence)
    app = builder.build()
    register(app)
    return app


def bot_commands(lang: str, admin: bool = False) -> list[BotCommand]:
    from bot.channels.telegram.handlers.views import texts
    T = texts(lang)
    pairs = T["commands"] + (T["admin_commands"] if admin else [])
    return [BotCommand(name, description) for name, description in pairs]


async def register_commands(app: Application) -> None:
    """Register the command lists: Swedish by default, and each language's for clients in it."""
    bot = app.bot
    try:
        await bot.set_my_commands(bot_commands("sv"))
        for lang in LANGS:
            await bot.set_my_commands(bot_commands(lang), language_code=lang)
    except TelegramError:
        logger.exception("could not register the command list")
    services: Services = app.services  # type: ignore[attr-defined]
    for admin_id in sorted(services.admin_ids):
        # An admin's private chat has the admin's id; it fails harmlessly before they first write.
        try:
            await bot.set_my_commands(bot_commands("sv", admin=True), scope=BotCommandScopeChat(admin_id))
        except TelegramError as exc:
            logger.info("admin command list not set for one admin chat: %s", exc)


