"""The gaps found by the December 2026 content reviews are filled (issue 11, helper d).

Each case asks the shipped bot the question a person would ask and checks the reply: the
gaps of content-2026-12-faq.md §5 and content-2026-12-structured.md "Coverage gaps", and the
high-severity findings the new entries answer (the refused measure, #7; sick-listing and
försörjningsstöd, #1–3; letters, #6; appeal deadlines, #29).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import assert_person_reads

CASES = [
    # (finding, mode, question, must contain (all), must not contain (any))
    ("faq#7, gap 2", "individual", "Vad händer om jag säger nej till praktiken?",
     ["godtagbart skäl", "tre veckor"], ["SIP betyder"]),
    ("faq#7, gap 2", "individual", "Kan soc dra ner mitt bistånd om jag tackar nej till arbetsträningen?",
     ["godtagbart skäl", "skriftligt beslut"], ["SIP betyder"]),
    ("faq#1-3, gap 1", "individual", "Vad ska det stå i läkarintyget som jag lämnar till soc?",
     ["hela tiden", "aktivitetskrav"], []),
    ("faq#29, gap 3", "individual", "Hur gör jag för att överklaga soc och hur lång tid har jag på mig?",
     ["tre veckor", "två månader"], []),
    ("faq#29, gap 3", "staff", "hur lang tid har klienten pa sig att begara omprovning hos fk",
     ["två månader", "7024"], []),
    ("faq#6", "individual", "Det står beslut och ett datum i brevet från soc, kan jag vänta till nästa möte?",
     ["samma dag", "tre veckor"], ["ta med breven till ditt nästa möte"]),
    ("faq#45, gap 4", "individual", "Får jag byta vårdcentral om jag inte håller med läkaren?",
     ["lista om", "två gånger"], []),
    ("gap 4", "individual", "Vad kostar ett läkarintyg när jag har försörjningsstöd?",
     ["gratis", "kan kosta"], []),
    ("faq#34, gap 5", "individual", "Hur söker man försörjningsstöd första gången i Stockholm?",
     ["tre veckor", "akut"], []),
    ("faq#36, gap 6", "individual", "Vilket nummer har psykakuten i Stockholm?",
     ["08-123 492 00", "90101"], []),
    ("faq#43, gap 7", "individual", "Kan jag få tolk när jag är hos läkaren?", ["kostar inget"], []),
    ("faq#43, gap 7", "individual", "Vem översätter mina journaler från sjukhuset i hemlandet?",
     ["översätta", "originalen"], []),
    ("gap 8", "individual", "Kan jag få läsa min akt hos socialtjänsten?", ["kopia", "1177"], []),
    ("gap 10", "individual", "Vilka frågor ska jag ställa på SIP-mötet?", ["huvudansvaret", "skriftligt"], []),
    ("faq#45, gap 11", "individual", "Kan jag få byta handläggare på soc?", ["chefen", "kopia av planen"], []),
    ("faq#47, gap 13", "individual", "Jag har inget BankID, hur söker jag hjälp?",
     ["0771-524 524", "0771-416 416"], []),
    ("structured gap 1", "individual", "Hur behåller jag SGI:n när sjukpenningen tar slut?",
     ["första dagen", "sjuklön"], []),
    ("faq#25, structured gap 3", "individual", "Vad händer med försörjningsstödet när jag får aktivitetsstöd?",
     ["räknas in", "särskilt bidrag"], []),
    ("structured gap 4", "staff",
     "Är socialtjänsten skyldig att anmäla till överförmyndaren när en klient kan behöva god man?",
     ["överförmyndaren", "sekretessen"], []),
    ("faq#13, structured gap 5", "staff", "Hur många stadsdelsförvaltningar har Stockholms stad i dag?",
     ["11 stadsdelsförvaltningar", "Järva"], ["har 14 stadsdelsförvaltningar"]),
    ("structured gap 9", "staff", "Vilka utmaningar i samverkan kartlade Rehabiliteringsbanan?",
     ["inlåsningseffekter"], []),
    ("structured gap 10", "staff", "Hur skulle Rehabiliteringsbanan följas upp på individnivå?", ["egenskattning"], []),
    ("structured gap 11", "staff",
     "Vem skulle ta fram en gemensam blankett enligt Stockholmsmodellens förslag på fortsatt arbete?",
     ["Region Stockholm"], []),
    ("structured gap 8", "staff", "Finns det goda exempel på rehabkoordinatorns samverkan kring patienter med SGI 0?",
     ["fler SIP"], []),
    ("faq#12, gap 16", "staff", "Gäller aktivitetskravet för en klient som är sjukskriven?",
     ["sjukpenning", "anpassas"], []),
]


@pytest.mark.parametrize(("finding", "mode", "question", "wanted", "unwanted"), CASES)
def test_review_finding_is_fixed(shipped_bot, finding, mode, question, wanted, unwanted):
    assert_person_reads(shipped_bot, finding, mode, question, wanted, unwanted)


NEW_ENTRIES = ["faq_i_sjuk_och_fsd", "faq_i_saga_nej_insats", "faq_i_overklaga_steg", "faq_i_brev_beslut",
               "faq_i_ansoka_fsd", "faq_i_intyg_arbetslos", "faq_i_akut_hjalp", "faq_i_tolk_och_papper",
               "faq_i_lasa_min_akt", "faq_i_infor_sip", "faq_i_byta_handlaggare", "faq_i_inget_bankid",
               "faq_i_skydda_sgi", "faq_i_pengar_under_program", "faq_s_anmala_god_man", "faq_i_stadsdel_idag",
               "faq_s_kanda_hinder", "faq_s_rb_uppfoljning", "faq_s_sthlm_fortsatt", "faq_s_koord_goda_exempel",
               "faq_s_aktivitetskrav_sjuk"]


@pytest.mark.parametrize("entry_id", NEW_ENTRIES)
def test_new_entry_follows_the_curation_rules(shipped_bot, entry_id):
    entry = shipped_bot.kb.get(entry_id)
    assert entry is not None, entry_id
    assert entry.answer.staff and entry.answer.individual
    assert entry.answer_en and entry.answer_en.staff and entry.answer_en.individual
    assert str(entry.reviewed) == "2026-12-02"
    assert entry.sources
    phrasings = {p["id"]: p["texts"] for p in yaml.safe_load(
        (Path(__file__).parent.parent / "knowledge" / "phrasings.yaml").read_text(encoding="utf-8"))}
    own = [q for q in entry.questions if q not in phrasings.get(entry_id, ())]  # phrasings.yaml joins them
    assert 6 <= len(own) <= 10
    assert any(not set("åäöÅÄÖ") & set(q) for q in entry.questions), "a question without å/ä/ö"
    own = [s for s in entry.next_steps if s.who == "individ"]
    assert len(own) == 1, entry_id
    assert "Nästa steg:" not in entry.answer.individual  # the template shows the step (finding #57)


def test_the_sickness_compensation_pathway_is_offered_and_names_the_three_year_rule(shipped_bot):
    reply = shipped_bot.ask("Kan en klient utan SGI få sjukersättning, vem gör vad?", "staff", "sv")
    assert reply.pathway is not None and reply.pathway.id == "sjukersattning_utan_sgi"
    pathway = reply.pathway
    notes = " ".join(node.note.staff or "" for node in pathway.nodes.values() if node.note)
    assert "minst tre års försäkringstid" in notes
    assert "19" in notes and "66" in notes
    actors = {step.actor for node in pathway.nodes.values() for step in node.plan}
    assert {"individ", "forsakringskassan", "halso_och_sjukvarden", "socialtjansten"} <= actors
