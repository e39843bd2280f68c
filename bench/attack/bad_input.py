"""1. Bad input: text no question looks like, commands with junk, things that are not text,
updates that are not messages.

Held: a message that deserves an answer gets exactly one; an update that is not a new
message in a private chat (an edit, a channel post, an update with nothing in it, a group
message that does not mention the bot) gets none; no reply is the error message; no
"update N failed" and no traceback in the bot's log; the process keeps running.

Every try is its own user (one chat each), so the tries of an attack run at once and one
failure cannot hide behind another.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

from bench.attack.core import Attack, Bot, Harness, Probe, document, judge, message, settle

CATEGORY = "bad input"
ADMIN = 4_000_001
_users = itertools.count(4_100_000)
GROUP = -1_004_000_000

ODD_TEXTS = {
    "empty text": "",
    "only spaces and newlines": "   \n\n\t  ",
    "5,000 characters": "sjukpenning " * 416 + "sjuk",
    "100,000 characters": "å" * 100_000,
    "only emoji": "😀🙈🔥👍🏽🇸🇪",
    "only zero-width characters": "\u200b\u200c\u200d\u2060\ufeff",
    "zero-width characters inside a question": "vem\u200b kallar\u200d till\u2060 sip\ufeff",
    "RTL override": "\u202evem kallar till sip\u202c",
    "RTL override only": "\u202e\u202d\u202a\u202b\u202c",
    "control characters": "\x07\x1b[31mvem kallar\x08 till sip\x7f\x1b[0m",
    "NUL inside": "vem kallar\x00 till sip",
    "only NUL": "\x00",
    "combining marks (zalgo)": "s\u0337\u0322\u031bi\u0334p\u0338" * 40,
    "Arabic with bidi marks": "\u200fمن يدعو إلى\u200e SIP؟",
    "one character": "?",
    "a word of 1,000 letters": "a" * 1000,
    "surrogate-plane characters": "𝓿𝓮𝓶 𝓴𝓪𝓵𝓵𝓪𝓻 𝓽𝓲𝓵𝓵 𝓼𝓲𝓹 𓂀",
}

MARKUP = {
    "unclosed <b>": "<b>vem kallar till sip",
    "stray </i>": "</i>vem kallar till sip",
    "bare &": "vem kallar & till sip & &&",
    "tags and script": "<b>vem</b> kallar & till <script>sip</script>?",
    "entities": "&amp; &lt; &#0; &#x110000; &nbsp; &bogus; sip",
    "a link with javascript": '<a href="javascript:alert(1)">sip</a>',
    "tg tags": "<tg-spoiler>sip</tg-spoiler><tg-emoji emoji-id='1'>x</tg-emoji>",
    "Markdown": "*vem* _kallar_ `till` [sip](http://example.com)",
    "angle brackets only": "<<<>>>",
    "CDATA and comments": "<!-- x --><![CDATA[sip]]>",
}

# (sent by, text); the admin's junk goes through the admin commands' argument parsing.
COMMANDS = [
    ("user", "/stats ²"), ("user", "/vagledning ①"), ("user", "/lage xyz"), ("user", "/sprak ∞"),
    ("user", "/start e_" + "x" * 300), ("user", "/start e_../../etc/passwd"), ("user", "/karta ①②"),
    ("user", "/vagledning 99999999999999999999"), ("user", "/vagledning -1"), ("user", "/aktorer junk junk"),
    ("user", "/hjalp@some_other_bot"), ("user", "/finnsinte"), ("user", "/" + "a" * 200),
    ("user", "/sprak " + "\u202e" * 10), ("user", "/lage \x00"),
    ("admin", "/stats ²"), ("admin", "/stats -5"), ("admin", "/stats 99999999999999999999999"),
    ("admin", "/stats ٣"), ("admin", "/kbinfo junk"), ("admin", "/stats 0"),
]

CHOICES = {"superscript two": "²", "circled one": "①", "Arabic-Indic three": "٣", "mathematical bold two": "𝟐",
           "full-width two": "２", "digit with a zero-width space": "2\u200b", "plus two": "+2", "zero-padded": "02",
           "out of range": "99", "zero": "0", "minus one": "-1", "roman numeral": "Ⅱ"}


def _user() -> int:
    return next(_users)


def _probe(bot: Bot, name: str, chat: int, expect: int, push: Any) -> Probe:
    before = len(bot.replies(chat))
    ids = push()
    return Probe(name, chat, expect, ids if isinstance(ids, list) else [ids], before)


async def _one_answer_each(a: Attack, bot: Bot, texts: dict[str, str]) -> None:
    """Each text from a user of its own: one answer each, nothing in the log."""
    since = bot.mark()
    probes = []
    for name, text in texts.items():
        uid = _user()
        probes.append(_probe(bot, name, uid, 1, lambda u=uid, t=text: bot.api.send_text(u, t)))
    await settle(bot, probes)
    judge(a, bot, probes, since)


async def odd_text(a: Attack, bot: Bot) -> None:
    """Empty, very long, invisible, bidi-overridden, control and NUL text: one calm answer each."""
    await _one_answer_each(a, bot, ODD_TEXTS)


async def markup_in_text(a: Attack, bot: Bot) -> None:
    """Malformed HTML and Markdown in a question must not break the bot's own HTML reply."""
    await _one_answer_each(a, bot, MARKUP)


