"""Telegram's webhook as one Starlette route, as in python-telegram-bot's custom-webhook example.

PTB's own webhook server (tornado) read request bodies of up to 100 MB before it looked at
the secret token: eight unauthenticated requests took the process to 1 GB. Here the secret
is compared first, in constant time, and a body is read only up to what Telegram sends
(`MAX_UPDATE_BYTES`). The answer to Telegram waits until the update has been answered (up
to `ANSWER_WAIT_S`): if the process dies first, Telegram sends the update again, so the
webhook is at-least-once like polling, and a retry of an update already waiting or answered
is not queued twice (bot/channels/telegram/delivery.py).

HTTP parsers drop whitespace around a header's value (RFC 9110, 5.5), so a secret sent with
a trailing space arrives as the secret itself; every other difference is refused.
"""

from __future__ import annotations

import hmac
import json
import logging

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route
from telegram import Update
from telegram.ext import Application

from bot.channels.telegram.transport import PerChatUpdateProcessor, readable_update

logger = logging.getLogger(__name__)

SECRET_HEADER = b"x-telegram-bot-api-secret-token"
MAX_UPDATE_BYTES = 1024 * 1024  # an update is a few kB; a long message with a quoted reply, tens
ANSWER_WAIT_S = 50.0  # Telegram gives up on a webhook request after about a minute


def webhook_route(application: Application, path: str, secret: str) -> Route:
    """The route that takes Telegram's updates at `path` for `application`."""
    expected = secret.encode()
    processor = application.update_processor
    delivery = processor.delivery if isinstance(processor, PerChatUpdateProcessor) else None

    async def receive(request: Request) -> Response:
        given = next((v for k, v in request.scope["headers"] if k == SECRET_HEADER), b"")
        if not hmac.compare_digest(given, expected):
            return Response(status_code=403)
        length = request.headers.get("content-length", "")
        if length and (not length.isdigit() or int(length) > MAX_UPDATE_BYTES):
            return Response(status_code=413)
        body = bytearray()
        try:
            async for chunk in request.stream():
                body += chunk
                if len(body) > MAX_UPDATE_BYTES:
                    return Response(status_code=413)
        except ClientDisconnect:
            return Response(status_code=400)
        try:
            raw = json.loads(body)
        except ValueError:
            return Response(status_code=400)
        raw = readable_update(raw)
        if not isinstance(raw, dict) or not isinstance(raw.get("update_id"), int):
            return Response(status_code=400)
        try:
            update = Update.de_json(raw, application.bot)
        except Exception:  # noqa: BLE001 - without an id PTB could read: nothing to answer
            return Response(status_code=400)
        if delivery is None:
            await application.update_queue.put(update)
            return Response(status_code=200)
        if delivery.receive(update.update_id):
            await application.update_queue.put(update)
        if not await delivery.answered_within(update.update_id, ANSWER_WAIT_S):
            logger.warning("update %d: still being answered after %.0f s; Telegram may send it again",
                           update.update_id, ANSWER_WAIT_S)
        return Response(status_code=200)

    return Route("/" + path.strip("/"), receive, methods=["POST"])
