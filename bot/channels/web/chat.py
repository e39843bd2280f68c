"""What one chat action does to a web session: the web twin of the Telegram handlers.

A question goes to the core in the session's mode and language, off the event loop; the
reply the core rendered in the web format becomes a turn of the page, with its choices
(suggestions, the message's second question, a guided pathway) as buttons. Every action
that names something (an entry, a turn, a log row, a pathway step) is checked against what
this session was actually shown, so a forged or stale form does nothing but say so.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from bot.answers import render_entry
from bot.answers.pathways import render_pathway_list, render_walk
from bot.answers.render import environment, found_phrase, labels
from bot.channels.web.sessions import Choice, Session, Walking
from bot.kb.pathways import Pathway
from bot.matching import ANSWER, SUGGEST
from bot.pathways.walk import Walk, shape_key
from bot.service import Conversation, Rehabbot, Reply
from bot.store.gateway import StoreGateway
from bot.text.normalize import as_number
from bot.text.redact import redact
from bot.understanding import guess_mode

FORMAT = "web"
MAX_QUESTION = 1000  # characters, as in Telegram: longer texts are pasted documents, not questions
RELATED = 3


@dataclass
class Chat:
    """The chat's collaborators: the core and the store (the same gateway Telegram uses)."""

    rehabbot: Rehabbot
    store: StoreGateway

    async def act(self, session: Session, action: str, form: dict[str, str]) -> str:
        """Do `action` for `session`; returns '' or a short message when the action was refused."""
        handler = getattr(self, f"_on_{action}", None) if action.isidentifier() else None
        if handler is None:
            return W(session)["stale"]
        result: str = await handler(session, form)
        return result

    # -- questions -----------------------------------------------------------

    async def _on_ask(self, session: Session, form: dict[str, str]) -> str:
        text = " ".join(form.get("q", "").split())
        T, lang = labels()[session.lang]["tg"], session.lang
        if not text:
            return str(T["ask_now"])
        if len(text) > MAX_QUESTION:
            session.add(_said(redact(text[:200] + " …").text, T["too_long"].format(max=MAX_QUESTION)))
            return ""
        number = as_number(text)
        if number is not None and 1 <= number <= len(session.offered):  # the console's way to pick
            return self._open(session, session.offered[number - 1], text, log_id=None)
        notices = []
        found = redact(text)
        if found.found:
            notices.append(not_stored(lang, found.kinds))
        guessed = guess_mode(text) if not session.mode_chosen else None
        if guessed is not None:  # until the visitor chooses, the first telling message decides
            session.mode, session.mode_chosen = guessed, True
            notices.append(W(session)[f"mode_guessed_{guessed}"])
        reply: Reply = await asyncio.to_thread(self.rehabbot.ask, text, session.mode, lang, FORMAT,
                                               session.conversation)
        session.conversation = reply.conversation
        log_id = await self.store.log_question(
            channel="web", mode=session.mode, lang=lang, question=text, status=reply.status,
            entry_id=reply.entry.id if reply.entry else None, confidence=reply.match.confidence,
            elapsed_ms=reply.elapsed_ms, user_id=session.user_id)
        session.offered = [e.id for e in reply.match.suggestions] if reply.status == SUGGEST else []
        choices = self._choices(session, reply)
        if reply.offer_language:  # written in another language than the setting: offer it
            name = labels()["sv"]["web"]["lang_names"][reply.lang]
            notices.append(labels()[reply.lang]["language_offer"].format(language=name))
            choices.append(Choice("lang", reply.lang, f"✓ {name}"))
        session.add({"question": found.text, "html": reply.text, "status": reply.status, "log_id": log_id,
                     "choices": choices, "notice": " ".join(notices),
                     "lang": reply.lang if reply.lang != lang else "",
                     "related": self._related(session, reply.entry) if reply.status == ANSWER else [],
                     "feedback": log_id is not None and reply.status in (ANSWER, SUGGEST)})
        return ""

    def _choices(self, session: Session, reply: Reply) -> list[Choice]:
        w, choices = W(session), []
        if reply.status == SUGGEST:
            choices += [Choice("open", e.id, e.title_in(session.lang, session.mode)) for e in reply.match.suggestions]
            choices.append(Choice("none", "", w["none_of_these"]))
        if reply.also is not None:
            choices.append(Choice("open", reply.also.id,
                                  w["also_open"].format(title=reply.also.title_in(session.lang, session.mode))))
        if reply.pathway is not None:
            choices.append(Choice("walk", f"{reply.pathway.id}:{shape_key(reply.pathway)}:", w["start_pathway"]))
        return choices

    def _related(self, session: Session, entry: Any) -> list[Choice]:
        if entry is None:
            return []
        related = self.rehabbot.kb.related(entry, session.mode)[:RELATED]
        return [Choice("open", e.id, e.title_in(session.lang, session.mode)) for e in related]

    # -- choices under an answer ---------------------------------------------

    async def _on_open(self, session: Session, form: dict[str, str]) -> str:
        """A suggestion, the second question or a related entry, chosen from a turn that offered it."""
        turn = session.turn(_int(form.get("turn")))
        entry_id = form.get("value", "")
        if turn is None or not any(c.value == entry_id for c in (*turn.choices, *turn.related)):
            return W(session)["stale"]
        label = next(c.label for c in (*turn.choices, *turn.related) if c.value == entry_id)
        return self._open(session, entry_id, label, turn.log_id)

    def _open(self, session: Session, entry_id: str, asked: str, log_id: int | None) -> str:
        kb = self.rehabbot.kb
        entry = kb.get(entry_id)
        session.offered = []
        if entry is None or (session.mode == "individual" and entry.audience == "staff"):
            return str(labels()[session.lang]["tg"]["entry_gone"])
        session.conversation = Conversation(entry.id)
        session.add({"question": asked, "html": render_entry(entry, kb, session.mode, session.lang, FORMAT),
                     "status": ANSWER, "log_id": log_id, "related": self._related(session, entry),
                     "feedback": log_id is not None})
        return ""

    async def _on_none(self, session: Session, form: dict[str, str]) -> str:
        turn = session.turn(_int(form.get("turn")))
        if turn is None or not any(c.action == "none" for c in turn.choices):
            return W(session)["stale"]
        L = labels()[session.lang]
        html = environment().get_template(f"{FORMAT}/fallback.j2").render(L=L, mode=session.mode, lang=session.lang)
        session.offered = []
        session.add({"question": W(session)["none_of_these"], "html": html, "status": "fallback"})
        return ""

    async def _on_feedback(self, session: Session, form: dict[str, str]) -> str:
        turn = session.turn(_int(form.get("turn")))
        value = form.get("value")
        if turn is None or not turn.feedback or turn.log_id is None or value not in ("up", "down"):
            return W(session)["stale"]
        saved = await self.store.add_feedback(turn.log_id, session.user_id, 1 if value == "up" else -1)
        turn.feedback_given = value if saved else "unsaved"
        return ""

    async def _on_lang(self, session: Session, form: dict[str, str]) -> str:
        """The language offered under an answer in another language becomes the setting."""
        turn = session.turn(_int(form.get("turn")))
        value = form.get("value", "")
        if turn is None or not any(c.action == "lang" and c.value == value for c in turn.choices):
            return W(session)["stale"]
        session.lang = value
        W_ = W(session)
        session.notice = W_["settings_saved"].format(mode=W_["mode_names"][session.mode],
                                                     lang=W_["lang_names"][session.lang])
        return ""

    async def _on_clear(self, session: Session, form: dict[str, str]) -> str:
        session.clear()
        return ""

    # -- guided pathways -----------------------------------------------------

    async def _on_pathways(self, session: Session, form: dict[str, str]) -> str:
        """The list of pathways for the session's mode, each a button."""
        pathways = self.rehabbot.kb.pathways_for(session.mode)
        html = render_pathway_list(pathways, session.mode, session.lang, FORMAT)
        choices = [Choice("walk", f"{p.id}:{shape_key(p)}:", p.title_in(session.lang)) for p in pathways]
        session.add({"question": W(session)["pathways_title"], "html": html, "status": "pathways",
                     "choices": choices})
        return ""

    async def _on_walk(self, session: Session, form: dict[str, str]) -> str:
        """A step of a walk: `value` is "pathway:shape:choices" (the options taken, "0.2.1"), so a
        step's buttons carry the whole walk and a restructured pathway refuses old ones."""
        pathway_id, _, rest = form.get("value", "").partition(":")
        shape, _, taken = rest.partition(":")
        pathway = self.rehabbot.kb.pathway(pathway_id)
        if pathway is None or pathway not in self.rehabbot.kb.pathways_for(session.mode):
            return str(labels()[session.lang]["tg"]["pathway_unknown"])
        if shape != shape_key(pathway):
            return W(session)["walk_changed"]
        choices = [int(c) for c in taken.split(".") if c.isdigit()] if taken else []
        walk = Walk.follow(pathway, choices)
        if walk is None:
            return W(session)["stale"]
        session.walk = Walking(pathway.id, walk.choices, shape)
        session.add({"question": pathway.title_in(session.lang) if not choices else _last_answer(walk, session.lang),
                     "html": render_walk(walk, self.rehabbot.kb, session.mode, session.lang, FORMAT),
                     "status": "pathway", "pathway": pathway.id, "choices": _walk_choices(walk, pathway, session)})
        return ""

    async def _on_walk_cancel(self, session: Session, form: dict[str, str]) -> str:
        session.walk = None
        session.add(_said(W(session)["walk_cancel"], labels()[session.lang]["tg"]["walk_cancelled"]))
        return ""


