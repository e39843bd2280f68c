"""Publishing a changed knowledge base (bot/kb/publish.py) and marking a translation reviewed
(bot/kb/translations.py), on real copies of the shipped files."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml

from bot.kb import publish, read_directory
from bot.kb.translations import mark_reviewed
from bot.settings import shipped_kb_dir

DAY = dt.date(2026, 12, 2)


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(shipped_kb_dir(), target)
    return target


def test_the_published_files_include_the_translations_under_their_folder(kb: Path) -> None:
    files = publish.yaml_files(kb)
    assert "insatser.yaml" in files and "translations/ar.yaml" in files
    assert publish.upload_name("ar.yaml") == "translations/ar.yaml"
    assert publish.upload_name("C:\\fakepath/faq.yaml".replace("\\", "/")) == "faq.yaml"
    assert publish.upload_name("../../etc/pl.yaml") == "translations/pl.yaml"
    assert publish.check_upload("translations/pl.yaml", b"language: pl\n") is None
    assert publish.check_upload("translations/../x.yaml", b"") is not None


def test_a_translation_marked_reviewed_changes_two_lines_and_loads_as_reviewed(kb: Path) -> None:
    file = kb / "translations" / "fa.yaml"
    before = file.read_text(encoding="utf-8")
    after = mark_reviewed(before, "forsakringskassan", DAY)
    gone = [line for line in before.splitlines() if line not in after.splitlines()]
    new = [line for line in after.splitlines() if line not in before.splitlines()]
    assert new == ["  status: reviewed", "  reviewed: 2026-12-02"]
    assert len(gone) <= 1  # `status: machine` of this entry (the same line stays in the others)
    assert after.splitlines()[:3] == before.splitlines()[:3]  # the file's comments stay
    file.write_text(after, encoding="utf-8")
    loaded, problems = read_directory(kb)
    assert loaded is not None and not [p for p in problems if not p.warning]
    entry = loaded.get("forsakringskassan")
    assert entry.translation_state("fa") == "reviewed" and entry.translation("fa").reviewed == DAY
    assert loaded.get("arbetsformedlingen").translation_state("fa") == "machine"


def test_a_translation_without_a_status_line_gets_one_after_its_id() -> None:
    text = ("language: pl\nentries:\n- id: a\n  translated: 2026-12-01\n  title: A\n"
            "- id: b   # a comment\n  translated: 2026-12-01\n  title: B\n")
    marked = mark_reviewed(text, "b", DAY)
    assert marked == ("language: pl\nentries:\n- id: a\n  translated: 2026-12-01\n  title: A\n"
                      "- id: b   # a comment\n  status: reviewed\n  reviewed: 2026-12-02\n"
                      "  translated: 2026-12-01\n  title: B\n")
    assert mark_reviewed(marked, "b", dt.date(2027, 1, 5)).count("reviewed: 2027-01-05") == 1  # again: replaced
    with pytest.raises(KeyError):
        mark_reviewed(text, "c", DAY)


def test_an_outdated_translation_is_known_as_outdated(kb: Path) -> None:
    file = kb / "translations" / "so.yaml"
    text = file.read_text(encoding="utf-8")
    loaded, _ = read_directory(kb)
    assert loaded is not None
    source = loaded.get("forsakringskassan").translation("so").source
    text = text.replace(f"source: {source}", "source: abcdefabcdef", 1)
    data = yaml.safe_load(text)  # and no Somali translation of sgi, whatever the shipped file has
    data["entries"] = [e for e in data["entries"] if e["id"] != "sgi"]
    file.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    changed, problems = read_directory(kb)
    assert changed is not None
    assert changed.get("forsakringskassan").translation_state("so") == "outdated"
    assert changed.get("sgi").translation_state("so") == "missing"
    assert any("den svenska texten har ändrats" in p.message for p in problems)


def test_going_live_applies_into_the_translations_folder_with_backups(kb: Path) -> None:
    from bot.service import Rehabbot
    bot = Rehabbot(kb)
    name = "translations/pl.yaml"
    marked = mark_reviewed(publish.yaml_files(kb)[name], "forsakringskassan", DAY)
    result = publish.trial(bot.kb, kb, {name: marked})
    assert result.valid and result.change.files == [name]
    done = publish.go_live(bot, result.files, "test")
    assert done.ok and done.backups[0].startswith(".backups/translations/pl.yaml.")
    assert bot.kb.get("forsakringskassan").translation_state("pl") == "reviewed"
    assert (kb / done.backups[0]).read_text(encoding="utf-8") != marked
