"""The books between fetching an update and answering it (bot/channels/telegram/delivery.py),
on a real store: SQLite, then PostgreSQL."""

from __future__ import annotations

from bot.channels.telegram.delivery import Delivery
from bot.store import open_store
from bot.store.gateway import NoStore, StoreGateway


async def test_the_offset_never_passes_an_update_not_answered_yet() -> None:
    delivery = Delivery(NoStore())
    assert delivery.offset(None) is None and delivery.offset(10) == 10  # nothing waiting: PTB's own
    assert await delivery.fresh([10, 11, 12]) == {10, 11, 12}
    assert delivery.offset(13) == 10  # PTB would confirm all three; Telegram keeps them
    await delivery.done(11)
    assert delivery.offset(13) == 10
    await delivery.done(10)
    assert delivery.offset(13) == 12
    assert await delivery.fresh([12, 13]) == {13}  # sent again while waiting: not handed on twice
    assert not delivery.begin(11)  # answered: a webhook's retry is dropped
    assert delivery.begin(14)


async def test_a_batch_of_updates_answered_before_moves_the_offset_past_them(store_url: str) -> None:
    # After a restart the first batch can be only updates the process before answered. They reach
    # PTB as an empty batch and PTB's offset stays put: the same batch came back for ever, and
    # every message behind it went unanswered (198 of 300 in a SIGTERM mid-burst).
    first = StoreGateway(open_store(store_url))
    try:
        delivery = Delivery(first, bot_id=7)
        assert await delivery.fresh([1, 2, 3]) == {1, 2, 3}
        for update_id in (1, 2, 3):
            await delivery.done(update_id)
    finally:
        first.close()
    again = StoreGateway(open_store(store_url))
    try:
        restarted = Delivery(again, bot_id=7)
        assert restarted.offset(None) is None  # nothing fetched yet: PTB's own
        assert await restarted.fresh([1, 2, 3]) == set()
        assert restarted.offset(None) == 4 and restarted.offset(0) == 4
        assert restarted.offset(9) == 9  # PTB's own when it is further on
    finally:
        again.close()


async def test_updates_answered_before_a_restart_are_not_answered_again(store_url: str) -> None:
    first = StoreGateway(open_store(store_url))
    try:
        delivery = Delivery(first, bot_id=111)
        assert await delivery.fresh([1, 2, 3]) == {1, 2, 3}
        await delivery.done(1)
        await delivery.done(2)
    finally:
        first.close()  # the process is gone; 3 was never answered
    again = StoreGateway(open_store(store_url))
    try:
        restarted = Delivery(again, bot_id=111)
        assert await restarted.fresh([1, 2, 3, 4]) == {3, 4}
        assert not restarted.begin(2)
        other_bot = Delivery(again, bot_id=222)  # another bot's update 2 is its own
        assert await other_bot.fresh([1, 2]) == {1, 2}
        with again.store.db.transaction(write=False) as tx:
            assert tx.all("SELECT bot_id, update_id FROM handled_update ORDER BY update_id") == [(111, 1), (111, 2)]
    finally:
        again.close()
