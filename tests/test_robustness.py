"""Any text at all gives a valid result and never raises."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.matching import ANSWER, FALLBACK, SUGGEST
from bot.service import CRISIS, SMALLTALK


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(question=st.text(max_size=6000), mode=st.sampled_from(["staff", "individual"]),
       lang=st.sampled_from(["sv", "en"]))
def test_any_unicode_question_gives_a_valid_reply(small_bot, question, mode, lang):
    reply = small_bot.ask(question, mode, lang)
    assert reply.status in (ANSWER, SUGGEST, FALLBACK, CRISIS, SMALLTALK)
    assert 0.0 <= reply.match.confidence <= 1.0
    assert reply.text.strip()
    if reply.status in (ANSWER, SUGGEST, FALLBACK):
        assert (reply.entry is not None) == (reply.status == ANSWER)


def test_very_long_and_strange_inputs(small_bot):
    for question in ("SIP " * 2500, "x" * 5000, "🙂" * 1000, "سلام " * 500, "\x00\u200b\ufeff", "\n\n\t"):
        reply = small_bot.ask(question)
        assert reply.text
