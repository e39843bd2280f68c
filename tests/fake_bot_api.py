"""A small fake Telegram Bot API server for end-to-end tests, on 127.0.0.1 only.

The bot under test is the real python-telegram-bot `Application`, pointed at
this server with `base_url`/`base_file_url` and driven through its real
polling loop (or its real webhook server). The fake:

* hands out injected updates through `getUpdates` long polling (and releases
  every waiting long poll when it stops);
* records every call (`calls`), with the time it arrived, so a test can assert
  on text, buttons and `parse_mode` and measure update → answer times;
* checks what Telegram checks: Telegram HTML (allowed tags, nesting, entities),
  4,096 characters per message, `callback_data` of 1–64 bytes, "message is not
  modified" when an edit changes nothing, unknown chats and methods;
* takes photos (`sendPhoto` as a multipart upload) and checks Telegram's photo
  limits (10 MB, width + height at most 10,000, ratio at most 20, a caption
  of at most 1,024 characters); the picture is kept in `Call.files["photo"]`;
* injects faults per method: an HTTP status (500 …), 429 with `retry_after`,
  or a dropped connection.

It runs on tornado, which python-telegram-bot itself uses for its webhook
server (the `webhooks` extra this project already installs), so the tests
need no new dependency; aiohttp and Starlette are not installed here.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import struct
import time
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from html import unescape
from typing import Any, Self

import pytest
import tornado.httpserver
import tornado.iostream
import tornado.netutil
import tornado.web

TOKEN = "123456:TEST-fake-token"
BOT_ID = 123456
BOT_USERNAME = "rehabbot_test_bot"

# Parameters sent as plain strings (everything else is JSON-encoded by PTB).
_STRING_PARAMS = {"text", "caption", "callback_query_id", "inline_query_id", "file_id", "parse_mode",
                  "language_code", "url", "secret_token", "next_offset", "inline_message_id"}
_ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "span",
                 "tg-spoiler", "blockquote", "tg-emoji"}
_HTML_TOKEN = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)([^<>]*)>|&(#[0-9]+|#x[0-9a-fA-F]+|[a-zA-Z]+);|([<>&])")
_COMMAND = re.compile(r"^/[A-Za-z0-9_]+(?:@[A-Za-z0-9_]+)?")
_MENTION = re.compile(r"@[A-Za-z0-9_]{5,32}")


class BadRequest(Exception):
    """What Telegram answers with 400."""


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def parse_html(html: str) -> str:
    """The plain text Telegram would show, or BadRequest as Telegram's HTML parser would raise it."""
    out, stack, pos = [], [], 0
    for m in _HTML_TOKEN.finditer(html):
        out.append(html[pos:m.start()])
        pos = m.end()
        closing, tag, _attrs, entity, raw = m.groups()
        if raw is not None:
            if raw == ">":
                out.append(raw)  # Telegram tolerates a bare '>'
                continue
            raise BadRequest(f"Bad Request: can't parse entities: unescaped {raw!r} at byte offset {m.start()}")
        if entity is not None:
            if not entity.startswith("#") and entity not in ("lt", "gt", "amp", "quot"):
                raise BadRequest(f"Bad Request: can't parse entities: unsupported entity &{entity};")
            out.append(unescape(m.group(0)))
            continue
        tag = tag.lower()
        if tag not in _ALLOWED_TAGS:
            raise BadRequest(f"Bad Request: can't parse entities: Unsupported start tag \"{tag}\"")
        if closing:
            if not stack or stack[-1] != tag:
                raise BadRequest(f"Bad Request: can't parse entities: Unmatched end tag \"{tag}\"")
            stack.pop()
        else:
            stack.append(tag)
    out.append(html[pos:])
    if stack:
        raise BadRequest("Bad Request: can't parse entities: "
                         f"Can't find end tag corresponding to start tag {stack[-1]}")
    return "".join(out)


def check_text(text: Any, parse_mode: str | None) -> str:
    if not isinstance(text, str):
        raise BadRequest("Bad Request: message text is empty")
    plain = parse_html(text) if (parse_mode or "").upper() == "HTML" else text
    if not plain.strip():
        raise BadRequest("Bad Request: message text is empty")
    if utf16_len(plain) > 4096:
        raise BadRequest("Bad Request: message is too long")
    return plain


