"""3. The admin path: admin commands from the wrong people or places, and hostile uploads.

Held: refused or bounded, audited, and the knowledge base untouched when refused:

* a non-admin gets one polite refusal for /reload, /stats, /kbinfo and a .yaml upload, and
  each attempt is a "refused" row in the audit table;
* an admin in a group chat gets one "only in a private chat" (the statistics and the server's
  paths must not reach every member), audited too;
* a hostile upload from the admin (an alias bomb, 20,000-deep nesting, 12,000 invalid
  entries, odd file names, UTF-16, too large, …) gets one or two messages back, never hundreds,
  within a minute; the process RSS stays under 600 MB; the attempt is audited; and not one
  byte of the knowledge directory changes;
* an upload that removes most entries waits for the admin's "yes" and changes nothing before.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from pathlib import Path

from bench.attack.buttons import _trimmed_faq_staff
from bench.attack.core import ERROR_TEXTS, Attack, Bot, Call, Harness, document, label, press, short, until

CATEGORY = "admin path"
ADMIN = 4_400_001
GROUP = -1_004_400_000
_users = itertools.count(4_500_000)
RSS_LIMIT_MB = 600
REPLY_TIMEOUT = 60.0
BYSTANDER_LIMIT_S = 5.0


async def _exchange(bot: Bot, chat: int, action, expect: int = 1, within: float = REPLY_TIMEOUT,
                    quiet: float = 1.0) -> tuple[list[Call], float]:
    """Do `action`; the replies to `chat` once it has `expect` (or `within` s), and the seconds taken."""
    before = len(bot.replies(chat))
    started = time.monotonic()
    action()
    await until(lambda: len(bot.replies(chat)) - before >= expect or not bot.alive, within)
    took = time.monotonic() - started
    await bot.quiet(quiet, limit=10)
    return bot.replies(chat)[before:], took


def _audit_since(bot: Bot, last_id: int) -> list[tuple[str, str, str]]:
    return [(r[0], r[1], r[2]) for r in bot.rows("SELECT action, result, detail FROM audit WHERE id > ? ORDER BY id",
                                                 (last_id,))]


def _last_audit(bot: Bot) -> int:
    return bot.count("SELECT COALESCE(MAX(id), 0) FROM audit")


async def admin_commands_from_a_non_admin(a: Attack, bot: Bot) -> None:
    """/reload, /stats, /stats 7, /kbinfo and a .yaml upload from a non-admin: one refusal each, audited."""
    refusal = label("not_admin")
    cases = [("/reload", "reload", lambda u: bot.api.send_text(u, "/reload")),
             ("/stats", "stats", lambda u: bot.api.send_text(u, "/stats")),
             ("/stats 7", "stats", lambda u: bot.api.send_text(u, "/stats 7")),
             ("/kbinfo", "kbinfo", lambda u: bot.api.send_text(u, "/kbinfo")),
             ("a .yaml upload", "upload", lambda u: document(bot.api, u, "faq.yaml", b"- id: x\n  title: X\n"))]
    for name, action, send in cases:
        uid, digest, last = next(_users), bot.kb_digest(), _last_audit(bot)
        replies, _ = await _exchange(bot, uid, lambda s=send, u=uid: s(u))
        audit = _audit_since(bot, last)
        problems = []
        if len(replies) != 1 or refusal not in replies[0].text:
            problems.append(f"{len(replies)} replies: {short(replies[0].text) if replies else 'none'}")
        if (action, "refused") not in [(x, r) for x, r, _ in audit]:
            problems.append(f"not audited as refused ({audit or 'no audit row'})")
        if bot.kb_digest() != digest:
            problems.append("the knowledge base changed")
        a.check(name, not problems, "; ".join(problems))


async def admin_in_a_group_chat(a: Attack, bot: Bot) -> None:
    """An admin's /reload, /stats and /kbinfo in a group: "only in private", audited; a group upload: ignored."""
    private_only = label("admin_private_only")
    for text, action in (("/reload", "reload"), ("/stats", "stats"), ("/kbinfo", "kbinfo"),
                         (f"/stats@{bot.api.username} 30", "stats")):
        digest, last = bot.kb_digest(), _last_audit(bot)
        replies, _ = await _exchange(bot, GROUP, lambda t=text: bot.api.send_text(ADMIN, t, chat_id=GROUP))
        audit = _audit_since(bot, last)
        problems = []
        if len(replies) != 1 or private_only not in replies[0].text:
            problems.append(f"{len(replies)} replies to the group: {short(replies[0].text) if replies else 'none'}")
        if (action, "refused") not in [(x, r) for x, r, _ in audit]:
            problems.append(f"not audited as refused ({audit or 'no audit row'})")
        if bot.kb_digest() != digest:
            problems.append("the knowledge base changed")
        a.check(f"{text} in a group", not problems, "; ".join(problems))
    digest = bot.kb_digest()
    replies, _ = await _exchange(bot, GROUP, lambda: document(bot.api, ADMIN, "faq.yaml", b"- id: x\n", chat=GROUP),
                                 within=3)
    a.check("a .yaml upload in a group", not replies and bot.kb_digest() == digest,
            f"{len(replies)} replies; knowledge base {'untouched' if bot.kb_digest() == digest else 'changed'}",
            note="ignored: only private documents reach the upload (so no audit row either)")


