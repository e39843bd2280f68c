"""Rendering a `Match` into what the user reads.

All wording lives in Jinja2 templates (one directory per output format, one
template per mode) and `labels.yaml`; this module only gathers the facts an
answer needs into a plain view, so a template never reaches into the
knowledge base itself. HTML formats are autoescaped: knowledge text can never
inject markup into a Telegram message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from jinja2 import BytecodeCache, Environment, PackageLoader, StrictUndefined
from jinja2.bccache import Bucket
from markupsafe import Markup, escape

from bot import cache
from bot.kb.model import KnowledgeBase
from bot.kb.pathways import Pathway
from bot.kb.schema import PERSON, Contact, Entry
from bot.matching.matcher import ANSWER, SUGGEST, Match
from bot.settings import RTL_LANGS


class _Labels(dict[str, dict[str, Any]]):
    """Each language's wording, read on first use: an answer in Swedish needs no Tigrinya."""

    def __missing__(self, lang: str) -> dict[str, Any]:
        from importlib.resources import files

        from bot.settings import LANGS
        if lang not in LANGS:
            raise KeyError(lang)
        file = files("bot.answers").joinpath(f"labels_{lang}.yaml")
        own = yaml.load(file.read_text(encoding="utf-8"), Loader=_LOADER)[lang] if file.is_file() else {}
        self[lang] = found = _over(self["sv"], own)
        return found


@lru_cache(maxsize=1)
def labels() -> dict[str, dict[str, Any]]:
    """Every language's wording: Swedish and English in labels.yaml, each other language in
    labels_<lang>.yaml. A key a language lacks reads as in Swedish (tests keep them complete)."""
    from importlib.resources import files
    return _Labels(yaml.load(files("bot.answers").joinpath("labels.yaml").read_text(encoding="utf-8"),
                             Loader=_LOADER))


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _over(base: dict[str, Any], own: dict[str, Any]) -> dict[str, Any]:
    """`own` with what it lacks taken from `base`, nested mappings alike."""
    merged = dict(base)
    for key, value in own.items():
        merged[key] = _over(base[key], value) if isinstance(value, dict) and isinstance(base.get(key), dict) else value
    return merged


class SignedBytecodeCache(BytecodeCache):
    """The templates compiled once, kept in the cache directory: compiling them was 0.05–0.13 s
    of every `rehabbot ask`. What is loaded is code, so only files the bot signed (bot.cache)
    are; Jinja itself recompiles a template whose source changed."""

    def __init__(self, directory: Path):
        self.directory = directory

    def _path(self, bucket: Bucket) -> Path:
        return self.directory / f"jinja-{bucket.key}.cache"

    def load_bytecode(self, bucket: Bucket) -> None:
        data = cache.read_signed(self._path(bucket))
        if data is not None:
            bucket.bytecode_from_string(data)  # a stale or foreign Jinja version resets the bucket

    def dump_bytecode(self, bucket: Bucket) -> None:
        cache.write_signed(self._path(bucket), bucket.bytecode_to_string())


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The one Jinja environment of every format and channel: templates outside text/ are HTML
    and autoescaped, so knowledge text can never inject markup."""
    env = Environment(
        loader=PackageLoader("bot.answers", "templates"),
        autoescape=lambda name: bool(name and not name.startswith("text/")),
        undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=False, keep_trailing_newline=False,
        bytecode_cache=SignedBytecodeCache(cache.cache_dir()))
    env.filters.update(paragraphs=_paragraphs, links=_links, phones=_phones, datetime=_datetime)
    return env


# The web format's filters. Each escapes first and adds only its own markup, so the text of the
# knowledge base still cannot inject any.
_URL = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:)!?]")
_PHONE = re.compile(r"(?<![\w/-])(?:112|1177|90101|0\d{1,3}-\d{2,3}(?: \d{2,3}){1,3})(?![\w-])")
_ITEM = re.compile(r"^\s*(?:[-•*]|\d+[.)])\s+")


def _datetime(ts: float) -> str:
    """Unix seconds as the server's local date and time, to the minute."""
    import datetime as dt
    return dt.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M")


