"""2. Forged buttons: callback_data nobody made, someone else's, or from before a restart.

Anyone can send any callback_data back (a modified client forges it), so the bot must treat
it as untrusted input. Held, per press: a polite notice (a toast, or one message) or nothing;
never the error message, never more than one message; no "update N failed" in the log; and
the forged press changes nothing it should not (feedback on someone else's answer, an
upload waiting for its admin's "yes").
"""

from __future__ import annotations

import asyncio
import itertools
import random
import re
from typing import Any

from bench.attack.core import (
    ERROR_TEXTS,
    Attack,
    Bot,
    Call,
    Harness,
    document,
    label,
    press,
    short,
    until,
)

CATEGORY = "forged buttons"
ADMIN = 4_200_001
_users = itertools.count(4_300_000)
SIP = "vem kallar till sip"

HANDMADE = ["v:../../etc::", "v:" + "a" * 33 + "::", "v:vem_kallar_till_sip:q:", "v:vem_kallar_till_sip\x00::",
            "o:sip;DROP TABLE audit", "p:a:9999", "p:z:1", "fb:1:+", "fb:0:+", "fb:99999999999999999999:+",
            "fb:٣:+", "n:abc", "n:999999", "m:x", "l:xx", "l:sv\n", "_ ", "g:nonexistent:abcdef:0",
            "gs:x:zzzzzz:", "gm:" + "a" * 24 + ":000000:" + "z" * 30, "gn:" + "a" * 30, "gl ", "gx\n",
            "k:a:nonexistent", "k:p:" + "z" * 32, "u:000000000000:y", "u:zzzzzzzzzzzz:y", "%s%s%n", "{{7*7}}",
            "' OR 1=1 --", "<b>", "\x00", "\u202ev:x::", "v:ÅÄÖ::"]


def _user() -> int:
    return next(_users)


