"""Admin commands over the fake Bot API: /reload, .yaml uploads, /kbinfo, /stats, refusals."""

from __future__ import annotations

import re
from pathlib import Path

from fake_bot_api import build, polling

from bot.kb.publish import BACKUP_DIR
from bot.service import Rehabbot

ADMIN, USER = 1001, 2002

NEW_FAQ = """\
- id: faq_tolk
  title: Vem bokar tolk?
  answer: Den myndighet som kallar till mötet bokar och betalar tolken.
  questions:
    - Vem bokar tolk till mötet?
  sources: [Förvaltningslagen 13 §]
  reviewed: 2026-11-24
"""
BROKEN_FAQ = """\
- id: faq_tolk
  titel: Vem bokar tolk?
  answer: Den myndighet som kallar till mötet bokar tolken.
  related: [finns_inte]
"""


def audit_rows(store) -> list[tuple[str, str]]:
    with store.store.db.transaction(write=False) as tx:
        return [tuple(row) for row in tx.all("SELECT action, result FROM audit ORDER BY id")]


async def test_admin_commands_are_refused_politely_and_the_attempt_is_logged(api, kb_copy, store):
    bot = Rehabbot(kb_copy)
    async with polling(build(api, bot, store, admin_ids={ADMIN})):
        refusals = [await api.reply_to(USER, command) for command in ("/reload", "/kbinfo", "/stats")]
        before = len(api.sent(USER))
        api.send_document(USER, "faq.yaml", NEW_FAQ.encode())
        upload = await api.next_sent(USER, before)
    for reply in [*refusals, upload]:
        assert reply.text == "Det kommandot är bara för administratörer. Försöket har loggats."
    assert not api.calls_of("getFile")  # a refused file is never even fetched
    assert audit_rows(store) == [("reload", "refused"), ("kbinfo", "refused"), ("stats", "refused"),
                                 ("upload", "refused")]


async def test_reload_lists_path_line_errors_and_keeps_serving_the_old_knowledge(api, kb_copy, store):
    bot = Rehabbot(kb_copy)
    old_version = bot.kb.version
    faq = kb_copy / "faq.yaml"
    async with polling(build(api, bot, store, admin_ids={ADMIN})):
        faq.write_text(faq.read_text(encoding="utf-8") + BROKEN_FAQ, encoding="utf-8")
        failed = await api.reply_to(ADMIN, "/reload")
        assert "har fel och laddades inte om" in failed.text and "<pre>" in failed.text
        errors = re.findall(rf"{re.escape(str(faq))}:(\d+): ", failed.text)
        assert errors and all(int(line) > 1 for line in errors)
        assert "titel" in failed.text
        assert bot.kb.version == old_version
        still = await api.reply_to(USER, "Vad betyder SGI?")
        assert "<b>Vad är SGI?</b>" in still.text

        faq.write_text(faq.read_text(encoding="utf-8").replace(BROKEN_FAQ, NEW_FAQ), encoding="utf-8")
        reloaded = await api.reply_to(ADMIN, "/reload")
        assert reloaded.text.startswith("Kunskapsbasen är omladdad: 7 poster, version ")
        new = await api.reply_to(USER, "Vem bokar tolk till mötet?")
    assert "<b>Vem bokar tolk?</b>" in new.text
    assert bot.kb.version != old_version
    assert [row for row in audit_rows(store) if row[0] == "reload"] == [("reload", "error"), ("reload", "ok")]


