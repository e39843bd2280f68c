"""The JSON Schemas of the knowledge files: generated, shipped, referenced, and right."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from conftest import run_cli

from bot.kb.jsonschema import SCHEMA_DIR, header, schema_for, schemas
from bot.settings import shipped_kb_dir

KB = shipped_kb_dir()


def _validator(name: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((KB / SCHEMA_DIR / f"{name}.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _data(text: str) -> object:
    # YAML reads an unquoted 2026-11-24 as a date; an editor's schema check sees the string.
    return json.loads(json.dumps(yaml.safe_load(text), default=str))


def test_the_shipped_schemas_are_what_the_models_generate():
    for name, schema in schemas().items():
        shipped = json.loads((KB / SCHEMA_DIR / f"{name}.json").read_text(encoding="utf-8"))
        assert shipped == schema, f"{name}.json is stale: run `rehabbot kb schema`"


@pytest.mark.parametrize("path", sorted(KB.glob("*.yaml")), ids=lambda p: p.name)
def test_every_knowledge_file_names_its_schema_and_follows_it(path: Path):
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[0] == header(path.name)
    errors = [e.message for e in _validator(schema_for(path.name)).iter_errors(_data(text))]
    assert not errors, errors[:3]


def test_the_schema_underlines_a_typo_in_a_field_name():
    text = (KB / "faq.yaml").read_text(encoding="utf-8").replace("\n  title: ", "\n  titel: ", 1)
    errors = [e.message for e in _validator("entries").iter_errors(_data(text))]
    assert any("'titel' was unexpected" in message for message in errors), errors[:3]


def test_kb_schema_writes_every_schema(tmp_path):
    result = run_cli("kb", "schema", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{name}.json" for name in schemas())
