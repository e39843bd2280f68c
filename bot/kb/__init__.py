"""The knowledge model, YAML loading with line numbers, and validation."""

from bot.kb.loader import check_directory, load_knowledge_base, read_directory
from bot.kb.model import KnowledgeBase
from bot.kb.problems import KnowledgeBaseInvalid, Problem
from bot.kb.schema import Entry, GlossaryTerm

__all__ = ["Entry", "GlossaryTerm", "KnowledgeBase", "KnowledgeBaseInvalid", "Problem",
           "check_directory", "load_knowledge_base", "read_directory"]
