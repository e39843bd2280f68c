"""The store behind a small interface every channel uses (Telegram, the web, the console).

Every call runs the store's blocking method in a worker thread and never raises,
so a broken or missing database costs logs and statistics, never an answer.
`NoStore` is the same interface when there is no database.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bot.settings import Settings

if TYPE_CHECKING:
    from telegram.ext import BasePersistence  # only the Telegram channel asks for it


logger = logging.getLogger(__name__)


class StoreGateway:
    """What a channel needs from `bot.store`, safe to call from its handlers.

    Each call runs the store's blocking method in a worker thread
    (`asyncio.to_thread`); a failure is logged and answered with a neutral
    value (None, False, {}), so the conversation always goes on.
    """

    available = True
    # How long an answer waits for the store on its way out (the log row id for 👍/👎, the saved
    # settings). A locked SQLite file or an unreachable PostgreSQL once held every answer for
    # the 30 s busy timeout; now the answer goes without, and the write finishes behind it.
    answer_wait_s = 1.0

    def __init__(self, store: Any):
        self.store = store

    async def _call(self, what: str, fn: Callable[..., Any], *args: Any, default: Any = None,
                    wait: float | None = None, **kwargs: Any) -> Any:
        try:
            return await asyncio.wait_for(asyncio.to_thread(fn, *args, **kwargs), wait)
        except TimeoutError:
            logger.warning("store: %s took longer than %.1f s; the answer did not wait for it", what, wait)
            return default
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
            elapsed_ms=elapsed_ms, user_id=user_id, wait=self.answer_wait_s)

    async def add_feedback(self, log_id: int, user_id: int, value: int) -> bool:
        return bool(await self._call("add_feedback", self.store.add_feedback, log_id, user_id, value,
                                     default=False))

    async def get_settings(self, user_id: int) -> dict[str, str] | None:
        """The saved settings, {} when there are none, None when the store failed."""
        return await self._call("get_settings", self.store.get_settings, user_id, wait=self.answer_wait_s)

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
        from bot.store.persistence import StorePersistence  # imports PTB: only the Telegram channel asks
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


