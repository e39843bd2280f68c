"""Settings from the environment, read in one place."""

from __future__ import annotations

import os
from pathlib import Path

import bot

MODES = ("staff", "individual")
LANGS = ("sv", "en")


def shipped_kb_dir() -> Path:
    """The knowledge base that ships with the package.

    Installed, it is the `bot.knowledge` package data; in a source checkout it is
    `knowledge/` at the repository root, which admins edit.
    """
    package = Path(bot.__file__).resolve().parent
    installed = package / "knowledge"
    return installed if installed.is_dir() else package.parent / "knowledge"


def kb_dir(explicit: str | os.PathLike | None = None) -> Path:
    """`--kb` when given, else `REHABBOT_KB`, else the shipped knowledge base."""
    if explicit:
        return Path(explicit)
    if os.environ.get("REHABBOT_KB"):
        return Path(os.environ["REHABBOT_KB"])
    return shipped_kb_dir()


def review_age_days() -> int:
    """Entries whose `reviewed` date is older than this are warned about."""
    try:
        return int(os.environ.get("REHABBOT_REVIEW_MAX_AGE_DAYS", "365"))
    except ValueError:
        return 365
