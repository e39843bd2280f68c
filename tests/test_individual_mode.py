"""Individual mode shows only what is written for the person."""

from __future__ import annotations

import re

from bot.answers import render_entry
from bot.answers.render import entry_view
from bot.kb.schema import PERSON

STAFF_WORDS = re.compile(r"\b(klient(en|ens|er|erna)?|min klient|brukaren|handläggaren ska)\b", re.IGNORECASE)


def test_every_entry_an_individual_can_get_has_a_title_in_the_persons_words(shipped_bot):
    kb = shipped_bot.kb
    for entry in kb.entries:
        if entry.audience == "staff":
            continue
        for lang in ("sv", "en"):
            title = entry.title_in(lang, "individual")
            assert not STAFF_WORDS.search(title), (entry.id, lang, title)
        assert entry.answer.individual, entry.id


def test_your_next_step_is_always_a_step_you_take_yourself(shipped_bot):
    kb = shipped_bot.kb
    for entry in kb.entries:
        view = entry_view(entry, kb, "individual", "sv")
        if view.own_step is None:
            continue
        own = [s for s in entry.next_steps if s.who == PERSON]
        assert own and view.own_step.do == own[0].do, entry.id
        text = render_entry(entry, kb, "individual", "sv")
        assert f"Nästa steg för dig: {own[0].do}" in text


def test_an_entry_without_a_step_of_the_persons_own_shows_no_next_step(shipped_bot):
    kb = shipped_bot.kb
    entry = next(e for e in kb.entries if e.next_steps)
    others_only = entry.model_copy(update={"next_steps": tuple(s for s in entry.next_steps if s.who != PERSON)})
    assert others_only.next_steps
    assert "Nästa steg för dig" not in render_entry(others_only, kb, "individual", "sv")


def test_staff_worded_pathways_are_never_offered_to_individuals(shipped_bot):
    for entry in shipped_bot.kb.entries:
        for question in entry.questions[:2]:
            reply = shipped_bot.ask(question, "individual")
            assert reply.pathway is None or reply.pathway.audience == "individual", (question, reply.pathway.id)
