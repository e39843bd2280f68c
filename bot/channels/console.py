"""The console twin of the Telegram bot: the same answers, in a terminal.

Suggestions come as numbered choices; typing the number opens that entry.
`/mode`, `/lang`, `/help` and `/quit` mirror the Telegram commands.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TextIO

from bot.answers import render_entry
from bot.answers.pathways import render_pathway_list
from bot.answers.render import labels
from bot.channels.guide import GuideSession, pick_pathway
from bot.matching import SUGGEST
from bot.service import Conversation, Rehabbot, Reply
from bot.settings import LANGS, MODES
from bot.text.normalize import as_number
from bot.understanding import guess_mode

HELP = {
    "sv": ("Skriv en fråga med egna ord, t.ex. \"Vem kallar till SIP?\".\n"
           "Kommandon: /mode staff|individual (yrkesperson eller för egen del), /lang sv|en,\n"
           "/guide [nr|id] (vägledning steg för steg), /help, /quit.\n"
           "Språk: /lang sv, en, ar, fa, so, ti, tr eller pl.\n"
           "När jag föreslår flera svar: skriv siffran."),
    "en": ("Ask a question in your own words, e.g. \"Who calls a SIP meeting?\".\n"
           "Commands: /mode staff|individual, /lang sv|en, /guide [no|id] (step-by-step guide), /help, /quit.\n"
           "When I suggest several answers: type the number."),
}
WELCOME = {
    "sv": ("Rehabbot – vem gör vad i samordnad rehabilitering? Skriv /help för hjälp, /quit för att sluta.\n"
           "Rehabbot är en automatisk tjänst, inte en människa. Skriv inte personnummer eller namn."),
    "en": ("Rehabbot – who does what in coordinated rehabilitation? Type /help for help, /quit to stop.\n"
           "Rehabbot is an automated service, not a person. Do not write identity numbers or names."),
}
MODE_SHOWN = {
    "sv": {"staff": "Läge: yrkesperson", "individual": "Läge: för egen del",
           "guessed": " (gissat av din fråga; byt med /mode staff|individual)"},
    "en": {"staff": "Mode: professional", "individual": "Mode: for myself",
           "guessed": " (guessed from your question; change with /mode staff|individual)"},
}
CHANGED = {
    "sv": "Läge: {mode}, språk: {lang}.",
    "en": "Mode: {mode}, language: {lang}.",
}
GUIDE_HINT = {
    "sv": "Starta vägledningen: /guide {id}",
    "en": "Start the guide: /guide {id}",
}
# /mode or /lang without a (known) value: what it is now, and the choices.
CURRENT = {
    "sv": {"mode": "Läge nu: {mode}. Välj med /mode staff (yrkesperson) eller /mode individual (för egen del).",
           "lang": "Språk nu: {lang}. Välj med /lang sv, en, ar, fa, so, ti, tr eller pl."},
    "en": {"mode": "Mode now: {mode}. Choose /mode staff (professional) or /mode individual (for myself).",
           "lang": "Language now: {lang}. Choose /lang sv, en, ar, fa, so, ti, tr or pl."},
}
UNKNOWN = {
    "sv": "Okänt kommando. Skriv /help.",
    "en": "Unknown command. Type /help.",
}


def _in(table: dict[str, Any], lang: str) -> Any:
    """The console's own words in `lang`: Swedish or English (another language reads English)."""
    return table.get(lang, table["en"])


LANGUAGE_HINT = {"sv": "(Svarat på {name}. Byt språk för gott med /lang {code}.)",
                 "en": "(Answered in {name}. Change the language for good with /lang {code}.)"}


