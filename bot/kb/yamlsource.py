"""YAML loading that remembers where every value came from.

PyYAML forgets line numbers once it builds Python objects, but an admin needs
`faq.yaml:42:` to find a mistake. This loader returns ordinary dicts and lists
(subclasses) that carry the line of themselves and of each of their items, and
it reports duplicate keys, which plain PyYAML silently overwrites.

It parses with libyaml (`yaml.CSafeLoader`, about nine times faster) when PyYAML
was built with it, else with the pure-Python `SafeLoader`; both give the same
data, lines and problems. A knowledge file is data an admin can upload, so
anchors and aliases (`&a` / `*a`, the "billion laughs" that expands a few
hundred bytes into gigabytes) are refused, as are files above `MAX_BYTES` and
nesting too deep to build.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.kb.problems import Problem


class LineDict(dict):
    """A mapping that knows its own line and the line of each key (1-based)."""

    line: int = 0
    key_lines: dict[Any, int]


class LineList(list):
    """A sequence that knows its own line and the line of each item (1-based)."""

    line: int = 0
    item_lines: list[int]


MAX_BYTES = 2 * 1024 * 1024  # the whole shipped knowledge base is about 1 MB


class _Refused(Exception):
    """A construct a knowledge file may not use; the message is for the admin."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line, self.message = line, message


class _Loader(yaml.SafeLoader):
    def __init__(self, stream: str, path: str):
        super().__init__(stream)
        self.path = path
        self.problems: list[Problem] = []


_LIBYAML = getattr(yaml, "__with_libyaml__", False)
if _LIBYAML:
    class _CLoader(yaml.CSafeLoader):
        def __init__(self, stream: str, path: str):
            super().__init__(stream)
            self.path = path
            self.problems: list[Problem] = []


def _refuse_aliases(root: yaml.Node | None) -> None:
    """An alias makes the composed graph share a node; find one before anything is built from it
    (iteratively: the graph may be deep)."""
    seen: set[int] = set()
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.ScalarNode):
            continue
        if id(node) in seen:
            raise _Refused(node.start_mark.line + 1,
                           "ankare och alias (&namn, *namn) stöds inte i kunskapsfilerna: skriv ut värdet")
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            stack.extend(child for pair in node.value for child in pair)
        else:
            stack.extend(node.value)


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, (str, int, float, bool)) and key is not None:
            key = str(key)
        line = key_node.start_mark.line + 1
        if key in result:
            loader.problems.append(Problem(
                loader.path, line,
                f"fältet '{key}' förekommer två gånger (första på rad {result.key_lines[key]})"))
            continue
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = line
    return result


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


def _construct_timestamp(loader: _Loader, node: yaml.ScalarNode) -> Any:
    # An impossible date such as 2026-13-45 must reach validation as text, not crash the loader.
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


_LOADERS: list[type[yaml.SafeLoader | yaml.CSafeLoader]] = [_Loader, *([_CLoader] if _LIBYAML else [])]
for _cls in _LOADERS:
    _cls.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
    _cls.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)
    _cls.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


def load_yaml(path: Path, shown_as: str, libyaml: bool = True) -> tuple[Any, list[Problem]]:
    """Parse one file; return its data (None when unreadable) and the problems found.
    `libyaml=False`: the pure-Python parser (the same result, slower)."""
    try:
        if path.stat().st_size > MAX_BYTES:
            return None, [Problem(shown_as, 1, f"filen är större än {MAX_BYTES // (1024 * 1024)} MB: dela upp den")]
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return None, [Problem(shown_as, 1, f"filen är inte UTF-8 ({exc.reason})")]
    except OSError as exc:
        return None, [Problem(shown_as, 1, f"kan inte läsa filen: {exc.strerror}")]
    loader = (_CLoader if libyaml and _LIBYAML else _Loader)(text, shown_as)
    try:
        root = loader.get_single_node()
        _refuse_aliases(root)
        data = loader.construct_document(root) if root is not None else None
    except _Refused as exc:
        return None, [Problem(shown_as, exc.line, exc.message)]
    except RecursionError:
        return None, [Problem(shown_as, 1, "för djupt nästlad: en kunskapsfil har några få nivåer")]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        what = exc.problem or exc.context or "okänt fel"
        return None, [Problem(shown_as, line, f"YAML-syntaxfel: {what}")]
    except yaml.YAMLError as exc:
        return None, [Problem(shown_as, 1, f"YAML-syntaxfel: {exc}")]
    finally:
        loader.dispose()
    return data, loader.problems


def line_of(data: Any, loc: tuple[Any, ...], default: int = 1) -> int:
    """The line of the deepest node on `loc` that exists in `data`."""
    line = getattr(data, "line", default) or default
    node = data
    for step in loc:
        if isinstance(node, LineDict) and step in node:
            line = node.key_lines.get(step, line)
            node = node[step]
        elif isinstance(node, LineList) and isinstance(step, int) and 0 <= step < len(node):
            line = node.item_lines[step]
            node = node[step]
        else:
            break
    return line
