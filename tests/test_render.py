"""Answers read differently per mode and language, and never invent."""

from __future__ import annotations

from bot.answers import render_entry, render_match
from bot.matching import FALLBACK, Match


def test_a_staff_answer_has_the_facts_a_professional_needs(small_bot):
    text = small_bot.ask("Vad gör Försäkringskassan?", "staff", "sv").text
    assert text.startswith("Försäkringskassan\n")
    assert "samordnar den arbetslivsinriktade rehabiliteringen" in text
    assert "Gör inte:\n- Betalar inte ut pengar" in text
    assert "Nästa steg:\n1. Individen: Ansök om samordning." in text
    assert "Kontakt:\n- Kundcenter: 0771-524 524, https://www.forsakringskassan.se" in text
    assert "Se även: Samordnad individuell plan (SIP)" in text
    assert "Källa: SFB 30 kap. (granskad 2026-11-24)" in text


def test_an_individual_answer_is_short_and_personal(small_bot):
    text = small_bot.ask("Vad gör Försäkringskassan?", "individual", "sv").text
    assert "kan hjälpa dig att få stöd" in text
    assert "Vem kan hjälpa dig: Kundcenter, 0771-524 524" in text
    assert "Nästa steg för dig: Ansök om samordning." in text
    assert "Källa" not in text and "Gör inte" not in text  # no staff apparatus
    assert len(text.splitlines()) <= 8


def test_english_uses_the_english_text_and_labels(small_bot):
    text = small_bot.ask("What does the Social Insurance Agency do?", "staff", "en").text
    assert text.startswith("The Social Insurance Agency\n")
    assert "coordinates work-oriented rehabilitation" in text
    assert "Next steps:\n1. The individual: Apply for coordination." in text


def test_english_falls_back_to_swedish_with_a_note(small_bot):
    entry = small_bot.kb.by_id["socialtjansten"]
    text = render_entry(entry, small_bot.kb, "individual", "en")
    assert "not yet available in English" in text
    assert "Socialtjänsten kan ge dig pengar" in text


def test_a_fallback_says_it_does_not_know_and_where_to_turn(small_bot):
    match = Match(FALLBACK, "x", ())
    sv = render_match(match, small_bot.kb, "staff", "sv")
    assert sv.startswith("Det vet jag tyvärr inte")
    for contact in ("handläggare", "Samordningsförbundet", "1177", "0771-524 524", "0771-416 416"):
        assert contact in sv
    en = render_match(match, small_bot.kb, "individual", "en")
    assert en.startswith("Sorry, I don't know that.")


def test_suggestions_are_numbered_choices(ambiguous_kb):
    from bot.service import Rehabbot
    reply = Rehabbot(ambiguous_kb).ask("kontakt", "staff", "sv")
    assert reply.status == "suggest"
    lines = reply.text.splitlines()
    assert lines[0] == "Jag är inte säker på vad du menar. Menade du:"
    assert sorted(lines[1:3]) == ["1. Kontakt med Arbetsförmedlingen", "2. Kontakt med Försäkringskassan"] or \
        sorted(lines[1:3]) == ["1. Kontakt med Försäkringskassan", "2. Kontakt med Arbetsförmedlingen"]


def test_every_entry_renders_in_every_mode_and_language(small_bot):
    for entry in small_bot.kb.entries:
        for mode in ("staff", "individual"):
            for lang in ("sv", "en"):
                text = render_entry(entry, small_bot.kb, mode, lang)
                assert text and "{{" not in text and "\n\n\n" not in text


def test_the_individual_reads_their_own_next_step_first(kb_copy):
    from bot.service import Rehabbot
    path = kb_copy / "insatser.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "      do: Kallar till SIP-möte.\n",
        "      do: Kallar till SIP-möte.\n    - who: individ\n      do: Säg ja eller nej till SIP.\n"),
        encoding="utf-8")
    bot = Rehabbot(kb_copy)
    individual = bot.ask("Vem kallar till SIP?", "individual", "sv").text
    assert "Nästa steg för dig: Säg ja eller nej till SIP." in individual
    staff = bot.ask("Vem kallar till SIP?", "staff", "sv").text
    assert "1. Socialtjänsten: Kallar till SIP-möte.\n2. Individen: Säg ja eller nej till SIP." in staff


def test_sources_read_as_document_titles_with_links_and_never_as_file_names(kb_copy):
    from bot.service import Rehabbot
    path = kb_copy / "insatser.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        '  sources: ["004_7d8eed09569d1593.txt, avsnitt SIP-samordnare"]',
        '  sources:\n    - "004_7d8eed09569d1593.txt, avsnitt SIP-samordnare"\n'
        '    - {title: "forsakringskassan.se: Samordning", url: https://www.forsakringskassan.se/samordning}'),
        encoding="utf-8")
    bot = Rehabbot(kb_copy)
    sip = bot.kb.by_id["sip"]
    text = render_entry(sip, bot.kb, "staff", "sv")
    assert ("Källa: Stockholmsmodellen – slutrapport, Samordningsförbundet Stockholms stad (juni 2019), "
            "avsnitt SIP-samordnare; forsakringskassan.se: Samordning (https://www.forsakringskassan.se/samordning)"
            in text), text
    html = render_entry(sip, bot.kb, "staff", "sv", "telegram")
    assert '<a href="https://www.forsakringskassan.se/samordning">forsakringskassan.se: Samordning</a>' in html
    assert "7d8eed09569d1593" not in text + html


def test_an_editorial_note_is_for_staff_only(kb_copy):
    from bot.service import Rehabbot
    path = kb_copy / "insatser.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "  reviewed: 2026-11-24\n", "  staff_note: Rapporten från 2019 hänvisar till den gamla lagen.\n"
                                    "  reviewed: 2026-11-24\n", 1), encoding="utf-8")
    bot = Rehabbot(kb_copy)
    entry = next(e for e in bot.kb.entries if e.staff_note)
    assert "Not: Rapporten från 2019 hänvisar till den gamla lagen." in render_entry(entry, bot.kb, "staff", "sv")
    for fmt in ("text", "telegram"):
        assert "gamla lagen" not in render_entry(entry, bot.kb, "individual", "sv", fmt)


def test_every_fallback_says_the_service_is_automated_not_a_person(small_bot):
    # EU AI Act art. 50: a person talking to the bot is told it is not a human.
    fallback = Match(FALLBACK, "vem vann melodifestivalen", ())
    for mode in ("staff", "individual"):
        for fmt in ("text", "telegram"):
            assert "automatisk tjänst, inte en människa" in render_match(fallback, small_bot.kb, mode, "sv", fmt)
            assert "automated service, not a person" in render_match(fallback, small_bot.kb, mode, "en", fmt)
