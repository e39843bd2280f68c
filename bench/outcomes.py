"""What people get: answered right, answered wrong, right among three, refused, crisis.

On the project's own evaluation sets (`eval/`: dev, the realistic set of
messages as people write them, and SweFAQ's held-out half as real
out-of-scope questions), each scored by `bot.evaluation.evaluate`, exactly as
`rehabbot eval` scores it. The numbers are the issue's targets: realistic in
scope answered right ≥ 0.85 with answered wrong ≤ 0.03, out of scope refused
≥ 0.95, every crisis recognised, dev answered right ≥ 0.98.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from bot.evaluation import EvalItem, evaluate, load_items

TARGETS = {"realistic": {"right": 0.85, "wrong": 0.03, "refused": 0.95, "crisis_recall": 1.0},
           "dev": {"right": 0.98}}


def outcomes(bot: Any, sets: dict[str, Path], progress: Callable[[Iterable[Any], str, int], Iterable[Any]]
             ) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for name, path in progress(list(sets.items()), "evaluation sets", len(sets)):
        if not path.exists():
            continue
        items: list[EvalItem] = load_items(path)
        r = evaluate(bot, items)
        i, o, c = r["in_scope"], r["out_of_scope"], r["crisis"]
        results[name] = {
            "file": str(path), "items": len(items),
            "in_scope": i["total"], "right": i["accuracy"], "wrong": i["wrong"], "top3": i["top3"],
            "out_of_scope": o["total"], "refused": o["accuracy"],
            "crisis": c["total"], "crisis_recall": c["recall"] if c["total"] else None,
            "false_alarms": c["false_alarms"], "false_alarm_rate": c["false_alarm_rate"],
            "smalltalk": r["smalltalk"]["total"], "smalltalk_right": r["smalltalk"]["accuracy"],
            "by_style": r["by_style"],
            "targets": TARGETS.get(name, {}),
        }
    return results
