"""The store behind a small interface every channel uses (Telegram, the web, the console).

Every call runs the store's blocking method in a worker thread and never raises,
so a broken or missing database costs logs and statistics, never an answer.
`NoStore` is the same interface when there is no database.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
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

    # How long an answer waits for the store on its way out (the log row id for 👍/👎, the saved
    # settings). A locked SQLite file or an unreachable PostgreSQL once held every answer for
    # the 30 s busy timeout; now the answer goes without, and the write finishes behind it.
    answer_wait_s = 1.0

    def __init__(self, store: Any):
        self.store = store
        self._marks: ThreadPoolExecutor | None = None

    @property
    def available(self) -> bool:
        return self.store is not None

    async def _ready(self) -> bool:
        """Whether there is a store to call (`ReopeningGateway` may still be waiting for one)."""
        return self.store is not None

    async def _call(self, what: str, *args: Any, default: Any = None, wait: float | None = None,
                    run: Callable[[], Any] | None = None, executor: ThreadPoolExecutor | None = None,
                    **kwargs: Any) -> Any:
        """The store's method `what` (or `run`) in a worker thread (of `executor`, else the
        default pool); `default` on any failure."""
        if not await self._ready():
            return default
        fn = run or getattr(self.store, what)
        call = (asyncio.get_running_loop().run_in_executor(executor, functools.partial(fn, *args, **kwargs))
                if executor is not None else asyncio.to_thread(fn, *args, **kwargs))
        try:
            return await asyncio.wait_for(call, wait)
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
            "log_question", channel=channel, mode=mode, lang=lang,
            question=question, entry_id=entry_id, status=status, confidence=confidence,
            elapsed_ms=elapsed_ms, user_id=user_id, wait=self.answer_wait_s)

    async def add_feedback(self, log_id: int, user_id: int, value: int) -> bool:
        return bool(await self._call("add_feedback", log_id, user_id, value, default=False))

    async def get_settings(self, user_id: int) -> dict[str, str] | None:
        """The saved settings, {} when there are none, None when the store failed."""
        return await self._call("get_settings", user_id, wait=self.answer_wait_s)

    async def set_settings(self, user_id: int, mode: str | None = None, lang: str | None = None) -> bool:
        done = await self._call("set_settings", user_id, mode=mode, lang=lang, default=False)
        return done is not False

    async def audit(self, action: str, user_id: int | None, result: str, detail: str = "") -> None:
        await self._call("audit", action, user_id, result, detail)

    async def mark_handled(self, bot_id: int, update_id: int) -> None:
        """Record an answered update. On a thread of its own: behind the matching in the default
        pool, the record once came 100 ms after the answer, and a kill in between meant the
        answer was sent again after the restart."""
        if self._marks is None:
            self._marks = ThreadPoolExecutor(1, thread_name_prefix="rehabbot-delivery")
        await self._call("mark_handled", bot_id, update_id, wait=self.answer_wait_s, executor=self._marks)

    async def handled_of(self, bot_id: int, update_ids: list[int]) -> set[int]:
        """Which of these Telegram updates were answered before; an empty set without a store."""
        return set(await self._call("handled_of", bot_id, update_ids, default=set(), wait=self.answer_wait_s) or ())

    async def stats_report(self, days: int | None) -> str | None:
        """The plain-text statistics report (the same as `rehabbot stats`), or None."""
        def report() -> str:
            from bot.store.report import format_stats
            return format_stats(self.store.stats(days))
        return await self._call("stats", run=report)

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
        if self._marks is not None:
            self._marks.shutdown(wait=True)
        try:
            self.store.close()
        except Exception:  # closing at exit: log, never raise
            logger.exception("store: close failed")


class NoStore(StoreGateway):
    """The gateway when there is no database: nothing is stored, everything still answers."""

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


class ReopeningGateway(StoreGateway):
    """The gateway of a database that could not be opened at start (PostgreSQL down, a
    directory missing): it answers like `NoStore` and tries again with a back-off, and from the
    first success on it is the store's gateway. Before, the bot ran without a database for the
    rest of the process's life."""

    def __init__(self, opener: Callable[[], Any], reason: str, first_wait: float = 5.0,
                 max_wait: float = 300.0, clock: Callable[[], float] = time.monotonic):
        super().__init__(None)
        self.reason = reason
        self._opener, self._clock, self._max = opener, clock, max_wait
        self._wait = first_wait
        self._next = clock() + first_wait
        self._opening = asyncio.Lock()

    async def _ready(self) -> bool:
        if self.store is not None:
            return True
        if self._clock() < self._next or self._opening.locked():
            return False
        async with self._opening:
            try:
                self.store = await asyncio.to_thread(self._opener)
            except Exception as exc:  # noqa: BLE001 - any failure: try again later
                self._wait = min(self._wait * 2, self._max)
                self._next = self._clock() + self._wait
                logger.warning("still no database (next try in %.0f s): %s", self._wait, exc)
                return False
        logger.warning("the database can be reached again: the question log, feedback and settings resume")
        return True

    def persistence(self) -> BasePersistence | None:
        return None  # PTB reads its persistence at start only: user and chat data stay in memory

    def close(self) -> None:
        if self.store is not None:
            super().close()


def open_gateway(settings: Settings) -> StoreGateway:
    """The store `DATABASE_URL` names; when it cannot open, a gateway that keeps trying."""
    from bot.store import open_store

    def opener() -> Any:
        return open_store(settings.database_url, retention_days=settings.retention_days, secret=settings.secret)
    try:
        return StoreGateway(opener())
    except Exception as exc:  # noqa: BLE001  (any failure to open: answer anyway, try again later)
        logger.warning("running without a database for now (no question log, feedback or saved settings); "
                       "trying again: %s", exc)
        return ReopeningGateway(opener, str(exc))


