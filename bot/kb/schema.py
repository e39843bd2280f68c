"""The knowledge model: what a valid entry and glossary term look like.

Pydantic does the type checking because its errors carry the exact path of the
offending value (entry 3 → contacts → 0 → phone), which `yamlsource.line_of`
turns into a line number. `extra="forbid"` everywhere: a typo such as `titel:`
must be an error, not a silently ignored field.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

KINDS = ("actor", "insats", "faq", "begrepp", "task")
Kind = Literal["actor", "insats", "faq", "begrepp", "task"]
Audience = Literal["staff", "individual", "both"]
# `who` in a next step may name the person themself instead of an actor.
PERSON = "individ"

EntryId = Annotated[str, Field(pattern=r"^[a-z0-9_]+$", max_length=32)]
Text = Annotated[str, Field(min_length=1)]

_PHONE = re.compile(r"^\+?\d[\d \-–]*\d$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_URL = re.compile(r"^https?://[A-Za-z0-9.-]+\.[A-Za-z]{2,}(:\d+)?(/\S*)?$")
# A seed document named the way the source documents are stored: "004_7d8eed09569d1593.txt".
_DOCUMENT = re.compile(r"^(?P<document>\d{3}_[0-9a-f]{16}\.txt)(?:\s*,\s*(?P<section>.+))?$")


def _web_address(value: str) -> str:
    if not _URL.match(value):
        raise ValueError(f"ogiltig webbadress (börjar med http:// eller https://): {value!r}")
    return value


def _document_name(value: str) -> str:
    if not _DOCUMENT.match(value):
        raise ValueError(f"ett källdokument heter som '004_7d8eed09569d1593.txt', inte {value!r}")
    return value


WebAddress = Annotated[str, AfterValidator(_web_address)]
DocumentName = Annotated[str, AfterValidator(_document_name)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class ModeText(_Strict):
    """A text per mode; a plain string in YAML means the same text for both."""

    staff: Text | None = None
    individual: Text | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_plain_text(cls, value: object) -> object:
        if isinstance(value, str):
            return {"staff": value, "individual": value}
        if not isinstance(value, dict):
            # pydantic turns a ValueError into a validation error with its path; a TypeError would escape.
            raise ValueError("ska vara en text, eller 'staff:' och 'individual:' med var sin text")  # noqa: TRY004
        return value

    @model_validator(mode="after")
    def _one_at_least(self) -> ModeText:
        if not self.staff and not self.individual:
            raise ValueError("ange minst en av 'staff' och 'individual'")
        return self

    def for_mode(self, mode: str) -> str:
        preferred = self.individual if mode == "individual" else self.staff
        return preferred or self.staff or self.individual or ""


class Contact(_Strict):
    role: Text | None = None
    name: Text | None = None
    phone: str | None = None
    email: str | None = None
    url: WebAddress | None = None
    hours: Text | None = None

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        digits = re.sub(r"\D", "", value or "")
        if value is not None and (not _PHONE.match(value) or not 3 <= len(digits) <= 15):
            raise ValueError(f"ogiltigt telefonnummer: {value!r}")
        return value

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and not _EMAIL.match(value):
            raise ValueError(f"ogiltig e-postadress: {value!r}")
        return value

    @model_validator(mode="after")
    def _who_and_how(self) -> Contact:
        if not (self.role or self.name):
            raise ValueError("en kontakt behöver 'role' eller 'name'")
        return self


class Source(_Strict):
    """Where a fact comes from: what a person reads (`title`, a link) and, for the source
    documents, which document and section (machine-readable, for admins).

    In YAML a source is a mapping, or a plain string: a document file name with an optional
    ", avsnitt …", a web address, or a readable title such as "Lag (2019:1297) om …".
    A document's readable title comes from `sources.yaml` (see `KnowledgeBase.cite`).
    """

    title: Text | None = None
    url: WebAddress | None = None
    document: DocumentName | None = None
    section: Text | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_plain_text(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        text = value.strip()
        if found := _DOCUMENT.match(text):
            return {"document": found["document"], "section": found["section"]}
        if _URL.match(text):
            return {"url": text}
        return {"title": text}

    @model_validator(mode="after")
    def _something(self) -> Source:
        if not (self.title or self.url or self.document):
            raise ValueError("en källa behöver 'title', 'url' eller 'document'")
        return self

    def as_data(self) -> dict[str, str]:
        """The machine-readable form (`kb list --json`)."""
        return {k: v for k, v in self.model_dump().items() if v}


class Document(_Strict):
    """A source document in `sources.yaml`: its file name and how a person recognises it."""

    id: DocumentName
    title: Text
    url: WebAddress | None = None


class Step(_Strict):
    who: Text
    do: Text
    do_en: Text | None = None


RELATION_TYPES = ("refers_to", "applies_to", "calls", "sends", "coordinates", "finances", "provides",
                  "participates", "decides")
RelationType = Literal["refers_to", "applies_to", "calls", "sends", "coordinates", "finances", "provides",
                       "participates", "decides"]


class Relation(_Strict):
    """A labelled edge of the process map: this entry (or actor) → `to`."""

    type: RelationType
    to: EntryId
    label: Text | None = None  # overrides the default wording of the type
    label_en: Text | None = None


class Entry(_Strict):
    id: EntryId
    kind: Kind = "faq"
    title: Text | None = None
    title_en: Text | None = None
    # The title an individual reads when `title` speaks to staff ("Hur får jag in en klient …").
    title_individual: Text | None = None
    title_individual_en: Text | None = None
    topics: tuple[EntryId, ...] = ()
    audience: Audience = "both"
    answer: ModeText
    answer_en: ModeText | None = None
    does_not: tuple[Text, ...] = ()
    does_not_en: tuple[Text, ...] = ()
    responsible: tuple[EntryId, ...] = ()
    legal_basis: Text | None = None
    questions: tuple[Text, ...] = ()
    keywords: tuple[Text, ...] = ()
    contacts: tuple[Contact, ...] = ()
    next_steps: tuple[Step, ...] = ()
    related: tuple[EntryId, ...] = ()
    relations: tuple[Relation, ...] = ()
    sources: tuple[Source, ...] = ()
    # An editorial remark for staff ("the 2019 report cites 2 kap. 7 § SoL, now …"), one line,
    # never shown to an individual.
    staff_note: Text | None = None
    staff_note_en: Text | None = None
    reviewed: dt.date | None = None
    # The fresh translations of what an individual reads, by language (bot/kb/translations.py);
    # the loader attaches them, the YAML of an entry never holds them.
    _translations: dict[str, Any] = PrivateAttr(default_factory=dict)
    _outdated: set[str] = PrivateAttr(default_factory=set)  # languages translated from older Swedish

    def translation(self, lang: str) -> Any:
        """The entry's translation into `lang` (not sv or en), or None."""
        return self._translations.get(lang)

    def translation_state(self, lang: str) -> str:
        """`reviewed`, `machine`, `outdated` (made from Swedish that has changed since) or `missing`."""
        found = self._translations.get(lang)
        if found is not None:
            return str(found.status)
        return "outdated" if lang in self._outdated else "missing"

    @property
    def translations(self) -> dict[str, Any]:
        """Every fresh translation, by language."""
        return dict(self._translations)

    @property
    def display_title(self) -> str:
        """The contract's default: the title, else the first question, else the id."""
        return self.title or (self.questions[0] if self.questions else self.id)

    def title_in(self, lang: str, mode: str = "staff") -> str:
        """The title in `lang` for `mode`: an individual reads the individual title when there is one."""
        translated = self._translations.get(lang)
        if translated is not None:
            return str(translated.title)
        if mode == "individual":
            own = (self.title_individual_en if lang == "en" else None) or (
                self.title_individual if lang != "en" or not self.title_en else None)
            if own:
                return own
        return (self.title_en if lang == "en" and self.title_en else None) or self.display_title

    def text_in(self, mode: str, lang: str) -> tuple[str, bool]:
        """The answer text for mode and language, and whether it is in that language."""
        if lang == "en" and self.answer_en is not None:
            return self.answer_en.for_mode(mode), True
        translated = self._translations.get(lang)
        if translated is not None and mode == "individual":
            return str(translated.answer), True
        return self.answer.for_mode(mode), lang == "sv"


class Phrasings(_Strict):
    """How people write about an entry when they write to the bot (`phrasings.yaml`): realistic
    messages, matched like the entry's example questions and never shown."""

    id: EntryId
    texts: tuple[Text, ...] = Field(min_length=1)


class GlossaryTerm(_Strict):
    term: Text
    aliases: tuple[Text, ...] = ()
    explanation: Text | None = None
    explanation_en: Text | None = None
    historical: bool = False
    sources: tuple[Source, ...] = ()
    reviewed: dt.date | None = None

    # The everyday words for the term in the translated languages, (lang, form) (bot/kb/translations.py).
    _foreign: tuple[tuple[str, str], ...] = PrivateAttr(default=())

    @property
    def forms(self) -> tuple[str, ...]:
        return (self.term, *self.aliases)

    @property
    def foreign_forms(self) -> tuple[tuple[str, str], ...]:
        return self._foreign
