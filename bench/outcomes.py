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
# The languages the individuals speak (eval/multilingual.yaml): issue 12's targets per language.
LANGUAGE_TARGETS = {lang: {"right": 0.70 if lang in ("so", "ti") else 0.80, "wrong": 0.05, "refused": 0.95}
                    for lang in ("ar", "fa", "so", "ti", "tr", "pl", "en")}


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
        if name == "multilingual":
            results[name]["by_language"] = _by_language(bot, items)
    return results


def _by_language(bot: Any, items: list[EvalItem]) -> dict[str, Any]:
    """Answered right / wrong / right among three / refused, for each language of the set."""
    out = {}
    for lang in dict.fromkeys(item.lang for item in items):
        r = evaluate(bot, [item for item in items if item.lang == lang])
        i, o = r["in_scope"], r["out_of_scope"]
        out[lang] = {"in_scope": i["total"], "right": i["accuracy"], "wrong": i["wrong"], "top3": i["top3"],
                     "out_of_scope": o["total"], "refused": o["accuracy"],
                     "targets": LANGUAGE_TARGETS.get(lang, {})}
    return out
