"""Every polled update answered at least once, and once: across a SIGKILL, a retry, a restart.

Telegram forgets an update when a later getUpdates call's `offset` passes it. PTB moves the
offset past a batch as soon as the batch is queued, so a process killed mid-burst (SIGKILL,
the OOM killer, a lost host) lost everything queued but not yet answered: 239 of 300 once.

`Delivery` keeps the books between the fetch and the answer:

* the offset sent to Telegram never passes an update that is not answered yet (`offset`), so
  after a kill Telegram sends those again;
* an update Telegram sends again while it is still waiting or being answered is dropped from
  the batch (`fresh`), and so is one answered before, by this process or, through the store,
  by the one before a restart;
* an update is answered when its handlers are done (`done`); its id goes to the store
  (`handled_update`, the number only) so that a restart skips it.

Between an answer's send and the store's write lies a few milliseconds in which a kill still
means that answer is sent twice after the restart: at-least-once, as the issue asks, with
duplicates only inside that window. Without a store a restart may answer again what was
answered but not yet confirmed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from typing import Any

logger = logging.getLogger(__name__)

REMEMBERED = 10_000  # answered ids kept in memory against duplicates (minutes of heavy traffic)
# A batch of only waiting updates: wait this long (or until one is answered) before polling again.
# It is also the longest a new message waits behind a slow answer, so it is short.
IDLE_WAIT_S = 0.25


class Delivery:
    """The updates between fetch and answer, and the answered ones, for one bot."""

    def __init__(self, store: Any = None, bot_id: int = 0):
        self.store = store  # a StoreGateway (mark_handled, handled_of), or None
        self.bot_id = bot_id  # update ids are per bot: the token's number
        self.waiting: set[int] = set()  # fetched (or pushed by a webhook) and not yet answered
        self.begun: set[int] = set()  # of those, the ones being answered now
        self.answered: OrderedDict[int, None] = OrderedDict()
        self.highest: int | None = None  # the highest update id fetched so far
        self._finished = asyncio.Event()
        self._watched: dict[int, asyncio.Event] = {}  # a webhook request waiting for its update

    def offset(self, requested: int | None) -> int | None:
        """The offset to send instead of PTB's: never past an update not answered yet, and past
        every fetched one once none is waiting.

        PTB moves its offset only past updates it was handed. A batch of only updates answered
        before a restart reaches PTB empty, so PTB's offset stayed where it was, the same batch
        came again and again, and every update behind it (198 of 300 once) was never fetched."""
        if self.waiting:
            lowest = min(self.waiting)
            return lowest if requested is None else min(lowest, requested)
        if self.highest is None or (requested is not None and requested > self.highest):
            return requested
        return self.highest + 1

    async def fresh(self, update_ids: list[int]) -> set[int]:
        """Of a fetched batch, the ids to hand to PTB; they are waiting from now on."""
        if update_ids:
            self.highest = max(update_ids) if self.highest is None else max(self.highest, *update_ids)
        unknown = [i for i in update_ids if i not in self.waiting and i not in self.answered]
        before = await self.store.handled_of(self.bot_id, unknown) if self.store is not None and unknown else set()
        for update_id in before:
            self._remember(update_id)
        if before:
            logger.info("%d updates were answered before a restart; not answered again", len(before))
        new = {i for i in unknown if i not in before}
        self.waiting.update(new)
        return new

    def begin(self, update_id: int) -> bool:
        """Whether to process this update: False when it is being answered or was answered
        already (a webhook's retry, a slow answer Telegram gave up waiting for)."""
        if update_id in self.answered or update_id in self.begun:
            return False
        self.begun.add(update_id)
        self.waiting.add(update_id)  # a webhook's update arrives here without a fetch
        return True

    def receive(self, update_id: int) -> bool:
        """A webhook's update: True when it is new and is to be queued; a retry of one waiting,
        being answered or answered is not queued again."""
        if update_id in self.waiting or update_id in self.answered:
            return False
        self.waiting.add(update_id)
        return True

    def abandon(self, update_id: int) -> None:
        """Processing stopped before an answer (the bot is stopping): it stays waiting, so the
        offset never passes it, and is not recorded as answered."""
        self.begun.discard(update_id)

    async def done(self, update_id: int) -> None:
        """The update's handlers have finished: remember it, here and in the store."""
        self.waiting.discard(update_id)
        self.begun.discard(update_id)
        self._remember(update_id)
        self._finished.set()
        watched = self._watched.pop(update_id, None)
        if self.store is not None:
            await self.store.mark_handled(self.bot_id, update_id)
        if watched is not None:
            watched.set()

    async def answered_within(self, update_id: int, seconds: float) -> bool:
        """Wait until `update_id` is answered (True), or `seconds` have passed (False)."""
        if update_id in self.answered:
            return True
        event = self._watched.setdefault(update_id, asyncio.Event())
        try:
            await asyncio.wait_for(event.wait(), seconds)
        except TimeoutError:
            return False
        return True

    async def idle(self) -> None:
        """Wait until an update is answered (or IDLE_WAIT_S): a poll that brought only updates
        already waiting would otherwise be repeated at once, in a busy loop."""
        self._finished.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._finished.wait(), IDLE_WAIT_S)

    def _remember(self, update_id: int) -> None:
        self.answered[update_id] = None
        self.answered.move_to_end(update_id)
        if len(self.answered) > REMEMBERED:
            self.answered.popitem(last=False)
