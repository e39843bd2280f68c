"""The Telegram channel: builds python-telegram-bot's `Application` and runs it.

What lives here is plumbing; the conversation is in `bot/handlers/`:

* `build_application` wires the core (`Rehabbot`), the store, the admins and
  the handlers into an `Application`: PTB's `AIORateLimiter` (Telegram's flood
  limits, retries on `RetryAfter`), a request class that retries 5xx answers
  and dropped connections, updates processed concurrently but in order within
  each chat, the store's PTB persistence, and `setMyCommands` in Swedish and
  English at start.
* `StoreGateway` is the small interface the handlers use for the database
  (`bot.store`): every call runs in a worker thread and never raises, so a
  broken or missing database costs logs and statistics, never an answer.
  `NoStore` is the same interface when there is no database.
* `run` is `rehabbot run`: long polling, or PTB's webhook server with a
  secret token when `--webhook URL` is given.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from telegram import BotCommand, BotCommandScopeChat, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import InvalidToken, NetworkError, TelegramError, TimedOut
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    BasePersistence,
    BaseRateLimiter,
    BaseUpdateProcessor,
    Defaults,
)
from telegram.request import HTTPXRequest

from bot.settings import DEFAULT_REVIEW_AGE_DAYS, DEFAULT_TELEGRAM_BASE_URL, Settings

if TYPE_CHECKING:
    from bot.handlers.maps import MapCache
    from bot.service import Rehabbot

logger = logging.getLogger(__name__)



# -- the store, behind a small interface -------------------------------------

class StoreGateway:
    """What the Telegram channel needs from `bot.store`, safe to call from handlers.

    Each call runs the store's blocking method in a worker thread
    (`asyncio.to_thread`); a failure is logged and answered with a neutral
    value (None, False, {}), so the conversation always goes on.
    """

    available = True

    def __init__(self, store: Any):
        self.store = store

    async def _call(self, what: str, fn: Callable[..., Any], *args: Any, default: Any = None,
                    **kwargs: Any) -> Any:
        try:
            return await asyncio.to_thread(fn, *args, **kwargs)
        except Exception:  # the store must never take an answer down
            logger.exception("store: %s failed", what)
            return default

    async def log_question(self, *, channel: str, mode: str, lang: str, question: str, status: str,
                           entry_id: str | None, confidence: float, elapsed_ms: float,
                           user_id: int | None) -> int | None:
        """The log row id of the (redacted) question, or None when it could not be logged."""
        return await self._call(
            "log_question", self.store.log_question, channel=channel, mode=mode, lang=lang,
            question=question, entry_id=entry_id, status=status, confidence=confidence,
            elapsed_ms=elapsed_ms, user_id=user_id)

    async def add_feedback(self, log_id: int, user_id: int, value: int) -> bool:
        return bool(await self._call("add_feedback", self.store.add_feedback, log_id, user_id, value,
                                     default=False))

    async def get_settings(self, user_id: int) -> dict[str, str] | None:
        """The saved settings, {} when there are none, None when the store failed."""
        return await self._call("get_settings", self.store.get_settings, user_id)

    async def set_settings(self, user_id: int, mode: str | None = None, lang: str | None = None) -> bool:
        done = await self._call("set_settings", self.store.set_settings, user_id, mode=mode, lang=lang,
                                default=False)
        return done is not False

    async def audit(self, action: str, user_id: int | None, result: str, detail: str = "") -> None:
        await self._call("audit", self.store.audit, action, user_id, result, detail)

    async def stats_report(self, days: int | None) -> str | None:
        """The plain-text statistics report (the same as `rehabbot stats`), or None."""
        def report() -> str:
            from bot.store.report import format_stats
            return format_stats(self.store.stats(days))
        return await self._call("stats", report)

    @property
    def retention_days(self) -> int | None:
        return getattr(self.store, "retention_days", None)

    @property
    def description(self) -> str:
        return str(getattr(self.store, "dialect", "database"))

    def persistence(self) -> BasePersistence | None:
        """PTB persistence in the same database (user and chat data survive a restart)."""
        try:
            from bot.store.persistence import StorePersistence
        except ImportError:
            return None
        return StorePersistence(self.store)

    def close(self) -> None:
        try:
            self.store.close()
        except Exception:  # closing at exit: log, never raise
            logger.exception("store: close failed")


class NoStore(StoreGateway):
    """The gateway when there is no database: nothing is stored, everything still answers."""

    available = False

    def __init__(self, reason: str = ""):
        super().__init__(None)
        self.reason = reason

    async def log_question(self, **_: Any) -> int | None:
        return None

    async def add_feedback(self, log_id: int, user_id: int, value: int) -> bool:
        return False

    async def get_settings(self, user_id: int) -> dict[str, str] | None:
        return None

    async def set_settings(self, user_id: int, mode: str | None = None, lang: str | None = None) -> bool:
        return False

    async def audit(self, action: str, user_id: int | None, result: str, detail: str = "") -> None:
        logger.info("audit (not stored): %s %s %s", action, result, detail)

    async def stats_report(self, days: int | None) -> str | None:
        return None

    @property
    def retention_days(self) -> int | None:
        return None

    @property
    def description(self) -> str:
        return ""

    def persistence(self) -> BasePersistence | None:
        return None

    def close(self) -> None:
        pass


def open_gateway(settings: Settings) -> StoreGateway:
    """The store `DATABASE_URL` names, or `NoStore` (with the reason logged) when it cannot open."""
    try:
        from bot.store import open_store
        return StoreGateway(open_store(settings.database_url, retention_days=settings.retention_days,
                                       secret=settings.secret))
    except Exception as exc:  # noqa: BLE001  (any failure to open: run without a database)
        logger.warning("running without a database (no question log, feedback or saved settings): %s", exc)
        return NoStore(str(exc))


# -- what the handlers share --------------------------------------------------

@dataclass
class Services:
    """Everything a handler reaches through `context.application.services`."""

    rehabbot: Rehabbot
    store: StoreGateway
    admin_ids: frozenset[int] = frozenset()
    review_days: int = DEFAULT_REVIEW_AGE_DAYS
    kb_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    maps: MapCache = field(default_factory=lambda: _map_cache())  # the process maps drawn so far

    def is_admin(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.admin_ids


def _map_cache() -> MapCache:
    from bot.handlers.maps import (
        MapCache,  # not at import time: the handlers import this module's types
    )
    return MapCache()


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


# -- transport ---------------------------------------------------------------

class RetryingRequest(HTTPXRequest):
    """HTTPXRequest that retries a failed Bot API call: 5xx answers and network errors.

    `RetryAfter` (429) is left to `AIORateLimiter`, which waits as long as
    Telegram asks. A retried call may reach Telegram twice if the first
    answer was lost on the way back: a message sent twice is better than an
    answer never sent.
    """

    def __init__(self, *args: Any, retries: int = 3, backoff: float = 0.5, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.retries = retries
        self.backoff = backoff

    async def do_request(self, url: str, method: str, request_data: Any = None,
                         **timeouts: Any) -> tuple[int, bytes]:
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            try:
                code, payload = await super().do_request(url, method, request_data, **timeouts)
            except (NetworkError, TimedOut) as exc:
                if last:
                    raise
                logger.warning("Bot API %s failed (%s); retry %d of %d", _method(url), exc, attempt + 1,
                               self.retries)
            else:
                if code < 500 or last:
                    return code, payload
                logger.warning("Bot API %s answered %d; retry %d of %d", _method(url), code, attempt + 1,
                               self.retries)
            await asyncio.sleep(self.backoff * 2 ** attempt)
        raise AssertionError("unreachable")


def _method(url: str) -> str:
    return url.rsplit("/", 1)[-1]


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Many chats at once, each chat's updates one after the other.

    A user who taps "/lage individual" and then asks must get the answer in
    the new mode, so one chat's updates keep their order; different users do
    not wait for each other. The per-chat lock is taken before the global
    limit, so a burst from one chat cannot occupy every slot.
    """

    def __init__(self, max_concurrent_updates: int = 64):
        # PTB's own semaphore is taken before `do_process_update`, so it only bounds the updates
        # in flight; the real limit is `_slots`, taken after the chat's lock.
        super().__init__(max(1024, 16 * max_concurrent_updates))
        self._slots = asyncio.BoundedSemaphore(max_concurrent_updates)
        self._chats: dict[int, tuple[asyncio.Lock, list[int]]] = {}

    @staticmethod
    def _key(update: object) -> int | None:
        if isinstance(update, Update):
            if update.effective_chat is not None:
                return update.effective_chat.id
            if update.effective_user is not None and update.inline_query is None:
                return update.effective_user.id
        return None

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = self._key(update)
        if key is None:
            async with self._slots:
                await coroutine
            return
        lock, users = self._chats.setdefault(key, (asyncio.Lock(), [0]))
        users[0] += 1
        try:
            async with lock, self._slots:
                await coroutine
        finally:
            users[0] -= 1
            if not users[0]:
                self._chats.pop(key, None)

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


