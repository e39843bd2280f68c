"""The process map: who does what, drawn from the knowledge base with Graphviz."""

from bot.map.graph import build_graph, render_bytes, render_map

__all__ = ["build_graph", "render_bytes", "render_map"]
