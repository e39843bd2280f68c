"""What the Telegram channel shows: HTML from the templates, keyboards, splitting.

Handlers decide *what* to show; this module turns it into Telegram HTML and
inline keyboards. All wording comes from `bot/answers/templates/telegram/`
and the `tg:` labels in `bot/answers/labels.yaml`; the templates are
autoescaped, so knowledge text can never inject markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.answers import render_entry
from bot.answers.pathways import render_pathway_list, render_walk, walk_view
from bot.answers.render import entry_view, environment, labels
from bot.handlers import callbacks as cb
from bot.kb.model import KnowledgeBase
from bot.kb.schema import Entry
from bot.matching import ANSWER, SUGGEST
from bot.pathways.walk import Walk, shape_key
from bot.settings import LANGS, MODES

FORMAT = "telegram"
MAX_MESSAGE = 4096  # Telegram's limit for one message's text
PAGE_SIZE = 8
RELATED_BUTTONS = 3
GIST_CHARS = 320
SHORT_OPTION = 14  # options this short ("Ja", "Nej", "Vet inte") sit side by side

Markup = InlineKeyboardMarkup | None


@dataclass(frozen=True)
class Prefs:
    """A user's mode and language, as the console has them."""

    mode: str = "staff"
    lang: str = "sv"
    mode_chosen: bool = False  # False: the first telling question decides the mode (bot.understanding.guess_mode)

    def __post_init__(self) -> None:
        if self.mode not in MODES or self.lang not in LANGS:
            raise ValueError(f"unknown mode or language: {self.mode!r}, {self.lang!r}")


# -- templates ---------------------------------------------------------------

def texts(lang: str) -> dict[str, Any]:
    """The Telegram labels (`tg:` in labels.yaml) of one language."""
    return labels()[lang]["tg"]


def render(name: str, lang: str, **context: Any) -> str:
    """A template of `templates/telegram/` as Telegram HTML."""
    template = environment().get_template(f"{FORMAT}/{name}.j2")
    html = template.render(L=labels()[lang], T=texts(lang), lang=lang, **context)
    return re.sub(r"\n{3,}", "\n\n", html).strip()


def say(lang: str, key: str, **values: Any) -> str:
    """One label as HTML, its values escaped (only labels with fixed text go out unescaped)."""
    from markupsafe import escape
    text = str(escape(texts(lang)[key]))
    return text.format(**{k: escape(v) for k, v in values.items()}) if values else text


def button(text: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=data)


def keyboard(rows: list[list[InlineKeyboardButton]]) -> Markup:
    rows = [row for row in rows if row]
    return InlineKeyboardMarkup(rows) if rows else None


# -- settings ----------------------------------------------------------------

def settings_keyboard(prefs: Prefs, modes: bool = True, langs: bool = True) -> InlineKeyboardMarkup:
    T, mark = texts(prefs.lang), texts(prefs.lang)["selected"]

    def chosen(text: str, on: bool) -> str:
        return f"{mark}{text}" if on else text

    rows = []
    if modes:
        rows += [[button(chosen(T["btn_staff"], prefs.mode == "staff"), cb.mode("staff"))],
                 [button(chosen(T["btn_individual"], prefs.mode == "individual"), cb.mode("individual"))]]
    if langs:
        rows.append([button(chosen(T["btn_sv"], prefs.lang == "sv"), cb.lang("sv")),
                     button(chosen(T["btn_en"], prefs.lang == "en"), cb.lang("en"))])
    return InlineKeyboardMarkup(rows)


def welcome(prefs: Prefs) -> tuple[str, Markup]:
    return render("welcome", prefs.lang), settings_keyboard(prefs)


def settings(prefs: Prefs, notice: bool = False, intro: str = "",
             modes: bool = True, langs: bool = True) -> tuple[str, Markup]:
    html = render("settings", prefs.lang, mode=prefs.mode, intro=intro, notice=notice)
    return html, settings_keyboard(prefs, modes, langs)


def notice(lang: str, found: frozenset[str] | set[str] = frozenset(), privacy: bool = False) -> str:
    """The one-time privacy notice and/or "it was not stored", or '' for neither."""
    kinds = texts(lang)["found_kinds"]
    names = [kinds[k] for k in sorted(found) if k in kinds]
    what = ""
    if names:
        what = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} {texts(lang)['and']} {names[-1]}"
    return render("notice", lang, found=what, privacy=privacy) if (what or privacy) else ""


# -- answers -----------------------------------------------------------------

