"""Scoring the bot on evaluation files (the format of shared/eval/dev.yaml).

An in-scope item is right when the bot answers and an expected topic is among
the answer's topics; `top3` also accepts an expected topic among the first
three suggestions. An out-of-scope item (`expect: none`) is right when the
bot does not answer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.matching import ANSWER
from bot.service import Conversation, Rehabbot

CRISIS, SMALLTALK = "crisis", "smalltalk"


@dataclass(frozen=True)
class EvalItem:
    q: str
    expect: tuple[str, ...]  # empty: out of scope; ("crisis",) or ("smalltalk",): that reply
    mode: str = "staff"
    lang: str = "sv"
    style: str = ""
    conversation: int | None = None  # items of one conversation share a number and are asked in order

    @property
    def kind(self) -> str:
        if self.expect in ((CRISIS,), (SMALLTALK,)):
            return self.expect[0]
        return "in_scope" if self.expect else "out_of_scope"


class EvalFileError(ValueError):
    pass


def _expect(raw: object) -> tuple[str, ...]:
    if raw in (None, "none"):
        return ()
    if isinstance(raw, str):
        return (str(raw),)
    if not isinstance(raw, Iterable):
        raise TypeError(f"'{type(raw).__name__}' object is not iterable")
    return tuple(map(str, raw))


def load_items(path: str | Path) -> list[EvalItem]:
    """Items of an evaluation file; a `conversation:` item becomes its turns, in order."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise EvalFileError(f"{path}: kan inte läsa utvärderingsfilen: {exc}") from exc
    if not isinstance(data, list):
        raise EvalFileError(f"{path}: ska vara en lista av frågor (q, expect)")
    items = []
    for number, raw in enumerate(data, 1):
        if isinstance(raw, dict) and isinstance(raw.get("conversation"), list):
            for turn in raw["conversation"]:
                if not isinstance(turn, dict) or "q" not in turn or "expect" not in turn:
                    raise EvalFileError(f"{path}: samtal {number} har en tur utan 'q' eller 'expect'")
                items.append(EvalItem(str(turn["q"]), _expect(turn["expect"]), str(raw.get("mode", "staff")),
                                      str(raw.get("lang", "sv")), str(raw.get("style", "followup")), number))
            continue
        if not isinstance(raw, dict) or "q" not in raw or "expect" not in raw:
            raise EvalFileError(f"{path}: fråga {number} saknar 'q' eller 'expect'")
        items.append(EvalItem(str(raw["q"]), _expect(raw["expect"]), str(raw.get("mode", "staff")),
                              str(raw.get("lang", "sv")), str(raw.get("style", ""))))
    return items


def evaluate(bot: Rehabbot, items: list[EvalItem]) -> dict[str, Any]:
    """Score every item; the turns of a conversation are asked in order, each with what the
    previous turn left (as a channel would pass it)."""
    rows = []
    counts = {kind: {"total": 0, "correct": 0} for kind in ("in_scope", "out_of_scope", CRISIS, SMALLTALK)}
    in_wrong = in_top3 = false_alarms = 0
    conversation, current = Conversation(), None
    for item in items:
        if item.conversation != current:
            conversation, current = Conversation(), item.conversation
        reply = bot.ask(item.q, item.mode, item.lang, conversation=conversation)
        if item.conversation is not None:
            conversation = reply.conversation
        match, kind = reply.match, item.kind
        false_alarms += reply.status == CRISIS and kind != CRISIS
        if kind == "in_scope":
            ok = reply.status == ANSWER and bool(set(item.expect) & set(reply.topics))
            in_wrong += reply.status == ANSWER and not ok
            offered = [reply.topics] + ([bot.kb.topics_of(e) for e in match.suggestions[:3]]
                                        if reply.status == "suggest" else [])
            in_top3 += ok or any(set(item.expect) & set(t) for t in offered)
        elif kind == "out_of_scope":
            ok = reply.status != ANSWER
        else:
            ok = reply.status == kind
        counts[kind]["total"] += 1
        counts[kind]["correct"] += ok
        entry = reply.entry
        rows.append({"q": item.q, "expect": list(item.expect) or "none", "status": reply.status,
                     "entry": entry.id if entry else None, "ok": ok, "style": item.style,
                     "confidence": round(match.confidence, 4),
                     "got": [c.entry.id for c in match.candidates[:3]]})
    total = sum(c["total"] for c in counts.values())
    correct = sum(c["correct"] for c in counts.values())
    i, o = counts["in_scope"], counts["out_of_scope"]
    not_crisis = total - counts[CRISIS]["total"]
    return {
        "total": total, "correct": correct, "accuracy": _ratio(correct, total),
        "in_scope": {"total": i["total"], "correct": i["correct"], "accuracy": _ratio(i["correct"], i["total"]),
                     "wrong": _ratio(in_wrong, i["total"]), "top3": _ratio(in_top3, i["total"])},
        "out_of_scope": {"total": o["total"], "correct": o["correct"], "accuracy": _ratio(o["correct"], o["total"])},
        "crisis": {"total": counts[CRISIS]["total"], "recognised": counts[CRISIS]["correct"],
                   "recall": _ratio(counts[CRISIS]["correct"], counts[CRISIS]["total"]),
                   "false_alarms": false_alarms, "false_alarm_rate": _ratio(false_alarms, not_crisis)},
        "smalltalk": {"total": counts[SMALLTALK]["total"], "correct": counts[SMALLTALK]["correct"],
                      "accuracy": _ratio(counts[SMALLTALK]["correct"], counts[SMALLTALK]["total"])},
        "by_style": _by_style(rows),
        "items": rows,
    }


def _by_style(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for row in rows:
        style = out.setdefault(row["style"] or "-", {"total": 0, "correct": 0})
        style["total"] += 1
        style["correct"] += row["ok"]
    for style in out.values():
        style["accuracy"] = _ratio(style["correct"], style["total"])
    return out


def _ratio(a: int, b: int) -> float:
    return round(a / b, 3) if b else 0.0
