"""The December 2026 content review (faq part), fixed in knowledge/faq_staff.yaml.

Each case asks the shipped bot what a person or a member of staff would ask and checks the reply
for the fixed wording and against the wording the review found wrong or harmful. The structural
tests below hold every faq_s entry to the review's rules: one next step of the person's own,
LIX at most 35 for every text an individual can get, the 2023 district facts, consistent English.
"""

from __future__ import annotations

import re

import pytest
from conftest import assert_person_reads

from bot.kb.schema import PERSON

CASES = [
    # (finding, mode, question, must contain (all), must not contain (any))
    ("faq#4", "individual", "Jag är sjuk men saknar läkarintyg, vad gör jag?",
     ["inskriven hos Arbetsförmedlingen", "Nästa steg för dig: Boka en tid"], ["säger sig vara sjuk"]),
    ("faq#4", "individual", "Läkaren vill inte sjukskriva mig, vad gör jag?",
     ["byta vårdcentral", "inskriven hos", "Nästa steg för dig: Be läkaren förklara"],
     ["så planerar socialtjänsten utifrån det"]),
    ("faq#9", "individual", "Jag kan nog inte arbeta heltid igen, kan jag få sjukersättning eller aktivitetsersättning?",
     ["Från 19 år kan du få hel sjukersättning", "minst tre år"], ["Är du 19–29 år heter det aktivitetsersättning"]),
    ("faq#9", "staff", "Från vilken ålder kan en klient utan SGI beviljas hel sjukersättning?",
     ["19", "riktåldern"], ["motsvarar det fas 5"]),
    ("faq#11", "individual", "Kan soc och vården prata om mig utan mitt samtycke?",
     ["ibland får eller måste lämna uppgifter"], ["Du bestämmer vilka som får prata och om vad"]),
    ("faq#11", "staff", "Finns det sekretessbrytande regler som gör att vi får lämna uppgifter till FK utan samtycke?",
     ["inte absolut", "uppgiftsskyldigheter"], ["bygger all samverkan"]),
    ("faq#44", "individual", "Jag har fått en ny socialsekreterare, måste vi börja om?",
     ["Nästa steg för dig: Be din nya socialsekreterare om ett möte", "kopia"], ["Gör överlämning", "informerar klienten"]),
    ("faq#44", "individual", "Jag har så mycket skulder att jag inte orkar med rehabiliteringen",
     ["Nästa steg för dig: Fråga din socialsekreterare"], ["Hänvisar till"]),
    ("faq#44", "individual", "Vad måste jag göra själv för att få rehabilitering?",
     ["Nästa steg för dig: Gå igenom stegen"], ["Ansöker hos FK"]),
    ("faq#44", "individual", "Betalar Försäkringskassan ut något om jag får samordning?",
     ["aktivitetsstöd", "Nästa steg för dig: Berätta för din socialsekreterare"], []),
    ("faq#48", "individual", "Jag är sjuk men läkaren skriver inget läkarintyg, vad händer nu?",
     ["Jag är sjuk men har inget läkarintyg – vad gör jag?"], ["säger sig vara sjuk", "klienten"]),
    ("faq#48", "individual", "Kostar det något för mig att vara med i Samordningsförbundets insatser?",
     ["Kostar Samordningsförbundets hjälp något för mig?", "kostar inget för dig"],
     ["Vem betalar för samordningsförbundets insatser"]),
    ("faq#12", "individual", "Jag är helt sjukskriven, måste jag ändå vara med på aktiviteter för att få försörjningsstöd?",
     ["aktivitetskravet", "Ditt läkarintyg visar vad du inte klarar"], []),
    ("faq#12", "individual", "Jag är rädd att förlora pengarna från soc om jag börjar arbetsträna",
     ["Arbetsträning utan lön är ingen inkomst", "överklaga det inom tre veckor"], []),
    ("faq#12", "staff", "Vi har aktivitetskrav nu – hur gäller det för en klient som är sjukskriven utan SGI?",
     ["inte automatiskt", "individuell plan"], []),
    ("faq#13", "staff", "Vi på vårdcentralen ska ringa patientens socialsekreterare, hur många stadsdelsförvaltningar finns det i Stockholm?",
     ["11 stadsdelsförvaltningar"], ["har 14"]),
    ("faq#14", "staff", "Hur når vi försörjningsstödet i Järva från vårdcentralen?",
     ["Järva (tidigare Rinkeby-Kista)", "kontrollera om"], ["i Rinkeby-Kista finns"]),
    ("faq#49", "individual", "Kan vårdcentralen kalla till SIP åt mig?",
     ["Det görs bara om du säger ja"], ["Du måste säga ja"]),
    ("faq#32", "individual", "Måste jag skriva under samtycket innan soc börjar hjälpa mig?",
     ["kan börja planera med dig ändå"], ["Skriv under så snart du kan"]),
    ("faq#10", "individual", "Fick alla i Rinkeby-Kista en egen plan?",
     ["ungefär 4 av 10", "Järva"], ["Varje person får"]),
]