def file_url_for(base_url: str) -> str:
    """The file download base matching a Bot API base (`…/bot` → `…/file/bot`)."""
    if base_url.endswith("/bot"):
        return base_url[: -len("bot")] + "file/bot"
    return base_url.rstrip("/") + "/file/bot"


# -- the application ---------------------------------------------------------

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
    retries: int = 3,
    backoff: float = 0.5,
    max_concurrent_updates: int = 64,
    connection_pool_size: int = 16,
    connect_timeout: float = 5.0,
    read_timeout: float = 10.0,
    review_days: int = DEFAULT_REVIEW_AGE_DAYS,
) -> Application:
    """The configured Application; start it with `run` or PTB's manual lifecycle."""
    from bot.handlers import register

    base_url = base_url or DEFAULT_TELEGRAM_BASE_URL
    services = Services(rehabbot, store or NoStore(), frozenset(admin_ids), review_days)
    builder = (
        ApplicationBuilder()
        .application_class(RehabApplication, {"services": services})
        .token(token)
        .base_url(base_url)
        .base_file_url(base_file_url or file_url_for(base_url))
        .request(RetryingRequest(connection_pool_size=connection_pool_size, retries=retries,
                                 backoff=backoff, connect_timeout=connect_timeout, read_timeout=read_timeout,
                                 write_timeout=read_timeout, pool_timeout=read_timeout))
        # getUpdates is retried by PTB's own polling loop; its read timeout covers the long poll.
        .get_updates_request(HTTPXRequest(connection_pool_size=2, connect_timeout=connect_timeout,
                                          read_timeout=read_timeout))
        .rate_limiter(rate_limiter or AIORateLimiter(max_retries=3))
        .concurrent_updates(PerChatUpdateProcessor(max_concurrent_updates))
        .defaults(Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)))
    )
    if persistence is not None:
        builder = builder.persistence(persistence)
    app = builder.build()
    register(app)
    return app


