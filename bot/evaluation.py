"""Scoring the bot on evaluation files (the format of shared/eval/dev.yaml).

An in-scope item is right when the bot answers and an expected topic is among
the answer's topics; `top3` also accepts an expected topic among the first
three suggestions. An out-of-scope item (`expect: none`) is right when the
bot does not answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.matching import ANSWER
from bot.service import Rehabbot


@dataclass(frozen=True)
class EvalItem:
    q: str
    expect: tuple[str, ...]  # empty: out of scope
    mode: str = "staff"
    lang: str = "sv"


class EvalFileError(ValueError):
    pass


def load_items(path: str | Path) -> list[EvalItem]:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise EvalFileError(f"{path}: kan inte läsa utvärderingsfilen: {exc}") from exc
    if not isinstance(data, list):
        raise EvalFileError(f"{path}: ska vara en lista av frågor (q, expect)")
    items = []
    for number, raw in enumerate(data, 1):
        if not isinstance(raw, dict) or "q" not in raw or "expect" not in raw:
            raise EvalFileError(f"{path}: fråga {number} saknar 'q' eller 'expect'")
        expect = raw["expect"]
        expected = () if expect in (None, "none") else tuple([expect] if isinstance(expect, str) else expect)
        items.append(EvalItem(str(raw["q"]), tuple(map(str, expected)),
                              str(raw.get("mode", "staff")), str(raw.get("lang", "sv"))))
    return items


def evaluate(bot: Rehabbot, items: list[EvalItem]) -> dict[str, Any]:
    rows = []
    in_total = in_correct = in_top3 = out_total = out_correct = 0
    for item in items:
        reply = bot.ask(item.q, item.mode, item.lang)
        match = reply.match
        if item.expect:
            in_total += 1
            ok = match.status == ANSWER and bool(set(item.expect) & set(reply.topics))
            offered = [reply.topics] + [bot.kb.topics_of(e) for e in match.suggestions[:3]]
            top3 = ok or any(set(item.expect) & set(t) for t in offered)
            in_correct += ok
            in_top3 += top3
        else:
            out_total += 1
            ok = match.status != ANSWER
            out_correct += ok
        rows.append({"q": item.q, "expect": list(item.expect) or "none", "status": match.status,
                     "entry": match.entry.id if match.entry else None, "ok": ok,
                     "confidence": round(match.confidence, 4),
                     "got": [c.entry.id for c in match.candidates[:3]]})
    total = in_total + out_total
    correct = in_correct + out_correct
    return {
        "total": total, "correct": correct, "accuracy": _ratio(correct, total),
        "in_scope": {"total": in_total, "correct": in_correct, "accuracy": _ratio(in_correct, in_total),
                     "top3": _ratio(in_top3, in_total)},
        "out_of_scope": {"total": out_total, "correct": out_correct, "accuracy": _ratio(out_correct, out_total)},
        "items": rows,
    }


def _ratio(a: int, b: int) -> float:
    return round(a / b, 3) if b else 0.0
