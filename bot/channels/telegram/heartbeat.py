"""A heartbeat the running bot writes, so a health check sees the process itself.

Docker's HEALTHCHECK used to run `rehabbot kb list` in a new process: a bot whose event loop
was stuck stayed "healthy". Now a task on the bot's own event loop touches a file every
`INTERVAL` seconds, and `rehabbot health` says the bot is unhealthy when the file is older
than `MAX_AGE`: a loop that stops running stops the heartbeat.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from pathlib import Path

INTERVAL = 15.0
MAX_AGE = 60.0


def beat(path: Path) -> None:
    """Write the time now to `path`, atomically (a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_name(path.name + ".tmp")
    staging.write_text(f"{time.time():.3f}\n", encoding="ascii")
    os.replace(staging, path)


async def keep_beating(path: Path, interval: float = INTERVAL) -> None:
    """Beat until cancelled."""
    while True:
        await asyncio.to_thread(beat, path)
        await asyncio.sleep(interval)


def age(path: Path, now: float | None = None) -> float | None:
    """Seconds since the last beat, or None when there was none (or it cannot be read)."""
    with contextlib.suppress(OSError, ValueError):
        return (now or time.time()) - float(path.read_text(encoding="ascii").strip())
    return None
