"""Changing the live knowledge base safely, for every channel that lets admins do it.

A change is tried first: the directory as it would be (the current files with the new ones
over them, or a whole earlier version) is read by the real loader in a scratch directory,
so its problems are exactly those `rehabbot kb check` reports, named by the real file. Only
a valid trial is applied: each file is written beside its target and renamed over it (a
reader never sees half a file), the files it replaces are kept under `.backups/`, and the
running core reloads. What changed is said per entry: added, removed, and which fields of
the others.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.kb.loader import TRANSLATIONS_DIR, read_directory
from bot.kb.model import KnowledgeBase
from bot.kb.problems import Problem, display_path
from bot.kb.translations import LANGUAGES

BACKUP_DIR = ".backups"
MAX_FILE_BYTES = 2 * 1024 * 1024  # the loader's own limit for one file
FILE_NAME = re.compile(rf"^(?:{TRANSLATIONS_DIR}/)?[A-Za-z0-9][A-Za-z0-9_-]{{0,63}}\.ya?ml$")


@dataclass
class Change:
    """What a trial changes, entry by entry."""

    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: dict[str, list[str]] = field(default_factory=dict)  # entry id → the fields that differ
    files: list[str] = field(default_factory=list)  # the files whose text differs

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.files)


@dataclass
class Trial:
    """The directory as it would be, and what the loader says about it."""

    files: dict[str, str]
    kb: KnowledgeBase | None
    errors: list[Problem]
    warnings: list[Problem]
    change: Change
    lines: dict[tuple[str, int], str] = field(default_factory=dict)  # (path, line) → that line's text

    @property
    def valid(self) -> bool:
        return self.kb is not None and not self.errors


def yaml_files(directory: Path) -> dict[str, str]:
    """The knowledge directory's YAML files, name → text: its own and `translations/<lang>.yaml`."""
    found = [p for p in sorted(directory.iterdir()) if p.is_file() and p.suffix in (".yaml", ".yml")]
    if (directory / TRANSLATIONS_DIR).is_dir():
        found += sorted(p for p in (directory / TRANSLATIONS_DIR).glob("*.yaml") if p.is_file())
    return {p.relative_to(directory).as_posix(): p.read_text(encoding="utf-8") for p in found}


def upload_name(filename: str) -> str:
    """Where an uploaded file goes: a browser or Telegram sends a bare name, and a translation
    file (`pl.yaml`, named by its language) belongs in `translations/`."""
    name = Path(filename).name
    stem, _, suffix = name.partition(".")
    return f"{TRANSLATIONS_DIR}/{name}" if stem in LANGUAGES and suffix == "yaml" else name


def check_upload(name: str, data: bytes) -> str | None:
    """Why an uploaded file cannot be tried at all (its name, size or encoding), or None."""
    if not FILE_NAME.match(name):
        return f"{name}: filnamnet ska vara bokstäver, siffror, _ och - med ändelsen .yaml"
    if len(data) > MAX_FILE_BYTES:
        return f"{name}: filen är för stor (högst {MAX_FILE_BYTES // (1024 * 1024)} MB)"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"{name}: filen är inte UTF-8-text (byte {exc.start})"
    return None


def trial(current: KnowledgeBase, directory: Path, new: Mapping[str, str], whole: bool = False) -> Trial:
    """Try `new` over the files of `directory` (or, `whole`, instead of them)."""
    files = dict(new) if whole else {**yaml_files(directory), **new}
    with tempfile.TemporaryDirectory(prefix="rehabbot-trial-") as tmp:
        scratch = Path(tmp)
        for name, text in files.items():
            (scratch / name).parent.mkdir(parents=True, exist_ok=True)
            (scratch / name).write_text(text, encoding="utf-8")
        for extra in ("schema",):  # the editors' JSON Schemas travel along, unchanged
            if (directory / extra).is_dir():
                shutil.copytree(directory / extra, scratch / extra)
        kb, problems = read_directory(scratch)
        prefixes = (display_path(scratch), str(scratch), str(scratch.resolve()))
        real = display_path(directory)
        problems = [_named_as_in(real, prefixes, p) for p in problems]
    errors = [p for p in problems if not p.warning]
    warnings = [p for p in problems if p.warning]
    lines = {}
    split: dict[str, list[str]] = {}  # each file split once (12,000 errors once took a minute)
    shown = display_path(directory)
    for problem in errors:
        name = _relative(shown, problem.path)
        if name in files and problem.line:
            if name not in split:
                split[name] = files[name].splitlines()
            source = split[name]
            if 0 < problem.line <= len(source):
                lines[(problem.path, problem.line)] = source[problem.line - 1]
    change = compare(current, kb, yaml_files(directory), files) if kb is not None else Change()
    return Trial(files, kb if not errors else None, errors, warnings, change, lines)