def _walk_choices(walk: Walk, pathway: Pathway, session: Session) -> list[Choice]:
    w, key = W(session), shape_key(pathway)

    def step(choices: tuple[int, ...]) -> str:
        return f"{pathway.id}:{key}:" + ".".join(str(c) for c in choices)
    choices = []
    if not walk.finished:
        options = [o.label_en if session.lang == "en" and o.label_en else o.label for o in walk.node.options]
        choices += [Choice("walk", step((*walk.choices, i)), label) for i, label in enumerate(options)]
    if walk.choices:
        choices.append(Choice("walk", step(walk.choices[:-1]), w["walk_back"]))
        choices.append(Choice("walk", step(()), w["walk_restart"]))
    if walk.finished:
        choices.append(Choice("link", f"/karta?vagledning={pathway.id}&plan={walk.node_name}", w["walk_plan_map"]))
    choices.append(Choice("walk_cancel", "", w["walk_cancel"]))
    return choices


def _last_answer(walk: Walk, lang: str) -> str:
    asked, chosen = walk.answers()[-1]
    option = asked.options[chosen]
    return option.label_en if lang == "en" and option.label_en else option.label


def _said(question: str, text: str) -> dict[str, Any]:
    """A turn whose reply is one plain line (escaped here: the page shows `html` as it is)."""
    from markupsafe import escape
    return {"question": question, "html": f"<p>{escape(text)}</p>", "status": "notice"}


def _int(value: str | None) -> int:
    return int(value) if value and value.isascii() and value.isdigit() and len(value) < 10 else -1


def W(session: Session) -> dict[str, Any]:
    return labels()[session.lang]["web"]


def not_stored(lang: str, kinds: frozenset[str]) -> str:
    """"What you wrote contained a personnummer. It has not been stored." in the session's language."""
    return str(labels()[lang]["tg"]["not_stored"].format(what=found_phrase(lang, kinds)))