@pytest.mark.parametrize(("finding", "mode", "question", "wanted", "unwanted"), CASES)
def test_review_finding_is_fixed(shipped_bot, finding, mode, question, wanted, unwanted):
    assert_person_reads(shipped_bot, finding, mode, question, wanted, unwanted)


def _staff_faq(shipped_bot):
    return [e for e in shipped_bot.kb.entries if e.id.startswith("faq_s_")]


def lix(text: str) -> float:
    """The review's LIX: words/sentences + 100 × long words (over 6 letters)/words; sentence ends
    . ! ? : ; a URL is one word; "t.ex."/"bl.a." and list numbers are no sentence ends."""
    text = re.sub(r"https?://\S+", "URL", text)
    text = re.sub(r"\b(t\.ex|bl\.a|d\.v\.s|m\.m|s\.k)\.", "X", text)
    text = re.sub(r"(?m)(^|\s)\d+[.)]\s", " ", text)
    words = re.findall(r"[0-9A-Za-zÅÄÖåäöéü][\w\-–]*", text)
    sentences = len(re.findall(r"[.!?:]+(?=\s|$)", text.strip())) or 1
    long_words = sum(1 for w in words if len(re.sub(r"[\-–]", "", w)) > 6)
    return len(words) / sentences + 100 * long_words / max(len(words), 1)


STAFF_STEP = re.compile(r"^(Ansöker|Hänvisar|Bokar|Ger|Säger|Tänker|Frågar|Ber|Gör|Söker|Hämtar|Kontaktar|"
                        r"Planerar|Bestämmer|Deltar)\b")


def test_every_staff_faq_an_individual_gets_has_one_own_step_worded_to_the_person(shipped_bot):
    """Finding #44: "Nästa steg för dig" is the person's own action, in the imperative."""
    for entry in _staff_faq(shipped_bot):
        if entry.audience == "staff":
            continue
        own = [s for s in entry.next_steps if s.who == PERSON]
        assert len(own) == 1, (entry.id, len(own))
        assert not STAFF_STEP.match(own[0].do), (entry.id, own[0].do)
        assert "klient" not in own[0].do.lower(), entry.id
        assert own[0].do_en and not re.search(r"\b(FK|AF)\b", own[0].do_en), entry.id


def test_every_individual_text_of_a_staff_faq_is_easy_to_read(shipped_bot):
    """LIX worst list: at most 35 for every text an individual can get."""
    for entry in _staff_faq(shipped_bot):
        if entry.audience == "staff":
            continue
        assert lix(entry.answer.individual) <= 35, (entry.id, round(lix(entry.answer.individual), 1))
        assert "Nästa steg" not in entry.answer.individual, entry.id  # finding #57


def test_no_staff_title_reaches_the_person_with_suspicion(shipped_bot):
    """Finding #48."""
    for entry in _staff_faq(shipped_bot):
        for title in (entry.title, entry.title_individual, entry.title_en, entry.title_individual_en):
            assert "säger sig" not in (title or "") and "says they are" not in (title or ""), entry.id


def test_district_facts_and_consent_wording(shipped_bot):
    """Findings #13, #14, #49: 11 districts since 2023, Rinkeby-Kista named with Järva where it
    speaks to the person, consent never phrased as a duty."""
    for entry in _staff_faq(shipped_bot):
        texts = [entry.answer.staff or "", entry.answer.individual or ""]
        assert not any(re.search(r"har 14\s+stadsdelsförvaltningar", t) for t in texts), entry.id
        assert "Du måste säga ja" not in entry.answer.individual, entry.id
        title = entry.title_individual or ""
        if "Rinkeby-Kista" in entry.answer.individual or "Rinkeby-Kista" in title:
            assert "Järva" in entry.answer.individual + title, entry.id


def test_english_terms_are_consistent(shipped_bot):
    """Findings #54 and #55: one term for personligt ombud and Föräldrabalken; god man explained;
    no FK/AF abbreviations in English texts for individuals."""
    for entry in _staff_faq(shipped_bot):
        english = " ".join(t or "" for t in (entry.answer_en.staff, entry.answer_en.individual,
                                             entry.title_en, entry.title_individual_en))
        assert "ombudsman" not in english and "Parental Code" not in english, entry.id
        if "god man" in english:
            assert "trustee (god man)" in english, entry.id
        assert not re.search(r"\b(FK|AF)\b", entry.answer_en.individual), entry.id
        assert " a time" not in entry.answer_en.individual, entry.id