def png_size(data: bytes) -> tuple[int, int]:
    if data[:8] != b"\x89PNG\r\n\x1a\n" or len(data) < 24:
        raise BadRequest("Bad Request: IMAGE_PROCESS_FAILED")
    return struct.unpack(">II", data[16:24])


def check_photo(data: bytes | None) -> tuple[int, int]:
    """(width, height) of an uploaded PNG, or BadRequest as Telegram's sendPhoto would answer."""
    if not data:
        raise BadRequest("Bad Request: there is no photo in the request")
    if len(data) > 10 * 1024 * 1024:
        raise BadRequest("Bad Request: file is too big")
    width, height = png_size(data)
    if not width or not height or width + height > 10_000 or max(width, height) / min(width, height) > 20:
        raise BadRequest("Bad Request: PHOTO_INVALID_DIMENSIONS")
    return width, height


def check_markup(markup: Any) -> None:
    if markup is None:
        return
    for row in markup.get("inline_keyboard", []):
        for button in row:
            if not str(button.get("text", "")).strip():
                raise BadRequest("Bad Request: BUTTON_TEXT_INVALID")
            if "callback_data" in button:
                size = len(str(button["callback_data"]).encode("utf-8"))
                if not 1 <= size <= 64:
                    raise BadRequest("Bad Request: BUTTON_DATA_INVALID")
            elif not ({"url", "switch_inline_query", "switch_inline_query_current_chat"} & set(button)):
                raise BadRequest("Bad Request: BUTTON_TYPE_INVALID")


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float
    files: dict[str, bytes] = field(default_factory=dict)
    fault: str = ""

    @property
    def text(self) -> str:
        return self.params.get("text", "")

    @property
    def caption(self) -> str:
        return self.params.get("caption", "")

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if value is not None else None

    @property
    def buttons(self) -> list[list[dict[str, Any]]]:
        return (self.params.get("reply_markup") or {}).get("inline_keyboard", [])

    @property
    def button_texts(self) -> list[str]:
        return [b["text"] for row in self.buttons for b in row]

    def data_of(self, text_or_pattern: str) -> str:
        """The callback_data of the first button whose text contains `text_or_pattern`."""
        for row in self.buttons:
            for b in row:
                if text_or_pattern in b["text"] and "callback_data" in b:
                    return b["callback_data"]
        raise AssertionError(f"no button {text_or_pattern!r} in {self.button_texts}")


@dataclass
class Fault:
    kind: str  # "status", "retry_after", "drop"
    status: int = 500
    retry_after: int = 1
    description: str = "Internal Server Error"

    @classmethod
    def http(cls, status: int = 500, description: str = "Internal Server Error") -> Fault:
        return cls("status", status=status, description=description)

    @classmethod
    def too_many(cls, retry_after: int = 1) -> Fault:
        return cls("retry_after", status=429, retry_after=retry_after)

    @classmethod
    def drop(cls) -> Fault:
        return cls("drop")