async def test_an_uploaded_yaml_is_validated_with_the_rest_then_swapped_in_with_a_backup(api, kb_copy, store):
    bot = Rehabbot(kb_copy)
    faq = kb_copy / "faq.yaml"
    original = faq.read_bytes()
    async with polling(build(api, bot, store, admin_ids={ADMIN})):
        # Invalid: nothing changes, the errors come back naming the real file.
        before = len(api.sent(ADMIN))
        api.send_document(ADMIN, "faq.yaml", BROKEN_FAQ.encode())
        refused = await api.next_sent(ADMIN, before)
        assert "har fel och har inte sparats" in refused.text
        assert re.search(rf"{re.escape(str(faq))}:\d+: ", refused.text) and "rehabbot-upload" not in refused.text
        assert faq.read_bytes() == original and not (kb_copy / BACKUP_DIR).exists()
        assert api.calls_of("getFile") and api.calls_of("file")  # fetched through the Bot API's file URL

        # Valid: replaces the file, keeps a dated backup, answers from it at once.
        before = len(api.sent(ADMIN))
        api.send_document(ADMIN, "faq.yaml", original + b"\n" + NEW_FAQ.encode())
        saved = await api.next_sent(ADMIN, before)
        assert "faq.yaml är sparad och inläst: 7 poster" in saved.text
        backups = list((kb_copy / BACKUP_DIR).iterdir())
        assert len(backups) == 1 and backups[0].name.startswith("faq.yaml.20")
        assert backups[0].read_bytes() == original
        assert f"{BACKUP_DIR}/{backups[0].name}" in saved.text
        answer = await api.reply_to(USER, "Vem bokar tolk till mötet?")
        assert "<b>Vem bokar tolk?</b>" in answer.text

        # A new file is added the same way (no backup to keep).
        before = len(api.sent(ADMIN))
        api.send_document(ADMIN, "faq_extra.yml", b"- id: faq_extra\n  answer: Extra.\n")
        added = await api.next_sent(ADMIN, before)
        assert "faq_extra.yml är en ny fil." in added.text and (kb_copy / "faq_extra.yml").exists()

        # Not a knowledge file, or a name that tries to leave the directory.
        before = len(api.sent(ADMIN))
        api.send_document(ADMIN, "notes.txt", b"hello")
        api.send_document(ADMIN, "..hidden.yaml", NEW_FAQ.encode())
        await api.wait_for(lambda: len(api.sent(ADMIN)) >= before + 2)
        assert "Skicka kunskapsfiler som .yaml" in api.sent(ADMIN)[before].text
        assert "går inte att använda" in api.sent(ADMIN)[before + 1].text
    assert [r for r in audit_rows(store) if r[0] == "upload"] == [
        ("upload", "invalid"), ("upload", "ok"), ("upload", "ok"), ("upload", "refused")]


async def test_kbinfo_and_stats(api, kb_copy, store):
    bot = Rehabbot(kb_copy)
    async with polling(build(api, bot, store, admin_ids={ADMIN})):
        await api.reply_to(USER, "Vad betyder SGI?")
        await api.reply_to(USER, "xyzzy qwerty")
        info = await api.reply_to(ADMIN, "/kbinfo")
        stats = await api.reply_to(ADMIN, "/stats 7")
        help_text = await api.reply_to(ADMIN, "/hjalp")
    assert f"<code>{bot.kb.version}</code>" in info.text
    assert "Aktör (actor): 3" in info.text and "<b>Poster:</b> 6" in info.text
    assert "Poster som inte granskats på 365 dagar" in info.text and "sqlite" in info.text
    assert stats.text.startswith("<pre>Statistik för de senaste 7 dagarna")
    assert "Frågor: 2" in stats.text
    assert "/reload" in help_text.text  # admins see their commands in /hjalp


async def test_stats_without_a_database_says_so(api, kb_copy):
    async with polling(build(api, Rehabbot(kb_copy), admin_ids={ADMIN})):
        stats = await api.reply_to(ADMIN, "/stats")
        info = await api.reply_to(ADMIN, "/kbinfo")
    assert stats.text == "Statistik finns inte eftersom ingen databas är ansluten."
    assert "ingen (frågor och återkoppling sparas inte)" in info.text


