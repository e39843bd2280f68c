"""The process map in Telegram: /karta, and "Visa på kartan" under a finished plan.

The map is drawn by `bot.map` (Graphviz) in a worker thread and sent as a
photo. Pictures are kept per (knowledge base version, actor, pathway, plan,
language), so the same map is drawn once, and one at a time: Graphviz is
CPU-bound, and a burst of /karta must not start a `dot` process per user
(whoever waited finds the picture drawn). Without Graphviz the user is told
so in a sentence; nothing else breaks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct
from collections import OrderedDict
from collections.abc import Callable

from telegram import InlineKeyboardButton, Message, Update
from telegram.constants import ChatAction
from telegram.error import TelegramError

from bot.channels.telegram.handlers import callbacks as cb
from bot.channels.telegram.handlers import views
from bot.channels.telegram.handlers.common import Context, get_prefs, match_of, message_of, query_of, send, services
from bot.channels.telegram.handlers.views import Markup, Prefs
from bot.kb.model import KnowledgeBase
from bot.map.targets import find_target, short_name

logger = logging.getLogger(__name__)

# Telegram's limits for a photo (sendPhoto): 10 MB, width + height at most 10,000 pixels.
MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PHOTO_SIDES = 10_000
FIT_SIDES = MAX_PHOTO_SIDES - 1_000  # a larger map is drawn again at a lower resolution, with a margin
CACHE_SIZE = 32
FILE_NAME = "processkarta.png"

Key = tuple[str, str | None, str | None, str | None, str]


class MapUnavailable(RuntimeError):
    """Graphviz (the `dot` program or its Python binding) is not installed."""


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's header."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    return struct.unpack(">II", data[16:24])


def render_png(kb: KnowledgeBase, actor: str | None, pathway: str | None, plan: str | None, lang: str) -> bytes:
    """The map as a PNG within Telegram's photo limits (blocking: run it in a thread)."""
    import graphviz  # not at import time: only a map needs it

    from bot.map.graph import DPI, render_bytes
    try:
        data = render_bytes(kb, "png", actor, pathway, plan, lang)
        width, height = png_size(data)
        if width + height > FIT_SIDES:
            data = render_bytes(kb, "png", actor, pathway, plan, lang,
                                dpi=max(24, int(DPI * FIT_SIDES / (width + height))))
    except graphviz.ExecutableNotFound as exc:
        raise MapUnavailable(str(exc)) from exc
    return data


class MapCache:
    """Rendered maps, the `size` most recently used kept, drawn one at a time in a worker thread."""

    def __init__(self, size: int = CACHE_SIZE,
                 render: Callable[[KnowledgeBase, str | None, str | None, str | None, str], bytes] = render_png):
        self.size = size
        self.render = render
        self.renders = 0  # how many times a map was actually drawn
        self._pictures: OrderedDict[Key, bytes] = OrderedDict()
        self._lock: asyncio.Lock | None = None

    @staticmethod
    def key(kb: KnowledgeBase, actor: str | None = None, pathway: str | None = None, plan: str | None = None,
            lang: str = "sv") -> Key:
        return (kb.version, actor, pathway, plan, lang)

    def cached(self, key: Key) -> bool:
        return key in self._pictures

    async def png(self, kb: KnowledgeBase, actor: str | None = None, pathway: str | None = None,
                  plan: str | None = None, lang: str = "sv") -> bytes:
        key = self.key(kb, actor, pathway, plan, lang)
        if key not in self._pictures:
            if self._lock is None:
                self._lock = asyncio.Lock()
            async with self._lock:
                if key not in self._pictures:
                    data = await asyncio.to_thread(self.render, kb, actor, pathway, plan, lang)
                    self.renders += 1
                    self._pictures[key] = data
                    while len(self._pictures) > self.size:
                        self._pictures.popitem(last=False)
        self._pictures.move_to_end(key)
        return self._pictures[key]


async def send_map(context: Context, message: Message, prefs: Prefs, caption: str, markup: Markup = None, *,
                   actor: str | None = None, pathway: str | None = None, plan: str | None = None) -> None:
    """Draw (or take from the cache) the map and send it as a photo replying to `message`."""
    svc = services(context)
    kb, cache = svc.rehabbot.kb, svc.maps
    if not cache.cached(cache.key(kb, actor, pathway, plan, prefs.lang)):
        with contextlib.suppress(TelegramError):  # "sending a photo…" while it is drawn; only a courtesy
            await context.bot.send_chat_action(message.chat_id, ChatAction.UPLOAD_PHOTO)
    try:
        data = await cache.png(kb, actor, pathway, plan, prefs.lang)
    except MapUnavailable as exc:
        logger.warning("the map cannot be drawn: %s", exc)
        await send(message, views.say(prefs.lang, "map_unavailable"))
        return
    if len(data) > MAX_PHOTO_BYTES:  # too large for a photo (a very large knowledge base): as a file
        await message.reply_document(data, caption=caption, reply_markup=markup, filename=FILE_NAME)
        return
    await message.reply_photo(data, caption=caption, reply_markup=markup, filename=FILE_NAME)


# -- /karta ---------------------------------------------------------------------

def actor_keyboard(kb: KnowledgeBase, lang: str) -> Markup:
    buttons = [views.button(short_name(a.title_in(lang)), cb.map_of("a", a.id)) for a in kb.of_kind("actor")]
    rows: list[list[InlineKeyboardButton]] = [buttons[i:i + 2] for i in range(0, len(buttons), 2)]
    return views.keyboard(rows)


async def command(update: Update, context: Context) -> None:
    """/karta [actor or pathway]: the whole map with an actor to choose, or one actor's or pathway's part."""
    prefs = await get_prefs(update, context)
    kb = services(context).rehabbot.kb
    message = message_of(update)
    arg = " ".join(context.args or []).strip()
    if not arg:
        caption = f"{views.say(prefs.lang, 'map_caption')}\n\n{views.say(prefs.lang, 'map_choose')}"
        await send_map(context, message, prefs, caption, actor_keyboard(kb, prefs.lang))
        return
    target = find_target(kb, arg)
    if target is None:
        await send(message, views.say(prefs.lang, "map_unknown", name=arg[:64]), actor_keyboard(kb, prefs.lang))
        return
    await _send_target(context, message, prefs, *target)


async def on_map(update: Update, context: Context) -> None:
    """`k:<a|p>:<id>`: the map with that actor or pathway marked, as a new photo."""
    query = query_of(update)
    prefs = await get_prefs(update, context)
    kb = services(context).rehabbot.kb
    found = match_of(context)
    entry = kb.get(found["id"])
    exists = kb.pathway(found["id"]) is not None if found["kind"] == "p" else (
        entry is not None and entry.kind == "actor")
    if not exists or not isinstance(query.message, Message):
        await query.answer(views.texts(prefs.lang)["stale"])
        return
    await query.answer()
    await _send_target(context, query.message, prefs, found["kind"], found["id"])


async def _send_target(context: Context, message: Message, prefs: Prefs, kind: str, target_id: str) -> None:
    kb = services(context).rehabbot.kb
    if kind == "a":
        name = kb.by_id[target_id].title_in(prefs.lang)
        await send_map(context, message, prefs, views.say(prefs.lang, "map_caption_actor", name=name),
                       actor=target_id)
    else:
        pathway = kb.pathway(target_id)
        assert pathway is not None
        await send_map(context, message, prefs,
                       views.say(prefs.lang, "map_caption_pathway", name=pathway.title_in(prefs.lang)),
                       pathway=target_id)