class FakeBotApi:
    """The fake server. Use as `async with FakeBotApi() as api:`."""

    def __init__(self, token: str = TOKEN, username: str = BOT_USERNAME):
        self.token, self.username = token, username
        self.bot_user = {"id": BOT_ID, "is_bot": True, "first_name": "Rehabbot", "username": username,
                         "can_join_groups": True, "can_read_all_group_messages": False,
                         "supports_inline_queries": True}
        self.calls: list[Call] = []
        self._sent: dict[int, list[Call]] = defaultdict(list)
        self._sent_waiters: dict[int, list[tuple[int, asyncio.Future[None]]]] = defaultdict(list)
        self.pushed_at: dict[int, float] = {}
        self.webhook: dict[str, Any] = {}
        self.files: dict[str, bytes] = {}
        self.photos: dict[int, list[Call]] = defaultdict(list)  # photos the bot sent, per chat
        self.chats: dict[int, dict[str, Any]] = {}
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._updates: deque[dict[str, Any]] = deque()
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._ids = itertools.count(1)
        self._faults: dict[str, deque[Fault]] = defaultdict(deque)
        self._changed: asyncio.Condition | None = None
        self._closing = False
        self._server: tornado.httpserver.HTTPServer | None = None
        self.port = 0

    # -- lifecycle ------------------------------------------------------------

    async def start(self) -> Self:
        self._changed = asyncio.Condition()
        app = tornado.web.Application([
            (r"/bot(?P<token>[^/]+)/(?P<method>[A-Za-z]+)", _ApiHandler, {"api": self}),
            (r"/file/bot(?P<token>[^/]+)/(?P<path>.+)", _FileHandler, {"api": self}),
        ])
        sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
        self.port = sockets[0].getsockname()[1]
        self._server = tornado.httpserver.HTTPServer(app)
        self._server.add_sockets(sockets)
        return self

    async def stop(self) -> None:
        """Release every waiting long poll, then close the server and its connections."""
        self._closing = True
        await self._notify()
        if self._server is not None:
            self._server.stop()
            await self._server.close_all_connections()

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    async def _notify(self) -> None:
        if self._changed is not None:
            async with self._changed:
                self._changed.notify_all()

    # -- faults ---------------------------------------------------------------

    def fail(self, method: str, *faults: Fault) -> None:
        """The next calls of `method` meet these faults, one each, in order."""
        self._faults[method].extend(faults)

    # -- updates the "users" send ---------------------------------------------

    def push(self, update: dict[str, Any]) -> int:
        """Queue an update for getUpdates; returns its update_id."""
        update_id = update.get("update_id") or next(self._update_ids)
        update = {**update, "update_id": update_id}
        self.pushed_at[update_id] = time.perf_counter()
        self._updates.append(update)
        asyncio.get_running_loop().create_task(self._notify())
        return update_id

    @staticmethod
    def user(user_id: int, language_code: str = "sv") -> dict[str, Any]:
        return {"id": user_id, "is_bot": False, "first_name": "Testperson", "language_code": language_code}

    def chat(self, user_id: int, chat_id: int | None = None) -> dict[str, Any]:
        if chat_id is None or chat_id == user_id:
            chat = {"id": user_id, "type": "private", "first_name": "Testperson"}
        else:
            chat = {"id": chat_id, "type": "supergroup", "title": "Rehabgruppen"}
        self.chats[chat["id"]] = chat
        return chat

    def _message(self, user_id: int, chat_id: int | None, **content: Any) -> dict[str, Any]:
        return {"message_id": next(self._message_ids), "date": int(time.time()),
                "chat": self.chat(user_id, chat_id), "from": self.user(user_id), **content}

    def send_text(self, user_id: int, text: str, chat_id: int | None = None) -> int:
        """A user writes `text` (commands and @mentions get their entities, as Telegram adds them)."""
        return self.push(self.text_update(user_id, text, chat_id))

    def text_update(self, user_id: int, text: str, chat_id: int | None = None) -> dict[str, Any]:
        """The update for a text message, not yet delivered (a webhook test POSTs it itself)."""
        update_id = next(self._update_ids)
        self.pushed_at[update_id] = time.perf_counter()
        entities = []
        command = _COMMAND.match(text)
        if command:
            entities.append({"type": "bot_command", "offset": 0, "length": utf16_len(command.group(0))})
        for mention in _MENTION.finditer(text):
            entities.append({"type": "mention", "offset": utf16_len(text[:mention.start()]),
                             "length": utf16_len(mention.group(0))})
        content: dict[str, Any] = {"text": text}
        if entities:
            content["entities"] = entities
        return {"update_id": update_id, "message": self._message(user_id, chat_id, **content)}

    def send_sticker(self, user_id: int) -> int:
        sticker = {"file_id": "sticker1", "file_unique_id": "s1", "type": "regular", "width": 512,
                   "height": 512, "is_animated": False, "is_video": False, "emoji": "👍"}
        return self.push({"message": self._message(user_id, None, sticker=sticker)})

    def send_photo(self, user_id: int) -> int:
        photo = [{"file_id": "photo1", "file_unique_id": "p1", "width": 90, "height": 90, "file_size": 1000}]
        return self.push({"message": self._message(user_id, None, photo=photo)})

    def send_document(self, user_id: int, file_name: str, content: bytes) -> int:
        file_id = f"doc{next(self._ids)}"
        self.files[file_id] = content
        document = {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_name": file_name,
                    "mime_type": "application/x-yaml", "file_size": len(content)}
        return self.push({"message": self._message(user_id, None, document=document)})

    def press(self, user_id: int, data: str, message: Call | dict[str, Any]) -> int:
        """A user taps a button with `data` under `message` (a recorded send/edit, or a message dict)."""
        if isinstance(message, Call):
            key = (message.chat_id, message.params.get("message_id") or message.params.get("_message_id"))
            message = self.messages[key]
        message = {k: v for k, v in message.items() if not k.startswith("_")}
        query = {"id": str(next(self._ids)), "from": self.user(user_id), "chat_instance": "ci",
                 "data": data, "message": message}
        return self.push({"callback_query": query})

    def inline(self, user_id: int, query: str) -> int:
        return self.push({"inline_query": {"id": str(next(self._ids)), "from": self.user(user_id),
                                           "query": query, "offset": ""}})

    # -- what the bot did ----------------------------------------------------

    def calls_of(self, method: str, chat_id: int | None = None, ok: bool = True) -> list[Call]:
        return [c for c in self.calls if c.method == method and (chat_id is None or c.chat_id == chat_id)
                and (not ok or not c.fault)]

    def sent_texts(self) -> list[str]:
        """The text of every message the bot sent, in order."""
        return [call.text for call in self.calls_of("sendMessage")]

    def sent(self, chat_id: int) -> list[Call]:
        """Messages the bot sent to a chat (successful sendMessage calls), in order."""
        return self._sent[chat_id]

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
        assert self._changed is not None
        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(predicate), timeout)
            except TimeoutError:
                raise AssertionError(f"timed out after {timeout} s; last calls: "
                                     f"{[(c.method, c.text[:60], c.fault) for c in self.calls[-8:]]}") from None
        return predicate()

    async def next_sent(self, chat_id: int, count_before: int, timeout: float = 10.0) -> Call:
        """The bot's message number `count_before` to a chat, once it arrives.

        Waits on a future of its own (not the shared condition), so that hundreds of
        simulated users waiting at once cost the server nothing per call.
        """
        if len(self._sent[chat_id]) <= count_before:
            future = asyncio.get_running_loop().create_future()
            self._sent_waiters[chat_id].append((count_before, future))
            try:
                await asyncio.wait_for(future, timeout)
            except TimeoutError:
                raise AssertionError(f"no message {count_before + 1} to chat {chat_id} within {timeout} s; "
                                     f"sent: {[c.text[:60] for c in self._sent[chat_id]]}") from None
        return self._sent[chat_id][count_before]

    async def reply_to(self, user_id: int, text: str, timeout: float = 10.0, chat_id: int | None = None) -> Call:
        """Send `text` and wait for the bot's next message to that chat."""
        chat = chat_id or user_id
        before = len(self.sent(chat))
        self.send_text(user_id, text, chat_id)
        return await self.next_sent(chat, before, timeout)

    async def after(self, method: str, action: Callable[[], Any], timeout: float = 10.0) -> Call:
        """Do `action` (push an update) and wait for the next successful call of `method`."""
        before = len(self.calls_of(method))
        action()
        await self.wait_for(lambda: len(self.calls_of(method)) > before, timeout)
        return self.calls_of(method)[before]

    # -- the Bot API -----------------------------------------------------------

    async def handle(self, method: str, params: dict[str, Any], files: dict[str, bytes]) -> tuple[int, Any]:
        call = Call(method, params, time.perf_counter(), files)
        self.calls.append(call)
        await self._notify()  # a long poll is now waiting: tests may wait for that
        queue = self._faults.get(method)
        if queue:
            fault = queue.popleft()
            call.fault = fault.kind
            await self._notify()
            if fault.kind == "drop":
                return -1, None
            if fault.kind == "retry_after":
                return 429, {"ok": False, "error_code": 429,
                             "description": f"Too Many Requests: retry after {fault.retry_after}",
                             "parameters": {"retry_after": fault.retry_after}}
            return fault.status, {"ok": False, "error_code": fault.status, "description": fault.description}
        try:
            handler = getattr(self, f"_api_{method}", None)
            if handler is None:
                call.fault = "unknown method"
                return 404, {"ok": False, "error_code": 404, "description": "Not Found: method not found"}
            result = await handler(params, files, call)
        except BadRequest as exc:
            call.fault = str(exc)
            return 400, {"ok": False, "error_code": 400, "description": str(exc)}
        finally:
            await self._notify()
        return 200, {"ok": True, "result": result}

    async def _api_getMe(self, params, files, call):
        return self.bot_user

    async def _api_getUpdates(self, params, files, call):
        offset = int(params.get("offset") or 0)
        while self._updates and self._updates[0]["update_id"] < offset:
            self._updates.popleft()
        timeout = float(params.get("timeout") or 0)
        if not self._updates and timeout > 0 and not self._closing:
            assert self._changed is not None
            async with self._changed:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait_for(lambda: self._updates or self._closing), timeout)
        limit = int(params.get("limit") or 100)
        return list(itertools.islice(self._updates, 0, limit))

    async def _api_deleteWebhook(self, params, files, call):
        self.webhook = {}
        return True

    async def _api_setWebhook(self, params, files, call):
        self.webhook = dict(params)
        return True

    async def _api_setMyCommands(self, params, files, call):
        commands = params.get("commands") or []
        if not 1 <= len(commands) <= 100:
            raise BadRequest("Bad Request: BOT_COMMANDS_TOO_MUCH")
        for command in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", command.get("command", "")) or not (
                    1 <= len(command.get("description", "")) <= 256):
                raise BadRequest("Bad Request: BOT_COMMAND_INVALID")
        scope = params.get("scope") or {}
        if scope.get("type") == "chat" and int(scope["chat_id"]) not in self.chats:
            raise BadRequest("Bad Request: chat not found")
        return True

    def _chat_of(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = params.get("chat_id")
        if chat_id is None or int(chat_id) not in self.chats:
            raise BadRequest("Bad Request: chat not found")
        return self.chats[int(chat_id)]

    async def _api_sendMessage(self, params, files, call):
        chat = self._chat_of(params)
        plain = check_text(params.get("text"), params.get("parse_mode"))
        check_markup(params.get("reply_markup"))
        message = {"message_id": next(self._message_ids), "date": int(time.time()), "chat": chat,
                   "from": self.bot_user, "text": plain}
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        self.messages[(chat["id"], message["message_id"])] = {**message, "_html": params.get("text")}
        call.params["_message_id"] = message["message_id"]
        sent = self._sent[chat["id"]]
        sent.append(call)
        waiting = self._sent_waiters.get(chat["id"])
        if waiting:
            for count, future in [w for w in waiting if len(sent) > w[0]]:
                waiting.remove((count, future))
                if not future.done():
                    future.set_result(None)
        return message

    async def _api_editMessageText(self, params, files, call):
        chat = self._chat_of(params)
        key = (chat["id"], int(params.get("message_id") or 0))
        if key not in self.messages:
            raise BadRequest("Bad Request: message to edit not found")
        plain = check_text(params.get("text"), params.get("parse_mode"))
        check_markup(params.get("reply_markup"))
        old = self.messages[key]
        if "photo" in old:
            raise BadRequest("Bad Request: there is no text in the message to edit")
        if old.get("_html") == params.get("text") and old.get("reply_markup") == params.get("reply_markup"):
            raise BadRequest("Bad Request: message is not modified: specified new message content and reply "
                             "markup are exactly the same as a current content and reply markup of the message")
        message = {**old, "text": plain, "edit_date": int(time.time()), "_html": params.get("text")}
        message.pop("reply_markup", None)
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        self.messages[key] = message
        return {k: v for k, v in message.items() if not k.startswith("_")}

    async def _api_answerCallbackQuery(self, params, files, call):
        if len(params.get("text") or "") > 200:
            raise BadRequest("Bad Request: MESSAGE_TOO_LONG")
        return True

    async def _api_answerInlineQuery(self, params, files, call):
        results = params.get("results") or []
        if len(results) > 50 or len({r["id"] for r in results}) != len(results):
            raise BadRequest("Bad Request: RESULTS_TOO_MUCH or RESULT_ID_DUPLICATE")
        for result in results:
            if not 1 <= len(result["id"].encode()) <= 64:
                raise BadRequest("Bad Request: RESULT_ID_INVALID")
            content = result.get("input_message_content") or {}
            check_text(content.get("message_text"), content.get("parse_mode"))
            check_markup(result.get("reply_markup"))
        return True

    async def _api_getFile(self, params, files, call):
        file_id = params.get("file_id")
        if file_id not in self.files:
            raise BadRequest("Bad Request: invalid file_id")
        return {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_size": len(self.files[file_id]),
                "file_path": f"documents/{file_id}.yaml"}

    async def _api_sendDocument(self, params, files, call):
        chat = self._chat_of(params)
        return {"message_id": next(self._message_ids), "date": int(time.time()), "chat": chat,
                "from": self.bot_user, "document": {"file_id": "sent", "file_unique_id": "sent"}}

    async def _api_sendPhoto(self, params, files, call):
        chat = self._chat_of(params)
        width, height = check_photo(files.get("photo"))
        caption = params.get("caption")
        plain = ""
        if caption:
            plain = parse_html(caption) if (params.get("parse_mode") or "").upper() == "HTML" else caption
            if utf16_len(plain) > 1024:
                raise BadRequest("Bad Request: message caption is too long")
        check_markup(params.get("reply_markup"))
        file_id = f"photo{next(self._ids)}"
        self.files[file_id] = files["photo"]
        message = {"message_id": next(self._message_ids), "date": int(time.time()), "chat": chat,
                   "from": self.bot_user, "photo": [{"file_id": file_id, "file_unique_id": f"u{file_id}",
                                                     "width": width, "height": height,
                                                     "file_size": len(files["photo"])}]}
        if plain:
            message["caption"] = plain
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        self.messages[(chat["id"], message["message_id"])] = {**message, "_html": caption}
        call.params["_message_id"] = message["message_id"]
        self.photos[chat["id"]].append(call)
        return message

    async def _api_sendChatAction(self, params, files, call):
        self._chat_of(params)
        return True

    def file_content(self, path: str) -> bytes | None:
        match = re.fullmatch(r"documents/(.+)\.yaml", path)
        return self.files.get(match.group(1)) if match else None


def _decode(name: str, value: bytes) -> Any:
    text = value.decode("utf-8")
    if name in _STRING_PARAMS:
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


class _ApiHandler(tornado.web.RequestHandler):
    def initialize(self, api: FakeBotApi) -> None:
        self.api = api

    async def post(self, token: str, method: str) -> None:
        if token != self.api.token:
            self.set_status(401)
            self.finish({"ok": False, "error_code": 401, "description": "Unauthorized"})
            return
        args = {**self.request.query_arguments, **self.request.body_arguments}
        params = {name: _decode(name, values[-1]) for name, values in args.items()}
        files = {name: parts[0]["body"] for name, parts in self.request.files.items()}
        status, body = await self.api.handle(method, params, files)
        if status == -1:  # the connection drops without an answer
            self.request.connection.stream.close()
            return
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        with contextlib.suppress(tornado.iostream.StreamClosedError):  # the client gave up (a cancelled long poll)
            self.finish(json.dumps(body))

    get = post

    def on_connection_close(self) -> None:
        pass


class _FileHandler(tornado.web.RequestHandler):
    def initialize(self, api: FakeBotApi) -> None:
        self.api = api

    def get(self, token: str, path: str) -> None:
        content = self.api.file_content(path) if token == self.api.token else None
        self.api.calls.append(Call("file", {"path": path}, time.perf_counter()))
        if content is None:
            self.set_status(404)
            self.finish("Not Found")
            return
        self.finish(content)


@contextlib.asynccontextmanager
async def polling(app: Any, timeout: int = 5) -> AsyncIterator[Any]:
    """PTB's manual lifecycle around a test: initialise, start, poll; then stop in reverse."""
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=timeout)
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()


# -- pytest fixtures shared by the tests/test_telegram*.py modules ----------------


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as server:
        yield server


@pytest.fixture
def store(tmp_path: Any) -> Any:
    """A real store (SQLite in tmp_path) behind the Telegram channel's gateway."""
    from bot.store import open_store
    from bot.store.gateway import StoreGateway
    gateway = StoreGateway(open_store(f"sqlite:///{tmp_path / 'rehabbot.sqlite'}"))
    yield gateway
    gateway.close()


def build(api: FakeBotApi, rehabbot: Any, store: Any = None, **options: Any) -> Any:
    """The real Application, pointed at the fake server (short retry back-off for the tests)."""
    from bot.channels.telegram import build_application
    options.setdefault("backoff", 0.02)
    return build_application(rehabbot, api.token, store=store, base_url=api.base_url,
                             base_file_url=api.base_file_url, **options)