async def junk_command_arguments(a: Attack, bot: Bot) -> None:
    """Commands with arguments of superscript, circled and foreign digits, junk and overlong ids."""
    since = bot.mark()
    probes = []
    for who, text in COMMANDS:
        uid = ADMIN if who == "admin" else _user()
        if who == "admin":  # one chat: wait for each before the next, so the replies can be told apart
            before = len(bot.replies(uid))
            probe = Probe(f"{text!r} from an admin", uid, 1, [bot.api.send_text(uid, text)], before)
            await settle(bot, [probe], quiet=0.3)
            judge(a, bot, [probe], since)
            continue
        probes.append(_probe(bot, repr(text)[:60], uid, 1, lambda u=uid, t=text: bot.api.send_text(u, t)))
    await settle(bot, probes)
    judge(a, bot, probes, since)


async def odd_digits_as_choices(a: Attack, bot: Bot) -> None:
    """After a reply with suggestions, "²", "①", "٣" … as the number of a choice: one reply, no crash."""
    since = bot.mark()

    async def one(name: str, text: str) -> Probe:
        uid = _user()
        first = await bot.ask(uid, "stöd")  # a one-word question: suggestions, numbered
        probe = _probe(bot, f"{name} ({text!r})", uid, 1, lambda: bot.api.send_text(uid, text))
        probe.name += "" if first.buttons else " [no suggestions offered first]"
        return probe
    probes = await asyncio.gather(*(one(name, text) for name, text in CHOICES.items()))
    await settle(bot, list(probes))
    judge(a, bot, list(probes), since)


async def things_that_are_not_text(a: Attack, bot: Bot) -> None:
    """Stickers, photos, voice, location, contact, dice and documents from non-admins: one notice each."""
    since = bot.mark()
    api = bot.api
    contents: dict[str, dict[str, Any]] = {
        "voice": {"voice": {"file_id": "v1", "file_unique_id": "v1", "duration": 3}},
        "location": {"location": {"latitude": 59.33, "longitude": 18.06}},
        "contact (with a phone number)": {"contact": {"phone_number": "+46701234567", "first_name": "Anna"}},
        "dice": {"dice": {"emoji": "🎲", "value": 3}},
        "video note": {"video_note": {"file_id": "vn", "file_unique_id": "vn", "length": 1, "duration": 1}},
        "caption only (photo with a question)": {
            "photo": [{"file_id": "p2", "file_unique_id": "p2", "width": 9, "height": 9}],
            "caption": "vem kallar till sip?"},
        "message with neither text nor media": {},
    }
    probes = []
    for name, send in (("sticker", api.send_sticker), ("photo", api.send_photo)):
        uid = _user()
        probes.append(_probe(bot, name, uid, 1, lambda u=uid, s=send: s(u)))
    for name, content in contents.items():
        uid = _user()
        probes.append(_probe(bot, name, uid, 1,
                             lambda u=uid, c=content: api.push({"message": message(api, u, **c)})))
    docs = {"a .pdf from a non-admin": ("intyg.pdf", b"%PDF-1.4\n"),
            "a .yaml from a non-admin": ("faq.yaml", b"- id: x\n"),
            "a document without a file name": (None, b"data"),
            "a .yaml named only '.yaml'": (".yaml", b"x: 1\n")}
    for name, (file_name, content) in docs.items():
        uid = _user()
        probes.append(_probe(bot, name, uid, 1, lambda u=uid, f=file_name, c=content: document(api, u, f, c)))
    await settle(bot, probes)
    judge(a, bot, probes, since)


