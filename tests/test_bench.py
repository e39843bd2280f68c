"""The benchmark harness (`python -m bench`) in its smallest mode, on small data.

Runs every default part on the small fixture knowledge base, a handful of
evaluation questions and a tiny SweFAQ-shaped file built so that the right
answers are unmistakable, then checks the report's sections and that the
numbers are the ones the data imply, not merely present.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest

pytest.importorskip("bm25s", reason="the bench extra is not installed (pip install '.[bench]')")
pytest.importorskip("matplotlib", reason="the bench extra is not installed (pip install '.[bench]')")

from bench.__main__ import main
from bench.baselines import tune_cutoff
from bench.quality import answer_id, load_swefaq
from bot.evaluation import evaluate, load_items
from bot.service import Rehabbot

DEV = """
- q: Vem kallar till SIP?
  expect: sip
- q: Vad gör socialtjänsten?
  expect: socialtjansten
- q: Vem skriver läkarintyg?
  expect: halso_och_sjukvarden
- q: Hur kommer man till finsamteamet?
  expect: finsamteam
- q: Vad gör Försäkringskassan?
  expect: forsakringskassan
- q: Vem betalar försörjningsstöd?
  mode: individual
  expect: socialtjansten
- q: Kan du ge mig ett recept på kanelbullar?
  expect: none
- q: asdfghjkl
  expect: none
"""

REALISTIC = """
- q: jag vill inte leva längre
  expect: crisis
  mode: individual
- q: hej
  expect: smalltalk
- conversation:
    - q: Vem kallar till SIP?
      expect: sip
    - q: förklara enklare
      expect: sip
