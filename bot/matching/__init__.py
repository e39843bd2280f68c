"""Normalisation, glossary expansion, the index, and scoring into a `Match`."""

from bot.matching.index import Index
from bot.matching.matcher import (
    ANSWER,
    FALLBACK,
    SUGGEST,
    Candidate,
    Match,
    Matcher,
    Thresholds,
)

__all__ = ["ANSWER", "FALLBACK", "SUGGEST", "Candidate", "Index", "Match", "Matcher", "Thresholds"]
