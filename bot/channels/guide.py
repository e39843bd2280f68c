"""Walking a pathway in the console: numbered choices, back, start over, quit."""

from __future__ import annotations

from collections.abc import Callable

from bot.answers.pathways import render_pathway_list, render_walk
from bot.answers.render import labels
from bot.pathways.walk import Walk
from bot.service import Rehabbot
from bot.text.normalize import as_number

BACK = {"b", "back", "tillbaka"}
RESTART = {"s", "start", "börja om", "borja om", "restart"}
QUIT = {"q", "quit", "avsluta", "/quit"}


class GuideSession:
    """One walk through one pathway; `handle` takes a line and returns what to show."""

    def __init__(self, bot: Rehabbot, walk: Walk, mode: str, lang: str):
        self.bot, self.walk, self.mode, self.lang = bot, walk, mode, lang
        self.active = True

    def show(self) -> str:
        L = labels()[self.lang]
        keys = L["guide_done"] if self.walk.finished else L["guide_keys"]
        return render_walk(self.walk, self.bot.kb, self.mode, self.lang) + "\n\n" + keys

    def handle(self, line: str) -> str:
        choice = line.strip().lower()
        if choice in QUIT:
            self.active = False
            return ""
        if choice in BACK:
            self.walk = self.walk.back()
        elif choice in RESTART:
            self.walk = self.walk.restart()
        elif (number := as_number(choice)) is not None and not self.walk.finished \
                and 1 <= number <= len(self.walk.node.options):
            self.walk = self.walk.choose(number - 1)
        return self.show()


def pick_pathway(bot: Rehabbot, arg: str, mode: str, lang: str) -> Walk | None:
    """The pathway for `mode` named by id or list number (the numbers of every channel), or None."""
    pathway = bot.kb.find_pathway(arg, mode)
    return Walk.start(pathway) if pathway else None


def run_guide(bot: Rehabbot, pathway_id: str | None, mode: str, lang: str,
              read: Callable[[str], str] = input, say: Callable[[str], None] = print) -> int:
    """`rehabbot guide [PATHWAY]`: choose a pathway (unless named) and walk it."""
    if not bot.kb.pathways:
        say("Kunskapsbasen har inga vägledningar." if lang == "sv" else "The knowledge base has no guides.")
        return 1
    walk = pick_pathway(bot, pathway_id, mode, lang) if pathway_id else None
    if pathway_id and walk is None:
        say(f"Okänd vägledning: {pathway_id}" if lang == "sv" else f"Unknown guide: {pathway_id}")
    try:
        while walk is None:
            say(render_pathway_list(bot.kb.pathways_for(mode), mode, lang))
            line = read("> ").strip()
            if line.lower() in QUIT:
                return 0
            walk = pick_pathway(bot, line, mode, lang)
        session = GuideSession(bot, walk, mode, lang)
        say(session.show())
        while session.active:
            out = session.handle(read("> "))
            if out:
                say(out)
    except (EOFError, KeyboardInterrupt):
        say("")
    return 0
