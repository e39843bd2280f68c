"""Settings: read once from the environment, and a bad value stops the program with one line."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_cli

from bot.settings import DEFAULT_RETENTION_DAYS, Settings, SettingsError, shipped_kb_dir


def test_an_empty_environment_gives_the_documented_defaults():
    settings = Settings.from_env({})
    assert settings.retention_days == DEFAULT_RETENTION_DAYS == 90
    assert settings.review_max_age_days == 365
    assert settings.semantic is True and settings.admin_ids == frozenset()
    assert settings.database_url is None and settings.telegram_token is None and settings.webhook_secret is None
    assert settings.telegram_base_url == "https://api.telegram.org/bot"
    assert settings.kb_dir() == shipped_kb_dir() and settings.kb_dir("elsewhere") == Path("elsewhere")


def test_every_variable_is_read():
    settings = Settings.from_env({
        "REHABBOT_KB": "/srv/kb", "DATABASE_URL": "sqlite:///x.db", "REHABBOT_RETENTION_DAYS": " 7 ",
        "REHABBOT_SECRET": "s" * 20, "REHABBOT_REVIEW_MAX_AGE_DAYS": "30", "REHABBOT_SEMANTIC": "OFF",
        "TELEGRAM_BOT_TOKEN": "123:abc", "TELEGRAM_API_BASE_URL": "http://127.0.0.1:8081/bot",
        "TELEGRAM_API_BASE_FILE_URL": "http://127.0.0.1:8081/file/bot",
        "REHABBOT_ADMIN_IDS": " 12, 34 ,, 56", "REHABBOT_WEBHOOK_SECRET": "abc_DEF-123"})
    assert settings.kb_dir() == Path("/srv/kb") and settings.database_url == "sqlite:///x.db"
    assert (settings.retention_days, settings.review_max_age_days, settings.semantic) == (7, 30, False)
    assert settings.admin_ids == {12, 34, 56} and settings.webhook_secret == "abc_DEF-123"
    assert settings.telegram_base_file_url == "http://127.0.0.1:8081/file/bot"


@pytest.mark.parametrize(("name", "value", "allowed"), [
    ("REHABBOT_RETENTION_DAYS", "ninety", "heltal ≥ 1"),
    ("REHABBOT_RETENTION_DAYS", "0", "heltal ≥ 1"),
    ("REHABBOT_REVIEW_MAX_AGE_DAYS", "-3", "heltal ≥ 1"),
    ("REHABBOT_SEMANTIC", "maybe", "on eller off"),
    ("REHABBOT_ADMIN_IDS", "12,x", "Telegram-användar-id"),
    ("REHABBOT_WEBHOOK_SECRET", "no spaces allowed", "A-Z, a-z, 0-9"),
    ("TELEGRAM_API_BASE_URL", "localhost:8081", "http://"),
])
def test_a_bad_value_names_the_variable_and_what_is_allowed(name, value, allowed):
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({name: value})
    assert name in str(caught.value) and allowed in str(caught.value) and "\n" not in str(caught.value)


def test_a_mistyped_retention_stops_rehabbot_run_with_one_line(tmp_path):
    # Before: the database was silently switched off and the bot ran without a question log.
    result = run_cli("run", env={"TELEGRAM_BOT_TOKEN": "123:abc", "REHABBOT_RETENTION_DAYS": "90d",
                                 "TELEGRAM_API_BASE_URL": "http://127.0.0.1:9/bot"}, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "rehabbot run: REHABBOT_RETENTION_DAYS='90d': ska vara ett heltal ≥ 1 (dagar); utan värde gäller 90"]


def test_a_bad_value_stops_only_the_commands_that_use_the_variable():
    env = {"REHABBOT_ADMIN_IDS": "abc"}
    assert Settings.from_env(env, needed={"REHABBOT_SEMANTIC"}).admin_ids == frozenset()  # the default
    with pytest.raises(SettingsError, match="REHABBOT_ADMIN_IDS"):
        Settings.from_env(env)  # `rehabbot run` uses every variable
    assert run_cli("ask", "vem kallar till sip", env=env).returncode == 0
    assert run_cli("run", env={**env, "TELEGRAM_BOT_TOKEN": "123:abc"}).returncode == 2