def bot_commands(lang: str, admin: bool = False) -> list[BotCommand]:
    from bot.handlers.views import texts
    T = texts(lang)
    pairs = T["commands"] + (T["admin_commands"] if admin else [])
    return [BotCommand(name, description) for name, description in pairs]


async def register_commands(app: Application) -> None:
    """Register the command lists: Swedish by default, English for English-language clients."""
    bot = app.bot
    try:
        await bot.set_my_commands(bot_commands("sv"))
        await bot.set_my_commands(bot_commands("sv"), language_code="sv")
        await bot.set_my_commands(bot_commands("en"), language_code="en")
    except TelegramError:
        logger.exception("could not register the command list")
    services: Services = app.services  # type: ignore[attr-defined]
    for admin_id in sorted(services.admin_ids):
        # An admin's private chat has the admin's id; it fails harmlessly before they first write.
        try:
            await bot.set_my_commands(bot_commands("sv", admin=True), scope=BotCommandScopeChat(admin_id))
        except TelegramError as exc:
            logger.info("admin command list not set for one admin chat: %s", exc)


# -- rehabbot run ------------------------------------------------------------

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
    try:
        from bot.store.logging_filter import install
        install()  # personal data is redacted from every log line
    except ImportError:
        pass


def run(args: Any, rehabbot: Rehabbot) -> int:
    """`rehabbot run`: serve until stopped (SIGINT/SIGTERM). Non-zero with one line when it cannot start."""
    _configure_logging()
    settings: Settings = args.settings
    if not settings.telegram_token:
        print("rehabbot run: TELEGRAM_BOT_TOKEN saknas", file=sys.stderr)
        return 2
    base_url = settings.telegram_base_url
    # setWebhook registers the secret at every start, so a fresh one per start is as good as a fixed one.
    secret = (settings.webhook_secret or secrets.token_urlsafe(32)) if args.webhook else None
    gateway = open_gateway(settings)
    app = build_application(rehabbot, settings.telegram_token, store=gateway, admin_ids=settings.admin_ids,
                            base_url=base_url, base_file_url=settings.telegram_base_file_url,
                            persistence=gateway.persistence(), review_days=settings.review_max_age_days)
    try:
        if args.webhook:
            app.run_webhook(listen=args.listen, port=args.port, url_path=urlsplit(args.webhook).path.strip("/"),
                            webhook_url=args.webhook, secret_token=secret, allowed_updates=Update.ALL_TYPES)
        else:
            app.run_polling(allowed_updates=Update.ALL_TYPES)
    except InvalidToken:
        print("rehabbot run: Telegram godtar inte TELEGRAM_BOT_TOKEN (ogiltig token)", file=sys.stderr)
        return 1
    except (TelegramError, OSError) as exc:
        print(f"rehabbot run: kunde inte starta mot {base_url}: {exc}", file=sys.stderr)
        return 1
    finally:
        gateway.close()
    return 0