class Console:
    def __init__(self, bot: Rehabbot, mode: str | None = "staff", lang: str = "sv",
                 read: Callable[[str], str] = input, out: TextIO | None = None,
                 log: Callable[[str, Reply, str, str], None] | None = None, notice: str = ""):
        """`mode` None: not chosen yet, so the first question decides (and says so). `notice`:
        said once at start, after the welcome (whether and where questions are logged)."""
        import sys
        self.bot, self.lang = bot, lang
        self.mode = mode or "staff"
        self.mode_chosen = mode is not None
        self.conversation = Conversation()
        self.read, self.out = read, out or sys.stdout
        self.log = log  # records each question (redacted) in the question log
        self.notice = notice
        self.offered: list[str] = []
        self.guide: GuideSession | None = None

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def run(self) -> int:
        self.say(_in(WELCOME, self.lang))
        if self.notice:
            self.say(self.notice)
        while True:
            try:
                line = self.read("> ").strip()
            except (EOFError, KeyboardInterrupt):
                self.say("")
                return 0
            if not self.handle(line):
                return 0

    def handle(self, line: str) -> bool:
        """Act on one line; False when the user wants to stop."""
        if not line:
            return True
        if self.guide is not None and not line.startswith("/"):
            out = self.guide.handle(line)
            if out:
                self.say(out)
            if not self.guide.active:
                self.guide = None
            return True
        if line.startswith("/"):
            return self._command(line)
        if (number := as_number(line)) is not None and self.offered and 1 <= number <= len(self.offered):
            entry = self.bot.kb.get(self.offered[number - 1])
            self.offered = []
            if entry:
                self.conversation = Conversation(entry.id)
                self.say(render_entry(entry, self.bot.kb, self.mode, self.lang))
            return True
        guessed = ""
        guess = guess_mode(line) if not self.mode_chosen else None
        if guess is not None:  # until the user chooses, their first telling message decides
            self.mode, self.mode_chosen = guess, True
            guessed = _in(MODE_SHOWN, self.lang)[self.mode] + _in(MODE_SHOWN, self.lang)["guessed"]
        reply = self.bot.ask(line, self.mode, self.lang, conversation=self.conversation)
        self.conversation = reply.conversation
        self.offered = ([e.id for e in reply.match.suggestions] if reply.status == SUGGEST
                        else [reply.also.id] if reply.also is not None else [])
        if guessed:
            self.say(f"({guessed})")
        self.say(reply.text)
        if reply.offer_language:
            name = labels()["sv"]["web"]["lang_names"][reply.lang]
            self.say(_in(LANGUAGE_HINT, self.lang).format(name=name, code=reply.lang))
        if reply.pathway is not None:
            self.say(_in(GUIDE_HINT, self.lang).format(id=reply.pathway.id))
        if self.log is not None:
            self.log(line, reply, self.mode, self.lang)
        return True

    def _command(self, line: str) -> bool:
        name, _, arg = line[1:].partition(" ")
        name, arg = name.lower(), arg.strip().lower()
        if name in ("quit", "exit", "q", "avsluta"):
            if self.guide is not None:
                self.guide = None
                return True
            return False
        if name in ("guide", "vagledning", "vägledning"):
            walk = pick_pathway(self.bot, arg, self.mode, self.lang) if arg else None
            if walk is None:
                self.say(render_pathway_list(self.bot.kb.pathways_for(self.mode), self.mode, self.lang)
                         + "\n\n" + _in(GUIDE_HINT, self.lang).format(id="NR"))
            else:
                self.guide = GuideSession(self.bot, walk, self.mode, self.lang)
                self.say(self.guide.show())
            return True
        if name in ("help", "hjalp", "hjälp"):
            self.say(_in(HELP, self.lang))
        elif name in ("mode", "lage", "läge"):
            if arg in MODES:
                self.mode, self.mode_chosen = arg, True
                self.say(_in(CHANGED, self.lang).format(mode=self.mode, lang=self.lang))
            else:
                self.say(_in(CURRENT, self.lang)["mode"].format(mode=self.mode))
        elif name in ("lang", "sprak", "språk"):
            if arg in LANGS:
                self.lang = arg
                self.say(_in(CHANGED, self.lang).format(mode=self.mode, lang=self.lang))
            else:
                self.say(_in(CURRENT, self.lang)["lang"].format(lang=self.lang))
        else:
            self.say(_in(UNKNOWN, self.lang))
        return True
