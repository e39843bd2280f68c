"""Speed and scale: time per question, load/index time and memory at growing sizes.

For each knowledge-base size (ours, then generated ones, see `bench.scale`) the
three systems are built from the same loaded knowledge base and timed on the
same questions in the same passes: within a pass each system answers all
questions in a block (interleaving question by question would let the naive
design's long scans evict the others' data from the CPU caches), and the order of
the systems rotates from pass to pass. The process is pinned to one core while timing.

- ours: `Rehabbot.ask` (matching and rendering the answer, what a user waits for);
- rapidfuzz: `process.extractOne` with WRatio over the preprocessed titles and questions;
- bm25: tokenising the question (our normalisation) and `bm25s` scores for every entry, then the best.

Index memory is measured with tracemalloc in a separate build (tracemalloc slows
Python down, so it is never on while timing): `peak` is the most memory held
while building, `retained` what the built index keeps.
"""

from __future__ import annotations

import gc
import math
import os
import random
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.baselines import BM25Baseline, Ours, RapidfuzzBaseline
from bench.quality import Progress, no_progress
from bench.scale import grow
from bot.kb import read_directory
from bot.kb.model import KnowledgeBase
from bot.matching import Index, Matcher
from bot.service import Rehabbot

SYSTEMS = ("ours", "rapidfuzz", "bm25")


@contextmanager
def one_core() -> Iterator[str]:
    """Pin this process to one CPU while timing (where the platform allows it)."""
    if not hasattr(os, "sched_getaffinity"):
        yield "not pinned (no sched_setaffinity)"
        return
    before = os.sched_getaffinity(0)
    core = min(before)
    try:
        os.sched_setaffinity(0, {core})
        yield f"pinned to CPU {core}"
    finally:
        os.sched_setaffinity(0, before)


def _builders(kb: KnowledgeBase) -> dict[str, Callable[[], Any]]:
    def ours() -> Any:
        index = Index(kb)
        return Matcher(index)

    return {"ours": ours, "rapidfuzz": lambda: RapidfuzzBaseline(kb), "bm25": lambda: BM25Baseline(kb)}


def _memory(build: Callable[[], Any]) -> tuple[int, int]:
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        built = build()
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del built
    return peak - base, current - base


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    k = (len(ordered) - 1) * q
    lo, hi = math.floor(k), math.ceil(k)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def measure_size(directory: Path, questions: list[tuple[str, str]], repeats: int,
                 progress: Progress = no_progress, label: str = "") -> dict[str, Any]:
    started = time.perf_counter()
    # Loading and indexing from the YAML, as the bot starts the first time (targets: lexical); no
    # snapshot written (bot.snapshot): the generated knowledge bases are new every run.
    bot = Rehabbot(directory, semantic=False, cache=False)
    startup_s = time.perf_counter() - started
    kb = bot.kb
    builders = _builders(kb)
    result: dict[str, Any] = {"entries": len(kb.entries), "startup_s": round(startup_s, 4), "systems": {}}
    built: dict[str, Any] = {}
    for name, build in builders.items():
        gc.collect()
        t = time.perf_counter()
        built[name] = build()
        index_s = time.perf_counter() - t
        peak, retained = _memory(build)
        result["systems"][name] = {"index_s": round(index_s, 4), "peak_mib": round(peak / 2**20, 2),
                                   "retained_mib": round(retained / 2**20, 2)}
    # Loading is shared by all three designs: what our start-up spends beyond our own index.
    result["load_s"] = round(max(startup_s - result["systems"]["ours"]["index_s"], 0.0), 4)
    systems = {"ours": Ours(bot), "ours_match": _MatchOnly(bot), "rapidfuzz": built["rapidfuzz"], "bm25": built["bm25"]}
    for system in systems.values():  # warm-up: caches, lazy imports, first-call costs
        for q, mode in questions:
            system.best(q, mode)
    samples: dict[str, list[float]] = {name: [] for name in systems}
    order = list(range(len(questions)))
    rng = random.Random(0)
    clock = time.perf_counter_ns
    gc.collect()
    names = list(systems)
    for repeat in progress(range(repeats), f"speed {label}", repeats):
        # Each pass times every system on all questions in a block of its own (its own data in the
        # CPU caches, as in a bot answering question after question), the systems' order rotating
        # from pass to pass so that drift of the machine hits them alike.
        rng.shuffle(order)
        for name in names[repeat % len(names):] + names[: repeat % len(names)]:
            system = systems[name]
            for i in order:
                q, mode = questions[i]
                t = clock()
                system.best(q, mode)
                samples[name].append((clock() - t) / 1e6)
    for name, times in samples.items():
        result["systems"].setdefault(name, {"index_s": result["systems"]["ours"]["index_s"], "peak_mib": None,
                                            "retained_mib": None})
        total_s = sum(times) / 1000
        result["systems"][name].update({
            "median_ms": round(statistics.median(times), 4),
            "p95_ms": round(_percentile(times, 0.95), 4),
            "mean_ms": round(statistics.fmean(times), 4),
            "qps": round(len(times) / total_s, 1) if total_s else 0.0,
            "samples": len(times),
        })
    ours = result["systems"]["ours"]
    for name in ("rapidfuzz", "bm25"):
        other = result["systems"][name]
        ours[f"median_vs_{name}"] = round(ours["median_ms"] / other["median_ms"], 3) if other["median_ms"] else None
        ours[f"index_vs_{name}"] = round(ours["index_s"] / other["index_s"], 3) if other["index_s"] else None
    return result


