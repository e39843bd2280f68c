"""The shipped knowledge base meets the curation rules of the project."""

from __future__ import annotations

import re

import pytest
from conftest import FIXTURES

from bot.evaluation import evaluate, load_items

ACTORS = {"forsakringskassan", "arbetsformedlingen", "socialtjansten", "halso_och_sjukvarden",
          "rehabkoordinator", "jobbtorg", "samordningsforbundet"}
ENGLISH = {"what", "who", "how", "can", "is", "are", "do", "does", "my", "where", "when", "the", "which", "why",
           "should", "to", "of", "get", "help", "a", "an", "about", "with", "me", "if", "have", "not", "for",
           "happens", "still"}


def is_english(question: str) -> bool:
    """At least two English function words, counted on the words as typed (not folded: "för" is not "for")."""
    return sum(word in ENGLISH for word in re.findall(r"[a-zåäö]+", question.lower())) >= 2


@pytest.fixture(scope="module")
def kb(shipped_bot):
    return shipped_bot.kb


def test_every_canonical_topic_has_an_entry(kb):
    covered = {e.id for e in kb.entries} | {t for e in kb.entries for t in e.topics}
    assert set(kb.topics) - covered == set()


def test_the_seven_actors_are_there_with_what_they_do_not_do(kb):
    actors = {e.id: e for e in kb.of_kind("actor")}
    assert set(actors) >= ACTORS
    for actor_id in ACTORS:
        assert actors[actor_id].does_not, f"{actor_id} lacks does_not"
        assert actors[actor_id].contacts or actors[actor_id].next_steps


def test_every_entry_names_sources_and_a_review_date(kb):
    for entry in kb.entries:
        assert entry.sources, entry.id
        assert entry.reviewed is not None, entry.id


def test_every_entry_speaks_to_both_audiences_in_both_languages(kb):
    for entry in kb.entries:
        assert entry.answer.staff and entry.answer.individual, entry.id
        assert entry.answer_en and entry.answer_en.staff and entry.answer_en.individual, entry.id
        if entry.title:
            assert entry.title_en, entry.id
        if entry.title_individual:
            assert entry.title_individual_en, entry.id


def test_faq_entries_are_many_with_varied_phrasings(kb):
    faqs = kb.of_kind("faq")
    assert len(faqs) >= 100
    for entry in faqs:
        assert len(entry.questions) >= 4, entry.id
        assert any(is_english(q) for q in entry.questions), f"{entry.id} has no English phrasing"


def test_tasks_name_a_responsible_actor(kb):
    tasks = kb.of_kind("task")
    assert len(tasks) >= 15
    assert sum(bool(t.responsible) for t in tasks) >= len(tasks) - 2


# Every phone number the knowledge base may give, with the page that shows it (checked 2026-12).
VERIFIED_NUMBERS = {
    "0771-524 524": "forsakringskassan.se (kundcenter)",
    "0771-416 416": "arbetsformedlingen.se (kundtjänst)",
    "1177": "1177.se",
    "112": "sosalarm.se",
    "90101": "mind.se (Självmordslinjen)",
    "08-123 492 00": "norrastockholmspsykiatri.se (psykiatrisk akutmottagning, S:t Göran)",
    "020-50 50 50": "kvinnofridslinjen.se",
}
_NUMBER = re.compile(r"(?<![\d:/-])(?:0\d{1,3}-\d[\d ]{4,9}\d|\b(?:90101|1177|112)\b)")


def test_no_phone_number_is_invented(kb):
    for entry in kb.entries:
        for contact in entry.contacts:
            assert contact.phone is None or contact.phone in VERIFIED_NUMBERS, (entry.id, contact.phone)
        texts = [entry.answer.staff, entry.answer.individual, *(s.do for s in entry.next_steps)]
        if entry.answer_en:
            texts += [entry.answer_en.staff, entry.answer_en.individual]
        for text in filter(None, texts):
            for number in _NUMBER.findall(text):
                assert number.strip() in VERIFIED_NUMBERS, (entry.id, number)


def test_the_outdated_sol_paragraph_is_not_cited_as_current(kb):
    for entry in kb.entries:
        for text in (entry.legal_basis or "", *entry.sources):
            assert "2 kap. 7 § SoL" not in text or "ersatt" in text or "gäller inte" in text, entry.id


def test_historical_glossary_terms_are_marked(kb):
    assert {t.term for t in kb.glossary if t.historical} >= {"ALI", "HPS", "Rehabsteget"}


def test_questions_outside_the_knowledge_base_are_all_refused(shipped_bot):
    result = evaluate(shipped_bot, load_items(FIXTURES / "out_of_scope.yaml"))
    assert result["out_of_scope"]["accuracy"] == 1.0, [i for i in result["items"] if not i["ok"]]


def test_answers_speak_of_reports_not_of_our_seed_files(kb):
    for entry in kb.entries:
        texts = [entry.answer.staff, entry.answer.individual, entry.title or ""]
        if entry.answer_en:
            texts += [entry.answer_en.staff, entry.answer_en.individual]
        assert not any("seed" in (t or "").lower() for t in texts), entry.id


def test_no_answer_in_any_mode_language_or_format_names_a_source_file(kb):
    from bot.answers import render_entry
    file_name = re.compile(r"\d{3}_[0-9a-f]{16}")
    for entry in kb.entries:
        for mode in ("staff", "individual"):
            for lang in ("sv", "en"):
                for fmt in ("text", "telegram"):
                    assert not file_name.search(render_entry(entry, kb, mode, lang, fmt)), (entry.id, mode, lang, fmt)


def test_an_individual_is_never_offered_a_staff_entry_as_related(kb):
    differs = 0
    for entry in kb.entries:
        staff, individual = kb.related(entry, "staff"), kb.related(entry, "individual")
        assert all(e.audience != "staff" for e in individual), entry.id
        assert [e.id for e in individual] == [e.id for e in staff if e.audience != "staff"]
        differs += len(staff) != len(individual)
    assert differs, "no entry relates to a staff-only entry: the filter is untested"
