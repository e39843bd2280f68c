"""JSON Schemas of the knowledge files, generated from the pydantic models.

An admin's editor (VS Code with the YAML extension, or any yaml-language-server
client) reads the `# yaml-language-server: $schema=schema/….json` line at the
top of each knowledge file and then completes field names and underlines a typo
such as `titel:` while typing, before `rehabbot kb check` runs. The schemas are
generated, never written by hand, so they cannot drift from the loader: a test
compares the shipped files with `schemas()`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from bot.kb.pathways import Pathway
from bot.kb.schema import Document, Entry, GlossaryTerm, Phrasings

SCHEMA_DIR = "schema"
DRAFT = "https://json-schema.org/draft/2020-12/schema"
# Models whose YAML may also be a plain string ("answer: Ring kundcenter.", a source as text).
_ALSO_A_STRING = ("ModeText", "Source")
_TOPICS: dict[str, Any] = {
    "type": "object",
    "description": "Sections of topics; each topic has an id (used in an entry's `topics`) and a name.",
    "additionalProperties": {
        "type": "array",
        "items": {
            "type": "object",
            "required": ["id"],
            "properties": {
                "id": {"type": "string", "pattern": "^[a-z0-9_]+$"},
                "name": {"type": "string"},
                "what": {"type": "string", "description": "what the topic covers"},
                "seeds": {"type": "array", "items": {"type": "string"}, "description": "the source documents"},
            },
            "additionalProperties": False,
        },
    },
}
_TITLES = {
    "entries": "Rehabbot: entries (actors, insatser, tasks, begrepp, FAQ)",
    "glossary": "Rehabbot: glossary terms",
    "phrasings": "Rehabbot: how people write about each entry",
    "pathways": "Rehabbot: guided pathways",
    "sources": "Rehabbot: source documents",
    "topics": "Rehabbot: topics",
}


def schemas() -> dict[str, dict[str, Any]]:
    """The schema of each kind of knowledge file, by name (`entries`, `glossary`, …)."""
    out = {name: _list_of(model) for name, model in
           (("entries", Entry), ("glossary", GlossaryTerm), ("pathways", Pathway), ("sources", Document),
            ("phrasings", Phrasings))}
    out["topics"] = dict(_TOPICS)
    return {name: {"$schema": DRAFT, "title": _TITLES[name], **schema} for name, schema in out.items()}


def schema_for(file_name: str) -> str:
    """Which schema a knowledge file follows."""
    stem = Path(file_name).stem
    return stem if stem in ("glossary", "pathways", "sources", "topics", "phrasings") else "entries"


def header(file_name: str) -> str:
    """The first line of a knowledge file: where its schema is, for the admin's editor."""
    return f"# yaml-language-server: $schema={SCHEMA_DIR}/{schema_for(file_name)}.json"


def write(directory: Path) -> list[Path]:
    """Write every schema into `directory` (created if needed); return the files written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in schemas().items():
        path = directory / f"{name}.json"
        path.write_text(json.dumps(schema, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        written.append(path)
    return written


def _list_of(model: type) -> dict[str, Any]:
    schema = TypeAdapter(list[model]).json_schema()  # type: ignore[valid-type]
    for name in _ALSO_A_STRING:
        if name in schema.get("$defs", {}):
            schema["$defs"][name] = {"anyOf": [{"type": "string", "minLength": 1}, schema["$defs"][name]]}
    return schema
