"""The web channel as an ASGI application (Starlette): the chat, the knowledge as a site, the
process map, the statements, the embed and the health check.

The channel is thin, as Telegram's is: a request becomes a call to the core (through
`bot.channels.web.chat` for the chat) and the core's rendering in the web format goes back
inside a page template. Every page and the whole chat work without JavaScript: a form posts,
the server answers with a redirect to the page (post/redirect/get), and `static/chat.js` only
makes the same round trip without reloading. What a visitor may see is the core's decision
(mode, audience); this module adds the page around it and the protections of a public site:
CSRF tokens, size limits, security headers and an escaped template layer.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
from dataclasses import dataclass
from functools import partial
from importlib.resources import files
from typing import Any
from urllib.parse import quote, urlencode

from markupsafe import Markup
from starlette.applications import Starlette
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.answers.render import entry_view, environment, labels
from bot.channels.flood import ALLOW, FloodLimit
from bot.channels.web.chat import FORMAT, MAX_QUESTION, Chat
from bot.channels.web.sessions import COOKIE, Session, Sessions
from bot.kb.schema import Entry
from bot.service import Rehabbot
from bot.settings import LANGS, MODES, RTL_LANGS
from bot.store.gateway import NoStore, StoreGateway
from bot.text.redact import redact

logger = logging.getLogger(__name__)

MAX_BODY = 64 * 1024  # bytes of a form: a question is at most a few kB
MAX_UPLOAD = 8 * 1024 * 1024  # the dashboard's publish form: a few YAML files
ADDRESS_BURST, ADDRESS_EVERY_S = 60, 0.5  # questions from one address: 60 at once, then 2 a second
KINDS = ("actor", "insats", "task", "faq", "begrepp")
ACCESSIBILITY_REVIEWED = dt.date(2026, 12, 2)  # when the statement's self-assessment was last made
_SAFE_NEXT = re.compile(r"^/(?!/)[^\s\\]*$")


@dataclass(frozen=True)
class WebConfig:
    """What the pages say about the service: who runs it and how to reach them."""

    operator: str = ""  # REHABBOT_WEB_OPERATOR: the organisation that provides the service
    contact: str = ""  # REHABBOT_WEB_CONTACT: an e-mail address or web address for questions
    secure_cookies: bool = False  # Secure on the cookie: the site is served over HTTPS
    review_days: int = 365  # REHABBOT_REVIEW_MAX_AGE_DAYS: the dashboard marks entries reviewed longer ago
    rate_limit: bool = True  # REHABBOT_RATE_LIMIT: questions per visitor and per address are limited


def create_app(rehabbot: Rehabbot, store: StoreGateway | None = None, config: WebConfig | None = None,
               sessions: Sessions | None = None, telegram: Route | None = None) -> Starlette:
    """The web application over one core and one store gateway (shared with Telegram in `run --web`;
    `telegram`: the bot's webhook route, in `run --web --webhook`)."""
    from bot.channels.web.admin import Admin
    web = Web(rehabbot, store or NoStore(), config or WebConfig(), Sessions() if sessions is None else sessions)
    admin = Admin(web, web.config.review_days)
    routes = [*admin.routes(),
        Route("/", web.chat_page, methods=["GET"]),
        Route("/chat", web.chat_post, methods=["POST"]),
        Route("/embed", partial(web.chat_page, embed=True), methods=["GET"]),
        Route("/embed.js", web.embed_script, methods=["GET"]),
        Route("/installningar", web.preferences, methods=["GET", "POST"]),
        Route("/kunskap", web.knowledge, methods=["GET"]),
        Route("/kunskap/ordlista", web.glossary, methods=["GET"]),
        Route("/kunskap/{entry_id}", web.entry_page, methods=["GET"]),
        Route("/karta", web.map_page, methods=["GET"]),
        Route("/karta.svg", web.map_svg, methods=["GET"]),
        Route("/om", web.about, methods=["GET"]),
        Route("/tillganglighet", web.accessibility, methods=["GET", "POST"]),
        Route("/hälsa", web.health, methods=["GET"]),
        Route("/halsa", web.health, methods=["GET"]),
        Route("/health", web.health, methods=["GET"]),
        Mount("/static", app=StaticFiles(directory=str(files("bot.channels.web").joinpath("static"))), name="static"),
    ]
    larger = {"/admin/publicera": MAX_UPLOAD}
    if telegram is not None:
        from bot.channels.telegram.webhook import MAX_UPDATE_BYTES
        routes.insert(0, telegram)
        larger[telegram.path] = MAX_UPDATE_BYTES
    app = Starlette(routes=routes, middleware=[Middleware(Protect, larger=larger)],
                    exception_handlers={HTTPException: web.http_error, Exception: web.server_error})
    app.state.web, app.state.admin = web, admin
    return app


class Protect:
    """Security headers on every response and a size limit on every request body (pure ASGI, so
    a streamed upload is cut off before it is read, not after)."""

    def __init__(self, app: ASGIApp, larger: dict[str, int] | None = None):
        self.app = app
        self.larger = larger or {}  # path → its own body limit (uploads, Telegram's webhook)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length", b"0")
        limit = self.larger.get(scope["path"], MAX_BODY)
        if not length.isdigit() or int(length) > limit:
            await PlainTextResponse("För stort / too large", status_code=413)(scope, receive, send)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise HTTPException(413)
            return message

        embed = scope["path"] in ("/embed", "/embed.js")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = [
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"content-security-policy",
                     b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                     b"form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors "
                     + (b"*" if embed else b"'none'")),
                ]
                if not embed:
                    extra.append((b"x-frame-options", b"DENY"))
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, limited, with_headers)