def _random_data(rng: random.Random, count: int) -> list[str]:
    alphabets = ["abcdefghijklmnopqrstuvwxyz0123456789:_-+", "".join(chr(c) for c in range(32, 127)),
                 "åäöÅÄÖ٣①²😀\u200b\u202e\x00\n"]
    out = []
    for i in range(count):
        alphabet = alphabets[i % len(alphabets)]
        prefix = rng.choice(["", "v:", "fb:", "g:", "p:", "u:", "k:", "o:", "n:", "l:", "m:"])
        out.append(prefix + "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60))))
    return out


async def _press_and_judge(a: Attack, bot: Bot, name: str, user: int, data: str | None,
                           under: Call | dict[str, Any] | None, *, chat: int | None = None,
                           toast: str | None = None) -> None:
    """Press once and judge: notice or nothing, never the error, at most one message."""
    chat = chat if chat is not None else user
    since, before = bot.mark(), len(bot.replies(chat))
    query_id, update_id = press(bot.api, user, data, under)
    await until(lambda: _answers(bot, query_id), 5)
    await bot.quiet(0.3, limit=3)
    new = bot.replies(chat)[before:]
    answers = _answers(bot, query_id)
    problems = []
    if any(e in c.text for c in new for e in ERROR_TEXTS):
        problems.append("answered with the error message")
    if len(new) > 1:
        problems.append(f"{len(new)} messages for one press")
    if update_id in bot.failed_updates(since):
        problems.append(f"log: update {update_id} failed" + (
            " (the fake has no inline messages to edit; Telegram refuses an unknown one too)" if under is None else ""))
    if any(c.fault for c in answers):
        problems.append(f"answerCallbackQuery refused: {answers[0].fault}")
    shown = next((c.params.get("text") for c in answers if c.params.get("text")), "")
    if toast is not None and not problems and toast not in shown and not any(toast in c.text for c in new):
        problems.append(f"expected the notice {toast[:40]!r}, got {shown[:40]!r}")
    if not bot.alive:
        problems.append("the bot process died")
    note = f"toast {short(shown, 40)}" if shown else (f"message {short(new[0].text, 40)}" if new else "nothing")
    a.check(name, not problems, "; ".join(problems), note=note)


def log_is_clean(a: Attack, bot: Bot, since: int) -> None:
    """The attack's last try: no traceback in the bot's log while it ran (presses run at once,
    so a traceback is the attack's, not one press's; "update N failed" names the press)."""
    found = bot.tracebacks(since)
    a.check("no traceback in the log", not found, f"{len(found)} tracebacks, first: {found[0] if found else ''}")


def _answers(bot: Bot, query_id: str) -> list[Call]:
    return [c for c in bot.api.calls_of("answerCallbackQuery", ok=False)
            if c.params.get("callback_query_id") == query_id]


async def _welcome(bot: Bot) -> tuple[int, Call]:
    uid = _user()
    return uid, await bot.ask(uid, "/start")


async def random_and_handmade_data(a: Attack, bot: Bot) -> None:
    """Random callback_data and hand-made near misses of the real patterns, each under a real message."""
    rng = random.Random(20_261_202)
    datas = HANDMADE + _random_data(rng, bot.h.size(40, 12))
    if bot.h.quick:
        datas = HANDMADE[::2] + datas[len(HANDMADE):]
    welcomes = await asyncio.gather(*(_welcome(bot) for _ in datas))
    await asyncio.gather(*(_press_and_judge(a, bot, short(data, 50) or "(empty)", uid, data, under)
                           for data, (uid, under) in zip(datas, welcomes)))


async def empty_missing_and_too_long_data(a: Attack, bot: Bot) -> None:
    """callback_data empty, missing, one byte over Telegram's 64, 1,000 and 100,000 characters, and no message."""
    stale = label("stale")
    cases: list[tuple[str, str | None, bool]] = [
        ("empty data", "", True), ("no data field", None, True), ("65 bytes", "v:" + "a" * 63, True),
        ("65 bytes of a valid prefix", "fb:" + "1" * 62, True), ("1,000 characters", "v:" + "x" * 998, True),
        ("100,000 characters", "g:" + "0" * 99_998, True),
        ("a real entry button without a message (inline)", "v:vem_kallar_till_sip::", False),
        ("a feedback button without a message (inline)", "fb:1:+", False),
        ("no data and no message", None, False)]
    welcomes = await asyncio.gather(*(_welcome(bot) for _ in cases))
    await asyncio.gather(*(
        _press_and_judge(a, bot, name, uid, data, under if with_message else None,
                         toast=stale if with_message and name != "65 bytes of a valid prefix" else None)
        for (name, data, with_message), (uid, under) in zip(cases, welcomes)))


async def another_users_feedback_button(a: Attack, bot: Bot) -> None:
    """👍/👎 with the log id of someone else's answer, pressed under one's own: refused, nothing saved."""
    owner, other = _user(), _user()
    answer = await bot.ask(owner, SIP)
    mine = await bot.ask(other, SIP)
    data = next((b["callback_data"] for row in answer.buttons for b in row
                 if b.get("callback_data", "").startswith("fb:")), None)
    if data is None:
        a.check("the answer has feedback buttons", False, f"no fb: button among {answer.button_texts}")
        return
    log_id = int(data.split(":")[1])
    before = bot.count("SELECT COUNT(*) FROM feedback WHERE log_id = ?", (log_id,))
    for value in ("-", "+"):
        await _press_and_judge(a, bot, f"{value} on another user's answer", other, f"fb:{log_id}:{value}", mine,
                               toast=label("stale"))
    after = bot.count("SELECT COUNT(*) FROM feedback WHERE log_id = ?", (log_id,))
    a.check("no feedback saved on the other user's answer", after == before, f"{after - before} feedback rows added")
    # The owner's own press still counts (the control: the check above is not vacuous).
    await _press_and_judge(a, bot, "the owner's own 👎 still works", owner, f"fb:{log_id}:-", answer)
    saved = bot.count("SELECT COUNT(*) FROM feedback WHERE log_id = ?", (log_id,))
    a.check("the owner's feedback is saved", saved == before + 1, f"{saved - before} rows for the owner's press")


def _trimmed_faq_staff(kb_dir) -> str:
    """faq_staff.yaml with only the entries that something refers to: valid, but removes most of it."""
    name = "faq_staff.yaml"
    text = (kb_dir / name).read_text(encoding="utf-8")
    others = "\n".join(p.read_text(encoding="utf-8") for p in kb_dir.rglob("*.yaml") if p.name != name)
    head, *entries = re.split(r"(?m)^(?=- id: )", text)
    ids = [e.split()[2] for e in entries]

    def referred(i: int) -> bool:
        pattern = rf"\b{re.escape(ids[i])}\b"
        return bool(re.search(pattern, others)) or any(re.search(pattern, e) for j, e in enumerate(entries) if j != i)
    return head + "".join(e for i, e in enumerate(entries) if referred(i))


async def someone_elses_upload_confirmation(a: Attack, bot: Bot) -> None:
    """The "yes" under an admin's pending upload, pressed by a non-admin: refused, the knowledge base untouched."""
    digest = bot.kb_digest()
    before = len(bot.replies(ADMIN))
    document(bot.api, ADMIN, "faq_staff.yaml", _trimmed_faq_staff(bot.kb).encode())
    confirm = await bot.api.next_sent(ADMIN, before, timeout=60)
    token = next((b["callback_data"] for row in confirm.buttons for b in row
                  if b.get("callback_data", "").startswith("u:")), None)
    if token is None:
        a.check("the upload waits for a confirmation", False, f"no u: button; reply {short(confirm.text)}")
        return
    stranger, _ = await _welcome(bot)
    own = bot.replies(stranger)[-1]
    await _press_and_judge(a, bot, "a non-admin presses the admin's yes", stranger, token, own,
                           toast=label("not_admin"))
    a.check("the knowledge base is untouched", bot.kb_digest() == digest, "files changed")
    refused = bot.count("SELECT COUNT(*) FROM audit WHERE action = 'upload' AND result = 'refused'")
    a.check("the forged press is audited", refused >= 1, "no refused upload in the audit table")
    no = token[:-1] + "n"
    await _press_and_judge(a, bot, "the admin drops it", ADMIN, no, confirm, toast=label("upload_dropped"))
    await _press_and_judge(a, bot, "the admin's 'yes' after dropping it", ADMIN, token, confirm,
                           toast=label("upload_gone"))
    a.check("still untouched after the admin's presses", bot.kb_digest() == digest, "files changed")


async def stale_buttons_after_a_restart(a: Attack, bot: Bot) -> None:
    """Every button of real messages (an answer, /start, /aktorer, /vagledning, a pending upload), after a restart."""
    uid = _user()
    messages = [await bot.ask(uid, text) for text in (SIP, "/start", "/aktorer", "/vagledning", "stöd")]
    before = len(bot.replies(ADMIN))
    document(bot.api, ADMIN, "faq_staff.yaml", _trimmed_faq_staff(bot.kb).encode())
    pending = await bot.api.next_sent(ADMIN, before, timeout=60)
    buttons = [(uid, m, b["callback_data"]) for m in messages for row in m.buttons for b in row
               if "callback_data" in b]
    buttons += [(ADMIN, pending, b["callback_data"]) for row in pending.buttons for b in row
                if b.get("callback_data", "").endswith(":y")]
    digest = bot.kb_digest()
    code = await bot.restart()
    a.check("the restart (SIGTERM) exits cleanly", code == 0, f"exit code {code}")
    limit = bot.h.size(len(buttons), 14)
    for user, under, data in buttons[:limit]:
        toast = label("upload_gone") if data.startswith("u:") else None
        await _press_and_judge(a, bot, f"old {short(data, 40)}", user, data, under, toast=toast)
    a.check("the pending upload did not survive as a change", bot.kb_digest() == digest, "files changed")


async def run(h: Harness) -> None:
    async with h.bot("buttons", admins=[ADMIN], kb=h.kb_copy("buttons")) as bot:
        await bot.ask(ADMIN, "/start")  # the admin's chat exists from here on
        for attack in (random_and_handmade_data, empty_missing_and_too_long_data, another_users_feedback_button,
                       someone_elses_upload_confirmation, stale_buttons_after_a_restart):
            await h.run(CATEGORY, _with_log_check(attack), bot)


def _with_log_check(attack):
    """The attack, then `log_is_clean` over what it made the bot write."""
    async def checked(a: Attack, bot: Bot) -> None:
        since = bot.mark()
        try:
            await attack(a, bot)
        finally:
            log_is_clean(a, bot, since)
    checked.__name__, checked.__doc__ = attack.__name__, attack.__doc__
    return checked