def reply_view(reply: Any, kb: KnowledgeBase, prefs: Prefs, log_id: int | None) -> tuple[str, Markup]:
    """The answer to a question: `reply` is the core's `Reply`, rendered with fmt="telegram".

    When a guided pathway fits the question, the core has put its offer last in
    the text; its button starts the walk in a new message, so the answer stays.
    """
    match, text = reply.match, reply.text.strip()
    offer = [button(texts(prefs.lang)["btn_start_pathway"], cb.walk_new(reply.pathway.id))] \
        if reply.pathway is not None else []
    if reply.also is not None:  # the message's second question: one tap away
        offer = [button(f"↗ {reply.also.title_in(prefs.lang, prefs.mode)}", cb.open_entry(reply.also.id))] + offer
    if reply.entry is not None and reply.status in (ANSWER, "crisis"):
        return text, answer_keyboard(reply.entry, kb, prefs, log_id, offer=offer)
    if reply.status == SUGGEST:
        ctx = cb.log_context(log_id)
        rows = [[button(e.title_in(prefs.lang), cb.view(e.id, "", ctx))] for e in match.suggestions]
        rows.append([button(labels()[prefs.lang]["none_of_these"], cb.none_of_these(log_id))])
        return text, keyboard(rows + [offer])
    return text, keyboard([offer])


def answer_keyboard(entry: Entry, kb: KnowledgeBase, prefs: Prefs, log_id: int | None,
                    shown: str = "", offer: list[InlineKeyboardButton] | None = None) -> Markup:
    """Under an answer: next steps and contacts, related entries, a pathway offered, 👍/👎 when it was logged."""
    T, ctx = texts(prefs.lang), cb.log_context(log_id)
    rows: list[list[InlineKeyboardButton]] = []
    if shown:
        rows.append([button(T["btn_back"], cb.view(entry.id, "", ctx))])
    parts = [("n", T["btn_next_steps"], entry.next_steps), ("c", T["btn_contacts"], entry.contacts)]
    rows.append([button(text, cb.view(entry.id, sec, ctx)) for sec, text, has in parts if has and sec != shown])
    if not shown:
        rows += [[button(f"↗ {e.title_in(prefs.lang, prefs.mode)}", cb.open_entry(e.id))]
                 for e in kb.related(entry, prefs.mode)[:RELATED_BUTTONS]]
    rows.append(offer or [])
    if log_id:
        rows.append([button(T["btn_up"], cb.feedback(log_id, True)),
                     button(T["btn_down"], cb.feedback(log_id, False))])
    return keyboard(rows)


def entry_message(entry: Entry, kb: KnowledgeBase, prefs: Prefs, section: str = "",
                  ctx: str = "") -> tuple[str, Markup]:
    """An entry (or one part of it) opened from a button, in the context it came from."""
    log_id, listing = cb.parse_context(ctx)
    if listing is None:  # an answer, or an entry opened on its own
        if not section or section not in available_sections(entry, kb, prefs.mode, card=False):
            html = render_entry(entry, kb, prefs.mode, prefs.lang, FORMAT)
            return html, answer_keyboard(entry, kb, prefs, log_id)
        return (section_html(entry, kb, prefs, section),
                answer_keyboard(entry, kb, prefs, log_id, shown=section))
    list_code, page_number = listing
    if not section:
        return card_html(entry, kb, prefs), card_keyboard(entry, kb, prefs, list_code, page_number)
    return section_html(entry, kb, prefs, section), section_keyboard(entry, kb, prefs, section, ctx)


def available_sections(entry: Entry, kb: KnowledgeBase, mode: str, card: bool = True) -> list[str]:
    if not card:
        return [s for s, has in (("n", entry.next_steps), ("c", entry.contacts)) if has]
    has = {"d": True, "x": bool(entry.does_not), "c": bool(entry.contacts), "n": bool(entry.next_steps),
           "r": bool(kb.related(entry, mode))}
    return [s for s in cb.SECTIONS if has[s]]


def section_html(entry: Entry, kb: KnowledgeBase, prefs: Prefs, section: str) -> str:
    v = entry_view(entry, kb, prefs.mode, prefs.lang)
    related = [{"id": e.id, "title": e.title_in(prefs.lang, prefs.mode)} for e in kb.related(entry, prefs.mode)]
    return render("section", prefs.lang, v=v, section=section, related=related)


def card_html(entry: Entry, kb: KnowledgeBase, prefs: Prefs) -> str:
    v = entry_view(entry, kb, prefs.mode, prefs.lang)
    return render("card", prefs.lang, v=v, gist=gist(v.text))


def gist(text: str, limit: int = GIST_CHARS) -> str:
    """The first paragraph, cut at a sentence (or word) near `limit` characters."""
    first = text.strip().split("\n\n", 1)[0].strip()
    if len(first) <= limit:
        return first
    cut = first[:limit]
    end = max(cut.rfind(". "), cut.rfind("! "), cut.rfind("? "))
    if end >= limit // 2:
        return cut[:end + 1]
    return cut.rsplit(" ", 1)[0].rstrip(",;:–-") + " …"


