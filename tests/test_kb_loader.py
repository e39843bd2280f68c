"""The loader accepts valid knowledge and names file and line of every mistake."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.kb import KnowledgeBaseInvalid, check_directory, load_knowledge_base


def errors(directory: Path) -> list[str]:
    return [str(p) for p in check_directory(directory) if not p.warning]


def plant(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture changed: {old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


def test_a_valid_directory_loads_every_entry(small_kb_dir):
    kb = load_knowledge_base(small_kb_dir)
    assert {e.id for e in kb.entries} == {"forsakringskassan", "socialtjansten", "halso_och_sjukvarden",
                                          "sip", "finsamteam", "faq_sgi"}
    assert kb.by_id["sip"].kind == "insats"  # the default kind comes from the file name
    assert kb.by_id["forsakringskassan"].kind == "actor"
    assert kb.origins["sip"][1] == 1
    assert check_directory(small_kb_dir) == []


def test_the_minimal_faq_directory_of_the_contract_is_valid():
    directory = Path(__file__).parent / "fixtures" / "faq_minimal"
    kb = load_knowledge_base(directory)
    titles = {e.id: e.display_title for e in kb.entries}
    assert titles == {"opening_hours": "När är ni öppna?", "parking": "Parkering", "wifi": "wifi"}
    assert all(e.kind == "faq" for e in kb.entries)
    assert errors(directory) == []


def test_a_loaded_knowledge_base_is_immutable(small_kb_dir):
    kb = load_knowledge_base(small_kb_dir)
    with pytest.raises(ValidationError, match="frozen"):
        kb.entries[0].title = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        kb.by_id["x"] = kb.entries[0]  # type: ignore[index]


@pytest.mark.parametrize(("file", "old", "new", "needle", "message"), [
    ("insatser.yaml", "  title: Finsamteam\n", "  titel: Finsamteam\n", "titel:",
     "okänt fält 'titel' (menade du 'title'?)"),
    ("faq.yaml", "  title: Vad är SGI?\n  topics: [sgi]\n  answer:", "  title: Vad är SGI?\n  topics: [sgi]\n  svar:",
     "svar:", "okänt fält 'svar'"),
    ("faq.yaml", "  reviewed: 2026-11-24", "  reviewed: 2026-13-45", "2026-13-45", "inget giltigt datum"),
    ("actors.yaml", "      phone: 0771-524 524", "      phone: ring oss", "ring oss", "ogiltigt telefonnummer"),
    ("actors.yaml", "      url: https://www.forsakringskassan.se", "      url: www.forsakringskassan",
     "www.forsakringskassan", "ogiltig webbadress"),
    ("insatser.yaml", "  related: [forsakringskassan]", "  related: [forsakringskasan]", "forsakringskasan",
     "'related' pekar på 'forsakringskasan', som inte finns (menade du 'forsakringskassan'?)"),
    ("faq.yaml", "  topics: [sgi]", "  topics: [sgii]", "[sgii]", "okänt ämne 'sgii'"),
    ("insatser.yaml", "  keywords: [finsamteam, jobbtorg]", "  keywords: finsamteam", "keywords: finsamteam",
     "ska vara en lista"),
    ("insatser.yaml", "  keywords: [finsamteam, jobbtorg]", "  keywords: [finsamteam, 1177]", "1177]",
     "'keywords' ska vara text: sätt citattecken runt 1177"),
    ("insatser.yaml", "    - who: socialtjansten", "    - who: soc", "who: soc", "'who' ska vara en aktör"),
    ("insatser.yaml", "    - Hur kommer man till finsamteamet?", "    - vad betyder sgi", "- vad betyder sgi",
     "exempelfrågan 'vad betyder sgi' finns redan under 'faq_sgi'"),
    ("insatser.yaml", "- id: finsamteam", "- id: faq_sgi", "id: faq_sgi", "id 'faq_sgi' finns redan"),
    ("insatser.yaml", "004_7d8eed09569d1593.txt, avsnitt SIP", "005_7d8eed09569d1593.txt, avsnitt SIP", "005_7d8",
     "källdokumentet '005_7d8eed09569d1593.txt' finns inte i sources.yaml"),
    ("faq.yaml", "  answer:\n    staff: SGI", "  answr:\n    staff: SGI", "answr:",
     "obligatoriskt fält 'answer' saknas"),
])
def test_each_kind_of_mistake_is_reported_with_file_and_line(kb_copy, file, old, new, needle, message):
    path = kb_copy / file
    plant(path, old, new)
    found = errors(kb_copy)
    expected_line = line_of(path, needle)
    # The missing field is reported at the entry's first line.
    if message.startswith("obligatoriskt"):
        expected_line = line_of(path, "- id: faq_sgi")
    assert any(e.startswith(f"{path}:{expected_line}: ") and message in e for e in found), found


def test_a_yaml_syntax_error_names_file_and_line(kb_copy):
    path = kb_copy / "faq.yaml"
    plant(path, "  keywords: [sgi, sgi 0, nollplacerad]", "  keywords: [sgi, sgi 0, nollplacerad")
    found = errors(kb_copy)
    assert len(found) == 1 and found[0].startswith(f"{path}:") and "YAML-syntaxfel" in found[0]


def test_a_duplicate_key_is_an_error_not_a_silent_overwrite(kb_copy):
    path = kb_copy / "insatser.yaml"
    plant(path, "  title: Finsamteam\n", "  title: Finsamteam\n  title: Finsamteamet\n")
    found = errors(kb_copy)
    assert f"{path}:{line_of(path, 'title: Finsamteamet')}: fältet 'title' förekommer två gånger" in "\n".join(found)


def test_every_problem_is_reported_in_one_run(kb_copy):
    plant(kb_copy / "insatser.yaml", "  title: Finsamteam\n", "  titel: Finsamteam\n")
    plant(kb_copy / "faq.yaml", "  reviewed: 2026-11-24", "  reviewed: igår")
    plant(kb_copy / "actors.yaml", "      phone: 0771-524 524", "      phone: x")
    plant(kb_copy / "insatser.yaml", "  related: [forsakringskassan]", "  related: [nowhere]")
    plant(kb_copy / "faq.yaml", "  topics: [sgi]", "  topics: [nope]")
    found = errors(kb_copy)
    assert len(found) == 5, found
    assert {Path(e.split(":")[0]).name for e in found} == {"insatser.yaml", "faq.yaml", "actors.yaml"}


def test_an_invalid_directory_raises_with_every_problem(kb_copy):
    plant(kb_copy / "faq.yaml", "  topics: [sgi]", "  topics: [nope]")
    with pytest.raises(KnowledgeBaseInvalid) as caught:
        load_knowledge_base(kb_copy)
    assert "okänt ämne 'nope'" in str(caught.value)


def test_old_reviews_are_warnings_that_do_not_fail(kb_copy):
    plant(kb_copy / "faq.yaml", "  reviewed: 2026-11-24", "  reviewed: 2020-01-01")
    problems = check_directory(kb_copy, max_age_days=365, today=dt.date(2026, 11, 24))
    assert [p.warning for p in problems] == [True]
    assert "warning: posten 'faq_sgi' granskades senast 2020-01-01" in str(problems[0])
    assert load_knowledge_base(kb_copy).by_id["faq_sgi"]


def test_an_empty_or_missing_directory_is_an_error(tmp_path):
    assert "inga postfiler" in errors(tmp_path)[0]
    assert "finns inte" in errors(tmp_path / "nowhere")[0]


def test_a_file_that_is_not_a_list_is_an_error(tmp_path):
    (tmp_path / "faq.yaml").write_text("id: a\nanswer: b\n", encoding="utf-8")
    assert errors(tmp_path) == [
        f"{tmp_path / 'faq.yaml'}:1: filen ska vara en lista av poster (rader som börjar med '- ')"]


def test_an_individual_text_harder_than_easy_swedish_is_a_warning(kb_copy):
    from bot.text.readability import lix
    hard = ("Samordningsförbundet finansierar tillsammans med myndigheterna arbetslivsinriktade "
            "rehabiliteringsinsatser för individer med sammansatta behov av samordnade insatser.")
    assert lix(hard) > 35
    path = kb_copy / "insatser.yaml"
    text = path.read_text(encoding="utf-8")
    individual = next(line for line in text.splitlines() if line.startswith("    individual: "))
    plant(path, individual, f"    individual: {hard}")
    problems = check_directory(kb_copy)
    assert [p.warning for p in problems] == [True], problems
    assert "svaret till individen har LIX" in problems[0].message and "(högst 35)" in problems[0].message


def test_lix_counts_words_per_sentence_and_long_words():
    from bot.text.readability import lix
    # 19 words in 2 sentences, 4 of them longer than six letters: 9.5 + 21.1.
    assert lix("Om du inte har pengar till mat och hyra kan du söka försörjningsstöd. "
               "Försörjningsstöd är pengar från kommunens socialtjänst.") == 30.6
    # "t.ex." and "1." end no sentence; a web address is one short word.
    assert lix("Ring t.ex. 1177 eller gå till https://www.1177.se/hitta-vard") == lix("Ring 1177 eller gå till den")


def test_a_syntax_error_is_reported_once_without_follow_on_errors(tmp_path):
    import shutil

    from bot.settings import shipped_kb_dir
    kb = tmp_path / "kb"
    shutil.copytree(shipped_kb_dir(), kb)
    path = kb / "actors.yaml"
    text = path.read_text(encoding="utf-8")
    line = next(x for x in text.splitlines() if x.startswith("  keywords: [") and x.endswith("]"))
    plant(path, line, line[:-1])  # an unclosed list: every actor is unreadable
    problems = check_directory(kb)
    found = [str(p) for p in problems if not p.warning]
    assert len(found) == 1 and f"{path}:" in found[0] and "YAML-syntaxfel" in found[0], found
    # … said once, instead of one error per reference to an actor in the other files:
    said = "\n".join(map(str, problems))
    assert f"{path}:1: warning: referenser till poster i den här filen kontrollerades inte" in said


def test_warnings_show_beside_errors(kb_copy):
    plant(kb_copy / "faq.yaml", "  reviewed: 2026-11-24", "  reviewed: 2020-01-01")
    plant(kb_copy / "faq.yaml", "  topics: [sgi]", "  topics: [nope]")
    problems = check_directory(kb_copy, max_age_days=365, today=dt.date(2026, 11, 24))
    assert sorted(p.warning for p in problems) == [False, True], problems
    assert any("granskades senast 2020-01-01" in p.message for p in problems if p.warning)


def test_the_summary_says_varning_for_one(kb_copy):
    from conftest import run_cli
    plant(kb_copy / "faq.yaml", "  reviewed: 2026-11-24", "  reviewed: 2020-01-01")
    assert run_cli("kb", "check", str(kb_copy)).stderr.strip().startswith("0 fel, 1 varning i ")


def test_an_unquoted_topic_name_with_a_comma_is_an_error(tmp_path):
    import shutil

    from bot.settings import shipped_kb_dir
    kb = tmp_path / "kb"
    shutil.copytree(shipped_kb_dir(), kb)
    path = kb / "topics.yaml"
    plant(path, 'name: "Rehabplan (aktiviteter, ansvar, tidsfrister)"',
          "name: Rehabplan (aktiviteter, ansvar, tidsfrister)")
    found = errors(kb)
    assert any(e.startswith(f"{path}:{line_of(path, 'id: rehabplan')}: ") and "okänt fält" in e
               and "citattecken" in e for e in found), found


@pytest.mark.parametrize("path", sorted((Path(__file__).parent.parent / "knowledge").glob("*.yaml")),
                         ids=lambda p: p.name)
def test_libyaml_and_the_pure_python_parser_give_the_same_data_and_lines(path):
    from bot.kb.yamlsource import load_yaml

    def lines(node):
        if isinstance(node, dict):
            return node.line, node.key_lines, {str(k): lines(v) for k, v in node.items()}
        if isinstance(node, list):
            return node.line, node.item_lines, [lines(v) for v in node]
        return None
    fast, fast_problems = load_yaml(path, path.name)
    pure, pure_problems = load_yaml(path, path.name, libyaml=False)
    assert fast == pure and lines(fast) == lines(pure) and fast_problems == pure_problems


BILLION_LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
    f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(8))


@pytest.mark.parametrize("libyaml", [True, False])
def test_an_alias_bomb_is_refused_before_it_expands(tmp_path, libyaml):
    from bot.kb.yamlsource import load_yaml
    path = tmp_path / "faq.yaml"
    path.write_text(BILLION_LAUGHS, encoding="utf-8")  # 9**9 strings once expanded
    data, problems = load_yaml(path, "faq.yaml", libyaml=libyaml)
    assert data is None and len(problems) == 1
    assert "ankare och alias" in problems[0].message and problems[0].line == 1


@pytest.mark.parametrize("libyaml", [True, False])
def test_deep_nesting_is_a_problem_not_a_crash(tmp_path, libyaml):
    from bot.kb.yamlsource import load_yaml
    path = tmp_path / "faq.yaml"
    path.write_text("[" * 20_000 + "]" * 20_000, encoding="utf-8")
    data, problems = load_yaml(path, "faq.yaml", libyaml=libyaml)
    assert data is None and len(problems) == 1 and not problems[0].warning


def test_a_file_above_the_size_limit_is_not_parsed(tmp_path):
    from bot.kb.yamlsource import MAX_BYTES, load_yaml
    path = tmp_path / "faq.yaml"
    path.write_text("# x\n" * (MAX_BYTES // 4 + 1), encoding="utf-8")
    data, problems = load_yaml(path, "faq.yaml")
    assert data is None and "större än 2 MB" in problems[0].message


# -- phrasings.yaml ---------------------------------------------------------------------

def test_phrasings_join_their_entry_as_example_questions_after_its_own(kb_copy):
    (kb_copy / "phrasings.yaml").write_text(
        "- id: finsamteam\n  texts:\n  - \"min klient har fk af och psyk, hur far hon hjalp av finsam pa jobbtorg\"\n",
        encoding="utf-8")
    kb = load_knowledge_base(kb_copy)
    assert kb.get("finsamteam").questions == (
        "Vad är Finsamteam?", "Hur kommer man till finsamteamet?",
        "min klient har fk af och psyk, hur far hon hjalp av finsam pa jobbtorg")
    assert kb.get("finsamteam").display_title == "Finsamteam"


def test_phrasings_for_an_unknown_entry_or_repeating_a_question_are_warnings_with_their_line(kb_copy):
    (kb_copy / "phrasings.yaml").write_text(
        "- id: finsamteam\n  texts:\n  - vad ar finsamteam\n  - ny fraga om finsamteam\n"
        "- id: finsamtem\n  texts:\n  - nagot\n", encoding="utf-8")
    problems = check_directory(kb_copy)
    found = {(p.line, p.message) for p in problems if p.path.endswith("phrasings.yaml")}
    assert all(p.warning for p in problems if p.path.endswith("phrasings.yaml"))
    assert any(line == 3 and "finns redan hos 'finsamteam'" in message for line, message in found)
    assert any(line == 5 and "'finsamtem'" in message and "menade du 'finsamteam'" in message
               for line, message in found)
    assert load_knowledge_base(kb_copy).get("finsamteam").questions[-1] == "ny fraga om finsamteam"


def test_a_phrasing_that_is_not_text_is_an_error_with_its_line(kb_copy):
    (kb_copy / "phrasings.yaml").write_text("- id: finsamteam\n  texts: []\n- id: sip\n  texts:\n  - [a, b]\n",
                                            encoding="utf-8")
    found = errors(kb_copy)
    assert any("phrasings.yaml:2:" in e for e in found), found
    assert any("phrasings.yaml:5:" in e for e in found), found
