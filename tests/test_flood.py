"""The per-person flood limit (bot/channels/flood.py) with a clock the test moves."""

from __future__ import annotations

from bot.channels.flood import ALLOW, BURST, DROP, EVERY_S, NOTICE, FloodLimit
from bot.settings import Settings


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_is_answered_then_one_notice_then_silence_until_it_refills() -> None:
    clock = Clock()
    limit = FloodLimit(clock=clock)
    assert [limit.check("anna") for _ in range(BURST)] == [ALLOW] * BURST
    assert limit.check("anna") == NOTICE
    assert [limit.check("anna") for _ in range(5)] == [DROP] * 5
    assert limit.check("bo") == ALLOW  # others are not held back
    assert limit.wait_s("anna") == EVERY_S
    clock.now += EVERY_S
    assert limit.check("anna") == ALLOW and limit.check("anna") == NOTICE  # one more, and told again


def test_a_crisis_message_is_never_held_back_by_other_messages() -> None:
    limit = FloodLimit(clock=Clock())
    for _ in range(BURST + 1):
        limit.check("anna", "vem kallar till sip")
    assert limit.check("anna", "vem kallar till sip") == DROP
    assert limit.check("anna", "jag vill ta mitt liv") == ALLOW
    assert limit.check("anna", "I want to kill myself") == ALLOW


def test_hundreds_of_crisis_messages_in_a_row_are_limited_too() -> None:
    # 300 crisis messages from one chat once held every other chat's messages back for seconds.
    from bot.channels.flood import CRISIS_BURST
    limit = FloodLimit(clock=Clock())
    verdicts = [limit.check("anna", "jag vill inte leva") for _ in range(300)]
    assert verdicts[:CRISIS_BURST] == [ALLOW] * CRISIS_BURST
    assert verdicts[CRISIS_BURST] == NOTICE and set(verdicts[CRISIS_BURST + 1:]) == {DROP}
    assert limit.check("anna", "vem kallar till sip") == ALLOW  # the other allowance is untouched


def test_the_limit_can_be_turned_off_for_a_load_test() -> None:
    assert Settings.from_env({"REHABBOT_RATE_LIMIT": "off"}).rate_limit is False
    assert Settings.from_env({}).rate_limit is True
    limit = FloodLimit.unlimited()
    assert {limit.check("load") for _ in range(10_000)} == {ALLOW}