async def test_admins_get_their_command_list_in_their_own_chat(api, kb_copy):
    api.chat(ADMIN)  # the admin has written to the bot before
    async with polling(build(api, Rehabbot(kb_copy), admin_ids={ADMIN, 3003})):
        pass
    scoped = {c.params["scope"]["chat_id"]: c for c in api.calls_of("setMyCommands", ok=False) if "scope" in c.params}
    assert {c["command"] for c in scoped[ADMIN].params["commands"]} >= {"reload", "kbinfo", "stats", "start"}
    assert "chat not found" in scoped[3003].fault  # never wrote to the bot: harmless, logged


def test_replace_file_never_touches_disk_when_invalid(kb_copy: Path):
    from bot.channels.telegram.handlers.admin import replace_file
    bot = Rehabbot(kb_copy)
    snapshot = {p.name: p.read_bytes() for p in kb_copy.iterdir()}
    outcome = replace_file(bot, "insatser.yaml", b"- id: [not, an, id]\n")
    assert any(e.startswith(f"{kb_copy / 'insatser.yaml'}:1: ") for e in outcome.errors)
    assert all(e.startswith(str(kb_copy)) for e in outcome.errors)  # named as the admin knows them
    assert {p.name: p.read_bytes() for p in kb_copy.iterdir()} == snapshot


async def test_an_upload_with_thousands_of_errors_gets_one_screenful_and_a_count(api, kb_copy, store):
    # 2,000 invalid entries once came back as 700 messages; an alias bomb never gets parsed.
    bot = Rehabbot(kb_copy)
    many = "".join(f"- id: bad_{i}\n  titel: x\n  answer: y\n" for i in range(2000))
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    async with polling(build(api, bot, store, admin_ids={ADMIN})):
        start = len(api.sent(ADMIN))
        api.send_document(ADMIN, "many.yaml", many.encode())
        refused = await api.next_sent(ADMIN, start)
        api.send_document(ADMIN, "bomb.yaml", bomb.encode())
        bombed = await api.next_sent(ADMIN, start + 1)  # one chat's replies come in order
    assert len(api.sent(ADMIN)) == start + 2  # one message each, however many the errors
    assert len(re.findall(r"many\.yaml:\d+: ", refused.text)) == 15
    assert "… och 1985 till (rehabbot kb check visar alla)." in refused.text
    assert "ankare och alias" in bombed.text and "bomb.yaml:1: " in bombed.text
    assert not (kb_copy / "many.yaml").exists() and not (kb_copy / "bomb.yaml").exists()


async def test_admin_commands_are_answered_only_in_a_private_chat(api, kb_copy, store):
    # In a group, /stats and /kbinfo posted the statistics and the server's paths to everyone.
    bot = Rehabbot(kb_copy)
    group = -100200300
    async with polling(build(api, bot, store, admin_ids={ADMIN})):
        for command in ("/stats", "/kbinfo", "/reload"):
            reply = await api.reply_to(ADMIN, command, chat_id=group)
            assert reply.text == "Administratörskommandon besvaras bara i ett privat meddelande till mig.", command
        private = await api.reply_to(ADMIN, "/kbinfo")
    assert str(kb_copy) in private.text  # the same admin in the private chat gets the answer
    assert audit_rows(store)[:3] == [("stats", "refused"), ("kbinfo", "refused"), ("reload", "refused")]


async def test_every_refused_upload_is_audited(api, kb_copy, store):
    bot = Rehabbot(kb_copy)
    async with polling(build(api, bot, store, admin_ids={ADMIN})):
        for name, content in (("faq.yaml", "- id: x\n".encode("utf-16")), ("a" * 50 + ".yaml", b"- id: x\n"),
                              ("big.yaml", b"#" * (513 * 1024))):
            before = len(api.sent(ADMIN))
            api.send_document(ADMIN, name, content)
            reply = await api.next_sent(ADMIN, before)
            assert reply.text, name
    # UTF-16 and too large are refused before parsing; the long name is read, and is invalid.
    assert [row for row in audit_rows(store) if row[0] == "upload"] == [
        ("upload", "refused"), ("upload", "invalid"), ("upload", "refused")]