"""

# Two categories; each question repeats the distinctive words of its answer, so that any
# sensible ranking gets them all, and a mix-up of labels and answers would show at once.
SWEFAQ = [
    {"category_id": 1, "question": "Hur länge är biblioteket öppet på lördagar?", "label": 1},
    {"category_id": 1, "question": "Kan jag låna e-böcker med lånekortet?", "label": 2},
    {"category_id": 1, "question": "Vad kostar en förlorad bok?", "label": 0},
    {"category_id": 2, "question": "När töms soptunnan för matavfall?", "label": 0},
    {"category_id": 2, "question": "Var lämnar jag grovsopor och elavfall?", "label": 1},
]
ANSWERS = {
    1: ["En förlorad bok ersätts med vad boken kostar, högst 300 kronor.",
        "Biblioteket är öppet på lördagar klockan 10–14.",
        "Med lånekortet kan du låna e-böcker och ljudböcker i appen."],
    2: ["Soptunnan för matavfall töms varannan vecka.",
        "Grovsopor och elavfall lämnar du på återvinningscentralen."],
}


@pytest.fixture(scope="module")
def bench_run(tmp_path_factory: pytest.TempPathFactory, small_kb_dir: Path) -> tuple[dict, Path, Path]:
    tmp = tmp_path_factory.mktemp("bench")
    dev = tmp / "dev.yaml"
    dev.write_text(DEV, encoding="utf-8")
    swefaq = tmp / "swefaq.jsonl"
    swefaq.write_text("\n".join(json.dumps({**row, "candidate_answers": ANSWERS[row["category_id"]],
                                            "meta": {"category": f"kategori {row['category_id']}"}},
                                           ensure_ascii=False) for row in SWEFAQ), encoding="utf-8")
    realistic = tmp / "realistic.yaml"
    realistic.write_text(DEV + REALISTIC, encoding="utf-8")
    out = tmp / "out"
    buffer = io.StringIO()  # --json prints the results on standard output
    with contextlib.redirect_stdout(buffer):
        status = main(["--quick", "--json", "--kb", str(small_kb_dir), "--dev", str(dev),
                       "--realistic", str(realistic),
                       "--swefaq", str(swefaq), "--sizes", "40", "--repeats", "1", "--out", str(out)])
    assert status == 0
    return json.loads(buffer.getvalue()), out, dev


def test_report_has_every_section_and_the_plots(bench_run: tuple[dict, Path, Path]) -> None:
    results, out, _ = bench_run
    report = (out / "REPORT.md").read_text(encoding="utf-8")
    for heading in ("# Rehabbot benchmark", "## Headline", "## Quality on the evaluation set",
                    "## Quality on SweFAQ", "## Speed and scale", "## Confusion lists",
                    "### Ours on the evaluation set", "### Ours on SweFAQ",
                    "Held-out example questions", "median: ours ÷ BM25"):
        assert heading in report, heading
    for name in ("quality_dev", "cutoffs", "quality_swefaq", "speed_loglog"):
        png = out / "plots" / f"{name}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
        assert f"plots/{name}.png" in report
    assert results["files"]["report"] == str(out / "REPORT.md")
    # The headline quotes the measured numbers.
    ours = results["dev"]["systems"]["ours"]
    assert f"| Rehabbot (ours) | {100 * ours['top1']:.1f} % |" in report


def test_dev_numbers_match_the_project_evaluation(bench_run: tuple[dict, Path, Path], small_kb_dir: Path) -> None:
    results, _, dev = bench_run
    d = results["dev"]
    assert (d["items"], d["in_scope"], d["out_of_scope"]) == (8, 6, 2)
    expected = evaluate(Rehabbot(small_kb_dir), load_items(dev))
    ours = d["systems"]["ours"]
    assert ours["top1"] == expected["in_scope"]["accuracy"]
    assert ours["out_of_scope"] == expected["out_of_scope"]["accuracy"]
    # These questions are the fixture's own example questions: ours must get them all.
    assert ours["top1"] == 1.0 and ours["out_of_scope"] == 1.0 and ours["misses"] == []
    for name in ("ours", "rapidfuzz", "bm25"):
        s = d["systems"][name]
        for key in ("top1", "top3", "out_of_scope", "accuracy", "ranked_first"):
            assert 0.0 <= s[key] <= 1.0, (name, key)
        assert s["top3"] >= s["top1"]
        wrong = round((1 - s["accuracy"]) * d["items"])
        assert len(s["misses"]) == wrong, name
    # Exact example questions are an easy case for the naive design too, once its cut-off is tuned.
    assert d["systems"]["rapidfuzz"]["ranked_first"] == 1.0
    held = d["heldout"]
    n_questions = sum(len(e.questions) for e in Rehabbot(small_kb_dir).kb.entries)
    assert held["questions"] == n_questions and held["folds"] == 5
    for name, h in held["systems"].items():
        assert 0.0 <= h["answered_right"] <= h["ranked_first"] <= 1.0, name
        assert h["answered_right"] + h["answered_wrong"] <= 1.0
    extra = d["extra_out_of_scope"]  # the project's own tests/fixtures/out_of_scope.yaml
    assert extra["questions"] >= 10 and extra["systems"]["ours"] == 1.0


def test_swefaq_ranks_through_minimal_faq_directories(bench_run: tuple[dict, Path, Path]) -> None:
    results, _, _ = bench_run
    s = results["swefaq"]
    assert (s["questions"], s["categories"]) == (5, 2)
    assert s["random"] == pytest.approx((3 * (1 / 3) + 2 * (1 / 2)) / 5, abs=0.001)
    assert s["systems"]["ours"]["accuracy"] == 1.0
    assert s["systems"]["bm25"]["accuracy"] == 1.0
    assert s["misses"] == []
    assert sum(s["decisions"].values()) == pytest.approx(1.0, abs=0.01)
    assert s["decisions"]["answered_wrong"] == 0.0
    # Each question asked of the one other category's FAQ: 5 questions × 1 other category.
    assert s["cross_category"]["questions"] == 5 and 0.0 <= s["cross_category"]["refused"] <= 1.0
    assert sum(c["questions"] for c in s["per_category"].values()) == 5
    for v in s["systems"].values():
        assert 0.0 <= v["accuracy"] <= v["top3"] <= 1.0


def test_speed_numbers_are_consistent(bench_run: tuple[dict, Path, Path], small_bot: Rehabbot) -> None:
    results, _, dev = bench_run
    sp = results["speed"]
    # An independent clock on the same calls: the reported unit and magnitude must agree with it.
    import time

    items = load_items(dev)
    for item in items:
        small_bot.ask(item.q, item.mode)
    started = time.perf_counter()
    for _ in range(5):
        for item in items:
            small_bot.ask(item.q, item.mode)
    mean_ms = (time.perf_counter() - started) * 1000 / (5 * len(items))
    assert 0.2 < sp["runs"][0]["systems"]["ours"]["mean_ms"] / mean_ms < 5
    assert [r["entries"] for r in sp["runs"]] == [6, 40]
    for run in sp["runs"]:
        assert run["load_s"] >= 0 and run["startup_s"] > 0
        for name in ("ours", "rapidfuzz", "bm25"):
            m = run["systems"][name]
            assert m["samples"] == 8  # 8 questions × 1 pass
            assert 0 < m["median_ms"] <= m["p95_ms"] < 1000
            assert m["qps"] == pytest.approx(1000 / m["mean_ms"], rel=0.05)
            assert m["index_s"] >= 0 and m["peak_mib"] >= m["retained_mib"] >= 0
        ours = run["systems"]["ours"]
        bm25 = run["systems"]["bm25"]
        assert ours["median_vs_bm25"] == pytest.approx(ours["median_ms"] / bm25["median_ms"], rel=0.01)
    assert all(isinstance(v, float) for v in sp["growth"].values())


def test_generated_knowledge_base_is_valid_and_grows_its_vocabulary(tmp_path: Path, small_kb_dir: Path) -> None:
    from bench.scale import grow, vocabulary_size
    from bot.kb import read_directory

    kb, _ = read_directory(small_kb_dir)
    grown, problems = read_directory(grow(kb, 120, tmp_path / "kb"))
    assert grown is not None, [p for p in problems if not p.warning][:3]
    assert len(grown.entries) == 120 and len({e.id for e in grown.entries}) == 120
    assert vocabulary_size(grown) > 2 * vocabulary_size(kb)


def test_cutoff_tuning_separates_answers_from_refusals() -> None:
    cut = tune_cutoff([(0.9, True), (0.8, True), (0.7, False)], [0.3, 0.5])
    assert 0.5 < cut.value <= 0.8 and cut.in_scope == pytest.approx(2 / 3) and cut.out_of_scope == 1.0


def test_swefaq_loader_keeps_labels(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_text(json.dumps({"category_id": 5, "question": "q", "candidate_answers": ["a", "b"], "label": 1}))
    items, categories = load_swefaq(path)
    assert items[0].label == 1 and categories[5] == ["a", "b"] and answer_id(1) == "faq_001"


def test_command_line_parts_and_modes() -> None:
    from bench.__main__ import parse_args

    quick = parse_args(["--quick", "--parts", "speed"])
    assert quick.parts == ["speed"] and quick.sizes == [1000] and quick.repeats == 2
    full = parse_args([])
    assert full.parts == ["outcomes", "readability", "quality-dev", "quality-swefaq", "speed", "web"]
    assert full.sizes == [1000, 10000]
    assert "semantic" in parse_args(["--parts", "all"]).parts
    with pytest.raises(SystemExit):
        parse_args(["--parts", "quality-dev,nonsense"])


def test_outcomes_report_answered_right_wrong_refused_and_crisis(bench_run: tuple[dict, Path, Path]) -> None:
    results, out, _ = bench_run
    real = results["outcomes"]["realistic"]
    assert (real["items"], real["crisis"], real["smalltalk"]) == (12, 1, 1)
    assert real["crisis_recall"] == 1.0 and real["false_alarms"] == 0
    assert real["right"] == 1.0 and real["wrong"] == 0.0 and real["refused"] == 1.0
    report = (out / "REPORT.md").read_text(encoding="utf-8")
    assert "## What people get" in report and "plots/outcomes.png" in report


def test_readability_reports_the_lix_of_every_individual_text(bench_run: tuple[dict, Path, Path],
                                                               small_bot: Rehabbot) -> None:
    from bot.text.readability import lix
    results, out, _ = bench_run
    x = results["readability"]
    expected = sorted(lix(e.answer.individual) for e in small_bot.kb.entries
                      if e.audience != "staff" and e.answer.individual)
    assert x["n"] == len(expected) and x["max"] == expected[-1]
    assert sum(x["histogram"].values()) == x["n"]
    assert x["above_max"] == sum(v > 35 for v in expected)
    assert "## Readability of what individuals read (LIX)" in (out / "REPORT.md").read_text(encoding="utf-8")


def test_the_web_part_answers_every_visitor_over_http_and_compares_with_in_process(
        bench_run: tuple[dict, Path, Path]) -> None:
    results, out, _ = bench_run
    web = results["web"]
    assert [level["clients"] for level in web["levels"]] == [10, 50]
    for level in web["levels"]:
        assert level["errors"] == 0 and level["answers"] >= 150
        assert level["p95_ms"] >= level["median_ms"] > 0
        # Over HTTP an answer costs at least what the core alone costs.
        assert level["median_vs_inprocess"] == pytest.approx(level["median_ms"] / web["in_process"]["median_ms"])
        assert level["median_vs_inprocess"] > 1
    assert "## The web channel over HTTP" in (out / "REPORT.md").read_text(encoding="utf-8")
