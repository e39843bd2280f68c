"""Answer, suggest or fallback: a decision calibrated on data, not hand-set thresholds.

Two logistic models, fitted by `python -m bot.decision fit` on labelled
messages the project ships (`eval/train/`, the knowledge base's own example
questions held out from their entries, questions from other domains) and saved
in `model.json` beside this file:

- `answer`: how likely the first candidate is right;
- `top3`: how likely the right entry is among the first three.

The cut-offs were chosen on held-out predictions for precision: the bot
answers only where an answer was wrong at most about one time in thirty, and
suggests only where the right entry was very likely among the three offered.
Applying the model is a dot product, so the bot needs no learning library at
run time.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

from bot.decision.features import SEMANTIC_NAMES

ANSWER, SUGGEST, FALLBACK = "answer", "suggest", "fallback"


@dataclass(frozen=True)
class Logistic:
    names: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float

    def probability(self, features: dict[str, float]) -> float:
        z = self.intercept
        for name, mean, scale, coef in zip(self.names, self.mean, self.scale, self.coef):
            z += coef * (features.get(name, 0.0) - mean) / scale
        return 1.0 / (1.0 + math.exp(-max(min(z, 40.0), -40.0)))

    @classmethod
    def from_json(cls, data: dict) -> Logistic:
        return cls(tuple(data["names"]), tuple(data["mean"]), tuple(data["scale"]), tuple(data["coef"]),
                   float(data["intercept"]))


@dataclass(frozen=True)
class Decision:
    status: str
    p_answer: float  # how likely the first candidate is right
    p_top3: float  # how likely the right entry is among the first three


@dataclass(frozen=True)
class DecisionModel:
    answer: Logistic
    top3: Logistic
    answer_cutoff: float
    suggest_cutoff: float
    fitted: dict  # what it was fitted on and how it measured (shown by `--explain`)
    # For a message in one of the translated languages (feature `foreign`): a model of its own,
    # fitted with their held-out questions, so the Swedish and English decision stays as it was.
    foreign: DecisionModel | None = None

    def decide(self, features: dict[str, float]) -> Decision:
        if self.foreign is not None and features.get("foreign"):
            return self.foreign.decide(features)
        p_answer = self.answer.probability(features)
        p_top3 = self.top3.probability(features)
        if p_answer >= self.answer_cutoff:
            return Decision(ANSWER, p_answer, p_top3)
        if p_top3 >= self.suggest_cutoff:
            return Decision(SUGGEST, p_answer, p_top3)
        return Decision(FALLBACK, p_answer, p_top3)

    @classmethod
    def from_json(cls, data: dict) -> DecisionModel:
        answer, top3 = Logistic.from_json(data["answer"]), Logistic.from_json(data["top3"])
        for model in (answer, top3):
            unknown = set(model.names) - set(SEMANTIC_NAMES)
            if unknown:
                raise ValueError(f"model.json names features this code does not compute: {sorted(unknown)}")
        foreign = cls.from_json(data["foreign"]) if data.get("foreign") else None
        return cls(answer, top3, float(data["answer_cutoff"]), float(data["suggest_cutoff"]),
                   dict(data.get("fitted", {})), foreign)

    @classmethod
    def load(cls, path: str | Path) -> DecisionModel:
        return cls.from_json(json.loads(Path(path).read_text(encoding="utf-8")))


MODEL_FILE = "model.json"  # on the lexical features: the bot as installed by `pip install .`
SEMANTIC_MODEL_FILE = "model_semantic.json"  # with the semantic re-ranker's features, used once it is ready


@lru_cache(maxsize=2)
def shipped_model(semantic: bool = False) -> DecisionModel | None:
    """The fitted model shipped with the package (None before the first fit)."""
    resource = files("bot.decision").joinpath(SEMANTIC_MODEL_FILE if semantic else MODEL_FILE)
    if not resource.is_file():
        return None
    return DecisionModel.from_json(json.loads(resource.read_text(encoding="utf-8")))
