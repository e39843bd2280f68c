"""The web chat's sessions: what the server remembers of one browser between two requests.

A session is keyed by a random token in a cookie (no personal data in it) and lives only in
this process's memory: it is never written to disk, ends after `idle_s` without a request, and
the oldest sessions go first when there are more than `capacity`. The conversation it keeps is
what the page shows: the questions already redacted (a personnummer typed in the chat is shown
back as "[personnummer]" and never kept), the rendered answers and the choices they offered.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.service import Conversation

COOKIE = "rehabbot_session"
TURNS_KEPT = 30  # the page shows at most this many exchanges; older ones fall off


@dataclass
class Choice:
    """A button under an answer: what it does (`action`) on what (`value`), and its words."""

    action: str
    value: str
    label: str


@dataclass
class Turn:
    """One exchange in the chat as the page shows it."""

    number: int
    question: str  # redacted
    html: str  # the reply, rendered by the core in the web format (already escaped)
    status: str
    log_id: int | None = None
    choices: list[Choice] = field(default_factory=list)  # suggestions, the second question, a pathway
    related: list[Choice] = field(default_factory=list)
    feedback: bool = False  # whether 👍/👎 is offered
    feedback_given: str = ""  # "up", "down": the thanks replaces the buttons
    notice: str = ""  # personal data found and not stored, a mode guessed
    pathway: str | None = None  # the turn is a walk step: its buttons come from the walk
    lang: str = ""  # the reply's language when it is not the page's (a message in another language)


@dataclass
class Walking:
    """A pathway walk in progress: the pathway, the options taken and the pathway's shape then."""

    pathway: str
    choices: tuple[int, ...]
    shape: str


@dataclass
class Session:
    token: str
    user_id: int  # a number for the store's keyed pseudonym; drawn at random, never a person's
    csrf: str
    mode: str = "staff"
    mode_chosen: bool = False
    lang: str = "sv"
    conversation: Conversation = field(default_factory=Conversation)
    offered: list[str] = field(default_factory=list)  # entry ids of the last suggestions
    turns: list[Turn] = field(default_factory=list)
    walk: Walking | None = None
    counter: int = 0
    flash: str = ""  # a refusal to show once, after the redirect ("that choice no longer applies")
    notice: str = ""  # a confirmation to show once ("saved: professional, svenska")
    seen: float = field(default_factory=time.monotonic)
    # One action of a session at a time (two tabs posting at once): its turns stay in order.
    busy: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)

    def add(self, turn_fields: dict[str, Any]) -> Turn:
        self.counter += 1
        turn = Turn(self.counter, **turn_fields)
        self.turns.append(turn)
        del self.turns[:-TURNS_KEPT]
        return turn

    def turn(self, number: int) -> Turn | None:
        return next((t for t in self.turns if t.number == number), None)

    def clear(self) -> None:
        self.turns.clear()
        self.offered.clear()
        self.walk = None
        self.conversation = Conversation()


class Sessions:
    """The sessions of this process; safe to use from the event loop and worker threads."""

    def __init__(self, idle_s: float = 30 * 60, capacity: int = 10_000,
                 clock: Callable[[], float] = time.monotonic):
        self.idle_s, self.capacity, self.clock = idle_s, capacity, clock
        self._sessions: OrderedDict[str, Session] = OrderedDict()
        self._lock = threading.Lock()
        self._key = secrets.token_bytes(32)  # signs the CSRF tokens; a restart invalidates old forms

    def get(self, token: str | None) -> Session | None:
        """The live session of `token`, or None (unknown, expired or malformed)."""
        if not token or len(token) > 100:
            return None
        with self._lock:
            session = self._sessions.get(token)
            if session is None:
                return None
            now = self.clock()
            if now - session.seen > self.idle_s:
                del self._sessions[token]
                return None
            session.seen = now
            self._sessions.move_to_end(token)
            return session

    def create(self) -> Session:
        token = secrets.token_urlsafe(32)
        csrf = hmac.new(self._key, token.encode(), hashlib.sha256).hexdigest()
        # Negative: a web visitor's number can never be a Telegram user's id.
        session = Session(token, -secrets.randbelow(2**62) - 1, csrf, seen=self.clock())
        with self._lock:
            now = self.clock()
            # Ordered by last use: the expired ones are at the front.
            while self._sessions and now - next(iter(self._sessions.values())).seen > self.idle_s:
                self._sessions.popitem(last=False)
            self._sessions[token] = session
            while len(self._sessions) > self.capacity:
                self._sessions.popitem(last=False)
        return session

    def valid_csrf(self, session: Session | None, token: str | None) -> bool:
        return session is not None and bool(token) and hmac.compare_digest(session.csrf, token or "")

    def __len__(self) -> int:
        return len(self._sessions)
