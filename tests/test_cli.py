"""The command line of the contract, run as a user runs it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import EVAL, run_cli


def test_ask_json_prints_the_contract_object(small_kb_dir):
    result = run_cli("ask", "--kb", str(small_kb_dir), "--json", "Vem", "kallar", "till", "SIP?")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["status"] == "answer" and data["entry"] == "sip" and data["topics"][0] == "sip"
    assert data["text"].startswith("Samordnad individuell plan (SIP)")


def test_kb_may_come_before_the_sub_command_or_from_the_environment(small_kb_dir):
    before = run_cli("--kb", str(small_kb_dir), "ask", "--json", "finsamtem")
    env = run_cli("ask", "--json", "finsamtem", env={"REHABBOT_KB": str(small_kb_dir)})
    assert json.loads(before.stdout)["entry"] == json.loads(env.stdout)["entry"] == "finsamteam"


def test_ask_explain_adds_the_score_parts(small_kb_dir):
    data = json.loads(run_cli("ask", "--kb", str(small_kb_dir), "--json", "--explain", "vad gor FK").stdout)
    assert data["explain"]["candidates"][0]["parts"]["coverage"] > 0


def test_ask_plain_prints_the_answer_text(small_kb_dir):
    result = run_cli("ask", "--kb", str(small_kb_dir), "--mode", "individual", "Hur förnyar jag mitt pass?")
    assert result.returncode == 0
    assert result.stdout.startswith("Det vet jag tyvärr inte.")


def test_kb_check_reports_five_planted_mistakes_and_fails(kb_copy):
    def plant(name, old, new):
        path = kb_copy / name
        path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    plant("insatser.yaml", "  title: Finsamteam\n", "  titel: Finsamteam\n")
    plant("faq.yaml", "  reviewed: 2026-11-24", "  reviewed: 2026-02-30")
    plant("actors.yaml", "      phone: 0771-524 524", "      phone: ring")
    plant("insatser.yaml", "  related: [forsakringskassan]", "  related: [nowhere]")
    plant("faq.yaml", "  topics: [sgi]", "  topics: [nope]")
    result = run_cli("kb", "check", str(kb_copy))
    lines = result.stdout.splitlines()
    assert result.returncode == 1
    assert len(lines) == 5, result.stdout
    for line in lines:
        path, number, message = line.split(":", 2)
        assert Path(path).exists() and int(number) > 0 and message.strip()


def test_kb_check_passes_a_valid_directory(small_kb_dir):
    result = run_cli("kb", "check", str(small_kb_dir))
    assert result.returncode == 0 and result.stdout == ""


def test_kb_check_of_the_shipped_knowledge_base_has_no_errors():
    result = run_cli("kb", "check")
    assert result.returncode == 0, result.stdout
    assert all(": warning: " in line for line in result.stdout.splitlines())


def test_kb_list_json_gives_every_entry_with_the_contract_fields(small_kb_dir):
    rows = json.loads(run_cli("kb", "list", "--json", "--kb", str(small_kb_dir)).stdout)
    assert len(rows) == 6
    assert set(rows[0]) == {"id", "kind", "title", "topics", "sources", "source_refs", "reviewed", "audience"}
    sip = next(r for r in rows if r["id"] == "sip")
    assert sip["reviewed"] == "2026-11-24" and sip["kind"] == "insats" and sip["topics"] == ["sip"]
    # People read a document's title; admins get its file and section.
    assert sip["sources"][0].startswith("Stockholmsmodellen – slutrapport")
    assert sip["source_refs"][0]["document"] == "004_7d8eed09569d1593.txt"


def test_kb_list_of_a_minimal_faq_uses_null_and_empty_lists():
    minimal = Path(__file__).parent / "fixtures" / "faq_minimal"
    rows = json.loads(run_cli("kb", "list", "--json", "--kb", str(minimal)).stdout)
    wifi = next(r for r in rows if r["id"] == "wifi")
    assert wifi == {"id": "wifi", "kind": "faq", "title": "wifi", "topics": [], "sources": [],
                    "source_refs": [], "reviewed": None, "audience": "both"}


def test_eval_json_scores_and_min_accuracy_sets_the_exit_status(small_kb_dir, tmp_path):
    items = tmp_path / "eval.yaml"
    items.write_text(
        "- q: Vem kallar till SIP?\n  expect: sip\n"
        "- q: Vad gör FK?\n  expect: [forsakringskassan, sip]\n"
        "- q: finsamtem\n  expect: sgi\n"  # answered, but with the wrong topic
        "- q: Vem vann melodifestivalen?\n  expect: none\n"
        "- q: What is SGI?\n  lang: en\n  mode: individual\n  expect: sgi\n", encoding="utf-8")
    result = run_cli("eval", "--kb", str(small_kb_dir), "--json", str(items))
    data = json.loads(result.stdout)
    assert result.returncode == 0
    assert data["in_scope"] == {"total": 4, "correct": 3, "accuracy": 0.75, "wrong": 0.25, "top3": 0.75}
    assert data["out_of_scope"] == {"total": 1, "correct": 1, "accuracy": 1.0}
    assert (data["total"], data["correct"]) == (5, 4)
    assert [row["ok"] for row in data["items"]] == [True, True, False, True, True]
    failing = run_cli("eval", "--kb", str(small_kb_dir), "--min-accuracy", "0.8", str(items))
    assert failing.returncode == 1
    assert "MISS  finsamtem" in failing.stdout and "väntat: sgi" in failing.stdout


def test_eval_on_the_development_set_meets_the_bar():
    # The target is 0.98 answered right; the calibrated decision reaches 0.83 lexically (0.91 with the
    # semantic re-ranker) with no wrong answer: the bar holds what is reached, so that it cannot slip back.
    result = run_cli("eval", "--json", "--min-accuracy", "0.8", str(EVAL / "dev.yaml"))
    data = json.loads(result.stdout)
    assert data["out_of_scope"]["accuracy"] == 1.0
    assert result.returncode == 0, [i for i in data["items"] if not i["ok"]]


def test_chat_answers_picks_suggestions_and_switches_mode(small_kb_dir):
    session = "Vem kallar till SIP?\n/mode individual\nVad gör Försäkringskassan?\n/lang en\n/help\n/nonsense\n/quit\n"
    result = run_cli("chat", "--kb", str(small_kb_dir), input=session)
    out = result.stdout
    assert result.returncode == 0
    assert "Samordnad individuell plan (SIP)" in out
    assert "Läge: individual, språk: sv." in out
    assert "Vem kan hjälpa dig: Kundcenter" in out
    assert "Mode: individual, language: en." in out
    assert "Unknown command" in out


def test_chat_offers_numbered_choices_and_the_number_opens_one(ambiguous_kb):
    out = run_cli("chat", "--kb", str(ambiguous_kb), input="kontakt\n2\n").stdout
    second = out.split("Menade du:")[1].splitlines()[2]
    assert second.startswith("2. Kontakt med ")
    answers = {"Kontakt med Arbetsförmedlingen": "Ring kundtjänst.",
               "Kontakt med Försäkringskassan": "Ring kundcenter."}
    assert second[3:] + "\n\n" + answers[second[3:]] in out


def test_run_refuses_to_start_without_a_token(small_kb_dir):
    result = run_cli("run", "--kb", str(small_kb_dir), env={"TELEGRAM_BOT_TOKEN": ""})
    assert result.returncode != 0
    assert len(result.stderr.strip().splitlines()) == 1 and "TELEGRAM_BOT_TOKEN" in result.stderr


def test_a_broken_knowledge_base_stops_ask_with_the_problem_list(kb_copy):
    (kb_copy / "faq.yaml").write_text("- id: a\n  titel: x\n  answer: y\n", encoding="utf-8")
    result = run_cli("ask", "--kb", str(kb_copy), "x")
    assert result.returncode == 2
    assert "okänt fält 'titel'" in result.stderr


@pytest.mark.slow
def test_answers_do_not_depend_on_python_string_hashing():
    runs = [run_cli("ask", "--json", "--explain", "vad gor rehabkordinatorn pa vc", env={"PYTHONHASHSEED": seed})
            for seed in ("1", "2", "3")]
    assert all(r.returncode == 0 for r in runs), [r.stderr for r in runs]
    answers = [json.loads(r.stdout) for r in runs]  # three crashes would also print three equal (empty) outputs
    assert answers[0]["status"] == "answer" and answers[0]["explain"]["candidates"]
    assert answers[0] == answers[1] == answers[2]


@pytest.mark.slow
def test_run_against_an_unreachable_bot_api_fails_with_one_line_and_no_traceback(small_kb_dir):
    result = run_cli("run", "--kb", str(small_kb_dir),
                     env={"TELEGRAM_BOT_TOKEN": "123:abc", "TELEGRAM_API_BASE_URL": "http://127.0.0.1:9/bot"})
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("rehabbot run: kunde inte starta mot http://127.0.0.1:9/bot")


def test_a_console_conversation_reads_as_a_person_would_expect():
    """A greeting, a long case description, a follow-up, 'förklara enklare', thanks, a crisis."""
    session = ("hej\n"
               "Hej jag heter Amina 850101-1234. Jag är sjukskriven sedan tre år och har ingen SGI. "
               "Soc säger att jag ska söka samordning hos FK. Hur ansöker jag om samordning?\n"
               "förklara enklare\n"
               "vad händer sen?\n"
               "tack så mycket!\n"
               "jag orkar inte leva längre\n"
               "/quit\n")
    out = run_cli("chat", input=session).stdout
    banner = out.split(">")[0]
    assert "automatisk tjänst" in banner  # the banner says it is not a person …
    # … and, once, that questions are logged, redacted, where, and how to turn it off
    assert "sparas utan personuppgifter" in banner and "cli.sqlite3" in banner and "--no-log" in banner
    assert out.count("sparas utan personuppgifter") == 1
    turns = out.split("> ")[1:]
    assert "Hej! Jag är Rehabbot" in turns[0]
    assert "(Läge: för egen del" in turns[1] and "samordning" in turns[1].lower()
    assert "850101" not in out and "Amina" not in out
    assert "enklare ord" in turns[2]
    assert "Varsågod" in turns[4]
    assert "90101" in turns[5] and "112" in turns[5]


@pytest.mark.slow
def test_the_console_keeps_no_question_with_no_log(tmp_path):
    database = tmp_path / "log.sqlite3"
    out = run_cli("chat", "--no-log", input="vem kallar till sip\n/quit\n",
                  env={"DATABASE_URL": f"sqlite:///{database}"}).stdout
    assert "Frågorna sparas inte" in out and not database.exists()
    run_cli("chat", input="vem kallar till sip\n/quit\n", env={"DATABASE_URL": f"sqlite:///{database}"})
    assert database.exists()  # without --no-log the same question is logged


def test_console_mode_and_lang_without_a_value_show_the_current_one_and_the_choices():
    out = run_cli("chat", "--mode", "individual", "--no-log", input="/mode\n/lang\n/mode kanske\n/quit\n").stdout
    assert "Läge nu: individual. Välj med /mode staff (yrkesperson) eller /mode individual" in out
    assert "Språk nu: sv. Välj med /lang sv, en, ar, fa, so, ti, tr eller pl." in out
    assert out.count("Läge nu: individual") == 2 and "Okänt kommando" not in out


def test_every_folder_of_code_is_a_package_the_wheel_includes():
    # setup.py finds the packages: a folder of modules without __init__.py would silently miss
    # the installed bot (as bot/decision once did, caught only by a fresh install).
    from setuptools import find_packages
    root = Path(__file__).parent.parent
    found = set(find_packages(where=str(root), include=["bot", "bot.*"]))
    folders = {str(p.parent.relative_to(root)).replace("/", ".") for p in (root / "bot").rglob("*.py")}
    assert folders <= found, folders - found


def test_a_superscript_or_circled_digit_is_not_a_number_choice():
    # "²".isdigit() is True but int("²") raises: such a "number" is text, never a crash.
    out = run_cli("chat", "--no-log", input="vem kallar till sip\n²\n①\n/guide ²\n/quit\n")
    assert out.returncode == 0 and "Traceback" not in out.stderr
    from bot.settings import Settings, SettingsError
    with pytest.raises(SettingsError):
        Settings.from_env({"REHABBOT_RETENTION_DAYS": "²"})
