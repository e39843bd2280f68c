"""Keeping a running instance on the newest published knowledge base.

The dashboard keeps every published version in the database (`kb_version`). Every instance
that shares that database (a Telegram bot, a web server, on this host or another) checks the
newest version now and then: when it is not the one this instance serves, its files are
written into this instance's knowledge directory (unless they are already there, as on the
host that published) and the core reloads. An instance is never left on a broken version:
what is published was valid, and `reload` swaps only a valid knowledge base in.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from bot.kb import publish
from bot.store.admin import AdminStore, digest_of

logger = logging.getLogger(__name__)

INTERVAL_S = 10.0


class Follower:
    """Brings `rehabbot` (a `Rehabbot`) to the newest version in `store` (a `Store`)."""

    def __init__(self, rehabbot: Any, store: Any):
        self.rehabbot, self.store = rehabbot, store
        self.seen: int | None = None

    @classmethod
    def of(cls, rehabbot: Any, gateway: Any) -> Follower | None:
        """The follower of the store behind a channel's gateway; None without a database."""
        store = getattr(gateway, "store", None)
        return cls(rehabbot, store) if store is not None else None

    def once(self) -> bool:
        """Check now (blocking); True when a newer version was taken up."""
        latest = AdminStore(self.store.db, self.store.clock).latest_version()
        if latest is None or latest.id == self.seen:
            return False
        directory = Path(self.rehabbot.directory)
        if digest_of(publish.yaml_files(directory)) != latest.digest:
            publish.apply(directory, latest.files)
        problems = self.rehabbot.reload()
        self.seen = latest.id
        errors = [p for p in problems if not p.warning]
        if errors:
            logger.error("knowledge base version %d could not be loaded here: %s", latest.id, errors[0])
        else:
            logger.info("knowledge base: now version %d (published by %s)", latest.id, latest.by_name)
        return not errors

    async def run(self, interval: float = INTERVAL_S) -> None:
        """Check every `interval` seconds until cancelled; a failed check is logged and tried again."""
        while True:
            try:
                await asyncio.to_thread(self.once)
            except Exception:  # a database that is away for a while costs freshness, not the bot
                logger.exception("knowledge base: could not check for a newer published version")
            await asyncio.sleep(interval)
