"""The knowledge-base snapshot and the compiled templates in the cache directory: used when
the bot wrote them for exactly this knowledge and code, never otherwise."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

from bot import cache, snapshot
from bot.answers import render
from bot.service import Rehabbot
from bot.snapshot import Prepared, read_prepared


@pytest.fixture
def cache_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    return tmp_path / "xdg" / "rehabbot"


def _snapshot_file(directory: Path) -> Path:
    key = snapshot.content_key(directory)
    assert key is not None
    return cache.cache_dir() / f"kb-{key}.pickle"


def test_a_second_start_reads_the_snapshot_and_answers_alike(cache_home, kb_copy):
    first = Rehabbot(kb_copy)
    written = _snapshot_file(kb_copy)
    assert written.is_file() and written.parent == cache_home
    assert (written.stat().st_mode & 0o077) == 0 and not list(cache_home.glob("*.tmp"))
    second = Rehabbot(kb_copy)
    assert second.kb.version == first.kb.version and second.kb.entries == first.kb.entries
    assert second.kb.loaded_at >= first.kb.loaded_at  # when this process loaded it
    for question in ("Vem kallar till SIP?", "vad gor FK", "Jag är sjukskriven och har ingen inkomst"):
        assert second.ask(question).to_json(explain=True) == first.ask(question).to_json(explain=True)


def test_the_snapshot_is_what_is_served(cache_home, kb_copy, small_kb_dir, shipped_bot):
    """Proof that a signed snapshot is read: one planted for this directory's key is served."""
    planted = Prepared(shipped_bot.kb, [], shipped_bot.snapshot.index, shipped_bot.snapshot.pathways)
    assert cache.write_signed(_snapshot_file(kb_copy), snapshot._dumps(planted))
    prepared, _ = read_prepared(kb_copy)
    assert prepared is not None and prepared.kb.version == shipped_bot.kb.version
    alone, _ = read_prepared(kb_copy, use_cache=False)
    assert alone is not None and alone.kb.version != shipped_bot.kb.version


class _Planted:
    """What an attacker's pickle would do when loaded: here, leave a file behind."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (Path.touch, (self.marker,))


@pytest.mark.parametrize("how", ["unsigned", "other key", "garbage", "truncated", "altered"])
def test_a_file_the_bot_did_not_write_is_never_loaded_and_is_rebuilt(cache_home, kb_copy, tmp_path, how):
    Rehabbot(kb_copy)
    path = _snapshot_file(kb_copy)
    good = path.read_bytes()
    marker = tmp_path / "unpickled"
    evil = pickle.dumps(_Planted(marker))
    head = len(cache.MAGIC) + 32
    data = {"unsigned": evil, "other key": cache.MAGIC + os.urandom(32) + evil, "garbage": b"not a snapshot",
            "truncated": good[: len(good) // 2], "altered": good[:head] + evil}[how]
    path.write_bytes(data)
    bot = Rehabbot(kb_copy)
    assert not marker.exists()
    assert bot.ask("Vem kallar till SIP?").entry.id == "sip"
    assert cache.read_signed(path) is not None  # rebuilt and signed anew
    assert not marker.exists()


def test_an_edited_knowledge_base_is_read_anew(cache_home, kb_copy):
    before = Rehabbot(kb_copy)
    faq = kb_copy / "insatser.yaml"
    faq.write_text(faq.read_text(encoding="utf-8").replace("Vem kallar till SIP?", "Vem bjuder in till SIP?"),
                   encoding="utf-8")
    after = Rehabbot(kb_copy)
    assert after.kb.version != before.kb.version
    assert "Vem bjuder in till SIP?" in after.kb.get("sip").questions
    assert before.reload() == [] and "Vem bjuder in till SIP?" in before.kb.get("sip").questions
    assert len(list(cache_home.glob("kb-*.pickle"))) == 2


def test_an_invalid_knowledge_base_is_never_kept(cache_home, kb_copy):
    (kb_copy / "faq.yaml").write_text("- id: [unclosed\n", encoding="utf-8")
    prepared, problems = read_prepared(kb_copy)
    assert prepared is None and any(not p.warning for p in problems)
    assert not list(cache_home.glob("kb-*.pickle"))


def test_a_key_others_can_read_is_not_used(cache_home, kb_copy, caplog):
    Rehabbot(kb_copy)
    key = cache_home / cache.KEY_FILE
    assert (key.stat().st_mode & 0o777) == 0o600
    key.chmod(0o644)
    cache._warned.clear()
    assert cache.read_signed(_snapshot_file(kb_copy)) is None
    assert Rehabbot(kb_copy).ask("Vem kallar till SIP?").entry.id == "sip"
    assert "readable or writable by others" in caplog.text


def test_compiled_templates_are_cached_signed_and_a_tampered_one_is_recompiled(cache_home, small_bot):
    render.environment.cache_clear()
    try:
        text = small_bot.ask("Vem kallar till SIP?").text
        compiled = sorted(cache_home.glob("jinja-*.cache"))
        assert compiled and all(cache.read_signed(f) is not None for f in compiled)
        for file in compiled:
            file.write_bytes(cache.MAGIC + os.urandom(32) + b"garbage")
        render.environment.cache_clear()
        assert small_bot.ask("Vem kallar till SIP?").text == text
        assert all(cache.read_signed(f) is not None for f in compiled)  # compiled and written anew
        render.environment.cache_clear()
        assert small_bot.ask("Vem kallar till SIP?").text == text  # from the cache
    finally:
        render.environment.cache_clear()
