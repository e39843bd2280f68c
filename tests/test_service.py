"""Reloading swaps in a new knowledge base only when it is valid."""

from __future__ import annotations

import pytest

from bot.kb.problems import KnowledgeBaseInvalid
from bot.service import Rehabbot


def test_a_broken_reload_keeps_serving_the_old_knowledge_base(kb_copy):
    bot = Rehabbot(kb_copy)
    before = bot.snapshot
    (kb_copy / "faq.yaml").write_text("- id: x\n  titel: broken\n", encoding="utf-8")
    problems = bot.reload()
    assert any("okänt fält 'titel'" in str(p) for p in problems)
    assert bot.snapshot is before
    assert bot.ask("Vad betyder SGI?").entry.id == "faq_sgi"


def test_a_valid_reload_swaps_in_the_new_entries(kb_copy):
    bot = Rehabbot(kb_copy)
    faq = kb_copy / "faq.yaml"
    faq.write_text(faq.read_text(encoding="utf-8").replace("Vad betyder SGI?", "Vad betyder nollplacerad i SGI?"),
                   encoding="utf-8")
    old_version = bot.kb.version
    assert [p for p in bot.reload() if not p.warning] == []
    assert bot.kb.version != old_version
    assert "Vad betyder nollplacerad i SGI?" in bot.kb.by_id["faq_sgi"].questions


def test_an_invalid_directory_cannot_be_started_from(kb_copy):
    (kb_copy / "faq.yaml").write_text("- id: [\n", encoding="utf-8")
    with pytest.raises(KnowledgeBaseInvalid):
        Rehabbot(kb_copy)


def test_json_follows_the_contract(small_bot):
    data = small_bot.ask("Vem kallar till SIP?").to_json()
    # The contract's keys, plus `pathway` (our extension: a guided pathway that fits, or null).
    assert set(data) == {"status", "entry", "topics", "confidence", "suggestions", "candidates", "text", "pathway"}
    assert data["status"] == "answer" and data["entry"] == "sip" and data["topics"] == ["sip"]
    assert 0 <= data["confidence"] <= 1
    assert data["candidates"][0] == {"entry": "sip", "score": data["confidence"]}
    assert len(data["candidates"]) <= 5


def test_explain_shows_terms_and_score_parts(small_bot):
    data = small_bot.ask("vad gor FK").to_json(explain=True)
    terms = {t["typed"]: t for t in data["explain"]["terms"]}
    assert terms["fk"]["how"] == "glossary"
    parts = data["explain"]["candidates"][0]["parts"]
    assert {"coverage", "headline", "phrase", "bm25"} <= set(parts)