class _MatchOnly:
    """Ours without rendering the answer: the matcher's share of `ask`."""

    def __init__(self, bot: Rehabbot):
        self.matcher = bot.snapshot.matcher

    def best(self, question: str, mode: str = "staff") -> object:
        return self.matcher.match(question, mode)


def speed(kb_dir: Path, questions: list[tuple[str, str]], sizes: list[int], repeats: int,
          progress: Progress = no_progress) -> dict[str, Any]:
    kb, problems = read_directory(kb_dir)
    if kb is None:
        raise RuntimeError(f"{kb_dir}: invalid knowledge base: {problems[:3]}")
    runs = []
    with one_core() as pinned, tempfile.TemporaryDirectory(prefix="bench-kb-") as tmp:
        targets: list[tuple[str, Path]] = [("ours", kb_dir)]
        for size in sizes:
            if size > len(kb.entries):
                targets.append((str(size), Path(tmp) / f"kb_{size}"))
        for label, directory in progress(targets, "speed · knowledge-base sizes", len(targets)):
            if label != "ours":
                grow(kb, int(label), directory)
            run = measure_size(directory, questions, repeats, progress, label)
            run["label"] = "ours" if label == "ours" else f"{run['entries']:,}"
            runs.append(run)
            if label != "ours":
                _remove(directory)
    return {"pinned": pinned, "repeats": repeats, "questions": len(questions), "runs": runs,
            "growth": growth(runs), "targets": targets_met(runs)}


def _remove(directory: Path) -> None:
    for f in directory.glob("*"):
        f.unlink()
    directory.rmdir()


def growth(runs: list[dict[str, Any]]) -> dict[str, float | None]:
    """Slope of log(median time) against log(size) between the smallest and largest run:
    1.0 means time grows as fast as the knowledge base, 0 not at all."""
    if len(runs) < 2:
        return dict.fromkeys(SYSTEMS)
    a, b = runs[0], runs[-1]
    out: dict[str, float | None] = {}
    for name in SYSTEMS:
        ta, tb = a["systems"][name]["median_ms"], b["systems"][name]["median_ms"]
        if ta > 0 and tb > 0 and b["entries"] != a["entries"]:
            out[name] = round(math.log(tb / ta) / math.log(b["entries"] / a["entries"]), 3)
        else:
            out[name] = None
    return out


TARGETS_MS = {1000: 2.0, 10000: 10.0}


def targets_met(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The issue's targets for ours, judged at the run nearest to each target size (within 20 %)."""
    out = []
    for size, limit in TARGETS_MS.items():
        near = [r for r in runs if abs(r["entries"] - size) <= 0.2 * size]
        if near:
            run = near[0]
            median = run["systems"]["ours"]["median_ms"]
            out.append({"size": size, "entries": run["entries"], "limit_ms": limit, "median_ms": median,
                        "met": median < limit})
    return out
