"""Admin commands: /reload, a .yaml upload, /kbinfo, /stats. Only for `REHABBOT_ADMIN_IDS`.

A running bot never serves a broken knowledge base: /reload keeps the old
one when the new one has errors, and an uploaded file is validated together
with the rest of the directory in a temporary copy before it replaces
anything. Every attempt, allowed or refused, goes to the audit log.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
import secrets
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from telegram import Update

from bot.channels.telegram.handlers import callbacks as cb
from bot.channels.telegram.handlers import views
from bot.channels.telegram.handlers.common import (
    Context,
    get_prefs,
    match_of,
    message_of,
    query_of,
    send,
    services,
    user_id,
)
from bot.kb import publish
from bot.kb.problems import Problem, display_path
from bot.text.normalize import as_number

logger = logging.getLogger(__name__)

MAX_UPLOAD_KB = 512
CONFIRM_REMOVALS = 3  # an upload that removes more entries than this waits for the admin's "yes"
MAX_PROBLEMS_SHOWN = 15  # a screenful in one message; a file with 12,000 errors once sent 714

# A coroutine function, as CommandHandler wants (not any callable returning an awaitable).
Handler = Callable[[Update, Context], Coroutine[Any, Any, None]]


def admin_only(action: str) -> Callable[[Handler], Handler]:
    """Let admins through in their private chat; refuse anyone else politely and record the attempt.
    In a group the answer (statistics, the server's paths) would reach every member."""
    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def guarded(update: Update, context: Context) -> None:
            uid = user_id(update)
            private = update.effective_chat is not None and update.effective_chat.type == "private"
            if services(context).is_admin(uid) and not private:
                await services(context).store.audit(action, uid, "refused", "not a private chat")
                prefs = await get_prefs(update, context)
                await send(message_of(update), views.say(prefs.lang, "admin_private_only"))
                return
            if services(context).is_admin(uid):
                await handler(update, context)
                return
            logger.warning("refused %s: not an admin", action)
            await services(context).store.audit(action, uid, "refused", "not an admin")
            prefs = await get_prefs(update, context)
            await send(message_of(update), views.say(prefs.lang, "not_admin"))
        return guarded
    return decorate


def _problems(lang: str, intro: str, errors: list[str], warnings: list[str]) -> str:
    """Problems as one message: a screenful of each kind, and how many more."""
    return views.render("problems", lang, shown=MAX_PROBLEMS_SHOWN, intro=intro, errors=errors, warnings=warnings)


def _split(problems: list[Problem]) -> tuple[list[str], list[str]]:
    return [str(p) for p in problems if not p.warning], [str(p) for p in problems if p.warning]


@admin_only("reload")
async def reload(update: Update, context: Context) -> None:
    """/reload: re-read the knowledge directory; on errors list them and keep the old knowledge base."""
    svc = services(context)
    prefs = await get_prefs(update, context)
    async with svc.kb_lock:
        problems = await asyncio.to_thread(svc.rehabbot.reload)
    errors, warnings = _split(problems)
    if errors:
        await svc.store.audit("reload", user_id(update), "error", f"{len(errors)} fel")
        html = _problems(prefs.lang, intro=views.texts(prefs.lang)["reload_failed"],
                            errors=errors, warnings=warnings)
    else:
        kb = svc.rehabbot.kb
        await svc.store.audit("reload", user_id(update), "ok", f"version {kb.version}")
        html = views.say(prefs.lang, "reload_ok", entries=len(kb.entries), version=kb.version)
        if warnings:
            html += "\n\n" + _problems(prefs.lang, intro=views.texts(prefs.lang)["warnings"],
                                          errors=warnings, warnings=[])
    await send(message_of(update), html)


@admin_only("kbinfo")
async def kbinfo(update: Update, context: Context) -> None:
    """/kbinfo: entries per kind, the last reload, entries past their review date."""
    svc = services(context)
    prefs = await get_prefs(update, context)
    kb = svc.rehabbot.kb
    past = [{"id": e.id, "reviewed": e.reviewed.isoformat() if e.reviewed else ""}
            for e in sorted(kb.past_review(svc.review_days), key=lambda e: (e.reviewed, e.id))]
    html = views.render(
        "kbinfo", prefs.lang, directory=display_path(svc.rehabbot.directory), version=kb.version,
        loaded=kb.loaded_at.strftime("%Y-%m-%d %H:%M:%S UTC"), total=len(kb.entries),
        counts=sorted(kb.counts().items()), store=svc.store.description, days=svc.review_days, past=past)
    await svc.store.audit("kbinfo", user_id(update), "ok")
    await send(message_of(update), html)


@admin_only("stats")
async def stats(update: Update, context: Context) -> None:
    """/stats [DAYS]: the store's report (default the last 30 days)."""
    svc = services(context)
    prefs = await get_prefs(update, context)
    days = 30
    asked = as_number(context.args[0]) if context.args else None
    if asked is not None and asked > 0:
        days = min(asked, 3650)
    if not svc.store.available:
        await send(message_of(update), views.say(prefs.lang, "stats_nostore"))
        return
    report = await svc.store.stats_report(days)
    await svc.store.audit("stats", user_id(update), "ok" if report is not None else "error")
    if report is None:
        await send(message_of(update), views.say(prefs.lang, "stats_failed"))
        return
    await send(message_of(update), views.render("pre", prefs.lang, text=report))


async def document(update: Update, context: Context) -> None:
    """A file sent to the bot: an admin's .yaml replaces a knowledge file if the whole directory stays valid."""
    doc = message_of(update).document
    assert doc is not None, "registered with filters.Document.ALL"
    name = doc.file_name or ""
    if not name.lower().endswith((".yaml", ".yml")):
        prefs = await get_prefs(update, context)
        key = "upload_only_yaml" if services(context).is_admin(user_id(update)) else "unsupported"
        await send(message_of(update), views.say(prefs.lang, key))
        return
    await _upload(update, context)


@admin_only("upload")
async def _upload(update: Update, context: Context) -> None:
    svc = services(context)
    prefs = await get_prefs(update, context)
    message = message_of(update)
    doc = message.document
    assert doc is not None, "only `document` calls this, for a message with a document"
    name = publish.upload_name(doc.file_name or "")
    uid = user_id(update)
    if not publish.FILE_NAME.match(name):
        await svc.store.audit("upload", uid, "refused", "bad file name")
        await send(message, views.say(prefs.lang, "upload_bad_name", name=name))
        return
    if (doc.file_size or 0) > MAX_UPLOAD_KB * 1024:
        await svc.store.audit("upload", uid, "refused", f"{name}: too large")
        await send(message, views.say(prefs.lang, "upload_too_big", max=MAX_UPLOAD_KB))
        return
    data = bytes(await (await doc.get_file()).download_as_bytearray())
    if len(data) > MAX_UPLOAD_KB * 1024:
        await svc.store.audit("upload", uid, "refused", f"{name}: too large")
        await send(message, views.say(prefs.lang, "upload_too_big", max=MAX_UPLOAD_KB))
        return
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        await svc.store.audit("upload", uid, "refused", f"{name}: not UTF-8")
        await send(message, views.say(prefs.lang, "upload_not_utf8"))
        return
    async with svc.kb_lock:
        outcome = await asyncio.to_thread(replace_file, svc.rehabbot, name, data, None, False, _versions(svc))
    if outcome.removed:
        token = secrets.token_hex(6)
        svc.pending_uploads[token] = (name, data, uid)
        await svc.store.audit("upload", uid, "pending", f"{name}: would remove {len(outcome.removed)} entries")
        shown = ", ".join(outcome.removed[:MAX_PROBLEMS_SHOWN])
        more = len(outcome.removed) - MAX_PROBLEMS_SHOWN
        html = views.say(prefs.lang, "upload_confirm", name=name, n=len(outcome.removed),
                         ids=shown + (f" … (+{more})" if more > 0 else ""))
        T = views.texts(prefs.lang)
        markup = views.keyboard([[views.button(T["btn_upload_yes"], cb.upload(token, True)),
                                  views.button(T["btn_upload_no"], cb.upload(token, False))]])
        await send(message, html, markup)
        return
    await _report_upload(update, context, name, outcome)


async def _report_upload(update: Update, context: Context, name: str, outcome: Outcome) -> None:
    svc = services(context)
    prefs = await get_prefs(update, context)
    message = message_of(update)
    uid = user_id(update)
    T = views.texts(prefs.lang)
    if outcome.errors:
        await svc.store.audit("upload", uid, "invalid", f"{name}: {len(outcome.errors)} fel")
        html = _problems(prefs.lang, intro=T["upload_invalid"].format(name=name),
                            errors=outcome.errors, warnings=outcome.warnings)
    elif outcome.failure:
        await svc.store.audit("upload", uid, "error", f"{name}: {outcome.failure}")
        html = views.say(prefs.lang, "upload_failed", reason=outcome.failure)
    else:
        kb = svc.rehabbot.kb
        await svc.store.audit("upload", uid, "ok", f"{name} version {kb.version}")
        html = views.say(prefs.lang, "upload_ok", name=name, entries=len(kb.entries), version=kb.version)
        html += "\n" + (views.say(prefs.lang, "upload_backup", backup=outcome.backup) if outcome.backup
                        else views.say(prefs.lang, "upload_new", name=name))
        if outcome.warnings:
            html += "\n\n" + _problems(prefs.lang, intro=T["warnings"], errors=outcome.warnings,
                                          warnings=[])
    await send(message, html)


class Outcome:
    def __init__(self, errors: list[str] | None = None, warnings: list[str] | None = None,
                 backup: str = "", failure: str = "", removed: list[str] | None = None):
        self.errors, self.warnings = errors or [], warnings or []
        self.backup, self.failure = backup, failure
        self.removed = removed or []  # not saved: it would remove these entries, unconfirmed


def replace_file(rehabbot, name: str, data: bytes, now: dt.datetime | None = None,
                 confirmed: bool = False, versions: Any = None) -> Outcome:
    """Validate `data` as `name` with the rest of the directory; when valid, swap it in with a backup.

    Blocking (runs in a worker thread). The same trial and publication as the web dashboard
    (bot/kb/publish.py): nothing on disk or in memory changes unless the whole directory with
    the new file is a valid knowledge base, and with `versions` (an `AdminStore`) the upload
    is a published version that other instances follow and the dashboard can restore.
    """
    directory = Path(rehabbot.directory)
    name = publish.upload_name(name)
    result = publish.trial(rehabbot.kb, directory, {name: data.decode("utf-8")})
    errors, warnings = _split(result.errors + result.warnings)
    if not result.valid:
        return Outcome(errors or ["ogiltig kunskapsbas"], warnings)
    if len(result.change.removed) > CONFIRM_REMOVALS and not confirmed:
        return Outcome(warnings=warnings, removed=result.change.removed)
    try:
        done = publish.go_live(rehabbot, result.files, "Telegram", f"uppladdad: {name}", versions, now)
    except OSError as exc:
        return Outcome(failure=exc.strerror or type(exc).__name__)
    errors, warnings = _split(done.problems)
    if errors:  # the directory changed under us; the old files are back
        return Outcome(errors, warnings)
    return Outcome(warnings=warnings, backup=next(iter(done.backups), ""))


def _versions(svc: Any) -> Any:
    """The published versions in the bot's database (an `AdminStore`), or None without one."""
    store = svc.store.store
    if store is None or not hasattr(store, "db"):
        return None
    from bot.store.admin import AdminStore
    return AdminStore(store.db, store.clock)


@admin_only("upload")
async def on_upload_confirm(update: Update, context: Context) -> None:
    """`u:<token>:<y|n>`: the admin's answer to an upload that would remove entries."""
    svc = services(context)
    prefs = await get_prefs(update, context)
    query = query_of(update)
    found = match_of(context)
    pending = svc.pending_uploads.pop(found["token"], None)
    await query.answer()
    if pending is None or pending[2] != user_id(update):
        await send(message_of(update), views.say(prefs.lang, "upload_gone"))
        return
    name, data, uid = pending
    if found["act"] == "n":
        await svc.store.audit("upload", uid, "dropped", name)
        await send(message_of(update), views.say(prefs.lang, "upload_dropped", name=name))
        return
    async with svc.kb_lock:
        outcome = await asyncio.to_thread(replace_file, svc.rehabbot, name, data, None, True, _versions(svc))
    await _report_upload(update, context, name, outcome)
