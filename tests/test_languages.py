"""The languages the individuals speak: which language a message is in, answers in it from the
translations in the knowledge files, what kb check says about them, and the wording of every
language complete."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
import yaml

from bot.answers.render import RLM, labels
from bot.kb import read_directory
from bot.kb.translations import LANGUAGES, fingerprint
from bot.service import Rehabbot, answer_language
from bot.settings import LANGS, shipped_kb_dir
from bot.text.language import detect

# -- which language --------------------------------------------------------------

@pytest.mark.parametrize(("message", "lang"), [
    ("vem kallar till sip", "sv"),
    ("I got a letter from Försäkringskassan, what does it mean", "en"),
    ("كيف أتواصل مع Försäkringskassan", "ar"),  # a Swedish name inside Arabic
    ("انا مريض وليس عندي مال", "ar"),
    ("چطور از Försäkringskassan پول بگیرم", "fa"),
    ("من مریض هستم و پول ندارم", "fa"),
    ("waxaan ahay xanuunsan, soc ma i caawin karaa", "so"),
    ("ሰላም Försäkringskassan ከመይ ይሕግዘኒ", "ti"),
    ("hastayım ve hiç param yok ne yapmalıyım", "tr"),
    ("nasil basvuru yapilir", "tr"),  # without Turkish letters
    ("jak mam dostać pieniądze z soc", "pl"),
    ("jestem chory i nie mam pieniedzy co robic", "pl"),  # without Polish letters
    ("nie wiem co robić z läkarintyg", "pl"),
])
def test_the_language_of_a_message_survives_the_swedish_names_in_it(message: str, lang: str) -> None:
    assert detect(message) == lang


@pytest.mark.parametrize("message", ["xyzzy qwerty", "kontakt", "asdf ghjk", "😀", "123"])
def test_a_message_that_proves_nothing_has_no_language(message: str) -> None:
    assert detect(message) in (None, "sv")


def test_a_turkish_question_with_a_word_swedish_also_has_is_read_in_turkish(shipped_bot: Rehabbot) -> None:
    # "var" (Turkish: there is) is also a Swedish function word: stemmed as Swedish, the question
    # would meet none of the Turkish translations' words.
    question = "Gelecek hafta SIP toplantım var. Orada neler sorabilirim?"
    analysis = shipped_bot.snapshot.index.analyzer.analyze(question)
    assert analysis.lang == "tr"
    assert any(t.text.startswith("tr:") and t.how == "exact" for t in analysis.terms)
    assert shipped_bot.snapshot.index.analyzer.analyze("vad var det som hände på sip-mötet").lang == "sv"


def test_the_setting_holds_unless_the_message_is_clearly_another_language() -> None:
    assert answer_language("كيف أتواصل مع Försäkringskassan", "sv") == "ar"
    assert answer_language("ok", "en") == "en" and answer_language("SIP", "en") == "en"  # too short to tell
    assert answer_language("vem kallar till sip", "en") == "sv"
    assert answer_language("xyzzy qwerty", "pl") == "pl"


# -- answers in the language -------------------------------------------------------

def test_an_arabic_question_gets_the_arabic_translation_with_its_notes(shipped_bot: Rehabbot) -> None:
    reply = shipped_bot.ask("أنا مريض وليس عندي مال ماذا أفعل", "individual", "sv")
    assert reply.lang == "ar" and reply.offer_language
    assert reply.entry is not None and reply.entry.translation("ar") is not None
    L = labels()["ar"]
    assert reply.entry.translation("ar").title in reply.text
    assert L["machine_note"] in reply.text  # not reviewed by a person: said in Arabic
    assert L["interpreter"] in reply.text  # how to get an interpreter, in every such answer
    assert all(line.startswith(RLM) for line in reply.text.splitlines() if line.strip())  # right to left


def test_an_entry_without_a_translation_is_shown_in_swedish_and_says_so(shipped_bot: Rehabbot) -> None:
    translated = next(e for e in shipped_bot.kb.entries if e.audience != "staff")
    entry = translated.model_copy()
    entry._translations = {}  # as an entry added since the last translation
    from bot.answers import render_entry
    text = render_entry(entry, shipped_bot.kb, "individual", "tr")
    assert labels()["tr"]["not_translated"] in text and entry.answer.for_mode("individual").split()[0] in text
    assert labels()["tr"]["interpreter"] in text


def test_swedish_and_english_answers_say_nothing_about_interpreters_or_translation(shipped_bot: Rehabbot) -> None:
    for lang in ("sv", "en"):
        text = shipped_bot.ask("jag är sjuk och har inga pengar", "individual", lang).text
        assert labels()[lang]["interpreter"] not in text and labels()[lang]["machine_note"] not in text


def test_the_web_format_gets_no_direction_marks_but_a_link_to_the_swedish(shipped_bot: Rehabbot) -> None:
    reply = shipped_bot.ask("أنا مريض وليس عندي مال ماذا أفعل", "individual", "ar", fmt="web")
    assert RLM not in reply.text
    assert f'href="/kunskap/{reply.entry.id}?lang=sv"' in reply.text


def test_a_crisis_in_polish_gets_the_crisis_reply_in_polish_first(shipped_bot: Rehabbot) -> None:
    reply = shipped_bot.ask("nie chce mi sie zyc, chce sie zabic", "individual", "sv")
    assert reply.status == "crisis" and reply.lang == "pl"
    assert reply.text.startswith(labels()["pl"]["crisis"]["individual_intro"]) and "112" in reply.text


def test_the_shipped_translations_are_fresh_and_cover_what_individuals_meet_most() -> None:
    kb, problems = read_directory(shipped_kb_dir())
    assert kb is not None
    outdated = [p for p in problems if "har ändrats sedan översättningen" in p.message]
    assert outdated == []
    for lang in LANGUAGES:
        translated = [e for e in kb.entries if e.translation(lang) is not None]
        assert len(translated) >= 70, lang
        assert all(len(e.translation(lang).questions) >= 2 for e in translated)


# -- kb check on translations ------------------------------------------------------

@pytest.fixture
def kb_with_translations(tmp_path: Path) -> Path:
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "faq.yaml").write_text(
        "- id: pengar\n  title: Jag har inga pengar\n  audience: individual\n  answer: Sök försörjningsstöd hos soc.\n"
        "- id: tolk\n  title: Tolk\n  answer: Be om tolk.\n", encoding="utf-8")
    (kb / "translations").mkdir()
    return kb


def write(kb: Path, lang: str, body: str) -> None:
    (kb / "translations" / f"{lang}.yaml").write_text(f"language: {lang}\n{body}", encoding="utf-8")


def test_a_fresh_translation_is_used_and_an_outdated_one_is_named_by_line_and_not_shown(
        kb_with_translations: Path) -> None:
    kb_dir = kb_with_translations
    first, _ = read_directory(kb_dir)
    assert first is not None
    fresh = fingerprint(first.get("pengar"))
    write(kb_dir, "so", f"entries:\n  - id: pengar\n    translated: 2026-12-02\n    source: {fresh}\n"
                        "    title: Lacag ma haysto\n    answer: Codso försörjningsstöd.\n"
                        "    questions: [lacag la'aan]\n"
                        "  - id: tolk\n    translated: 2026-12-02\n    source: \"000000000000\"\n"
                        "    title: Turjumaan\n    answer: Weydii turjumaan.\n")
    kb, problems = read_directory(kb_dir)
    assert kb is not None, [str(p) for p in problems]
    assert kb.get("pengar").title_in("so", "individual") == "Lacag ma haysto"
    assert kb.get("tolk").translation("so") is None  # made from another Swedish text
    stale = [str(p) for p in problems if "har ändrats sedan översättningen" in p.message]
    assert len(stale) == 1 and re.search(r"translations/so\.yaml:9: warning: 'tolk'", stale[0])
    bot = Rehabbot(kb_dir, kb=kb)
    assert bot.ask("lacag la'aan", "individual", "so").entry.id == "pengar"


def test_a_broken_translation_file_names_file_and_line(kb_with_translations: Path) -> None:
    write(kb_with_translations, "tr", "entries:\n  - id: pengar\n    translated: igår\n    source: abc\n")
    kb, problems = read_directory(kb_with_translations)
    assert kb is None
    errors = [str(p) for p in problems if not p.warning]
    assert any(re.search(r"translations/tr\.yaml:\d+: ", e) for e in errors), errors
    write(kb_with_translations, "tr", "")  # the language field must name the file's language
    (kb_with_translations / "translations" / "tr.yaml").write_text("language: pl\n", encoding="utf-8")
    kb, problems = read_directory(kb_with_translations)
    assert kb is None and any("'language' ska vara filens namn (tr)" in p.message for p in problems)


def test_kb_check_says_how_many_entries_lack_a_translation(kb_with_translations: Path) -> None:
    write(kb_with_translations, "pl", "entries: []\n")
    _, problems = read_directory(kb_with_translations)
    assert any(p.warning and "2 poster som en individ kan få saknar översättning till pl" in p.message
               for p in problems)


# -- the wording of every language ---------------------------------------------------

def _keys(tree: object, prefix: str = "") -> set[str]:
    if isinstance(tree, dict):
        return {k for key, value in tree.items() for k in _keys(value, f"{prefix}.{key}")} | {prefix}
    return {prefix}


@pytest.mark.parametrize("lang", [lang for lang in LANGS if lang not in ("sv", "en")])
def test_every_language_has_every_wording_with_the_same_placeholders_and_numbers(lang: str) -> None:
    raw = yaml.safe_load((Path(__file__).parent.parent / "bot" / "answers" / f"labels_{lang}.yaml")
                         .read_text(encoding="utf-8"))[lang]
    swedish = labels()["sv"]
    missing = sorted(k for k in _keys({k: v for k, v in swedish.items() if k != "admin"}) - _keys(raw)
                     if not k.startswith(".web.lang_names."))  # each language's own name, the same in all
    assert missing == []

    def strings(tree: object, path: str = "") -> dict[str, str]:
        if isinstance(tree, dict):
            return {p: s for k, v in tree.items() for p, s in strings(v, f"{path}.{k}").items()}
        if isinstance(tree, list):
            return {p: s for i, v in enumerate(tree) for p, s in strings(v, f"{path}[{i}]").items()}
        return {path: tree} if isinstance(tree, str) else {}
    theirs = strings(raw)
    for path, text in strings({k: v for k, v in swedish.items() if k != "admin"}).items():
        if path.startswith(".web.lang_names."):
            continue
        assert sorted(re.findall(r"\{\w*\}", text)) == sorted(re.findall(r"\{\w*\}", theirs[path])), path
        for number in re.findall(r"\b(?:112|90101|1177)\b", text):
            assert number in theirs[path], path


def test_a_knowledge_copy_without_translations_answers_as_before(tmp_path: Path) -> None:
    copy = tmp_path / "kb"
    shutil.copytree(shipped_kb_dir(), copy)
    shutil.rmtree(copy / "translations")
    plain, translated = Rehabbot(copy, cache=False), Rehabbot(shipped_kb_dir(), cache=False)
    for question in ("vem kallar till sip", "jag är sjuk och har inga pengar", "vad gör finsamteam",
                     "kan jag få tolk på mötet", "hur överklagar jag ett beslut från fk"):
        a, b = plain.ask(question, "individual"), translated.ask(question, "individual")
        assert (a.status, a.entry.id if a.entry else None) == (b.status, b.entry.id if b.entry else None), question


def test_a_translated_text_with_as_many_latin_letters_is_still_the_translations_own():
    """"شو يعني FINSAM؟": six Arabic letters, six Latin ones. Decided by a set's order, this
    changed from one process to the next with Python's string hashing, and the index with it."""
    import subprocess
    import sys
    code = ("from bot.text.language import _script_of_text as s, own_words as o;"
            "print(s('شو يعني FINSAM؟'), o('شو يعني finsam؟'))")
    for seed in range(4):  # each process hashes strings its own way
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                             env={**os.environ, "PYTHONHASHSEED": str(seed)}, cwd=Path(__file__).parent.parent)
        assert out.stdout.split() == ["arabic", "شو", "يعني"]  # the Latin name inside it is a name