def compare(old: KnowledgeBase, new: KnowledgeBase, old_files: Mapping[str, str],
            new_files: Mapping[str, str]) -> Change:
    before = {e.id: e.model_dump() for e in old.entries}
    after = {e.id: e.model_dump() for e in new.entries}
    changed = {}
    for entry_id in sorted(before.keys() & after.keys()):
        fields = sorted(k for k in before[entry_id].keys() | after[entry_id].keys()
                        if before[entry_id].get(k) != after[entry_id].get(k))
        if fields:
            changed[entry_id] = fields
    files = sorted(n for n in old_files.keys() | new_files.keys() if old_files.get(n) != new_files.get(n))
    return Change(sorted(after.keys() - before.keys()), sorted(before.keys() - after.keys()), changed, files)


def apply(directory: Path, files: Mapping[str, str], now: dt.datetime | None = None) -> list[str]:
    """Make the directory's YAML files exactly `files`; returns the backups made (relative paths).

    Every file that is replaced or removed is kept under `.backups/` first; each new text is
    written beside its target and renamed over it."""
    stamp = (now or dt.datetime.now()).strftime("%Y-%m-%dT%H%M%S")
    current = yaml_files(directory)
    backups = []
    for name in sorted(current.keys() - files.keys() | {n for n in files if n in current and current[n] != files[n]}):
        backup = directory / BACKUP_DIR / f"{name}.{stamp}"
        backup.parent.mkdir(parents=True, exist_ok=True)
        for n in range(2, 1000):  # several changes in the same second keep a backup each
            if not backup.exists():
                break
            backup = directory / BACKUP_DIR / f"{name}.{stamp}-{n}"
        shutil.copy2(directory / name, backup)
        backups.append(backup.relative_to(directory).as_posix())
    for name, text in files.items():
        if current.get(name) == text:
            continue
        target = directory / name
        target.parent.mkdir(exist_ok=True)
        staging = target.with_name(f".{target.name}.publishing")
        staging.write_text(text, encoding="utf-8")
        os.replace(staging, target)
    for name in current.keys() - files.keys():
        (directory / name).unlink()
    return backups


@dataclass
class Published:
    """What going live did: the backups made, the reload's problems, the version recorded."""

    backups: list[str]
    problems: list[Problem]
    version: int | None = None

    @property
    def ok(self) -> bool:
        return not any(not p.warning for p in self.problems)


def go_live(rehabbot: Any, files: Mapping[str, str], by: str, note: str = "", versions: Any = None,
            now: dt.datetime | None = None) -> Published:
    """Make a valid trial's `files` the live knowledge base of `rehabbot` (blocking).

    With `versions` (an `AdminStore`) the change is recorded as a version, so every instance
    that shares the database takes it up and an admin can restore any earlier one; the first
    publication records what was there before it. Should the reload still fail (the directory
    changed between the trial and now), the files that were live are put back."""
    directory = Path(rehabbot.directory)
    before = yaml_files(directory)
    if versions is not None and versions.latest_version() is None:
        versions.add_version(before, "-", "före första publiceringen")
    backups = apply(directory, files, now)
    problems = rehabbot.reload()
    done = Published(backups, problems)
    if not done.ok:
        apply(directory, before)
        rehabbot.reload()
        return done
    if versions is not None:
        done.version = versions.add_version(files, by, note).id
    return done


def _relative(shown: str, path: str) -> str:
    """A problem's path (in the directory displayed as `shown`) as a name in `yaml_files`
    ("translations/pl.yaml")."""
    return path[len(shown):].lstrip("/") if path.startswith(shown) else Path(path).name


def _named_as_in(real: str, prefixes: tuple[str, ...], problem: Problem) -> Problem:
    """A problem found in the scratch copy (its path under one of `prefixes`), named by the real
    directory (`real`, as displayed) the admin knows."""
    path = problem.path
    for prefix in prefixes:
        if path.startswith(prefix):
            path = real + path[len(prefix):]
            break
    return Problem(path, problem.line, problem.message, problem.warning)
