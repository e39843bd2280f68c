"""The admins' dashboard at /admin: what people ask and don't get, feedback, the entries, and
publishing a changed knowledge base with every version kept and any of them restorable.

Only logged-in accounts (`rehabbot admin add`) see it, and nothing public links to it. A
login is a session cookie of its own (HttpOnly, SameSite=Strict, Secure over HTTPS, path
/admin) that ends after `IDLE_S` without a request; every form carries the session's CSRF
token; every action goes to the audit log with who did it. Viewers read; editors also mark
themes, publish and restore. Publishing goes through `bot.kb.publish`: the whole directory
is tried as `kb check` would, and only a valid trial replaces the live knowledge base.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import secrets
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markupsafe import Markup
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.answers.render import entry_view, environment, labels
from bot.kb import publish, translations
from bot.kb.loader import TRANSLATIONS_DIR
from bot.kb.translations import LANGUAGES as TRANSLATED_LANGUAGES
from bot.settings import LANGS, RTL_LANGS
from bot.store.admin import Account, AdminStore, digest_of
from bot.store.dashboard import OUTCOMES, entry_votes, overview
from bot.store.themes import signature
from bot.text.readability import lix

COOKIE = "rehabbot_admin"
IDLE_S = 30 * 60


@dataclass
class AdminSession:
    token: str
    csrf: str
    account: Account | None = None  # None: the login form's session, before the password
    seen: float = field(default_factory=time.monotonic)
    pending: dict[str, dict[str, str]] = field(default_factory=dict)  # trial id → the files it would publish


class AdminSessions:
    def __init__(self, idle_s: float = IDLE_S, clock: Callable[[], float] = time.monotonic):
        self.idle_s, self.clock = idle_s, clock
        self._key = secrets.token_bytes(32)
        self._sessions: dict[str, AdminSession] = {}
        self._lock = threading.Lock()

    def create(self, account: Account | None = None) -> AdminSession:
        token = secrets.token_urlsafe(32)
        csrf = hmac.new(self._key, token.encode(), hashlib.sha256).hexdigest()
        session = AdminSession(token, csrf, account, self.clock())
        with self._lock:
            now = self.clock()
            for stale in [t for t, s in self._sessions.items() if now - s.seen > self.idle_s]:
                del self._sessions[stale]
            self._sessions[token] = session
        return session

    def get(self, token: str | None) -> AdminSession | None:
        with self._lock:
            session = self._sessions.get(token or "")
            if session is None or self.clock() - session.seen > self.idle_s:
                self._sessions.pop(token or "", None)
                return None
            session.seen = self.clock()
            return session

    def end(self, session: AdminSession) -> None:
        with self._lock:
            self._sessions.pop(session.token, None)


class Admin:
    """The dashboard's handlers; `web` is the public site's `Web` (its core, store and pages)."""

    def __init__(self, web: Any, review_days: int = 365, sessions: AdminSessions | None = None):
        self.web, self.review_days = web, review_days
        self.sessions = AdminSessions() if sessions is None else sessions

    def routes(self) -> list[Route]:
        guard = self._guard
        return [
            Route("/admin/login", self.login_page, methods=["GET"]),
            Route("/admin/login", self.login, methods=["POST"]),
            Route("/admin/logout", guard(self.logout), methods=["POST"]),
            Route("/admin", guard(self.overview), methods=["GET"]),
            Route("/admin/obesvarade", guard(self.unanswered), methods=["GET"]),
            Route("/admin/obesvarade", guard(self.mark_theme, editor=True), methods=["POST"]),
            Route("/admin/aterkoppling", guard(self.feedback), methods=["GET"]),
            Route("/admin/poster", guard(self.entries), methods=["GET"]),
            Route("/admin/poster/{entry_id}", guard(self.entry), methods=["GET"]),
            Route("/admin/poster/{entry_id}/granskad", guard(self.mark_reviewed, editor=True), methods=["POST"]),
            Route("/admin/publicera", guard(self.publish_page), methods=["GET"]),
            Route("/admin/publicera", guard(self.try_publish, editor=True), methods=["POST"]),
            Route("/admin/publicera/bekrafta", guard(self.confirm_publish, editor=True), methods=["POST"]),
            Route("/admin/versioner", guard(self.versions), methods=["GET"]),
            Route("/admin/versioner/aterstall", guard(self.restore, editor=True), methods=["POST"]),
            Route("/admin/logg", guard(self.audit_log), methods=["GET"]),
        ]

    # -- access ----------------------------------------------------------------

    @property
    def store(self) -> Any:
        """The store itself (blocking calls run in a thread), or None without a database."""
        return getattr(self.web.store, "store", None)

    def _admin_store(self) -> AdminStore:
        if self.store is None:
            raise HTTPException(503, "ingen databas")
        return AdminStore(self.store.db, self.store.clock)

    def _guard(self, handler: Callable[..., Awaitable[Response]], editor: bool = False) -> Callable[
            [Request], Awaitable[Response]]:
        async def guarded(request: Request) -> Response:
            if self.store is None:
                return self.page(request, "unavailable", None, status=503)
            session = self.sessions.get(request.cookies.get(COOKIE))
            if session is None or session.account is None:
                return RedirectResponse("/admin/login", status_code=303)
            form = None
            if request.method == "POST":
                form = await self._form(request)
                if not hmac.compare_digest(session.csrf, str(form.get("csrf") or "")):
                    await self._audit(session, "admin_forged", "refused", request.url.path)
                    return self.page(request, "refused", session, status=403)
                if editor and not session.account.can_publish:
                    await self._audit(session, "admin_not_editor", "refused", request.url.path)
                    return self.page(request, "viewer", session, status=403)
            response: Response = await handler(request, session, form)
            return response
        return guarded

    async def _form(self, request: Request) -> FormData:
        try:
            return await request.form(max_files=20, max_fields=40, max_part_size=publish.MAX_FILE_BYTES)
        except HTTPException:
            raise
        except Exception as exc:  # a malformed body
            raise HTTPException(400) from exc

    async def _audit(self, session: AdminSession | None, action: str, result: str, detail: str = "") -> None:
        who = session.account.name if session and session.account else "-"
        await self.web.store.audit(action, None, result, f"{who}: {detail}" if detail else who)

    def page(self, request: Request, template: str, session: AdminSession | None, status: int = 200,
             **context: Any) -> Response:
        L = labels()["sv"]
        context = {"refused": [], "token": "", **context}
        html = environment().get_template(f"web/admin/{template}.j2").render(
            L=L, W=L["web"], A=L["admin"], lang="sv", dir="ltr", path=request.url.path, session=session,
            account=session.account if session else None, embed=False, rtl=(), **context)
        response = Response(html, status_code=status, media_type="text/html")
        response.headers["cache-control"] = "no-store"
        return response

    def _cookie(self, response: Response, session: AdminSession) -> Response:
        response.set_cookie(COOKIE, session.token, httponly=True, samesite="strict", path="/admin",
                            secure=self.web.config.secure_cookies)
        return response

    async def login_page(self, request: Request, message: str = "", status: int = 200) -> Response:
        session = self.sessions.create()
        return self._cookie(self.page(request, "login", session, status=status, message=message), session)

    async def login(self, request: Request) -> Response:
        A = labels()["sv"]["admin"]
        if self.store is None:
            return self.page(request, "unavailable", None, status=503)
        form = await self._form(request)
        pre = self.sessions.get(request.cookies.get(COOKIE))
        if pre is None or not hmac.compare_digest(pre.csrf, str(form.get("csrf") or "")):
            return await self.login_page(request, A["login_again"], status=403)
        name = str(form.get("name") or "").strip()[:64]
        outcome = await asyncio.to_thread(self._admin_store().login, name, str(form.get("password") or ""))
        self.sessions.end(pre)
        if outcome.account is None:
            locked = outcome.locked_until > time.time()
            await self.web.store.audit("admin_login", None, "locked" if locked else "failed", name or "-")
            message = (A["locked"].format(until=dt.datetime.fromtimestamp(outcome.locked_until).strftime("%H:%M"))
                       if locked else A["login_failed"])
            return await self.login_page(request, message, status=401)
        session = self.sessions.create(outcome.account)  # a new token: the login form's cannot be fixed upon
        await self._audit(session, "admin_login", "ok")
        return self._cookie(RedirectResponse("/admin", status_code=303), session)

    async def logout(self, request: Request, session: AdminSession, form: FormData | None) -> Response:
        await self._audit(session, "admin_logout", "ok")
        self.sessions.end(session)
        response = RedirectResponse("/admin/login", status_code=303)
        response.delete_cookie(COOKIE, path="/admin")
        return response

    # -- what people ask -------------------------------------------------------------

    async def overview(self, request: Request, session: AdminSession, form: FormData | None) -> Response:
        days = _days(request)
        data = await asyncio.to_thread(overview, self.store.db, self.store.clock(), days)
        peak = max((sum(c.values()) for c in data.per_day.values()), default=0)
        return self.page(request, "overview", session, o=data, days=days, peak=max(peak, 1), outcomes=OUTCOMES,
                         kb=self.web.rehabbot.kb)

    async def unanswered(self, request: Request, session: AdminSession, form: FormData | None,
                         message: str = "") -> Response:
        days = _days(request)
        stats = await asyncio.to_thread(self.store.stats, days, max_themes=50)
        marks = await asyncio.to_thread(self._admin_store().theme_marks)
        themes = [(t, signature(t.label), marks.get(signature(t.label), "")) for t in stats.themes]
        themes.sort(key=lambda item: (item[2] == "done", -item[0].count))
        return self.page(request, "unanswered", session, themes=themes, days=days, total=stats.unanswered,
                         message=message)

    async def mark_theme(self, request: Request, session: AdminSession, form: FormData | None) -> Response:
        assert form is not None
        label, status = str(form.get("theme") or ""), str(form.get("status") or "")
        if status not in ("done", ""):
            raise HTTPException(400)
        assert session.account is not None
        await asyncio.to_thread(self._admin_store().mark_theme, signature(label), status, session.account.name)
        await self._audit(session, "admin_theme", status or "reopened", label[:200])
        return RedirectResponse("/admin/obesvarade", status_code=303)

    async def feedback(self, request: Request, session: AdminSession, form: FormData | None) -> Response:
        votes = await asyncio.to_thread(entry_votes, self.store.db)
        weeks = sorted({w for v in votes for w in v.weeks})[-8:]
        return self.page(request, "feedback", session, votes=votes, weeks=weeks, kb=self.web.rehabbot.kb)

    # -- the entries ------------------------------------------------------------------

    async def entries(self, request: Request, session: AdminSession, form: FormData | None) -> Response:
        kb = self.web.rehabbot.kb
        stale = {e.id for e in kb.past_review(self.review_days)}
        rows = [(e, e.id in stale, lix(e.answer.for_mode("individual"))) for e in kb.entries]
        def states(entry: Any) -> list[tuple[str, int]]:
            found = Counter(entry.translation_state(lang) for lang in TRANSLATED_LANGUAGES)
            return [(state, found[state]) for state in ("reviewed", "machine", "outdated", "missing") if found[state]]
        return self.page(request, "entries", session, rows=rows, review_days=self.review_days, states=states)

    async def entry(self, request: Request, session: AdminSession, form: FormData | None) -> Response:
        """One entry as staff and individual see it in every language, and its translations' states."""
        kb = self.web.rehabbot.kb
        entry = kb.get(request.path_params["entry_id"])
        if entry is None:
            raise HTTPException(404)
        views = []
        for mode in ("staff", "individual"):
            for lang in LANGS if mode == "individual" else ("sv", "en"):
                if mode == "individual" and entry.audience == "staff":
                    continue
                body = environment().get_template(f"web/answer_{mode}.j2").render(
                    v=entry_view(entry, kb, mode, lang), L=labels()[lang], mode=mode, lang=lang)
                views.append((mode, lang, "rtl" if lang in RTL_LANGS else "ltr", Markup(body)))
        states = [(lang, entry.translation_state(lang)) for lang in TRANSLATED_LANGUAGES] \
            if entry.audience != "staff" else []
        origin = kb.origins.get(entry.id)
        return self.page(request, "entry", session, entry=entry, views=views, origin=origin, states=states)

    async def mark_reviewed(self, request: Request, session: AdminSession, form: FormData | None) -> Response:
        """A person has read a machine translation against the Swedish: publish it as reviewed."""
        assert form is not None
        kb = self.web.rehabbot.kb
        entry = kb.get(request.path_params["entry_id"])
        lang = str(form.get("lang") or "")
        if entry is None or lang not in TRANSLATED_LANGUAGES or entry.translation_state(lang) != "machine":
            raise HTTPException(404)
        name = f"{TRANSLATIONS_DIR}/{lang}.yaml"
        directory = Path(kb.directory)
        text = publish.yaml_files(directory).get(name)
        if text is None:
            raise HTTPException(404)
        marked = translations.mark_reviewed(text, entry.id, dt.date.today())
        result = await asyncio.to_thread(publish.trial, kb, directory, {name: marked})
        A = labels()["sv"]["admin"]
        note = A["reviewed_note"].format(entry=entry.id, lang=A["names"][lang])
        return await self._replace(request, session, result.files, note, "admin_translation_reviewed",
                                   back=f"/admin/poster/{entry.id}")

    # -- publishing -----------------------------------------------------------------

    async def publish_page(self, request: Request, session: AdminSession, form: FormData | None) -> Response:
        kb = self.web.rehabbot.kb
        files = publish.yaml_files(Path(kb.directory))
        draft = request.query_params.get("utkast", "")
        name = request.query_params.get("fil", "")
        if draft:  # a theme turned into a new entry: a file of its own, invalid until completed
            name, text = "utkast.yaml", _draft_entry(draft)
        else:
            text = files.get(name, "")
        return self.page(request, "publish", session, files=sorted(files), text=text, name=name, trial=None)

    async def try_publish(self, request: Request, session: AdminSession, form: FormData | None) -> Response:
        """Validate the uploaded files (or the edited text) with the whole directory; show the diff."""
        assert form is not None
        A = labels()["sv"]["admin"]
        new: dict[str, str] = {}
        refused = []
        for upload in form.getlist("files"):
            if isinstance(upload, UploadFile) and upload.filename:
                data = await upload.read()
                name = publish.upload_name(upload.filename)
                problem = publish.check_upload(name, data)
                if problem:
                    refused.append(problem)
                else:
                    new[name] = data.decode("utf-8")
        name, text = str(form.get("name") or "").strip(), str(form.get("text") or "")
        if text.strip():
            problem = publish.check_upload(name, text.encode("utf-8"))
            if problem:
                refused.append(problem)
            else:
                new[name] = text.replace("\r\n", "\n")
        kb = self.web.rehabbot.kb
        files = sorted(publish.yaml_files(Path(kb.directory)))
        if refused or not new:
            await self._audit(session, "admin_publish_try", "refused", "; ".join(refused) or "inga filer")
            return self.page(request, "publish", session, files=files, text=text, name=name, trial=None,
                             refused=refused or [A["no_files"]], status=400)
        result = await asyncio.to_thread(publish.trial, kb, Path(kb.directory), new)
        token = ""
        if result.valid:
            token = secrets.token_urlsafe(16)
            session.pending = {token: result.files}  # only the newest trial can be published
        await self._audit(session, "admin_publish_try", "valid" if result.valid else "invalid",
                          f"{', '.join(sorted(new))}: {len(result.errors)} fel")
        return self.page(request, "publish", session, files=files, text=text, name=name, trial=result,
                         token=token, status=200 if result.valid else 422)

    async def confirm_publish(self, request: Request, session: AdminSession, form: FormData | None) -> Response:
        assert form is not None
        files = session.pending.pop(str(form.get("token") or ""), None)
        if files is None:
            return await self.publish_page(request, session, form)
        note = str(form.get("note") or "")[:200]
        return await self._replace(request, session, files, note, "admin_publish")

    async def _replace(self, request: Request, session: AdminSession, files: dict[str, str], note: str,
                       action: str, back: str = "") -> Response:
        """Try `files` as the whole directory again (it may have changed meanwhile), then swap it in."""
        bot = self.web.rehabbot
        directory = Path(bot.kb.directory)
        store = self._admin_store()
        assert session.account is not None
        result = await asyncio.to_thread(publish.trial, bot.kb, directory, files, True)
        if not result.valid:
            await self._audit(session, action, "invalid", f"{len(result.errors)} fel")
            return self.page(request, "publish", session, files=sorted(publish.yaml_files(directory)), text="",
                             name="", trial=result, token="", status=422)

        def swap() -> publish.Published:
            by = session.account.name if session.account else "-"
            done = publish.go_live(bot, files, by, note, store)
            if done.version is not None and self.web.follower is not None:
                self.web.follower.seen = done.version  # this instance serves it already
            return done
        done = await asyncio.to_thread(swap)
        if not done.ok:
            await self._audit(session, action, "invalid", f"{len(done.problems)} fel vid laddningen")
            return self.page(request, "publish", session, files=sorted(publish.yaml_files(directory)), text="",
                             name="", trial=None, refused=[str(p) for p in done.problems if not p.warning],
                             status=409)
        problems = done.problems
        change = result.change
        await self._audit(session, action, "ok", f"+{len(change.added)} −{len(change.removed)} "
                                                 f"~{len(change.changed)} poster; {', '.join(change.files)}")
        return self.page(request, "published", session, change=change, warnings=problems, kb=bot.kb, note=note,
                         back=back)

    async def versions(self, request: Request, session: AdminSession, form: FormData | None) -> Response:
        versions = await asyncio.to_thread(self._admin_store().versions)
        live = publish.yaml_files(Path(self.web.rehabbot.kb.directory))
        return self.page(request, "versions", session, versions=versions, live=digest_of(live))

    async def restore(self, request: Request, session: AdminSession, form: FormData | None) -> Response:
        assert form is not None
        raw = str(form.get("version") or "")
        version = await asyncio.to_thread(self._admin_store().version, int(raw)) if raw.isdigit() else None
        if version is None:
            raise HTTPException(404)
        return await self._replace(request, session, dict(version.files), f"återställd från version {version.id}",
                                   "admin_restore")

    async def audit_log(self, request: Request, session: AdminSession, form: FormData | None) -> Response:
        from bot.store.dashboard import audit_rows
        rows = await asyncio.to_thread(audit_rows, self.store.db)
        return self.page(request, "log", session, rows=[(dt.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S"),
                                                         a, r, d) for ts, a, r, d in rows])


def _days(request: Request) -> int:
    raw = request.query_params.get("dagar", "30")
    return min(int(raw), 365) if raw.isdigit() and int(raw) >= 1 else 30


def _draft_entry(theme: str) -> str:
    """A draft entry for a theme of unanswered questions, to complete before publishing."""
    import re

    import yaml
    words = re.sub(r"[^a-z0-9]+", "_", theme.lower()).strip("_")[:24] or "ny_post"
    draft = [{"id": f"utkast_{words}", "title": theme[:80], "questions": [theme[:200]],
              "answer": "SKRIV SVARET HÄR", "sources": [{"title": "KÄLLA", "url": "https://"}],
              "reviewed": dt.date.today().isoformat()}]
    return "# Utkast: fyll i svar och källa, lägg posten i rätt fil och publicera.\n" + yaml.safe_dump(
        draft, allow_unicode=True, sort_keys=False)
