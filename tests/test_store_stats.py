"""Statistics, themes of unanswered questions, the CSV export and the admin CLI."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

import pytest
from store_fixtures import REPO_ROOT, Clock, fetch_all, secret_for

from bot.store import open_store
from bot.store.report import CSV_HEADER, format_stats, write_unanswered_csv
from bot.store.themes import group, signature

FARDTJANST = [
    "Hur ansöker jag om färdtjänst?",
    "Vad kostar färdtjänst?",
    "färdtjänst",
    "Kan jag få färdtjänst om jag har ont i ryggen?",
    "Vem beslutar om färdtjänsten?",
]
BOSTAD = [
    "Hur söker jag bostadsanpassning?",
    "Vem beviljar bostadsanpassningsbidrag?",
    "bostadsanpassning i badrummet",
]
OTHER = ["Vad är meningen med livet?"]


def fill(store, clock: Clock) -> dict[str, int]:
    """A known log: 10 answers, 3 suggestions, 6 fallbacks, and an old row."""
    ids: dict[str, int] = {}

    def log(question, status, entry=None, channel="telegram", confidence=0.5, elapsed=10.0):
        return store.log_question(
            channel=channel, mode="staff", lang="sv", question=question, entry_id=entry,
            status=status, confidence=confidence, elapsed_ms=elapsed,
        )

    # 40 days ago, outside a 30-day window
    log("Gammal fråga om färdtjänst", "fallback")
    clock.advance(days=40)
    for i in range(6):
        ids[f"sip{i}"] = log(f"Vad är SIP {i}?", "answer", "sip", confidence=0.9, elapsed=20.0)
    for i in range(4):
        ids[f"fin{i}"] = log(f"Finsam {i}", "answer", "finsamteam", channel="console", confidence=0.8)
    for question in FARDTJANST[:2] + BOSTAD[:1]:
        log(question, "suggest", confidence=0.4, channel="inline")
    for question in FARDTJANST[2:] + BOSTAD[1:] + OTHER:
        log(question, "fallback", confidence=0.1)
    # Feedback: sip 2 up, 1 down (user 3 changed their mind); finsamteam 1 down
    store.add_feedback(ids["sip0"], 1, 1)
    store.add_feedback(ids["sip1"], 2, 1)
    store.add_feedback(ids["sip2"], 3, 1)
    store.add_feedback(ids["sip2"], 3, -1)
    store.add_feedback(ids["fin0"], 1, -1)
    return ids


def test_stats_numbers(make_store, clock: Clock) -> None:
    store = make_store(clock=clock)
    fill(store, clock)

    stats = store.stats(30)
    assert stats.questions == 19
    assert stats.by_status == {"answer": 10, "suggest": 3, "fallback": 6}
    assert stats.by_channel == {"telegram": 12, "console": 4, "inline": 3}
    assert stats.share("answer") == pytest.approx(10 / 19)
    assert stats.unanswered == 9
    assert [(e.entry, e.count) for e in stats.top_entries] == [("sip", 6), ("finsamteam", 4)]
    assert [(f.entry, f.up, f.down) for f in stats.feedback] == [("finsamteam", 0, 1), ("sip", 2, 1)]
    assert stats.avg_elapsed_ms == pytest.approx((6 * 20 + 13 * 10) / 19)

    everything = store.stats()
    assert everything.questions == 20 and everything.by_status["fallback"] == 7


def test_unanswered_questions_are_grouped_into_themes(make_store, clock: Clock) -> None:
    store = make_store(clock=clock)
    fill(store, clock)
    themes = store.stats(30).themes
    assert [(t.label, t.count) for t in themes] == [
        ("färdtjänst", 5),
        ("bostadsanpassning", 3),
        ("Vad är meningen med livet?", 1),
    ]
    assert set(themes[0].examples) <= set(FARDTJANST) and len(themes[0].examples) == 3
    # With the old row included, färdtjänst has six.
    assert store.stats().themes[0].count == 6


def test_stats_to_dict_is_the_json_format(make_store, clock: Clock) -> None:
    store = make_store(clock=clock)
    fill(store, clock)
    data = json.loads(json.dumps(store.stats(30).to_dict()))
    assert data["questions"] == 19
    assert (data["answered"], data["suggested"], data["fallback"]) == (10, 3, 6)
    assert data["share"] == {"answer": 0.5263, "suggest": 0.1579, "fallback": 0.3158, "crisis": 0.0, "smalltalk": 0.0}
    assert data["top_entries"][0] == {"entry": "sip", "count": 6}
    assert data["feedback"][1] == {"entry": "sip", "up": 2, "down": 1}
    assert data["themes"][0]["label"] == "färdtjänst" and data["themes"][0]["count"] == 5
    assert data["days"] == 30 and data["since"].endswith("+00:00")


def test_human_report_is_swedish(make_store, clock: Clock) -> None:
    store = make_store(clock=clock)
    fill(store, clock)
    text = format_stats(store.stats(30))
    assert "Statistik för de senaste 30 dagarna" in text
    assert "Frågor: 19" in text
    assert "Besvarade:" in text and "(52,6\u00a0%)" in text
    assert "5 frågor om färdtjänst" in text
    assert "1 fråga:  Vad är meningen med livet?" in text
    assert "sip" in text and "2 / 1" in text
    empty = format_stats(make_store().stats(7))
    assert "Inga frågor loggade under perioden." in empty


def test_unanswered_export_rows_and_csv(make_store, clock: Clock) -> None:
    store = make_store(clock=clock)
    fill(store, clock)
    store.log_question(
        channel="console", mode="staff", lang="sv", question='=HYPERLINK("http://x")',
        entry_id=None, status="fallback", confidence=0.0, elapsed_ms=1,
    )
    rows = store.unanswered(30)
    assert len(rows) == 10
    assert [row.theme for row in rows[:5]] == ["färdtjänst"] * 5  # largest theme first
    assert {row.status for row in rows} == {"suggest", "fallback"}

    out = io.StringIO()
    assert write_unanswered_csv(rows, out) == 10
    parsed = list(csv.reader(io.StringIO(out.getvalue())))
    assert tuple(parsed[0]) == CSV_HEADER
    assert len(parsed) == 11
    by_question = {line[7]: line for line in parsed[1:]}
    assert by_question["Vad kostar färdtjänst?"][1:7] == ["inline", "staff", "sv", "suggest", "0.400", "färdtjänst"]
    # A formula typed by a user is written as text, never as a formula.
    assert "'=HYPERLINK(\"http://x\")" in by_question


def test_themes_of_nothing_and_normalisation() -> None:
    assert group([]) == ([], [])
    # The matcher's normalisation (bot.text): folded, stop words out, Snowball stems.
    assert signature("Hur ansöker jag om färdtjänsten?") == signature("hur ansoker jag om fardtjanst")
    assert signature("Hur ansöker jag om färdtjänsten?") == "ansok fardtjanst"
    themes, assignment = group(["färdtjänst", "Färdtjänsten?", "sjukresor"])
    assert [(t.label, t.count) for t in themes] == [("färdtjänst", 2), ("sjukresor", 1)]
    assert assignment == [0, 0, 1]


# -- the CLI, as an admin runs it ------------------------------------------------


def run_cli(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(REPO_ROOT)}
    env.pop("REHABBOT_SECRET", None)
    if secret_for(url):  # the same key as the test's own store
        env["REHABBOT_SECRET"] = secret_for(url)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120,
    )


def test_cli_stats_export_and_forget(store_url: str, tmp_path) -> None:
    store = open_store(store_url, secret=secret_for(store_url))
    try:
        for question in FARDTJANST:
            store.log_question(
                channel="telegram", mode="individual", lang="sv", question=question,
                entry_id=None, status="fallback", confidence=0.1, elapsed_ms=5, user_id=777,
            )
        answered = store.log_question(
            channel="telegram", mode="staff", lang="sv", question="Vad är SIP?",
            entry_id="sip", status="answer", confidence=0.9, elapsed_ms=5, user_id=888,
        )
        store.add_feedback(answered, 777, 1)
        store.set_settings(777, mode="individual")
    finally:
        store.close()

    result = run_cli(store_url, "stats", "--json", "--days", "7")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["questions"] == 6 and data["fallback"] == 5
    assert data["themes"][0] == {"label": "färdtjänst", "count": 5, "examples": data["themes"][0]["examples"]}
    assert data["feedback"] == [{"entry": "sip", "up": 1, "down": 0}]

    human = run_cli(store_url, "stats")
    assert human.returncode == 0 and "5 frågor om färdtjänst" in human.stdout

    export = run_cli(store_url, "export", "unanswered", "--csv")
    assert export.returncode == 0, export.stderr
    lines = list(csv.reader(io.StringIO(export.stdout)))
    assert tuple(lines[0]) == CSV_HEADER and len(lines) == 6

    out_file = tmp_path / "obesvarade.csv"
    to_file = run_cli(store_url, "export", "unanswered", "--csv", "--days", "30", "--out", str(out_file))
    assert to_file.returncode == 0 and "Skrev 5 obesvarade frågor" in to_file.stderr
    raw = out_file.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM, so Excel reads å, ä, ö
    assert len(list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))) == 6

    forget = run_cli(store_url, "privacy", "forget", "777")
    assert forget.returncode == 0, forget.stderr
    # settings, 5 questions, 1 vote
    assert "Raderade 7 rader om användaren" in forget.stdout
    again = run_cli(store_url, "privacy", "forget", "777")
    assert "Det fanns inget sparat" in again.stdout

    after = json.loads(run_cli(store_url, "stats", "--json").stdout)
    assert after["questions"] == 1 and after["feedback"] == []
    audit = fetch_all(store_url, "SELECT action, user_hash, result, detail FROM audit ORDER BY id")
    # Each erasure is audited, without saying whose.
    assert audit == [
        ("privacy_forget", None, "ok", "7 rader raderade"),
        ("privacy_forget", None, "ok", "0 rader raderade"),
    ]


@pytest.mark.parametrize(
    "args",
    [("stats", "--days", "0"), ("privacy", "forget", "anna"), ("export", "unanswered", "--days", "x")],
)
def test_cli_refuses_bad_arguments(tmp_path, args) -> None:
    result = run_cli(f"sqlite:///{tmp_path / 'x.sqlite3'}", *args)
    assert result.returncode == 2
    assert "måste vara" in result.stderr or "inte ett" in result.stderr


def test_cli_reports_an_unreachable_database_in_one_line(tmp_path) -> None:
    result = run_cli("mysql://nowhere/db", "stats")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert result.stderr.startswith("rehabbot: kunde inte öppna databasen:")


def test_add_commands_plugs_into_another_parser() -> None:
    import argparse

    from bot.cli_store import add_commands, cmd_export, cmd_privacy, cmd_stats

    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--kb", default=argparse.SUPPRESS)
    parser = argparse.ArgumentParser(prog="rehabbot")
    handlers = add_commands(parser.add_subparsers(dest="command", required=True), parents=[parent])
    assert handlers == {"stats": cmd_stats, "export": cmd_export, "privacy": cmd_privacy}
    args = parser.parse_args(["stats", "--json", "--days", "3", "--kb", "dir"])
    assert (args.command, args.json, args.days, args.kb) == ("stats", True, 3, "dir")
    args = parser.parse_args(["export", "unanswered", "--csv", "--out", "f.csv"])
    assert (args.export_what, args.csv, args.out, args.days) == ("unanswered", True, "f.csv", None)
    args = parser.parse_args(["privacy", "forget", "12345"])
    assert (args.privacy_action, args.telegram_user_id) == ("forget", 12345)
