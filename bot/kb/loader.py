"""Reading a knowledge directory into a validated `KnowledgeBase`.

Everything is checked in one pass and every problem is collected, so an admin
fixes a whole batch of mistakes per run instead of one per run. Nothing is
returned unless the directory is valid: the caller either gets a complete
knowledge base or a list of problems, never something in between.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from rapidfuzz import process

from bot.kb.model import KnowledgeBase
from bot.kb.pathways import Pathway, check_pathway
from bot.kb.problems import KnowledgeBaseInvalid, Problem, display_path
from bot.kb.schema import KINDS, PERSON, Document, Entry, GlossaryTerm, Phrasings, Source
from bot.kb.translations import LANGUAGES as TRANSLATED_LANGUAGES
from bot.kb.translations import EntryTranslation, GlossaryForm, fingerprint
from bot.kb.yamlsource import LineDict, LineList, line_of, load_yaml
from bot.text.normalize import plain
from bot.text.readability import INDIVIDUAL_MAX, lix

TOPICS_FILE = "topics.yaml"
GLOSSARY_FILE = "glossary.yaml"
PATHWAYS_FILE = "pathways.yaml"
SOURCES_FILE = "sources.yaml"
PHRASINGS_FILE = "phrasings.yaml"
TRANSLATIONS_DIR = "translations"  # translations/<lang>.yaml (bot/kb/translations.py)
# Files that are not lists of entries.
SPECIAL_FILES = {TOPICS_FILE, GLOSSARY_FILE, PATHWAYS_FILE, SOURCES_FILE, PHRASINGS_FILE}
TOPIC_FIELDS = frozenset({"id", "name", "what", "seeds"})
DEFAULT_KIND = {"actors": "actor", "insatser": "insats", "begrepp": "begrepp", "tasks": "task"}
DEFAULT_REVIEW_AGE_DAYS = 365
_Model = TypeVar("_Model", bound=BaseModel)


def load_knowledge_base(directory: str | Path) -> KnowledgeBase:
    """Load and validate `directory`; raise `KnowledgeBaseInvalid` listing every error."""
    kb, problems = read_directory(directory)
    if kb is None:
        raise KnowledgeBaseInvalid(problems)
    return kb


def check_directory(directory: str | Path, max_age_days: int = DEFAULT_REVIEW_AGE_DAYS,
                    today: dt.date | None = None) -> list[Problem]:
    """Every error and warning of `directory`, sorted by file and line."""
    directory = Path(directory)
    if not directory.is_dir():
        return [Problem(display_path(directory), 1, "katalogen finns inte")]
    reader = _Reader(directory)
    reader.read()
    problems = reader.problems + _warnings(reader.entries, reader.origins, max_age_days, today or dt.date.today())
    return sorted(set(problems), key=lambda p: (p.path, p.line, p.warning, p.message))


def _warnings(entries: list[Entry], origins: dict[str, tuple[str, int]], max_age_days: int,
              today: dt.date) -> list[Problem]:
    """What does not stop loading but needs an admin: old reviews, texts too hard for an individual.
    Computed on every valid entry, so they show beside the errors of a broken directory."""
    found = []
    for entry in entries:
        path, line = origins[entry.id]
        if entry.reviewed is not None and (today - entry.reviewed).days > max_age_days:
            found.append(Problem(path, line, f"posten '{entry.id}' granskades senast {entry.reviewed} "
                                             f"(äldre än {max_age_days} dagar)", warning=True))
        text = entry.answer.individual
        if entry.audience != "staff" and text and (score := lix(text)) > INDIVIDUAL_MAX:
            found.append(Problem(path, line, f"posten '{entry.id}': svaret till individen har LIX {score:.1f} "
                                             f"(högst {INDIVIDUAL_MAX}): kortare meningar och vardagliga ord",
                                 warning=True))
    return found


def read_directory(directory: str | Path) -> tuple[KnowledgeBase | None, list[Problem]]:
    """The knowledge base (None if any error) and all problems found, warnings included."""
    directory = Path(directory)
    if not directory.is_dir():
        return None, [Problem(display_path(directory), 1, "katalogen finns inte")]
    reader = _Reader(directory)
    return reader.read(), reader.problems


class _Reader:
    def __init__(self, directory: Path):
        self.directory = directory
        self.problems: list[Problem] = []
        self.digest = hashlib.sha256()
        self.unreadable: list[str] = []  # files that could not be parsed at all
        self.entries: list[Entry] = []  # every valid entry, also when the directory has errors
        self.origins: dict[str, tuple[str, int]] = {}

    def error(self, path: str, line: int, message: str) -> None:
        self.problems.append(Problem(path, line, message))

    def warn(self, path: str, line: int, message: str) -> None:
        self.problems.append(Problem(path, line, message, warning=True))

    def read(self) -> KnowledgeBase | None:
        files = sorted(self.directory.glob("*.yaml")) + sorted(self.directory.glob("*.yml"))
        topics = self._read_topics()
        documents = self._read_documents()
        glossary = self._read_glossary()
        entries, origins = self.entries, self.origins
        refs: list[_Refs] = []
        entry_files = [f for f in files if f.name not in SPECIAL_FILES]
        if not entry_files:
            self.error(display_path(self.directory), 1, "inga postfiler (*.yaml) i katalogen, t.ex. faq.yaml")
        for file in entry_files:
            for entry, ref in self._read_entries(file):
                if ref.id in origins:
                    first = origins[ref.id]
                    self.error(ref.path, ref.item.line, f"id '{ref.id}' finns redan ({first[0]}:{first[1]})")
                    continue
                origins[ref.id] = (ref.path, ref.item.line)
                refs.append(ref)
                if entry is not None:
                    entries.append(entry)
        unread = [path for path in self.unreadable if Path(path).name not in SPECIAL_FILES]
        if unread:
            # What they hold is unknown: a reference to it is not an error, and saying so for
            # every reference would bury the one real mistake (a syntax error) in follow-ons.
            for path in unread:
                self.warn(path, 1, "referenser till poster i den här filen kontrollerades inte: "
                                   "rätta syntaxfelet och kontrollera igen")
        else:
            self._check_references(refs, topics)
        self._check_documents(refs, documents)
        self._check_questions(refs)
        pathways = self._read_pathways({r.id for r in refs}, {r.id for r in refs if r.kind == "actor"},
                                       check_targets=not unread)
        glossary = self._read_translations(entries, glossary)
        self._read_phrasings(entries)
        if any(not p.warning for p in self.problems):
            return None
        return KnowledgeBase(
            directory=self.directory, entries=tuple(entries), glossary=tuple(glossary), pathways=tuple(pathways),
            topics=MappingProxyType(topics if topics is not None else {}),
            documents=MappingProxyType(documents or {}),
            origins=MappingProxyType(origins), version=self.digest.hexdigest()[:10])

    def _load(self, file: Path) -> tuple[Any, str]:
        shown = display_path(file)
        self.digest.update(file.name.encode() + b"\0" + file.read_bytes())
        data, problems = load_yaml(file, shown)
        self.problems.extend(problems)
        if data is None and problems:
            self.unreadable.append(shown)
        return data, shown

    def _read_topics(self) -> dict[str, str] | None:
        file = self.directory / TOPICS_FILE
        if not file.exists():
            return None
        data, shown = self._load(file)
        topics: dict[str, str] = {}
        if data is None:
            return topics
        if not isinstance(data, dict):
            self.error(shown, 1, "topics.yaml ska vara avsnitt med listor av ämnen (id, name)")
            return topics
        for section in data.values():
            for index, item in enumerate(section if isinstance(section, list) else []):
                if isinstance(item, dict) and isinstance(item.get("id"), str):
                    topics[item["id"]] = str(item.get("name", item["id"]))
                    for key in set(item) - TOPIC_FIELDS:
                        # `{name: A (b, c)}` makes "c)" a key of its own: the name needs quotes.
                        self.error(shown, line_of(section, (index,)),
                                   f"okänt fält '{key}' i ämnet '{item['id']}' (tillåtna: "
                                   f"{', '.join(sorted(TOPIC_FIELDS))}; sätt citattecken runt ett namn med komma)")
                else:
                    self.error(shown, line_of(section, (index,)), "ett ämne behöver ett 'id'")
        return topics

    def _read_documents(self) -> dict[str, Document] | None:
        file = self.directory / SOURCES_FILE
        if not file.exists():
            return None
        data, shown = self._load(file)
        documents: dict[str, Document] = {}
        for index, document in self._valid_items(data, shown, Document):
            if document.id in documents:
                self.error(shown, line_of(data, (index,)), f"källdokumentet '{document.id}' finns redan")
            documents[document.id] = document
        return documents

    def _read_glossary(self) -> list[GlossaryTerm]:
        file = self.directory / GLOSSARY_FILE
        if not file.exists():
            return []
        data, shown = self._load(file)
        terms: list[GlossaryTerm] = []
        seen: dict[str, tuple[str, int]] = {}
        for index, term in self._valid_items(data, shown, GlossaryTerm):
            terms.append(term)
            for form in term.forms:
                key = plain(form)
                line = line_of(data, (index,))
                if key in seen and seen[key][0] != term.term:
                    self.error(shown, line, f"'{form}' står redan under termen '{seen[key][0]}' (rad {seen[key][1]})")
                seen.setdefault(key, (term.term, line))
        return terms

    def _read_translations(self, entries: list[Entry], glossary: list[GlossaryTerm]) -> list[GlossaryTerm]:
        """`translations/<lang>.yaml`: each fresh translation joins its entry; the words people use
        in the language join the glossary terms they mean, in that language only. Returns the glossary."""
        folder = self.directory / TRANSLATIONS_DIR
        if not folder.is_dir():
            return glossary
        by_id = {e.id: e for e in entries}
        terms = {g.term: g for g in glossary}
        extra: dict[str, list[tuple[str, str]]] = {}
        for file in sorted(folder.glob("*.yaml")):
            data, shown = self._load(file)
            if data is None:
                continue
            if not isinstance(data, LineDict):
                self.error(shown, getattr(data, "line", 1), "filen ska ha 'language:', 'entries:' och 'glossary:'")
                continue
            if data.get("language") != file.stem or file.stem not in TRANSLATED_LANGUAGES:
                self.error(shown, line_of(data, ("language",)),
                           f"'language' ska vara filens namn ({file.stem}), ett av {', '.join(TRANSLATED_LANGUAGES)}")
                continue
            lang, done = file.stem, set()
            for index, item in enumerate(data.get("entries") or []):
                try:
                    translation = EntryTranslation.model_validate(item)
                except ValidationError as exc:
                    self._report(exc, data, ("entries", index), shown)
                    continue
                line = line_of(data, ("entries", index))
                entry = by_id.get(translation.id)
                if entry is None:
                    self.warn(shown, line, f"översättning av '{translation.id}', som inte finns (längre)")
                elif translation.source != fingerprint(entry):
                    self.warn(shown, line, f"'{translation.id}': den svenska texten har ändrats sedan översättningen "
                                           f"(källa {translation.source}, nu {fingerprint(entry)}); svenskan visas "
                                           "tills översättningen är uppdaterad")
                    entry._outdated.add(lang)
                else:
                    entry._translations[lang] = translation
                    done.add(entry.id)
            wanted = [e.id for e in entries if e.audience != "staff" and e.id not in done]
            if wanted:
                self.warn(shown, 1, f"{len(wanted)} poster som en individ kan få saknar översättning till {lang} "
                                    f"(t.ex. {', '.join(wanted[:3])})")
            for index, item in enumerate(data.get("glossary") or []):
                try:
                    words = GlossaryForm.model_validate(item)
                except ValidationError as exc:
                    self._report(exc, data, ("glossary", index), shown)
                    continue
                if words.term not in terms:
                    self.warn(shown, line_of(data, ("glossary", index)),
                              f"termen '{words.term}' finns inte i {GLOSSARY_FILE}")
                    continue
                extra.setdefault(words.term, []).extend((lang, form) for form in words.forms)
        for term in glossary:
            term._foreign = tuple(dict.fromkeys(extra.get(term.term, ())))
        return glossary

    def _read_phrasings(self, entries: list[Entry]) -> None:
        """`phrasings.yaml`: the ways people write about an entry join its example questions (in
        place in `entries`), after the ones the entry lists itself."""
        file = self.directory / PHRASINGS_FILE
        if not file.exists():
            return
        data, shown = self._load(file)
        where = {e.id: i for i, e in enumerate(entries)}
        seen: dict[str, tuple[str, str]] = {}  # plain text → entry id and where
        for e in entries:
            path, line = self.origins.get(e.id, (shown, 0))
            for question in e.questions:
                seen.setdefault(plain(question), (e.id, f"{path}:{line}"))
        added: dict[str, list[str]] = {}
        for index, phrasings in self._valid_items(data, shown, Phrasings):
            line = line_of(data, (index,))
            entry_at = where.get(phrasings.id)
            if entry_at is None:
                self.warn(shown, line, f"formuleringar för '{phrasings.id}', som inte finns (längre)"
                                       f"{_did_you_mean(phrasings.id, where)}")
                continue
            entry = entries[entry_at]
            if not (entry.title or entry.questions):
                self.warn(shown, line, f"'{phrasings.id}' har varken titel eller frågor: formuleringarna används inte")
                continue
            for n, text in enumerate(phrasings.texts):
                key = plain(text)
                if key in seen:
                    other, at = seen[key]
                    self.warn(shown, line_of(data, (index, "texts", n)),
                              f"formuleringen finns redan hos '{other}' ({at}): den används en gång")
                    continue
                seen[key] = (phrasings.id, f"{shown}:{line_of(data, (index, 'texts', n))}")
                added.setdefault(phrasings.id, []).append(text)
        for entry_id, texts in added.items():
            entry = entries[where[entry_id]]
            copy = entry.model_copy(update={"questions": (*entry.questions, *texts)})
            copy._translations, copy._outdated = entry._translations, entry._outdated
            entries[where[entry_id]] = copy

    def _read_pathways(self, entry_ids: set[str], actor_ids: set[str], check_targets: bool = True) -> list[Pathway]:
        file = self.directory / PATHWAYS_FILE
        if not file.exists():
            return []
        data, shown = self._load(file)
        pathways: list[Pathway] = []
        seen: dict[str, int] = {}
        for index, pathway in self._valid_items(data, shown, Pathway):
            line = line_of(data, (index,))
            if pathway.id in seen:
                self.error(shown, line, f"vägledningen '{pathway.id}' finns redan (rad {seen[pathway.id]})")
                continue
            seen[pathway.id] = line
            for loc, message in check_pathway(pathway, entry_ids, actor_ids):
                if check_targets or not ("ska vara en aktör" in message or message.startswith("posten '")):
                    self.error(shown, line_of(data, (index, *loc)), message)
            pathways.append(pathway)
        return pathways

    def _valid_items(self, data: Any, shown: str, model: type[_Model]) -> Iterable[tuple[int, _Model]]:
        """Each item of a list file that validates as `model`, with its index; the others are
        reported with their line."""
        for index, item in self._items(data, shown):
            try:
                yield index, model.model_validate(item)
            except ValidationError as exc:
                self._report(exc, data, (index,), shown)

    def _items(self, data: Any, shown: str) -> Iterable[tuple[int, Any]]:
        if data is None:
            return []
        if not isinstance(data, LineList):
            self.error(shown, getattr(data, "line", 1), "filen ska vara en lista av poster (rader som börjar med '- ')")
            return []
        return enumerate(data)

    def _read_entries(self, file: Path) -> Iterable[tuple[Entry | None, _Refs]]:
        """Each entry of `file`: the validated entry (None if invalid) and its references.

        An invalid entry still yields what it refers to, so that one mistake neither hides
        the entry's other problems nor makes references to it look broken.
        """
        data, shown = self._load(file)
        default_kind = next((kind for prefix, kind in DEFAULT_KIND.items() if file.stem.startswith(prefix)), "faq")
        for index, item in self._items(data, shown):
            if not isinstance(item, LineDict):
                self.error(shown, line_of(data, (index,)),
                           "en post ska vara ett objekt med fält som 'id:' och 'answer:'")
                continue
            entry = None
            try:
                entry = Entry.model_validate({"kind": default_kind, **item})
            except ValidationError as exc:
                self._report(exc, data, (index,), shown)
            ref = _Refs.of(entry, item, shown, default_kind)
            if ref is not None:
                yield entry, ref

    def _report(self, exc: ValidationError, data: Any, prefix: tuple[Any, ...], shown: str) -> None:
        for err in exc.errors():
            loc = tuple(step for step in err["loc"] if not (isinstance(step, str) and step.startswith("function-")))
            self.error(shown, line_of(data, prefix + loc), _message(err, loc))

    def _check_references(self, refs: list[_Refs], topics: dict[str, str] | None) -> None:
        ids = {r.id for r in refs}
        actors = {r.id for r in refs if r.kind == "actor"}
        for ref in refs:
            for index, target in ref.listed("related"):
                if target not in ids:
                    self.error(ref.path, ref.line("related", index),
                               f"'related' pekar på '{target}', som inte finns{_did_you_mean(target, ids)}")
            for index, relation in enumerate(ref.mappings("relations")):
                to = relation.get("to")
                if isinstance(to, str) and to not in ids:
                    self.error(ref.path, ref.line("relations", index, "to"),
                               f"relationen pekar på '{to}', som inte finns{_did_you_mean(to, ids)}")
            for index, actor in ref.listed("responsible"):
                if actor not in actors:
                    self.error(ref.path, ref.line("responsible", index),
                               f"'responsible' ska vara en aktör; '{actor}' finns inte bland aktörerna"
                               f"{_did_you_mean(actor, actors)}")
            for index, step in enumerate(ref.mappings("next_steps")):
                who = step.get("who")
                if isinstance(who, str) and who != PERSON and who not in actors:
                    self.error(ref.path, ref.line("next_steps", index, "who"),
                               f"'who' ska vara en aktör eller '{PERSON}'; '{who}' finns inte"
                               f"{_did_you_mean(who, actors | {PERSON})}")
            for index, topic in ref.listed("topics"):
                if any(Path(path).name == TOPICS_FILE for path in self.unreadable):
                    break  # its syntax error is reported; which topics it has is unknown
                if topics is None:
                    self.error(ref.path, ref.line("topics", index),
                               f"ämnet '{topic}' kan inte kontrolleras: {TOPICS_FILE} saknas")
                elif topic not in topics:
                    self.error(ref.path, ref.line("topics", index),
                               f"okänt ämne '{topic}'{_did_you_mean(topic, topics)}")
            # A plain FAQ of the minimal format needs no sources; a curated entry does.
            if not ref.item.get("sources") and (ref.kind != "faq" or ref.item.get("topics")):
                self.warn(ref.path, ref.item.line, f"posten '{ref.id}' saknar 'sources'")

    def _check_documents(self, refs: list[_Refs], documents: dict[str, Document] | None) -> None:
        """Every source document an entry names is described in sources.yaml, so that a person
        reads its title and never a file name."""
        for ref in refs:
            for index, source in enumerate(ref.item.get("sources") or []):
                document = Source.model_validate(source).document if _valid_source(source) else None
                if document is None or (documents is not None and document in documents):
                    continue
                if documents is None:
                    self.warn(ref.path, ref.line("sources", index),
                              f"källdokumentet '{document}' visas som 'källdokument': {SOURCES_FILE} saknas")
                else:
                    self.error(ref.path, ref.line("sources", index),
                               f"källdokumentet '{document}' finns inte i {SOURCES_FILE}"
                               f"{_did_you_mean(document, documents)}")

    def _check_questions(self, refs: list[_Refs]) -> None:
        owner: dict[str, tuple[str, str, int]] = {}
        for ref in refs:
            for index, question in ref.listed("questions"):
                key = plain(question)
                line = ref.line("questions", index)
                if key in owner and owner[key][0] != ref.id:
                    first_id, first_path, first_line = owner[key]
                    self.error(ref.path, line, f"exempelfrågan '{question}' finns redan under '{first_id}' "
                                               f"({first_path}:{first_line})")
                owner.setdefault(key, (ref.id, ref.path, line))


@dataclass(frozen=True)
class _Refs:
    """What an entry refers to, read from its raw YAML so that invalid entries are checked too."""

    id: str
    kind: str
    path: str
    item: LineDict

    @classmethod
    def of(cls, entry: Entry | None, item: LineDict, path: str, default_kind: str) -> _Refs | None:
        if entry is not None:
            return cls(entry.id, entry.kind, path, item)
        entry_id = item.get("id")
        if not isinstance(entry_id, str) or not entry_id:
            return None
        kind = item.get("kind", default_kind)
        return cls(entry_id, kind if isinstance(kind, str) else default_kind, path, item)

    def listed(self, field: str) -> list[tuple[int, str]]:
        values = self.item.get(field)
        if not isinstance(values, list):
            return []
        return [(i, v) for i, v in enumerate(values) if isinstance(v, str)]

    def mappings(self, field: str) -> list[dict]:
        values = self.item.get(field)
        return [v if isinstance(v, dict) else {} for v in values] if isinstance(values, list) else []

    def line(self, *loc: Any) -> int:
        return line_of(self.item, loc, self.item.line)


_FIELD_NAMES = tuple(Entry.model_fields)


def _valid_source(value: Any) -> bool:
    try:
        Source.model_validate(value)
    except ValidationError:
        return False  # reported with the entry
    return True


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    best = process.extractOne(word, list(choices), score_cutoff=75)
    return f" (menade du '{best[0]}'?)" if best else ""


def _message(err: ErrorDetails, loc: tuple[Any, ...]) -> str:
    """A Swedish message an admin can act on, for one pydantic error."""
    field = next((str(step) for step in reversed(loc) if isinstance(step, str)), "posten")
    kind = err["type"]
    if kind == "extra_forbidden":
        return f"okänt fält '{field}'{_did_you_mean(field, _FIELD_NAMES)}"
    if kind == "missing":
        return f"obligatoriskt fält '{field}' saknas"
    if kind == "string_type" and isinstance(err.get("input"), (int, float, bool)):
        return f"'{field}' ska vara text: sätt citattecken runt {err['input']!r}, t.ex. \"{err['input']}\""
    if kind in ("string_type", "string_too_short"):
        return f"'{field}' ska vara en text som inte är tom"
    if kind in ("tuple_type", "list_type"):
        return f"'{field}' ska vara en lista (t.ex. [a, b] eller rader som börjar med '- ')"
    if kind.startswith(("date", "datetime")):
        return f"'{field}' är inget giltigt datum, skriv ÅÅÅÅ-MM-DD (fick {err.get('input')!r})"
    if kind == "literal_error":
        return f"'{field}' måste vara en av: {err['ctx']['expected']} (fick {err.get('input')!r})"
    if kind == "string_pattern_mismatch":
        return f"'{field}' får bara innehålla a–z, 0–9 och _ (fick {err.get('input')!r})"
    if kind == "string_too_long":
        return f"'{field}' är för långt (högst {err['ctx']['max_length']} tecken)"
    if kind in ("bool_type", "bool_parsing"):
        return f"'{field}' ska vara true eller false"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"'{field}' ska vara ett objekt med fält (nyckel: värde)"
    if kind == "value_error":
        return str(err["msg"]).removeprefix("Value error, ")
    return f"'{field}': {err['msg']}"


__all__ = ["KINDS", "check_directory", "load_knowledge_base", "read_directory"]
