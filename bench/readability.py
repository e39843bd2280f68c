"""How easy the texts individuals read are: the LIX distribution of the knowledge base."""

from __future__ import annotations

import statistics
from typing import Any

from bot.kb import KnowledgeBase
from bot.text.readability import INDIVIDUAL_MAX, lix

BINS = (0, 25, 30, 35, 40, 45, 50)


def readability(kb: KnowledgeBase) -> dict[str, Any]:
    """LIX of every Swedish individual text an individual can be given, per file kind and overall."""
    scores = {e.id: lix(e.answer.individual) for e in kb.entries
              if e.audience != "staff" and e.answer.individual}
    values = sorted(scores.values())
    if not values:
        return {"n": 0}
    quartiles = statistics.quantiles(values, n=4) if len(values) > 1 else [values[0]] * 3
    histogram = {f"{lo}–{hi}" if hi else f"≥ {lo}": sum(lo <= v < (hi or 1e9) for v in values)
                 for lo, hi in zip(BINS, (*BINS[1:], None))}
    return {
        "n": len(values), "max_allowed": INDIVIDUAL_MAX,
        "median": round(statistics.median(values), 1), "mean": round(statistics.fmean(values), 1),
        "q1": round(quartiles[0], 1), "q3": round(quartiles[2], 1), "max": values[-1],
        "above_max": sum(v > INDIVIDUAL_MAX for v in values), "histogram": histogram,
        "hardest": sorted(scores.items(), key=lambda kv: -kv[1])[:10],
    }
