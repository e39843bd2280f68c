"""Rendering answers with Jinja2 templates: mode × language × output format."""

from bot.answers.render import labels, render_entry, render_match

__all__ = ["labels", "render_entry", "render_match"]
