"""A problem found in a knowledge directory, printed as `PATH:LINE: message`.

Admins fix files in an editor, so every problem names the file and the line of
the offending YAML node; warnings use the same form and never fail a check.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, order=True)
class Problem:
    path: str
    line: int
    message: str
    warning: bool = False

    def __str__(self) -> str:
        prefix = "warning: " if self.warning else ""
        return f"{self.path}:{self.line}: {prefix}{self.message}"


class KnowledgeBaseInvalid(Exception):
    """Raised when a knowledge directory has errors; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        errors = [p for p in problems if not p.warning]
        super().__init__("\n".join(str(p) for p in errors) or "invalid knowledge base")


def display_path(path: Path) -> str:
    """A path as the admin typed it: relative to the working directory when possible."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
