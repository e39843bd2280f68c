"""A per-person limit on how fast messages are answered, for every channel.

One user once sent 600 messages and had every one answered while everyone else waited. A
token bucket per sender (a Telegram user, a web session or address) lets a person write
as people do (a burst of `burst`, then one message per `every` seconds); beyond that the
first message over the limit gets one polite notice and the rest are dropped until the
bucket has refilled. A message about a crisis is never held back by the others: it has an
allowance of its own, larger and refilled faster (a person in crisis may write many times;
hundreds of crisis messages in a row from one sender, though, once kept every other chat
waiting, and each of them had already got the crisis numbers).
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from bot.understanding.crisis import detect_crisis

BURST = 20  # messages in a row before the limit applies
EVERY_S = 2.0  # then one message per this many seconds (30 a minute)
CRISIS_BURST, CRISIS_EVERY_S = 30, 1.0  # crisis messages: 30 in a row, then one a second
KEPT = 50_000  # senders remembered (the oldest is forgotten first)

ALLOW, NOTICE, DROP = "allow", "notice", "drop"


@dataclass
class _Bucket:
    tokens: float
    at: float
    told: bool = False  # the notice has been given for this run of excess


class FloodLimit:
    """Token buckets by sender; `check` says whether to answer, give the notice, or drop."""

    def __init__(self, burst: float = BURST, every: float = EVERY_S,
                 clock: Callable[[], float] = time.monotonic):
        self.burst, self.every, self.clock = burst, every, clock
        self._buckets: OrderedDict[Hashable, _Bucket] = OrderedDict()

    @classmethod
    def unlimited(cls) -> FloodLimit:
        """No limit (REHABBOT_RATE_LIMIT=off: a load test from one address)."""
        return cls(burst=math.inf)

    def check(self, sender: Hashable, text: str = "") -> str:
        """ALLOW, NOTICE (the first message over the limit) or DROP. A crisis message draws on
        an allowance of its own (CRISIS_BURST, one per CRISIS_EVERY_S), never on the other."""
        if self.burst == math.inf:
            return ALLOW
        if text and detect_crisis(text) is not None:
            return self._take(("crisis", sender), CRISIS_BURST, CRISIS_EVERY_S)
        return self._take(sender, self.burst, self.every)

    def _take(self, key: Hashable, burst: float, every: float) -> str:
        now = self.clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(float(burst), now)
            if len(self._buckets) > KEPT:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
            bucket.tokens = min(float(burst), bucket.tokens + (now - bucket.at) / every)
            bucket.at = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            bucket.told = False
            return ALLOW
        if bucket.told:
            return DROP
        bucket.told = True
        return NOTICE

    def wait_s(self, sender: Hashable) -> float:
        """Seconds until `sender` may write again (0 when now)."""
        bucket = self._buckets.get(sender)
        if bucket is None or bucket.tokens >= 1.0:
            return 0.0
        return (1.0 - bucket.tokens) * self.every