async def test_an_upload_is_a_published_version_and_a_translation_file_goes_to_translations(api, kb_copy, store):
    # The same publication as the dashboard: other instances follow it, the dashboard can restore it.
    from bot.kb.translations import fingerprint
    from bot.store.admin import AdminStore
    bot = Rehabbot(kb_copy)
    entry = next(e for e in bot.kb.entries if e.audience != "staff")
    text = (f"language: pl\nentries:\n- id: {entry.id}\n  translated: 2026-12-02\n  source: {fingerprint(entry)}\n"
            "  title: Tytuł\n  answer: Odpowiedź po polsku.\n")
    async with polling(build(api, bot, store, admin_ids={ADMIN})):
        before = len(api.sent(ADMIN))
        api.send_document(ADMIN, "pl.yaml", text.encode())
        saved = await api.next_sent(ADMIN, before)
    assert "translations/pl.yaml är en ny fil." in saved.text
    assert (kb_copy / "translations" / "pl.yaml").read_text(encoding="utf-8") == text
    assert not (kb_copy / "pl.yaml").exists()
    assert bot.kb.get(entry.id).translation_state("pl") == "machine"
    versions = AdminStore(store.store.db).versions()
    assert [(v.by_name, v.note) for v in versions] == [
        ("Telegram", "uppladdad: translations/pl.yaml"), ("-", "före första publiceringen")]


def test_uploads_in_the_same_second_keep_a_backup_each(kb_copy: Path):
    import datetime as dt

    from bot.channels.telegram.handlers.admin import replace_file
    bot = Rehabbot(kb_copy)
    same_second = dt.datetime(2026, 12, 2, 10, 0, 0)
    original = (kb_copy / "faq.yaml").read_bytes()
    versions = [original + f"\n# version {i}\n".encode() for i in range(5)]
    for data in versions:
        assert not replace_file(bot, "faq.yaml", data, now=same_second).errors
    backups = sorted((kb_copy / BACKUP_DIR).iterdir())
    assert len(backups) == 5
    assert {b.read_bytes() for b in backups} == {original, *versions[:4]}  # nothing overwritten


def _faq(*ids: str) -> bytes:
    return "".join(f"- id: {i}\n  title: Fråga {i}?\n  answer: Svar {i}.\n" for i in ids).encode()


async def test_an_upload_that_removes_many_entries_waits_for_a_yes(api, kb_copy, store):
    # A valid upload that emptied whole files (192 → 70 entries) once went live at once.
    bot = Rehabbot(kb_copy)
    async with polling(build(api, bot, store, admin_ids={ADMIN})):
        before = len(api.sent(ADMIN))
        api.send_document(ADMIN, "extra.yaml", _faq("e1", "e2", "e3", "e4", "e5"))
        await api.next_sent(ADMIN, before)  # adding entries needs no confirmation
        assert bot.kb.get("e5") is not None

        before = len(api.sent(ADMIN))
        api.send_document(ADMIN, "extra.yaml", _faq("e1"))
        asked = await api.next_sent(ADMIN, before)
        assert "tar bort 4 poster: e2, e3, e4, e5" in asked.text and bot.kb.get("e5") is not None
        dropped = await api.after("sendMessage", lambda: api.press(ADMIN, asked.data_of("Nej"), asked))
        assert "Inget ändrades" in dropped.text and bot.kb.get("e5") is not None

        before = len(api.sent(ADMIN))
        api.send_document(ADMIN, "extra.yaml", _faq("e1"))
        asked = await api.next_sent(ADMIN, before)
        saved = await api.after("sendMessage", lambda: api.press(ADMIN, asked.data_of("Ja"), asked))
        assert "extra.yaml är sparad och inläst" in saved.text
        assert bot.kb.get("e5") is None and bot.kb.get("e1") is not None
        again = await api.after("sendMessage", lambda: api.press(ADMIN, asked.data_of("Ja"), asked))
        assert "väntar inte längre" in again.text  # one answer per upload
    assert ("upload", "pending") in audit_rows(store) and ("upload", "dropped") in audit_rows(store)