def _links(text: str) -> Markup:
    """Web addresses in `text` as links."""
    return Markup(_URL.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', str(escape(text))))


def _phones(text: str) -> Markup:
    """Phone numbers in `text` as links a phone can call ("tel:"), outside of other markup."""
    parts = re.split(r"(<[^>]*>)", str(escape(text)))
    return Markup("".join(part if part.startswith("<") else _PHONE.sub(
        lambda m: f'<a href="tel:{re.sub(r"[^0-9]", "", m.group(0))}">{m.group(0)}</a>', part) for part in parts))


def _paragraphs(text: str) -> Markup:
    """Knowledge text as HTML: blank lines part paragraphs, "- " lines are a list, other line breaks stay."""
    blocks = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = [line for line in block.splitlines() if line.strip()]
        if lines and all(_ITEM.match(line) for line in lines):
            items = "".join(f"<li>{_links(_ITEM.sub('', line))}</li>" for line in lines)
            blocks.append(f"<ul>{items}</ul>")
        elif lines:
            blocks.append("<p>" + "<br>".join(str(_links(line.strip())) for line in lines) + "</p>")
    return Markup("\n".join(blocks))


@dataclass
class ContactView:
    label: str
    ways: list[str] = field(default_factory=list)


@dataclass
class StepView:
    who: str
    do: str


@dataclass
class RelatedView:
    id: str
    title: str


@dataclass
class SourceView:
    title: str
    url: str | None = None


@dataclass
class EntryView:
    id: str
    kind: str
    title: str
    text: str
    note: str = ""
    responsible: list[str] = field(default_factory=list)
    legal_basis: str = ""
    does_not: list[str] = field(default_factory=list)
    next_steps: list[StepView] = field(default_factory=list)
    own_step: StepView | None = None  # the individual's own next step (else the first): "Nästa steg för dig"
    contacts: list[ContactView] = field(default_factory=list)
    related: list[RelatedView] = field(default_factory=list)
    sources: list[SourceView] = field(default_factory=list)
    reviewed: str = ""
    staff_note: str = ""  # editorial, staff mode only
    interpreter: str = ""  # how to get an interpreter: every answer to an individual in another language
    original: bool = False  # translated: the Swedish original is one link away
    direction: str = "ltr"  # "rtl" for Arabic and Persian
    text_lang: str = ""  # "sv" when the text is the Swedish original shown in another language's page


def entry_view(entry: Entry, kb: KnowledgeBase, mode: str, lang: str) -> EntryView:
    """The facts of one entry in the user's mode and language."""
    L = labels()[lang]
    text, in_language = entry.text_in(mode, lang)

    def title(entry_id: str) -> str:
        other = kb.get(entry_id)
        return other.title_in(lang, mode) if other else entry_id

    person = L["person_individual"] if mode == "individual" else L["person_staff"]
    does_not = entry.does_not_en if lang == "en" and entry.does_not_en else entry.does_not
    view = EntryView(
        id=entry.id, kind=entry.kind, title=entry.title_in(lang, mode), text=text.strip(),
        note="" if in_language else L["no_english"],
        responsible=[title(a) for a in entry.responsible],
        legal_basis=entry.legal_basis or "",
        does_not=list(does_not),
        next_steps=[StepView(person if s.who == PERSON else title(s.who),
                             (s.do_en if lang == "en" and s.do_en else s.do)) for s in entry.next_steps],
        contacts=[_contact(c) for c in entry.contacts],
        related=[RelatedView(r, title(r)) for r in entry.related if kb.get(r)],
        sources=[SourceView(*cited) for cited in kb.citations(entry.sources)],
        reviewed=entry.reviewed.isoformat() if entry.reviewed else "",
        staff_note="" if mode == "individual" else (
            (entry.staff_note_en if lang == "en" else None) or entry.staff_note or ""))
    # The individual reads one next step, and only one they take themself: another actor's
    # task is never "Nästa steg för dig".
    own = [step_view for step_view, step in zip(view.next_steps, entry.next_steps) if step.who == PERSON]
    view.own_step = own[0] if own else None
    if lang not in ("sv", "en"):
        translated = entry.translation(lang) if mode == "individual" else None
        if translated is not None:
            view.note = L["machine_note"] if translated.status == "machine" else ""
            view.original = True
            if view.own_step is not None and translated.next_step:
                view.own_step = StepView(view.own_step.who, translated.next_step)
        else:
            view.note = L["not_translated"]
            view.text_lang = "sv"
        if mode == "individual":
            view.interpreter = L["interpreter"]
        view.direction = "rtl" if lang in RTL_LANGS else "ltr"
    return view


def _contact(contact: Contact) -> ContactView:
    label = " – ".join(x for x in (contact.role, contact.name) if x)
    ways = [w for w in (contact.phone, contact.email, contact.url, contact.hours) if w]
    return ContactView(label, ways)


def render_entry(entry: Entry, kb: KnowledgeBase, mode: str = "staff", lang: str = "sv", fmt: str = "text") -> str:
    view = entry_view(entry, kb, mode, lang)
    template = environment().get_template(f"{fmt}/answer_{mode}.j2")
    return directed(_tidy(template.render(v=view, L=labels()[lang], mode=mode, lang=lang)), lang, fmt)


RLM = "\u200f"


def directed(text: str, lang: str, fmt: str) -> str:
    """Right-to-left text for a terminal or Telegram: every line starts with a right-to-left
    mark, so a line that opens with a Swedish name ("Försäkringskassan …") still reads from the
    right. The web sets `dir` on the page instead."""
    if lang not in RTL_LANGS or fmt == "web":
        return text
    return "\n".join(RLM + line.lstrip(RLM) if line.strip() else line for line in text.split("\n"))


def render_match(match: Match, kb: KnowledgeBase, mode: str = "staff", lang: str = "sv", fmt: str = "text",
                 pathway: Pathway | None = None) -> str:
    """The whole reply to a question, for any status, with a fitting pathway offered last."""
    env, L = environment(), labels()[lang]
    if match.status == ANSWER and match.entry is not None:
        text = render_entry(match.entry, kb, mode, lang, fmt)
    elif match.status == SUGGEST:
        suggestions = [RelatedView(e.id, e.title_in(lang, mode)) for e in match.suggestions]
        text = _tidy(env.get_template(f"{fmt}/suggest.j2").render(suggestions=suggestions, L=L, mode=mode, lang=lang))
    else:
        text = _tidy(env.get_template(f"{fmt}/fallback.j2").render(L=L, mode=mode, lang=lang))
    if pathway is not None:
        offer = env.get_template(f"{fmt}/pathway_offer.j2").render(id=pathway.id, title=pathway.title_in(lang), L=L)
        text = text + "\n\n" + _tidy(offer)
    return directed(text, lang, fmt)


def _tidy(text: str) -> str:
    """At most one blank line in a row, none at the ends."""
    return re.sub(r"\n{3,}", "\n\n", text).strip()


# Which lines of the crisis reply each kind of crisis gets, most urgent first.
CRISIS_LINES = {
    "suicide": ("danger", "suicide", "care"),
    "self_harm": ("danger", "suicide", "care"),
    "danger": ("danger", "care"),
    "violence": ("danger", "violence"),
    "acute_need": ("acute_need", "care"),
    "distress": ("suicide", "care"),
}


def render_crisis(category: str, mode: str = "staff", lang: str = "sv", fmt: str = "text",
                  entries: list[Entry] | tuple[Entry, ...] = (), native: str = "") -> str:
    """The fixed crisis reply: what to do now, in the mode's words. Staff also get what their
    routine demands and the entries worth reading after; `native`: one line in the language the
    message was written in, when that is neither Swedish nor English."""
    C = labels()[lang]["crisis"]
    source = C["staff"] if mode == "staff" else C["lines"]
    lines = [source[key] for key in CRISIS_LINES.get(category, CRISIS_LINES["danger"])]
    if mode == "staff":
        lines.append(C["staff"]["routine"])
    shown = [RelatedView(e.id, e.title_in(lang, mode)) for e in entries] if mode == "staff" else []
    template = environment().get_template(f"{fmt}/crisis.j2")
    return _tidy(template.render(C=C, lines=lines, mode=mode, entries=shown, native=native,
                                 distress=category == "distress"))


def render_smalltalk(kind: str, lang: str = "sv", fmt: str = "text") -> str:
    """The reply to a greeting, thanks or a question about the bot itself."""
    text = labels()[lang]["smalltalk"][kind]
    return _tidy(environment().get_template(f"{fmt}/smalltalk.j2").render(text=text))


def found_phrase(lang: str, kinds: frozenset[str] | set[str]) -> str:
    """The personal data the redaction found, as the "not stored" notice names it: "ett
    personnummer och ett namn" ('' for none)."""
    T = labels()[lang]["tg"]
    names = [T["found_kinds"][k] for k in sorted(kinds) if k in T["found_kinds"]]
    if not names:
        return ""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} {T['and']} {names[-1]}"


def render_also(entry: Entry, number: int, mode: str = "staff", lang: str = "sv", fmt: str = "text") -> str:
    """The second question of a two-question message, offered after the answer to the first."""
    template = environment().get_template(f"{fmt}/also.j2")
    return _tidy(template.render(L=labels()[lang], title=entry.title_in(lang, mode), number=number))
