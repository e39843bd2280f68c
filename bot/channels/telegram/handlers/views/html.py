"""Telegram HTML within Telegram's limits: the size of a text and splitting it into messages
without breaking a tag."""

from __future__ import annotations

import re

from bot.channels.telegram.handlers.views.base import (
    MAX_MESSAGE,
)

_TOKEN = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)[^>]*>|&(?:#[0-9]+|#x[0-9a-fA-F]+|[a-zA-Z]+);|.", re.DOTALL)


def size(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def split_html(html: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Telegram HTML in messages of at most `limit`, cut at paragraphs where possible.

    The cut prefers a blank line, then a line break, then a space (a weaker
    cut only wins when the stronger one would leave the message less than
    half full); only a word longer than half a message is cut inside. Tags
    and entities are never cut: a tag open at a cut is closed at the end of
    one message and opened again at the start of the next, so every part is
    valid HTML on its own. Sizes are measured on the HTML, which is never
    shorter than the text Telegram counts, so every part fits.
    """
    if size(html) <= limit:
        return [html]
    tokens = [(m.group(0), m.group(1), m.group(2)) for m in _TOKEN.finditer(html)]
    chunks: list[str] = []
    carried: list[tuple[str, str]] = []  # (tag name, opening tag) open at the last cut
    start = 0
    while start < len(tokens):
        stack = list(carried)
        used = sum(size(opening) for _, opening in stack)
        # kind → (token index to cut before, open tags there, size used there)
        boundaries: dict[str, tuple[int, list[tuple[str, str]], int]] = {}
        i, cut = start, False
        while i < len(tokens):
            text, closing, name = tokens[i]
            if i > start and text in ("\n", " "):
                newline_pair = text == "\n" and (tokens[i - 1][0] == "\n" or
                                                 (i + 1 < len(tokens) and tokens[i + 1][0] == "\n"))
                kind = "space" if text == " " else "paragraph" if newline_pair else "line"
                boundaries[kind] = (i, list(stack), used)
            after = _apply(stack, text, closing, name)
            closers = sum(len(n) + 3 for n, _ in after)
            if used + size(text) + closers > limit and i > start:
                cut = True
                break
            used += size(text)
            stack = after
            i += 1
        end, end_stack = i, stack
        if cut:
            found = [boundaries[k] for k in ("paragraph", "line", "space") if k in boundaries]
            good = [b for b in found if b[2] >= limit // 2]
            if good or found:
                end, end_stack, _ = (good or found)[0]
        body = "".join(t for t, _, _ in tokens[start:end]).strip()
        if body:
            opening = "".join(o for _, o in carried)
            closing_tags = "".join(f"</{n}>" for n, _ in reversed(end_stack))
            chunks.append(opening + body + closing_tags)
        carried, start = end_stack, end
    return chunks


def _apply(stack: list[tuple[str, str]], text: str, closing: str | None, name: str | None
           ) -> list[tuple[str, str]]:
    if name is None:
        return stack
    if not closing:
        return [*stack, (name.lower(), text)]
    for index in range(len(stack) - 1, -1, -1):
        if stack[index][0] == name.lower():
            return stack[:index] + stack[index + 1:]
    return stack