def _billion_laughs(levels: int = 9) -> bytes:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 10) + "]")
    return ("\n".join(lines) + "\n").encode()


def _aliases_in_entries() -> bytes:
    head = "- id: bomb_entry\n  kind: faq\n  title: &t Bomb\n  questions: &q [" + ", ".join(["lol"] * 50) + "]\n"
    return (head + "".join(f"- id: bomb_{i}\n  kind: faq\n  title: *t\n  questions: [*q, *q, *q, *q]\n"
                           "  answer: x\n" for i in range(200))).encode()


def _invalid_entries(count: int) -> bytes:
    return "".join(f"- id: Bad Id {i}!\n  kind: nope\n" for i in range(count)).encode()


def _uploads(h: Harness) -> list[tuple[str, str | None, bytes, int | None]]:
    """(what, file name, content, declared file_size) of each hostile upload."""
    invalid_entry = b"- id: x\n"
    traversal = "../../../../../../../../tmp/atk_escape.yaml"
    html_name = "../../" + "<b>&amp;" + "x" * 30 + "</b>.yaml"
    long_name = "a_fifty_character_file_name_for_the_knowledge" + ".yaml"
    uploads = [
        ("alias bomb (billion laughs)", "bomb.yaml", _billion_laughs(), None),
        ("aliases inside entries", "faq.yaml", _aliases_in_entries(), None),
        ("20,000-deep flow sequence", "deep.yaml", b"[" * 20_000 + b"]" * 20_000, None),
        ("20,000-deep flow mapping", "deep.yaml", b"{a: " * 20_000 + b"1" + b"}" * 20_000, None),
        ("20,000-deep block sequence", "deep.yaml", b"- " * 20_000 + b"x\n", None),
        (f"{h.size(12_000, 4_000):,} invalid entries", "faq.yaml", _invalid_entries(h.size(12_000, 4_000)), None),
        (f"a 50-character file name ({len(long_name)})", long_name, invalid_entry, None),
        (f"a 50-character name with HTML and ../ ({len(html_name)})", html_name, invalid_entry, None),
        ("a name that climbs out (../../tmp)", traversal, invalid_entry, None),
        ("UTF-16 with a BOM", "faq.yaml", "- id: x\n  title: Å\n".encode("utf-16"), None),
        ("binary junk", "faq.yaml", bytes(range(256)) * 16, None),
        ("an empty file", "faq.yaml", b"", None),
        ("a python tag", "faq.yaml", b"- !!python/object/apply:os.system ['touch /tmp/atk-pwned']\n", None),
        ("too large, declared (600 kB)", "faq.yaml", b"- id: x\n", 600 * 1024),
        ("too large, declared small (5 MB sent)", "faq.yaml", b"# " + b"x" * (5 * 1024 * 1024) + b"\n", 1000),
    ]
    if h.quick:
        keep = {"alias bomb (billion laughs)", "20,000-deep flow sequence", "4,000 invalid entries",
                "UTF-16 with a BOM", "too large, declared small (5 MB sent)"}
        uploads = [u for u in uploads if u[0] in keep or u[0].startswith("a 50-character file name")]
    return uploads


async def _bystander(bot: Bot) -> float:
    """Seconds until someone else's question, asked while an upload is checked, is answered."""
    await asyncio.sleep(0.2)  # the upload's check has begun
    started = time.monotonic()
    try:
        await bot.ask(next(_users), "vem kallar till sip", within=REPLY_TIMEOUT)
    except AssertionError:
        return float("inf")
    return time.monotonic() - started


def _escaped() -> bool:
    """Whether an upload wrote where it never may (the ../ name, the python tag's command)."""
    return Path("/tmp/atk_escape.yaml").exists() or Path("/tmp/atk-pwned").exists()


