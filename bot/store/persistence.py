"""A python-telegram-bot persistence backed by the store, with no ids in clear.

PTB's :class:`~telegram.ext.BasePersistence` contract is built around real
ids: ``get_user_data()`` returns ``{user_id: data}`` for *everyone* at
start-up, and ``get_conversations()`` returns ``{(chat_id, user_id): state}``.
Storing those keys in clear would put every user's Telegram id in the
database. The design here keeps the database free of ids and still gives PTB
what it needs:

* **user_data / chat_data** are stored under the keyed hash of the id
  (:meth:`Pseudonymizer.id_hash`). ``get_user_data()`` / ``get_chat_data()``
  return an empty dict at start-up, and PTB's ``refresh_user_data(user_id,
  data)`` hook, which it calls with the real id before every handler
  callback, loads that one user's data by hash on first use in this
  process. Nothing needs to map hashes back to ids.
* **Conversation states** are not kept: the bot has no ConversationHandler
  (its conversation with a user is ``chat_data["conversation"]``, stored as
  above), so ``get_conversations()`` is always empty.
* **bot_data** holds no ids; **callback_data** is off by default (it can
  hold arbitrary objects) and, when enabled, is stored as JSON.

Payloads are JSON, not pickle: a database shared by several instances must
not be able to run code in them. Values must therefore be JSON-serialisable
(dict keys become strings). String values in user, chat and bot data are
redacted before they are written, in case a handler keeps a question there.

Each ``update_*`` call writes at once; ``update_interval`` (default 10 s)
bounds what a crash can lose. With several instances, user/chat data is
loaded once per process, so an instance
does not see another's later changes to them: keep per-user *settings* in
:meth:`Store.get_settings` / :meth:`Store.set_settings`, which every call
reads fresh,.

Erasure: :meth:`Store.forget` deletes the rows and records when; a running
Application (this process or another instance) still holds the person's data
in memory, so before it uses or writes that data again it asks whether the
person was erased since it took the data, and then empties it instead.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from telegram.ext import BasePersistence, PersistenceInput

from bot.store.store import Store
from bot.text.redact import redact_text

if TYPE_CHECKING:  # PTB's own aliases live in a private module
    from telegram.ext._utils.types import CDCData, ConversationDict, ConversationKey

_BOT_KEY = ""


def _redact_values(value: Any) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {key: _redact_values(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_redact_values(item) for item in value]
    return value


def _dumps(value: Any) -> str:
    def refuse(obj: object) -> Any:
        raise TypeError(
            f"StorePersistence stores JSON only; {type(obj).__name__} is not JSON-serialisable"
        )

    return json.dumps(value, ensure_ascii=False, default=refuse, sort_keys=True)


class StorePersistence(BasePersistence[dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """PTB persistence that keeps its data in the :class:`Store`'s database."""

    def __init__(
        self,
        store: Store,
        *,
        store_data: PersistenceInput | None = None,
        update_interval: float = 10,
    ) -> None:
        super().__init__(
            store_data=store_data or PersistenceInput(callback_data=False),
            update_interval=update_interval,
        )
        self.store = store
        # Real ids whose data this process has loaded. Memory only.
        self._loaded: dict[str, set[int]] = {"user": set(), "chat": set()}
        self._since: dict[tuple[str, int], float] = {}  # when this process took the data in hand

    # -- rows ---------------------------------------------------------------

    def _read(self, kind: str, key_hash: str) -> Any:
        with self.store.db.transaction(write=False) as tx:
            row = tx.one(
                "SELECT payload FROM ptb_data WHERE kind = ? AND key_hash = ?", (kind, key_hash)
            )
        return None if row is None else json.loads(row[0])

    def _write(self, kind: str, key_hash: str, payload: str) -> None:
        with self.store.db.transaction() as tx:
            tx.execute(
                "INSERT INTO ptb_data (kind, key_hash, payload, updated) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (kind, key_hash) DO UPDATE SET "
                "payload = excluded.payload, updated = excluded.updated",
                (kind, key_hash, payload, self.store.clock()),
            )

    def _delete(self, kind: str, key_hash: str) -> None:
        with self.store.db.transaction() as tx:
            tx.execute("DELETE FROM ptb_data WHERE kind = ? AND key_hash = ?", (kind, key_hash))

    # -- user and chat data: by hash, loaded lazily -------------------------

    async def get_user_data(self) -> dict[int, dict[Any, Any]]:
        return {}  # loaded per user in refresh_user_data

    async def get_chat_data(self) -> dict[int, dict[Any, Any]]:
        return {}  # loaded per chat in refresh_chat_data

    async def _refresh(self, kind: str, real_id: int, data: dict[Any, Any]) -> None:
        if real_id in self._loaded[kind]:
            if not await self._was_forgotten(kind, real_id):
                return
            data.clear()  # erased (`rehabbot privacy forget`) while this process held it
        stored = await asyncio.to_thread(self._read, kind, self.store.user_hash(real_id))
        for key, value in (stored or {}).items():
            data.setdefault(key, value)  # anything set in memory already is newer
        self._taken(kind, real_id)

    def _taken(self, kind: str, real_id: int) -> None:
        self._loaded[kind].add(real_id)
        self._since[(kind, real_id)] = self.store.clock()

    async def _was_forgotten(self, kind: str, real_id: int) -> bool:
        since = self._since.get((kind, real_id), 0.0)
        return await asyncio.to_thread(self.store.forgotten_since, self.store.user_hash(real_id), since)

    async def refresh_user_data(self, user_id: int, user_data: dict[Any, Any]) -> None:
        await self._refresh("user", user_id, user_data)

    async def refresh_chat_data(self, chat_id: int, chat_data: dict[Any, Any]) -> None:
        await self._refresh("chat", chat_id, chat_data)

    async def _update(self, kind: str, real_id: int, data: dict[Any, Any]) -> None:
        if real_id not in self._loaded[kind] and not data:
            return  # never loaded here and empty: writing would wipe stored data
        if real_id in self._loaded[kind] and await self._was_forgotten(kind, real_id):
            # Erased since this process took it: writing it back would undo the erasure.
            self._loaded[kind].discard(real_id)
            return
        payload = _dumps(_redact_values(data))
        await asyncio.to_thread(self._write, kind, self.store.user_hash(real_id), payload)
        if real_id not in self._loaded[kind]:
            self._taken(kind, real_id)

    async def update_user_data(self, user_id: int, data: dict[Any, Any]) -> None:
        await self._update("user", user_id, data)

    async def update_chat_data(self, chat_id: int, data: dict[Any, Any]) -> None:
        await self._update("chat", chat_id, data)

    async def drop_user_data(self, user_id: int) -> None:
        await asyncio.to_thread(self._delete, "user", self.store.user_hash(user_id))

    async def drop_chat_data(self, chat_id: int) -> None:
        await asyncio.to_thread(self._delete, "chat", self.store.user_hash(chat_id))

    # -- bot data and callback data -----------------------------------------

    async def get_bot_data(self) -> dict[Any, Any]:
        return await asyncio.to_thread(self._read, "bot", _BOT_KEY) or {}

    async def update_bot_data(self, data: dict[Any, Any]) -> None:
        await asyncio.to_thread(self._write, "bot", _BOT_KEY, _dumps(_redact_values(data)))

    async def refresh_bot_data(self, bot_data: dict[Any, Any]) -> None:
        """Loaded once at start-up by :meth:`get_bot_data`; nothing to refresh."""

    async def get_callback_data(self) -> CDCData | None:
        stored = await asyncio.to_thread(self._read, "callback", _BOT_KEY)
        if stored is None:
            return None
        buttons, queries = stored
        return [tuple(button) for button in buttons], queries

    async def update_callback_data(self, data: CDCData) -> None:
        await asyncio.to_thread(self._write, "callback", _BOT_KEY, _dumps(data))

    # -- conversations: none ------------------------------------------------

    async def get_conversations(self, name: str) -> ConversationDict:
        """The bot has no ConversationHandler (the conversation is `chat_data["conversation"]`)."""
        return {}

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        """Nothing to keep: see `get_conversations`."""

    async def flush(self) -> None:
        """Every update is written when PTB hands it over; nothing is buffered."""