def _section_label(entry: Entry, section: str, lang: str) -> str:
    T = texts(lang)
    if section == "d":
        return T["btn_does"] if entry.kind == "actor" else T["btn_about"]
    if section == "r":
        return T["btn_insatser"] if entry.kind == "actor" else T["btn_related"]
    return {"x": T["btn_does_not"], "c": T["btn_contacts"], "n": T["btn_next_steps"]}[section]


def card_keyboard(entry: Entry, kb: KnowledgeBase, prefs: Prefs, list_code: str, page_number: int) -> Markup:
    lang, ctx = prefs.lang, cb.list_context(list_code, page_number)
    sections = [button(_section_label(entry, s, lang), cb.view(entry.id, s, ctx))
                for s in available_sections(entry, kb, prefs.mode)]
    rows = [sections[i:i + 2] for i in range(0, len(sections), 2)]
    if entry.kind in ("task", "insats"):  # who does it: straight to the actor's card
        actors = (kb.get(a) for a in entry.responsible)
        rows += [[button(f"→ {a.title_in(lang)}", cb.view(a.id, "", ctx))] for a in actors if a is not None]
    rows.append([button(texts(lang)["btn_back"], cb.page(list_code, page_number))])
    return keyboard(rows)


def section_keyboard(entry: Entry, kb: KnowledgeBase, prefs: Prefs, section: str, ctx: str) -> Markup:
    rows = []
    if section == "r":
        rows += [[button(e.title_in(prefs.lang, prefs.mode), cb.view(e.id, "", ctx))]
                 for e in kb.related(entry, prefs.mode)]
    rows.append([button(texts(prefs.lang)["btn_back"], cb.view(entry.id, "", ctx))])
    return keyboard(rows)


# -- lists -------------------------------------------------------------------

LIST_TITLES = {"a": "list_actors", "i": "list_insatser", "t": "list_tasks"}


