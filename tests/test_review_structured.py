"""The December 2026 content review (structured entries): each fixed finding, asked as a person would.

Findings are numbered as in reviews/content-2026-12-structured.md; the other cases guard the
public facts checked with them (the a-kassa law of 2024, sjukersättning ages, ALI's end,
the 11 stadsdelsförvaltningar, the status of Finsamteam and Aktivitetsplatsen).
"""

from __future__ import annotations

import pytest
from conftest import assert_person_reads

from bot.pathways.walk import Walk

CASES = [
    # (finding, mode, question, must contain (all), must not contain (any))
    ("#5", "individual", "Vad är en rehabplan hos soc?", ["I vissa stadsdelar"], []),
    ("#11", "staff", "Förklara fasmodellen 0–5 för rehabärenden", ["Rinkeby-Kista"], []),
    ("#12", "staff", "Vad är en Rehabiliteringsförfrågan och vem skickar den?", ["ersätter inte"], []),
    ("#13", "staff", "Måste socialtjänsten anmäla till överförmyndaren när en klient behöver god man?",
     # god_man or faq_s_anmala_god_man: "skyldig att anmäla" / "ska anmäla", never "kan anmäla".
     ["anmäla till överförmyndaren"], ["kan anmäla behov"]),
    ("#15", "individual", "Jag har blivit uppsagd, hur behåller jag min SGI?",
     ["Skriv in dig hos Arbetsförmedlingen samma dag"], []),
    ("#15", "staff", "Vem ska en anställd sjukanmäla sig till första sjukdagen?", ["sjuklön"], []),
    ("#15 sgi_skydd", "staff", "Vad betyder arbetssökande med förhinder för SGI:n?", ["förhinder"], []),
    ("#6", "staff", "Från vilken ålder kan man få hel sjukersättning?",
     ["juli det år personen fyller 19", "66 år"], ["30–65"]),
    ("a-kassa", "staff", "Vilken lag gäller för a-kassan sedan oktober 2025?", ["2024:506"], []),
    ("finsamteam", "staff", "Finns Finsamteamen inom vården kvar?", ["psykiatrin"], []),
    # Dated ("år 2020 fanns den", "startade 2019") and the person told to ask whether it is still there.
    ("aktivitetsplatsen", "individual", "Finns Aktivitetsplatsen fortfarande?", ["finns kvar"], []),
    ("fk samverkan", "staff", "Vem på FK ska soc kontakta om rutiner för samverkan, inte ett enskilt ärende?",
     ["samverkansansvariga"], []),
    ("hemlös", "individual", "Jag är hemlös i Stockholm, vart vänder jag mig först?",
     ["senast var folkbokförd"], []),
    ("sip", "staff", "Vad ska stå i en samordnad individuell plan och när ska arbetet börja?",
     ["utan dröjsmål"], []),
    ("#1 ALI", "staff", "När upphörde arbetslivsintroduktionen ALI?", ["31 januari 2016"], []),
]


@pytest.mark.parametrize(("finding", "mode", "question", "wanted", "unwanted"), CASES)
def test_review_finding_is_fixed(shipped_bot, finding, mode, question, wanted, unwanted):
    assert_person_reads(shipped_bot, finding, mode, question, wanted, unwanted)


# Entry texts that the matcher does not reach with one obvious question.
TEXTS = [
    # (finding, entry id, mode, must contain (all), must not contain (any))
    ("#12", "rehabiliteringsforfragan", "staff", ["ersätter inte"], []),
    ("#12", "rehabiliteringsforfragan", "individual", ["stadsdel"], []),
    ("#13", "god_man", "staff", ["skyldig att anmäla", "överförmyndaren"], []),
    ("#13", "vem_utser_god_man", "staff", ["överförmyndaren"], []),
    ("sdf", "socialtjansten", "staff", ["11 stadsdelsförvaltningar", "Järva"], []),
    ("#5/#11", "samordnare_rehabarenden", "staff", ["Rinkeby-Kista", "Järva"], []),
    ("#6", "vem_beslutar_sjukersattning", "staff", ["19", "30", "riktålder"], []),
    ("a-kassa", "a_kassa", "staff", ["2024:506", "1 oktober 2025"], []),
    ("#1 ALI", "vem_gor_gemensam_kartlaggning", "staff", ["2016"], []),
]


@pytest.mark.parametrize(("finding", "entry_id", "mode", "wanted", "unwanted"), TEXTS)
def test_entry_text_is_fixed(shipped_bot, finding, entry_id, mode, wanted, unwanted):
    entry = shipped_bot.kb.get(entry_id)
    assert entry is not None, (finding, entry_id)
    text, _ = entry.text_in(mode, "sv")
    for part in wanted:
        assert part in text, (finding, entry_id, part)
    for part in unwanted:
        assert part not in text, (finding, entry_id, part)


# Actors and insatser a person is sent to: each gives a public way to reach it.
SENT_TO = ["forsakringskassan", "arbetsformedlingen", "socialtjansten", "halso_och_sjukvarden",
           "rehabkoordinator", "jobbtorg", "samordningsforbundet", "finsamteam", "aktivitetsplatsen",
           "sip", "samordning_ansokan", "enheten_for_hemlosa", "personligt_ombud", "god_man",
           "boendestod", "lss", "skuldradgivning", "a_kassa", "arbetsprovning"]


@pytest.mark.parametrize("entry_id", SENT_TO)
def test_a_person_can_reach_where_they_are_sent(shipped_bot, entry_id):
    entry = shipped_bot.kb.get(entry_id)
    assert entry is not None and entry.contacts, entry_id
    first = entry.contacts[0]
    assert first.url or first.phone or first.role, entry_id


# A step for the person says what the person does, not what someone else does.
THIRD_PARTY_OPENINGS = ("socialsekreteraren ", "handläggaren ", "försäkringskassan ", "arbetsförmedlingen ",
                        "vården ", "läkaren ", "soc ", "personen ", "klienten ", "hen ")


def test_individ_steps_are_the_persons_own_action(shipped_bot):
    wrong = []
    for entry in shipped_bot.kb.entries:
        for step in entry.next_steps:
            if step.who == "individ" and step.do.lower().startswith(THIRD_PARTY_OPENINGS):
                wrong.append((entry.id, step.do))
    for pathway in shipped_bot.kb.pathways:
        for name, node in pathway.nodes.items():
            for step in node.plan:
                said = step.do.individual or ""
                if step.actor == "individ" and said.lower().startswith(THIRD_PARTY_OPENINGS):
                    wrong.append((pathway.id, name, said))
    assert not wrong, wrong


def test_an_employee_without_money_is_sent_to_the_employer_first(shipped_bot):
    """#15: someone with a job gets sjuklön from the employer, not sjukpenning from day one."""
    walk = Walk.start(shipped_bot.kb.pathway("sjuk_inga_pengar")).choose(0)
    assert walk.node_name == "plan_anstalld" and walk.finished
    first = walk.node.plan[0]
    assert first.actor == "individ"
    assert "arbetsgivare" in first.do.individual and first.do.individual.startswith("Sjukanmäl dig")
    assert "sjuklön" in walk.node.note.individual
