"""How the Telegram channel talks to the Bot API: retries, unreadable updates, per-chat order.

* `RetryingRequest` retries 5xx answers and dropped connections until a deadline
  (PTB's `AIORateLimiter` handles Telegram's flood limits and `RetryAfter`).
* `UpdatesRequest` fetches updates so that one PTB cannot read costs only that
  update: it reaches the bot as an empty update (logged with its id), the
  offset moves past it, and the others are answered. With a `Delivery` it
  confirms to Telegram only what has been answered and drops what Telegram
  sends again (bot/channels/telegram/delivery.py).
* `PerChatUpdateProcessor` processes updates concurrently but in order within
  each chat, and the same update only once.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

from telegram import Update
from telegram.error import NetworkError, TimedOut
from telegram.ext import BaseUpdateProcessor
from telegram.request import BaseRequest, HTTPXRequest, RequestData

from bot.channels.telegram.delivery import Delivery

if TYPE_CHECKING:
    # The type of the timeouts in HTTPXRequest.do_request's signature; PTB does not export it.
    from telegram._utils.types import ODVInput


logger = logging.getLogger(__name__)


class RetryingRequest(HTTPXRequest):
    """HTTPXRequest that retries a failed Bot API call, 5xx answers and network errors, until
    `deadline` seconds have passed (back-off doubling up to `max_backoff`).

    A fixed number of retries once dropped an answer after six 500s in a row; a deadline keeps
    an answer alive through a minute of trouble. `RetryAfter` (429) is left to `AIORateLimiter`,
    which waits as long as Telegram asks. A retried call may reach Telegram twice if the first
    answer was lost on the way back: a message sent twice is better than an answer never sent.
    """

    def __init__(self, *args: Any, deadline: float = 60.0, backoff: float = 0.5, max_backoff: float = 8.0,
                 **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.deadline = deadline
        self.backoff = backoff
        self.max_backoff = max_backoff

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        give_up = time.monotonic() + self.deadline
        attempt = 0
        while True:
            wait = min(self.backoff * 2 ** attempt, self.max_backoff)
            last = time.monotonic() + wait > give_up
            try:
                code, payload = await super().do_request(
                    url, method, request_data, read_timeout=read_timeout, write_timeout=write_timeout,
                    connect_timeout=connect_timeout, pool_timeout=pool_timeout)
            except (NetworkError, TimedOut) as exc:
                if last:
                    raise
                logger.warning("Bot API %s failed (%s); retry %d", _method(url), exc, attempt + 1)
            else:
                if code < 500 or last:
                    return code, payload
                logger.warning("Bot API %s answered %d; retry %d", _method(url), code, attempt + 1)
            await asyncio.sleep(wait)
            attempt += 1


def _method(url: str) -> str:
    return url.rsplit("/", 1)[-1]


class UpdatesRequest(HTTPXRequest):
    """The request for getUpdates, with every update PTB cannot read replaced by its bare id.

    PTB parses the whole batch at once; one update it cannot read (a poll from a newer Bot API
    without a field PTB requires, once) failed the batch, the offset never moved past it, and
    polling fetched the same batch again and again: no answer to anyone, gigabytes of log.

    With `delivery`, the offset sent never passes an update not answered yet, and the updates
    Telegram therefore sends again are taken out of the batch before PTB sees it.
    """

    def __init__(self, *args: Any, delivery: Delivery | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.delivery = delivery

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        polling = _method(url) == "getUpdates"
        if polling and self.delivery is not None and request_data is not None:
            request_data = _with_offset(request_data, self.delivery)
        code, payload = await super().do_request(
            url, method, request_data, read_timeout=read_timeout, write_timeout=write_timeout,
            connect_timeout=connect_timeout, pool_timeout=pool_timeout)
        if code == 200 and polling:
            if self.delivery is not None:
                payload = await _fresh_only(payload, self.delivery)
            payload = readable_updates(payload)
        return code, payload


def _with_offset(request_data: RequestData, delivery: Delivery) -> RequestData:
    """`request_data` with the offset held back to the oldest update not answered yet."""
    # PTB builds the call from RequestParameters; it has no public way to change one.
    from telegram.request._requestparameter import RequestParameter
    params = list(request_data._parameters)
    requested = next((p.value for p in params if p.name == "offset"), None)
    offset = delivery.offset(requested if isinstance(requested, int) else None)
    if offset == requested:
        return request_data
    params = [p for p in params if p.name != "offset"] + [RequestParameter.from_input("offset", offset)]
    return RequestData(params)


async def _fresh_only(payload: bytes, delivery: Delivery) -> bytes:
    """The getUpdates answer without the updates that are waiting or answered already."""
    try:
        answer = json.loads(payload)
        updates = answer["result"]
        ids = [u["update_id"] for u in updates]
    except (ValueError, KeyError, TypeError):
        return payload  # not a normal answer: PTB reports it as it is
    if not all(isinstance(i, int) for i in ids):
        return payload
    fresh = await delivery.fresh(ids)
    if len(fresh) == len(ids):
        return payload
    if not fresh and ids:
        await delivery.idle()  # only updates already waiting: let one finish before asking again
    kept = []
    for update in updates:  # the same update twice in one batch is kept once
        if update["update_id"] in fresh:
            fresh.discard(update["update_id"])
            kept.append(update)
    answer["result"] = kept
    return json.dumps(answer).encode()


def readable_updates(payload: bytes) -> bytes:
    """A getUpdates answer in which every update PTB cannot read is `{"update_id": …}`."""
    try:
        answer = json.loads(payload)
        updates = answer["result"]
    except (ValueError, KeyError, TypeError):
        return payload  # not a normal answer: PTB reports it as it is
    changed = False
    for index, raw in enumerate(updates if isinstance(updates, list) else []):
        readable = readable_update(raw)
        if readable is not raw:
            updates[index] = readable
            changed = True
    return json.dumps(answer).encode() if changed else payload


def readable_update(raw: Any) -> Any:
    """`raw` when PTB can read it; else its bare `{"update_id": …}` (logged with its id, kind and
    the error class only: the update itself is what a person wrote), or `raw` again when it has
    no id to skip it by (PTB reports it)."""
    try:
        Update.de_json(raw, None)
        return raw
    except Exception as exc:  # noqa: BLE001 - whatever PTB cannot read, it cannot answer either
        update_id = raw.get("update_id") if isinstance(raw, dict) else None
        if not isinstance(update_id, int):
            return raw
        kinds = sorted(k for k in raw if k != "update_id")
        logger.warning("update %d (%s) skipped: python-telegram-bot cannot read it (%s)",
                       update_id, ", ".join(kinds) or "empty", type(exc).__name__)
        return {"update_id": update_id}


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Many chats at once, each chat's updates one after the other.

    A user who taps "/lage individual" and then asks must get the answer in
    the new mode, so one chat's updates keep their order; different users do
    not wait for each other. The per-chat lock is taken before the global
    limit, so a burst from one chat cannot occupy every slot.
    """

    def __init__(self, max_concurrent_updates: int = 64, delivery: Delivery | None = None):
        # PTB's own semaphore is taken before `do_process_update`, so it only bounds the updates
        # in flight; the real limit is `_slots`, taken after the chat's lock.
        super().__init__(max(1024, 16 * max_concurrent_updates))
        self._slots = asyncio.BoundedSemaphore(max_concurrent_updates)
        self._chats: dict[int, tuple[asyncio.Lock, list[int]]] = {}
        # The same update twice (a webhook retry, a getUpdates answer lost after delivery) is
        # answered once: the delivery remembers the answered ones.
        self.delivery = delivery or Delivery()

    @staticmethod
    def _key(update: object) -> int | None:
        if isinstance(update, Update):
            if update.effective_chat is not None:
                return update.effective_chat.id
            if update.effective_user is not None and update.inline_query is None:
                return update.effective_user.id
        return None

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        update_id = update.update_id if isinstance(update, Update) else None
        message = update.effective_message if isinstance(update, Update) else None
        if update_id is not None and message is not None and getattr(message, "chat", None) is None:
            # Telegram always names a message's chat; without one PTB's own filters fail.
            logger.warning("update %d skipped: a message without a chat", update_id)
            if asyncio.iscoroutine(coroutine):
                coroutine.close()
            await self.delivery.done(update_id)
            return
        if update_id is not None and not self.delivery.begin(update_id):
            logger.info("update %d came again; answered once", update_id)
            if asyncio.iscoroutine(coroutine):
                coroutine.close()  # never awaited: it must not run
            return
        try:
            await self._process(update, coroutine)
        except asyncio.CancelledError:
            # Stopped before it was answered (SIGTERM mid-burst): not recorded as answered, and
            # the offset stays before it, so Telegram sends it again after the restart.
            if update_id is not None:
                self.delivery.abandon(update_id)
            raise
        except BaseException:
            if update_id is not None:  # a handler that failed is not tried again and again
                await self.delivery.done(update_id)
            raise
        else:
            if update_id is not None:
                await self.delivery.done(update_id)

    async def _process(self, update: object, coroutine: Awaitable[Any]) -> None:
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