def list_page(kb: KnowledgeBase, list_code: str, page_number: int, lang: str) -> tuple[str, Markup]:
    """One page of /aktorer, /insatser or /vemgorvad: a button per entry, ◀ n/N ▶."""
    entries = kb.of_kind(cb.LISTS[list_code])
    pages = max(1, -(-len(entries) // PAGE_SIZE))
    page_number = min(max(page_number, 0), pages - 1)
    shown = entries[page_number * PAGE_SIZE:(page_number + 1) * PAGE_SIZE]
    ctx = cb.list_context(list_code, page_number)
    rows = [[button(e.title_in(lang), cb.view(e.id, "", ctx))] for e in shown]
    if pages > 1:
        T = texts(lang)
        rows.append([
            button(T["btn_prev"], cb.page(list_code, page_number - 1)) if page_number > 0
            else button("·", cb.NOOP_DATA),
            button(f"{page_number + 1}/{pages}", cb.NOOP_DATA),
            button(T["btn_next"], cb.page(list_code, page_number + 1)) if page_number < pages - 1
            else button("·", cb.NOOP_DATA)])
    html = render("list", lang, title=texts(lang)[LIST_TITLES[list_code]], page=page_number, pages=pages)
    return html, keyboard(rows)


# -- guided pathways (/vagledning) --------------------------------------------

def pathway_list(kb: KnowledgeBase, prefs: Prefs, notice: str = "") -> tuple[str, Markup]:
    """/vagledning: the pathways for the user's mode, numbered, and a button for each."""
    offered = kb.pathways_for(prefs.mode)
    if not offered:
        return say(prefs.lang, "pathways_none"), None
    html = render_pathway_list(offered, prefs.mode, prefs.lang, FORMAT)
    rows = [[button(f"{number}. {p.title_in(prefs.lang)}", walk_data(Walk.start(p)))]
            for number, p in enumerate(offered, 1)]
    return (f"{notice}\n\n{html}" if notice else html), keyboard(rows)


def walk_data(walk: Walk, action: str = "") -> str:
    """The button that shows `walk` (or, with an action, sends or maps its plan): its whole state."""
    return cb.walk(walk.pathway.id, shape_key(walk.pathway), walk.choices, action)


def walk_message(walk: Walk, kb: KnowledgeBase, prefs: Prefs) -> tuple[str, Markup]:
    """One step of a walk: the question with its options as buttons, or the plan and what to do with it.

    Below either: ◀ back (from the first question: to the list), ↺ start over,
    and ✖ cancel while questions remain.
    """
    T, lang = texts(prefs.lang), prefs.lang
    html = render_walk(walk, kb, prefs.mode, lang, FORMAT)
    rows: list[list[InlineKeyboardButton]] = []
    if not walk.finished:
        options = [button(o.label_en if lang == "en" and o.label_en else o.label, walk_data(walk.choose(i)))
                   for i, o in enumerate(walk.node.options)]
        if all(len(b.text) <= SHORT_OPTION for b in options):
            rows += [options[i:i + 2] for i in range(0, len(options), 2)]
        else:
            rows += [[b] for b in options]
    else:
        rows += [[button(T["btn_send_plan"], walk_data(walk, cb.SEND_PLAN))],
                 [button(T["btn_plan_map"], walk_data(walk, cb.MAP_PLAN))]]
        linked = (kb.get(e) for e in dict.fromkeys(s.entry for s in walk.node.plan if s.entry))
        rows += [[button(f"↗ {e.title_in(lang)}", cb.open_entry(e.id))] for e in linked if e is not None]
    first = len(walk.path) == 1
    nav = [button(T["btn_back"], cb.WALK_LIST_DATA if first else walk_data(walk.back()))]
    if not first:
        nav.append(button(T["btn_restart"], walk_data(walk.restart())))
    if not walk.finished:
        nav.append(button(T["btn_cancel"], cb.WALK_CANCEL_DATA))
    rows.append(nav)
    return html, keyboard(rows)


def plan_message(walk: Walk, kb: KnowledgeBase, prefs: Prefs, bot: str | None) -> str:
    """The finished plan as a message of its own (no buttons), to forward to a colleague.

    Situation, the answers given, then each step: who, what to do, what to
    bring, the contact, and the entry as a link that opens it in the bot.
    """
    v = walk_view(walk, kb, prefs.mode, prefs.lang)
    reviewed = walk.pathway.reviewed.isoformat() if walk.pathway.reviewed else ""
    return render("pathway_plan", prefs.lang, v=v, bot=bot or "", reviewed=reviewed)


# -- splitting ---------------------------------------------------------------

_TOKEN = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)[^>]*>|&(?:#[0-9]+|#x[0-9a-fA-F]+|[a-zA-Z]+);|.", re.DOTALL)


def size(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def split_html(html: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Telegram HTML in messages of at most `limit`, cut at paragraphs where possible.

    The cut prefers a blank line, then a line break, then a space (a weaker
    cut only wins when the stronger one would leave the message less than
    half full); only a word longer than half a message is cut inside. Tags
    and entities are never cut: a tag open at a cut is closed at the end of
    one message and opened again at the start of the next, so every part is
    valid HTML on its own. Sizes are measured on the HTML, which is never
    shorter than the text Telegram counts, so every part fits.
    """
    if size(html) <= limit:
        return [html]
    tokens = [(m.group(0), m.group(1), m.group(2)) for m in _TOKEN.finditer(html)]
    chunks: list[str] = []
    carried: list[tuple[str, str]] = []  # (tag name, opening tag) open at the last cut
    start = 0
    while start < len(tokens):
        stack = list(carried)
        used = sum(size(opening) for _, opening in stack)
        # kind → (token index to cut before, open tags there, size used there)
        boundaries: dict[str, tuple[int, list[tuple[str, str]], int]] = {}
        i, cut = start, False
        while i < len(tokens):
            text, closing, name = tokens[i]
            if i > start and text in ("\n", " "):
                newline_pair = text == "\n" and (tokens[i - 1][0] == "\n" or
                                                 (i + 1 < len(tokens) and tokens[i + 1][0] == "\n"))
                kind = "space" if text == " " else "paragraph" if newline_pair else "line"
                boundaries[kind] = (i, list(stack), used)
            after = _apply(stack, text, closing, name)
            closers = sum(len(n) + 3 for n, _ in after)
            if used + size(text) + closers > limit and i > start:
                cut = True
                break
            used += size(text)
            stack = after
            i += 1
        end, end_stack = i, stack
        if cut:
            found = [boundaries[k] for k in ("paragraph", "line", "space") if k in boundaries]
            good = [b for b in found if b[2] >= limit // 2]
            if good or found:
                end, end_stack, _ = (good or found)[0]
        body = "".join(t for t, _, _ in tokens[start:end]).strip()
        if body:
            opening = "".join(o for _, o in carried)
            closing_tags = "".join(f"</{n}>" for n, _ in reversed(end_stack))
            chunks.append(opening + body + closing_tags)
        carried, start = end_stack, end
    return chunks


def _apply(stack: list[tuple[str, str]], text: str, closing: str | None, name: str | None
           ) -> list[tuple[str, str]]:
    if name is None:
        return stack
    if not closing:
        return [*stack, (name.lower(), text)]
    for index in range(len(stack) - 1, -1, -1):
        if stack[index][0] == name.lower():
            return stack[:index] + stack[index + 1:]
    return stack