async def updates_that_are_not_new_messages(a: Attack, bot: Bot) -> None:
    """Edits, channel posts, empty and unknown updates, group chatter: ignored; a mention: answered once."""
    since = bot.mark()
    api = bot.api
    channel = {"id": -1_009_000_001, "type": "channel", "title": "Kanal"}
    api.chats[channel["id"]] = channel  # so that a reply, if any, is recorded (not "chat not found")
    probes: list[Probe] = []

    def edited(uid: int, text: str) -> int:
        msg = api.text_update(uid, text)["message"]
        return api.push({"edited_message": {**msg, "edit_date": msg["date"] + 5}})

    for name, text in (("an edited question", "vem kallar till sip"), ("an edited command", "/start")):
        uid = _user()
        probes.append(_probe(bot, name, uid, 0, lambda u=uid, t=text: edited(u, t)))
    post = {"message_id": 1, "date": 0, "chat": channel, "text": "vem kallar till sip"}
    probes.append(_probe(bot, "a channel post", channel["id"], 0, lambda: api.push({"channel_post": post})))
    probes.append(_probe(bot, "an edited channel post", channel["id"], 0,
                         lambda: api.push({"edited_channel_post": {**post, "edit_date": 1}})))
    for name, update in (("an update with nothing in it", {}),
                         ("an update of a kind PTB does not know", {"future_kind": {"x": 1}}),
                         ("a poll update", {"poll": {"id": "p", "question": "?", "options": [], "is_closed": True}})):
        probes.append(_probe(bot, name, 0, 0, lambda u=update: api.push(dict(u))))
    uid = _user()
    member = {"chat": api.chat(uid), "from": api.user(uid), "date": 0,
              "old_chat_member": {"status": "member", "user": api.bot_user},
              "new_chat_member": {"status": "kicked", "user": api.bot_user, "until_date": 0}}
    probes.append(_probe(bot, "the user blocks the bot (my_chat_member)", uid, 0,
                         lambda: api.push({"my_chat_member": member})))
    uid = _user()
    probes.append(_probe(bot, "a group message that does not mention the bot", GROUP - 1, 0,
                         lambda: api.send_text(uid, "vem kallar till sip", chat_id=GROUP - 1)))
    await settle(bot, probes, within=3)  # nothing is expected: the quiet period is the wait
    uid = _user()
    mention = _probe(bot, "a group message that mentions the bot", GROUP, 1,
                     lambda: api.send_text(uid, f"@{api.username} vem kallar till sip", chat_id=GROUP))
    await settle(bot, [mention])
    anonymous = _probe(bot, "a mention from an anonymous group admin (no from)", GROUP - 2, 1, lambda: api.push(
        {"message": message(api, uid, GROUP - 2, sender=False, text=f"@{api.username} vem kallar till sip",
                            entities=[{"type": "mention", "offset": 0, "length": len(api.username) + 1}],
                            sender_chat={"id": GROUP - 2, "type": "supergroup", "title": "Rehabgruppen"})}))
    await settle(bot, [anonymous])
    judge(a, bot, [*probes, mention, anonymous], since)


async def inline_queries_with_junk(a: Attack, bot: Bot) -> None:
    """Inline queries (@bot …) that are empty, huge, emoji or markup: one answer or none, no error."""
    since = bot.mark()
    api = bot.api
    queries = {"empty": "", "10,000 characters": "sip " * 2500, "only emoji": "🔥🔥", "markup": "<b>&</b>",
               "NUL": "\x00", "RTL override": "\u202esip"}
    sent = {}
    for name, text in queries.items():
        before = len(api.calls_of("answerInlineQuery", ok=False))
        sent[name] = (api.inline(_user(), text), before)
    await asyncio.sleep(0.2)
    await bot.quiet(1.0)
    failed = bot.failed_updates(since)
    answered = api.calls_of("answerInlineQuery", ok=False)
    rejected = [c for c in answered if c.fault]
    for name, (update_id, _) in sent.items():
        problems = []
        if update_id in failed:
            problems.append(f"log: update {update_id} failed")
        a.check(f"inline query: {name}", not problems, "; ".join(problems))
    a.check("inline answers Telegram accepts", not rejected,
            f"{len(rejected)} answerInlineQuery refused: {rejected[0].fault if rejected else ''}")


async def the_log_stays_clean(a: Attack, bot: Bot, since: int) -> None:
    """After all of it: the process runs, and its log has no traceback and nothing CRITICAL."""
    a.check("the process is still running", bot.alive, f"exited with {bot.process and bot.process.returncode}")
    tracebacks = bot.tracebacks(since)
    a.check("no traceback in the log", not tracebacks, f"{len(tracebacks)} tracebacks, first: "
            f"{tracebacks[0] if tracebacks else ''}")
    critical = bot.log_lines(r" (CRITICAL|ERROR) ", since)
    a.check("no ERROR or CRITICAL line in the log", not critical,
            f"{len(critical)} lines, first: {critical[0] if critical else ''}")


async def run(h: Harness) -> None:
    async with h.bot("bad-input", admins=[ADMIN]) as bot:
        since = bot.mark()
        for attack in (odd_text, markup_in_text, junk_command_arguments, odd_digits_as_choices,
                       things_that_are_not_text, updates_that_are_not_new_messages, inline_queries_with_junk):
            await h.run(CATEGORY, attack, bot)
        await h.run(CATEGORY, the_log_stays_clean, bot, since)