class Web:
    """The request handlers; one instance per application."""

    def __init__(self, rehabbot: Rehabbot, store: StoreGateway, config: WebConfig, sessions: Sessions):
        self.rehabbot, self.store, self.config, self.sessions = rehabbot, store, config, sessions
        self.chat = Chat(rehabbot, store)
        # Questions per visitor (their session) and per address (a script that makes a new
        # session for every question); a proxy in front passes the visitor's address on
        # (uvicorn's proxy headers), so the address limit is per visitor there too.
        self.flood, self.flood_by_address = (FloodLimit(), FloodLimit(burst=ADDRESS_BURST, every=ADDRESS_EVERY_S)) \
            if config.rate_limit else (FloodLimit.unlimited(), FloodLimit.unlimited())
        self._maps: dict[tuple[Any, ...], bytes] = {}
        self.follower: Any = None  # set by `serve` when the instance follows published versions

    # -- sessions and pages --------------------------------------------------

    def session_of(self, request: Request, form: FormData | None = None) -> Session | None:
        """The visitor's session: from the cookie, or in the embed (where a third-party cookie may
        not arrive) from the form or the address."""
        token = request.cookies.get(COOKIE)
        if token is None and form is not None:
            token = str(form.get("sid") or "") or None
        if token is None:
            token = request.query_params.get("sid")
        return self.sessions.get(token)

    def page(self, request: Request, name: str, session: Session | None, status: int = 200,
             **context: Any) -> HTMLResponse:
        lang = session.lang if session else _lang_of(request)
        mode = session.mode if session else "staff"
        template = environment().get_template(f"{FORMAT}/pages/{name}.j2")
        html = template.render(L=labels()[lang], W=labels()[lang]["web"], T=labels()[lang]["tg"], lang=lang,
                               dir="rtl" if lang in RTL_LANGS else "ltr", mode=mode, session=session,
                               path=request.url.path, here=_here(request), langs=LANGS, modes=MODES, rtl=RTL_LANGS,
                               **context)
        response = HTMLResponse(html, status_code=status)
        response.headers["cache-control"] = "no-store"
        return response

    def _with_cookie(self, response: Response, session: Session) -> Response:
        response.set_cookie(COOKIE, session.token, httponly=True, samesite="lax", path="/",
                            secure=self.config.secure_cookies)
        return response

    # -- the chat ------------------------------------------------------------

    async def chat_page(self, request: Request, embed: bool = False) -> Response:
        session = self.session_of(request)
        fresh = session is None
        if session is None:
            session = self.sessions.create()
            if request.query_params.get("lang") in LANGS:
                session.lang = request.query_params["lang"]
        flash, session_flash = session_message(session)
        pathways = bool(self.rehabbot.kb.pathways_for(session.mode))
        expired = fresh and COOKIE in request.cookies
        response = self.page(request, "chat", session, embed=embed, flash=flash or (
            labels()[session.lang]["web"]["expired"] if expired else ""), flash_error=session_flash,
            max_question=MAX_QUESTION, pathways=pathways)
        return self._with_cookie(response, session)

    async def chat_post(self, request: Request) -> Response:
        form = await _form(request)
        session = self.session_of(request, form)
        embed = form.get("embed") == "1"
        if session is None or not self.sessions.valid_csrf(session, str(form.get("csrf") or "")):
            # An expired session or a forged form: nothing is done, and the visitor is told so.
            session = session or self.sessions.create()
            refuse = self.page(request, "refused", session, status=403)
            return self._with_cookie(refuse, session)
        action, _, value = str(form.get("do") or "").partition(":")
        fields = {k: str(v) for k, v in form.items() if isinstance(v, str)}
        fields["value"] = value
        if action == "ask" and not self._may_ask(request, session, fields.get("q", "")):
            message = str(labels()[session.lang]["tg"]["too_fast"])
        else:
            async with session.busy:
                message = await self.chat.act(session, action, fields)
        session.flash = message
        target = ("/embed" if embed else "/") + (f"?sid={quote(session.token)}" if embed else "")
        anchor = f"#turn-{session.counter}" if not message and session.turns else "#ask"
        return self._with_cookie(RedirectResponse(target + anchor, status_code=303), session)

    def _may_ask(self, request: Request, session: Session, text: str) -> bool:
        """Within the flood limits (a crisis message always is): the question is matched."""
        address = request.client.host if request.client else "-"
        by_session = self.flood.check(session.token, text)
        by_address = self.flood_by_address.check(address, text)
        return by_session == ALLOW and by_address == ALLOW

    async def preferences(self, request: Request) -> Response:
        """Mode and language: the chat's form (POST, with its CSRF token) or a language link (GET)."""
        form = await _form(request) if request.method == "POST" else None
        values = form if form is not None else request.query_params
        session = self.session_of(request, form)
        if form is not None and not self.sessions.valid_csrf(session, str(form.get("csrf") or "")):
            session = session or self.sessions.create()
            return self._with_cookie(self.page(request, "refused", session, status=403), session)
        session = session or self.sessions.create()
        mode, lang = values.get("mode"), values.get("lang")
        if mode in MODES:
            session.mode, session.mode_chosen = str(mode), True
        if lang in LANGS:
            session.lang = str(lang)
        if form is not None:
            W = labels()[session.lang]["web"]
            session.notice = W["settings_saved"].format(
                mode=W["mode_names"][session.mode], lang=W["lang_names"][session.lang])
        target = str(values.get("next") or "/")
        if not _SAFE_NEXT.match(target):
            target = "/"
        if form is not None and form.get("embed") == "1":
            target = f"/embed?sid={quote(session.token)}"
        return self._with_cookie(RedirectResponse(target, status_code=303), session)

    async def embed_script(self, request: Request) -> Response:
        """The snippet other sites include: a button that opens the chat in a frame."""
        origin = f"{request.url.scheme}://{request.url.netloc}"
        script = files("bot.channels.web").joinpath("static", "embed.js").read_text(encoding="utf-8")
        return Response(script.replace("__ORIGIN__", origin), media_type="text/javascript",
                        headers={"cache-control": "public, max-age=3600"})

    # -- the knowledge as a site ----------------------------------------------

    def _visible(self, entry: Entry, mode: str) -> bool:
        return mode != "individual" or entry.audience != "staff"

    async def knowledge(self, request: Request) -> Response:
        session = self.session_of(request)
        mode, lang = (session.mode, session.lang) if session else ("staff", _lang_of(request))
        kb = self.rehabbot.kb
        q = " ".join(request.query_params.get("q", "").split())[:MAX_QUESTION]
        results: list[Entry] = []
        if q:
            match = await asyncio.to_thread(self.rehabbot.snapshot.matcher.match, q, mode)
            results = [c.entry for c in match.candidates if c.score > 0 and self._visible(c.entry, mode)]
        groups = [(kind, sorted((e for e in kb.of_kind(kind) if self._visible(e, mode)),
                                key=lambda e: e.title_in(lang, mode).casefold())) for kind in KINDS]
        return self.page(request, "kunskap", session, q=q, results=results,
                         groups=[(k, es) for k, es in groups if es])

    async def glossary(self, request: Request) -> Response:
        """The words and abbreviations people meet (FK, AF, SGI, LUH …), A–Ö, with their sources."""
        session = self.session_of(request)
        lang = session.lang if session else _lang_of(request)
        kb = self.rehabbot.kb
        terms = sorted(kb.glossary, key=lambda g: g.term.casefold())
        rows = [(g, (g.explanation_en if lang == "en" and g.explanation_en else g.explanation) or "",
                 kb.citations(g.sources)) for g in terms]
        return self.page(request, "ordlista", session, rows=rows)

    async def entry_page(self, request: Request) -> Response:
        session = self.session_of(request)
        mode, lang = (session.mode, session.lang) if session else ("staff", _lang_of(request))
        if request.query_params.get("lang") in LANGS:  # "the original in Swedish" under a translation
            lang = request.query_params["lang"]
        kb = self.rehabbot.kb
        entry = kb.get(request.path_params["entry_id"])
        if entry is None:
            return self.page(request, "not_found", session, status=404,
                             message=labels()[lang]["web"]["entry_not_found"])
        shown_mode = mode if self._visible(entry, mode) else "staff"
        view = entry_view(entry, kb, shown_mode, lang)
        body = environment().get_template(f"{FORMAT}/answer_{shown_mode}.j2").render(
            v=view, L=labels()[lang], mode=shown_mode, lang=lang)
        actors = {e.id for e in kb.of_kind("actor")}
        on_map = entry.id if entry.id in actors else next((a for a in entry.responsible if a in actors), None)
        return self.page(request, "entry", session, entry=entry, view=view, body=Markup(body),
                         staff_only=shown_mode != mode, on_map=on_map,
                         related=list(kb.related(entry, mode)))

    # -- the process map ------------------------------------------------------

    def _map_query(self, request: Request) -> tuple[str | None, str | None, str | None, bool, str]:
        kb, params = self.rehabbot.kb, request.query_params
        actor = params.get("aktor") or None
        pathway = params.get("vagledning") or None
        plan = params.get("plan") or None
        unknown = ""
        found = kb.get(actor)
        if actor is not None and (found is None or found.kind != "actor"):
            unknown, actor = actor, None
        chosen = kb.pathway(pathway)
        if pathway is not None and chosen is None:
            unknown, pathway = pathway, None
        node = chosen.nodes.get(plan) if chosen is not None and plan is not None else None
        plan = plan if node is not None and node.is_plan else None
        return actor, pathway, plan, params.get("bara") == "1" and bool(actor or pathway), unknown

    async def _svg(self, actor: str | None, pathway: str | None, plan: str | None, only: bool,
                   lang: str) -> bytes | None:
        """The map as SVG, each node a link to its entry; None when Graphviz is missing."""
        from bot.map.graph import render_bytes
        key = (self.rehabbot.kb.version, id(self.rehabbot.kb), actor, pathway, plan, only, lang)
        if key not in self._maps:
            try:
                # dpi 72: the SVG's sizes in points as they are, so a label reads at about 19 CSS pixels.
                data = await asyncio.to_thread(render_bytes, self.rehabbot.kb, "svg", actor, pathway, plan, lang,
                                               72, lambda entry_id: f"/kunskap/{entry_id}", only)
            except (OSError, RuntimeError) as exc:  # graphviz.ExecutableNotFound is a RuntimeError
                logger.warning("web: the map cannot be drawn: %s", exc)
                return None
            if len(self._maps) > 64:
                self._maps.clear()
            self._maps[key] = data
        return self._maps[key]

    async def map_page(self, request: Request) -> Response:
        session = self.session_of(request)
        lang = session.lang if session else _lang_of(request)
        actor, pathway, plan, only, unknown = self._map_query(request)
        svg = await self._svg(actor, pathway, plan, only, lang)
        kb = self.rehabbot.kb
        mode = session.mode if session else "staff"
        lanes = [(a, sorted((e for e in kb.of_kind("insats") if a.id in e.responsible[:1]),
                            key=lambda e: e.title_in(lang).casefold())) for a in kb.of_kind("actor")]
        plan_view = None
        if pathway is not None and plan is not None:
            plan_view = _plan_steps(kb, pathway, plan, mode, lang)
        query = {k: v for k, v in (("aktor", actor), ("vagledning", pathway), ("plan", plan)) if v}
        return self.page(request, "karta", session, svg=Markup(_inline(svg)) if svg else None, actor=actor,
                         pathway=pathway, plan=plan, only=only, unknown=unknown, lanes=lanes,
                         actors=kb.of_kind("actor"), pathways=kb.pathways_for(mode), plan_view=plan_view,
                         svg_link="/karta.svg?" + urlencode({**query, "bara": "1" if only else "0"}))

    async def map_svg(self, request: Request) -> Response:
        session = self.session_of(request)
        actor, pathway, plan, only, _ = self._map_query(request)
        svg = await self._svg(actor, pathway, plan, only, session.lang if session else _lang_of(request))
        if svg is None:
            raise HTTPException(503)
        return Response(svg, media_type="image/svg+xml")

    # -- statements and health ------------------------------------------------

    async def about(self, request: Request) -> Response:
        session = self.session_of(request)
        kb = self.rehabbot.kb
        origin = f"{request.url.scheme}://{request.url.netloc}"
        return self.page(request, "om", session, retention_days=self.store.retention_days,
                         minutes=int(self.sessions.idle_s // 60), version=kb.version, entries=len(kb.entries),
                         loaded=kb.loaded_at.strftime("%Y-%m-%d %H:%M UTC"), origin=origin, config=self.config)

    async def accessibility(self, request: Request) -> Response:
        session = self.session_of(request)
        said = ""
        if request.method == "POST":
            form = await _form(request)
            session = self.session_of(request, form)
            if not self.sessions.valid_csrf(session, str(form.get("csrf") or "")):
                session = session or self.sessions.create()
                return self._with_cookie(self.page(request, "refused", session, status=403), session)
            assert session is not None
            W = labels()[session.lang]["web"]
            text = " ".join(str(form.get("report") or "").split())[:2000]
            if not text:
                said = W["a11y_form_empty"]
            else:
                # Kept as a redacted line in the audit log, where admins read what to fix.
                await self.store.audit("accessibility_report", None, "received", redact(text).text)
                said = W["a11y_form_thanks"] if self.store.available else W["a11y_form_unsaved"]
        session = session or self.sessions.create()
        response = self.page(request, "tillganglighet", session, said=said, config=self.config,
                             date=ACCESSIBILITY_REVIEWED.isoformat())
        return self._with_cookie(response, session)

    async def health(self, request: Request) -> Response:
        kb = self.rehabbot.kb
        return JSONResponse({"status": "ok", "entries": len(kb.entries), "version": kb.version,
                             "sessions": len(self.sessions)}, headers={"cache-control": "no-store"})

    # -- errors ----------------------------------------------------------------

    async def http_error(self, request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        session = self.session_of(request)
        if status == 404:
            return self.page(request, "not_found", session, status=404, message="")
        if status == 413:
            return PlainTextResponse("För stort / too large", status_code=413)
        if status == 405:
            return PlainTextResponse("Method not allowed", status_code=405)
        return self.page(request, "error", session, status=status)

    async def server_error(self, request: Request, exc: Exception) -> Response:
        logger.error("web: %s %s failed", request.method, request.url.path, exc_info=exc)
        return self.page(request, "error", None, status=500)


def session_message(session: Session) -> tuple[str, str]:
    """The one-time lines to show after a redirect: a notice (settings saved) and a refusal."""
    notice, flash = session.notice, session.flash
    session.notice = session.flash = ""
    return notice, flash


async def _form(request: Request) -> FormData:
    try:
        return await request.form(max_files=0, max_fields=20, max_part_size=MAX_BODY)
    except HTTPException:
        raise
    except Exception as exc:  # a malformed body: the form is refused like a forged one
        raise HTTPException(400) from exc


def _lang_of(request: Request) -> str:
    lang = request.query_params.get("lang")
    return lang if lang in LANGS else "sv"


def _here(request: Request) -> str:
    """This page's address for "next=": the path and query, never another site."""
    query = {k: v for k, v in request.query_params.items() if k not in ("lang", "sid")}
    return request.url.path + (f"?{urlencode(query)}" if query else "")


def _inline(svg: bytes) -> str:
    """Graphviz's SVG for inline use: without the XML prolog and comments, sized by the page."""
    text = svg.decode("utf-8")
    text = re.sub(r"<\?xml[^>]*\?>|<!DOCTYPE[^>]*>|<!--.*?-->", "", text, flags=re.S).strip()
    return text.replace("<svg ", '<svg class="map" role="group" aria-labelledby="map-title" focusable="false" ', 1)


def _plan_steps(kb: Any, pathway_id: str, plan: str, mode: str, lang: str) -> Any:
    from bot.answers.pathways import walk_view
    from bot.pathways.walk import Walk
    pathway = kb.pathway(pathway_id)
    walk = Walk(pathway, (plan,))  # the plan on its own: its steps, not the answers that led there
    return walk_view(walk, kb, mode, lang)

