"""A logging filter that redacts personal data from every log record.

Log files are stored data too: python-telegram-bot logs whole updates at
DEBUG, our handlers log questions, and a traceback may quote a message. The
filter formats the record's message (``msg % args``), redacts it with
:func:`bot.text.redact.redact`, and stores the result as the record's
message with no args, so no handler or formatter ever sees the original.
Exception text is redacted the same way.

Attach it to *handlers*, not loggers: a filter on a logger does not see
records propagated from child loggers (``telegram.ext.…``), while a handler
sees them all. :func:`install` does that for the root logger's handlers, with a
:class:`RepeatFilter` in front, so one repeated fault cannot flood the log.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from bot.text.redact import redact


class RepeatFilter(logging.Filter):
    """Lets through at most `burst` warnings or errors of one kind (logger, level, message
    template) per `window` seconds; the next one let through says how many were held back.
    One bad input once repeated an error thousands of times a minute (about 10 GB a day)."""

    def __init__(self, burst: int = 5, window: float = 60.0, clock: Callable[[], float] = time.monotonic):
        super().__init__()
        self.burst, self.window, self.clock = burst, window, clock
        self._seen: dict[tuple[str, int, str], list[float]] = {}  # key → [window start, count, held back]

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        key = (record.name, record.levelno, str(record.msg))
        now = self.clock()
        if len(self._seen) > 1000:  # many kinds at once: start over rather than grow
            self._seen.clear()
        state = self._seen.setdefault(key, [now, 0, 0])
        if now - state[0] > self.window:
            state[0], state[1] = now, 0
        state[1] += 1
        if state[1] > self.burst:
            state[2] += 1
            return False
        if state[2]:
            record.msg = f"{record.msg} ({int(state[2])} liknande rader hölls tillbaka)"
            state[2] = 0
        return True


class RedactingFilter(logging.Filter):
    """Redacts each record's message and exception text in place; never drops one."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string (any error): let logging report it
            return True
        cleaned = redact(message)
        if cleaned.found or record.args:
            record.msg = cleaned.text
            record.args = None
        if record.exc_info and record.exc_info[0] is not None:
            formatted = logging.Formatter().formatException(record.exc_info)
            record.exc_text = redact(formatted).text
            # exc_text is what formatters print; dropping exc_info keeps a
            # handler from formatting the original traceback again.
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = redact(record.exc_text).text
        if record.stack_info:
            record.stack_info = redact(record.stack_info).text
        return True


def install(logger: logging.Logger | None = None) -> RedactingFilter:
    """Add one :class:`RedactingFilter` to every handler of ``logger`` (default: root).

    Call it after logging is configured; handlers added later need
    ``handler.addFilter(filter)`` themselves.
    """
    target = logger or logging.getLogger()
    redacting = RedactingFilter()
    for handler in target.handlers:
        if not any(isinstance(existing, RepeatFilter) for existing in handler.filters):
            handler.addFilter(RepeatFilter())  # before redaction: it needs the message template
        if not any(isinstance(existing, RedactingFilter) for existing in handler.filters):
            handler.addFilter(redacting)
    return redacting
