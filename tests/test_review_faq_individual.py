"""Findings of the December 2026 FAQ review (content-2026-12-faq.md) fixed in faq.yaml.

Each case asks the shipped bot what a person would ask and checks that the reply now carries the
rule, the consequence, the deadline or the route the review found missing, and no longer the
harmful wording.
"""

from __future__ import annotations

import re

import pytest
import yaml
from conftest import assert_person_reads

from bot.kb.schema import PERSON
from bot.settings import shipped_kb_dir

CASES = [
    # (finding, mode, question, must contain (all), must not contain (any))
    ("faq#1", "individual", "Jag är sjukskriven 50 procent, vad måste jag göra resten av tiden?",
     ["inskriven hos Arbetsförmedlingen", "försörjningsstöd bli lägre", "tre veckor"],
     ["kan du göra något annat den andra halvan"]),
    ("faq#2", "individual", "Måste jag söka jobb fast läkaren har sjukskrivit mig?",
     ["inskriven hos Arbetsförmedlingen", "skriftligt beslut", "överklaga det inom tre veckor"],
     ["kan du få göra något resten av tiden"]),
    ("faq#3", "individual",
     "Läkarintyget slutar gälla nästa vecka och jag får ingen tid förrän om en månad, vad händer?",
     ["räknar soc med att du kan arbeta", "mindre pengar", "Säg det till soc direkt"],
     ["vet socialtjänsten inte att du är sjuk"]),
    ("faq#5", "individual", "Försäkringskassan har dragit in min sjukpenning, vad kan jag göra?",
     ["två månader", "omprövning", "skriv in dig hos Arbetsförmedlingen direkt"],
     ["om du inte har följt reglerna"]),
    ("faq#6", "individual", "Jag fick ett brev där det står beslut, vad ska jag göra?",
     ["samma dag", "Vänta inte till nästa möte", "tre veckor", "två månader"],
     ["ta med breven till ditt nästa möte"]),
    ("faq#7", "individual", "Måste jag gå på SIP-mötet om jag inte orkar?",
     ["Nej, du måste inte", "gäller bara SIP-mötet", "påverka ditt försörjningsstöd"], []),
    ("faq#8", "individual", "Jag är 22 och kommer aldrig kunna arbeta, kan jag få sjukersättning?",
     ["juli det år du fyller 19", "hel sjukersättning", "bostadstillägg"],
     ["mellan 30 och 65", "Är du 19–29 år heter det aktivitetsersättning"]),
    # Answered by faq_i_maste_soka_jobb or faq_s_100_procent_sjukskriven: the facts, in either wording.
    ("faq#12", "individual", "Gäller aktivitetskravet mig som är sjukskriven?",
     ["aktivitetskrav", "tre månader", "klarar"], []),
    ("faq#12", "individual", "Hur många timmar måste jag arbetsträna?",
     ["aktivitetskrav", "anpassas efter vad du klarar"], []),
    ("faq#28", "individual", "Kan soc sänka mitt försörjningsstöd om jag inte följer rehabplanen?",
     ["påverka planen", "godtagbart skäl", "skriftligt beslut", "tre veckor"],
     ["kan bara din socialsekreterare svara"]),
    ("faq#29", "individual", "Hur lång tid har jag på mig att överklaga ett beslut från soc?",
     ["tre veckor", "två månader", "skriftligt beslut"], []),
    ("faq#35", "individual", "Jag har ingen bostad, vart vänder jag mig på kvällen?",
     ["socialjouren", "hemlöshetsjouren", "klockan 24", "112"], []),
    ("faq#36", "individual", "Jag har ångest och mår jättedåligt, var får jag hjälp?",
     ["90101", "mind.se", "S:t Görans sjukhus", "dygnet runt"], []),
    ("faq#47", "individual", "Kan jag välja vårdcentral utan BankID?",
     ["blankett", "lämna den på vårdcentralen"], []),
]


@pytest.mark.parametrize(("finding", "mode", "question", "wanted", "unwanted"), CASES)
def test_review_finding_is_fixed(shipped_bot, finding, mode, question, wanted, unwanted):
    assert_person_reads(shipped_bot, finding, mode, question, wanted, unwanted)


def test_refusing_a_measure_is_not_answered_with_the_sip_entry(shipped_bot):
    """faq#7: the SIP entry's generic keywords (måste jag, säga nej, tacka nej) no longer catch a
    question about saying no to praktik: whatever the reply, it is not "Nej, du måste inte"."""
    for question in ("Vad händer om jag säger nej till praktiken?",
                     "Vad händer om jag tackar nej till arbetsträningen?"):
        reply = shipped_bot.ask(question, "individual", "sv")
        assert reply.entry is None or reply.entry.id != "faq_i_maste_ga_pa_sip", question
        assert "Nej, du måste inte" not in reply.text and "SIP betyder" not in reply.text, question


def _individual_entries() -> list[dict]:
    return yaml.safe_load((shipped_kb_dir() / "faq.yaml").read_text(encoding="utf-8"))


def _lix(text: str) -> float:
    """LIX as the brief defines it: words/sentences + 100 × words longer than 6 letters / words,
    sentence ends . ! ? : (URLs one word; abbreviations and list numbers are no sentence ends)."""
    text = re.sub(r"https?://\S+", "URL", text)
    text = re.sub(r"\b(t\.ex\.|bl\.a\.|m\.fl\.|s\.k\.)", "x", text)
    text = re.sub(r"\b(\d+)\.", r"\1", text)
    words = re.findall(r"[\wåäöÅÄÖéü'’-]+", text)
    sentences = max(1, len(re.findall(r"[.!?:]+", text)))
    long_words = sum(1 for w in words if len(w.replace("-", "")) > 6)
    return len(words) / sentences + 100 * long_words / max(1, len(words))


def test_every_individual_faq_has_one_own_step_and_no_inline_next_step():
    """faq#57: the template shows the person's own step as "Nästa steg för dig"; the text does not
    repeat it, and there is exactly one such step, worded to the person."""
    for entry in _individual_entries():
        own = [s for s in entry.get("next_steps", []) if s["who"] == PERSON]
        assert len(own) == 1, entry["id"]
        assert not re.match(r"(Ansöker|Fyller|Hänvisar|Bokar|Gör|Kallar|Skickar) ", own[0]["do"]), entry["id"]
        for text in (entry["answer"]["individual"], entry["answer_en"]["individual"]):
            assert "Nästa steg" not in text and "Next step" not in text, entry["id"]


def test_individual_texts_are_easy_to_read():
    """Section 3 of the review and the brief: LIX at most 35 for every individual text."""
    for entry in _individual_entries():
        assert _lix(entry["answer"]["individual"]) <= 35, (entry["id"], round(_lix(entry["answer"]["individual"]), 1))
