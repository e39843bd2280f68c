"""Text facts shared by every stage: which language a message is in."""

from bot.text.language import ENGLISH, OTHER, SWEDISH, identify

__all__ = ["ENGLISH", "OTHER", "SWEDISH", "identify"]