async def hostile_uploads(a: Attack, bot: Bot) -> None:
    """Alias bombs, 20,000-deep nesting, 12,000 invalid entries, odd names, UTF-16, too large: refused, bounded.

    While each upload is checked, another user asks a question: the check runs in a worker
    thread and must not hold everyone else's answers up (BYSTANDER_LIMIT_S)."""
    waits: list[tuple[float, str]] = []
    for what, name, content, declared in _uploads(bot.h):
        digest, last, since = bot.kb_digest(), _last_audit(bot), bot.mark()
        bystander: list[asyncio.Task[float]] = []

        def send(n=name, c=content, d=declared, b=bystander) -> None:
            document(bot.api, ADMIN, n, c, declared=d)
            b.append(asyncio.create_task(_bystander(bot)))
        replies, took = await _exchange(bot, ADMIN, send)
        waits.append((await bystander[0], what))
        peak = bot.peak_rss_mb()
        audit = _audit_since(bot, last)
        problems = []
        if not replies:
            problems.append(f"no reply within {REPLY_TIMEOUT:.0f} s" + ("" if bot.alive else "; the process died"))
        elif len(replies) > 2:
            problems.append(f"{len(replies)} messages back")
        if any(e in c.text for c in replies for e in ERROR_TEXTS):
            problems.append("answered with the error message")
        if peak > RSS_LIMIT_MB:
            problems.append(f"peak RSS {peak:.0f} MB")
        upload_rows = [(r, d) for x, r, d in audit if x == "upload"]
        if not upload_rows:
            problems.append("not audited")
        elif any(r == "ok" for r, _ in upload_rows):
            problems.append(f"accepted: {upload_rows[-1][1]}")
        if bot.kb_digest() != digest:
            problems.append("the knowledge base changed")
        if _escaped():
            problems.append("a file was written outside the knowledge directory")
        failed = bot.failed_updates(since)
        if failed:
            problems.append(f"log: update {min(failed)} failed")
        a.check(what, not problems, "; ".join(problems),
                note=f"{took:.1f} s, peak RSS {peak:.0f} MB, audit {upload_rows[-1][0] if upload_rows else '–'}")
        if not bot.alive or not replies:  # a hung or dead bot: a fresh one for the next upload
            await bot.stop(within=10)
            await bot.start()
    slowest, during = max(waits)
    a.check(f"others are answered during the checks (within {BYSTANDER_LIMIT_S:.0f} s)",
            slowest <= BYSTANDER_LIMIT_S, f"a question asked during '{during}' waited {slowest:.1f} s",
            note=f"slowest {slowest:.1f} s, during '{during}'")


async def an_upload_that_removes_most_entries(a: Attack, bot: Bot) -> None:
    """A valid faq_staff.yaml without most of its entries: nothing changes until the admin says yes."""
    trimmed = _trimmed_faq_staff(bot.kb).encode()
    digest, last = bot.kb_digest(), _last_audit(bot)
    replies, _ = await _exchange(bot, ADMIN, lambda: document(bot.api, ADMIN, "faq_staff.yaml", trimmed))
    confirm = replies[-1] if replies else None
    data = [b["callback_data"] for row in (confirm.buttons if confirm else []) for b in row if "callback_data" in b]
    yes = next((d for d in data if d.startswith("u:") and d.endswith(":y")), None)
    a.check("it asks for a confirmation, with buttons", len(replies) == 1 and yes is not None,
            f"{len(replies)} replies, buttons {data}", note=short(confirm.text if confirm else "", 70))
    a.check("nothing is saved before the yes", bot.kb_digest() == digest, "the knowledge base changed")
    a.check("the waiting upload is audited", ("upload", "pending") in [(x, r) for x, r, _ in _audit_since(bot, last)],
            f"audit: {_audit_since(bot, last)}")
    if yes is None or confirm is None:
        return
    replies, _ = await _exchange(bot, ADMIN, lambda: press(bot.api, ADMIN, yes[:-1] + "n", confirm))
    a.check("'no' drops it", bot.kb_digest() == digest and any(label("upload_dropped") in c.text for c in replies),
            f"replies {[short(c.text) for c in replies]}")
    replies, _ = await _exchange(bot, ADMIN, lambda: document(bot.api, ADMIN, "faq_staff.yaml", trimmed))
    confirm = replies[-1]
    yes = next(b["callback_data"] for row in confirm.buttons for b in row if b.get("callback_data", "").endswith(":y"))
    replies, took = await _exchange(bot, ADMIN, lambda: press(bot.api, ADMIN, yes, confirm))
    saved = any(label("upload_ok").split(" ")[-1] in c.text or "sparad" in c.text for c in replies)
    a.check("'yes' saves it (the control)", bot.kb_digest() != digest and saved,
            f"replies {[short(c.text) for c in replies]}", note=f"{took:.1f} s")


async def run(h: Harness) -> None:
    async with h.bot("admin", admins=[ADMIN], kb=h.kb_copy("admin")) as bot:
        await bot.ask(ADMIN, "/start")
        for attack in (admin_commands_from_a_non_admin, admin_in_a_group_chat, hostile_uploads,
                       an_upload_that_removes_most_entries):
            await h.run(CATEGORY, attack, bot)
