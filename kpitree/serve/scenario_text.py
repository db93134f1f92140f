"""Write one scenario into a tree file's text and leave every other character as it was.

A full ruamel.yaml round trip keeps comments and quotes, but it re-flows a flow list or
mapping written over several lines, drops ``---``, and loses the comments inside a mapping
it replaces. So the text is edited in place instead: libyaml (the parser the tree reader
uses) composes the file into nodes that know where they start and end in the text, which
locates the ``scenarios:`` mapping and the named scenario; ruamel.yaml renders the new entry
(names quoted when YAML would read them as something else, numbers in full); the entry is
spliced into the original text. Nothing outside the one scenario changes, and the caller reads
the result back to make sure it means what was intended. (ruamel.yaml's own composer would
locate the nodes as well, but it is pure Python: 50 times slower on a 300-line tree.)
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from kpitree.errors import Location, SpecError

Values = Mapping[str, float | Sequence[float]]

_EXACT_INT = 2.0**53  # beyond it a float is not every integer: keep its float form
_INDENT = re.compile(r"( +)[^\s#-]")
# libyaml's loader when PyYAML was built with it, as the tree reader uses.
_Loader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def with_scenario(text: str, name: str, values: Values, file: str) -> str:
    """``text`` (a tree file, ``\\n`` line ends) with scenario ``name`` set to ``values``.

    A new scenario goes right after the last one (a ``scenarios:`` key right after the last
    line of the file's content when there is none), in the flow (``{a: 1}``) or block style of
    the scenarios already there (flow when there are none). An existing one has its value
    replaced where it stands, in its own style; comments around it stay.

    Raises
    ------
    SpecError
        When the text is not YAML, or not a mapping (``FILE:LINE: message``).
    """
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or "the file is not YAML"
        raise SpecError(problem, Location(file, mark.line + 1 if mark else 0)) from None
    if not isinstance(root, MappingNode):
        raise SpecError("a tree file is a mapping with name, kgi and nodes", Location(file, 1))
    key = _key_text(name)
    pair = _pair(root, "scenarios")
    if pair is None:
        entry = f"{key}: {_flow(values)}"
        if root.flow_style:
            return _insert(text, _end(root.value[-1][1]), f", scenarios: {{{entry}}}")
        indent = " " * _mapping_indent(text)
        return _after_line(text, _content_end(root), f"scenarios:\n{indent}{entry}")
    scenarios_key, scenarios = pair
    if isinstance(scenarios, ScalarNode):  # `scenarios:` with nothing (or null) under it
        start, end = scenarios.start_mark.index, scenarios.end_mark.index
        if start != end:  # an explicit `null` or `~` goes; an implicit one is not there
            text = text[:start].rstrip(" \t") + text[end:]
        indent = " " * (scenarios_key.start_mark.column + _mapping_indent(text))
        return _after_line(text, scenarios_key.end_mark.index, f"{indent}{key}: {_flow(values)}")
    if not isinstance(scenarios, MappingNode):
        raise SpecError("'scenarios' must map scenario names to {input: value}", Location(file))
    existing = _pair(scenarios, name)
    if existing is not None:
        return _replace_value(text, existing, values)
    if scenarios.flow_style:
        if not scenarios.value:
            return _splice(text, scenarios, f"{{{key}: {_flow(values)}}}")
        return _insert(text, _end(scenarios.value[-1][1]), f", {key}: {_flow(values)}")
    first_key = scenarios.value[0][0]
    indent = " " * first_key.start_mark.column
    blocks = [value for _, value in scenarios.value if _is_block(value)]
    if blocks and not any(_is_flow(value) for _, value in scenarios.value):
        nested = " " * blocks[0].start_mark.column
        lines = _block(values).splitlines()
        entry = f"{indent}{key}:" + "".join(f"\n{nested}{line}" for line in lines)
    else:
        entry = f"{indent}{key}: {_flow(values)}"
    return _after_line(text, _content_end(scenarios), entry)


def snippet(name: str, values: Values) -> str:
    """``scenarios:\\n  NAME: {input: value, ...}\\n``, ready to paste into a tree file."""
    return f"scenarios:\n  {_key_text(name)}: {_flow(values)}\n"


def _replace_value(text: str, pair: tuple[Node, Node], values: Values) -> str:
    key, value = pair
    if _is_block(value):
        lines = _block(values).splitlines()
        column = value.start_mark.column
        return (
            text[: value.start_mark.index]
            + f"\n{' ' * column}".join(lines)
            + text[_content_end(value) :]
        )
    if isinstance(value, ScalarNode) and value.start_mark.index == value.end_mark.index:
        return _insert(text, key.end_mark.index + 1, f" {_flow(values)}")  # after `name:`
    return _splice(text, value, _flow(values))


def _pair(mapping: MappingNode, name: str) -> tuple[Node, Node] | None:
    for key, value in mapping.value:
        if isinstance(key, ScalarNode) and key.value == name:
            return key, value
    return None


def _is_block(node: Node) -> bool:
    return isinstance(node, MappingNode | SequenceNode) and not node.flow_style and bool(node.value)


def _is_flow(node: Node) -> bool:
    return isinstance(node, MappingNode | SequenceNode) and bool(node.flow_style)


def _end(node: Node) -> int:
    return int(node.end_mark.index)


def _content_end(node: Node) -> int:
    """Where ``node``'s last character is, not counting the blank lines and comments that a
    block collection's or block scalar's end takes in."""
    while _is_block(node):
        last = node.value[-1]
        node = last[1] if isinstance(node, MappingNode) else last
        if isinstance(node, ScalarNode) and node.start_mark.index == node.end_mark.index:
            return int(last[0].end_mark.index) + 1  # `key:` with nothing after it
    return int(node.end_mark.index)


def _trimmed(text: str, index: int) -> int:
    while index > 0 and text[index - 1] in " \t\n":
        index -= 1
    return index


def _after_line(text: str, index: int, entry: str) -> str:
    """``entry`` as a line of its own after the line where ``index`` (content) ends."""
    end = text.find("\n", _trimmed(text, index))
    if end < 0:
        return f"{text}\n{entry}\n"
    return f"{text[:end]}\n{entry}{text[end:]}"


def _insert(text: str, index: int, addition: str) -> str:
    return text[:index] + addition + text[index:]


def _splice(text: str, node: Node, replacement: str) -> str:
    return text[: node.start_mark.index] + replacement + text[node.end_mark.index :]


def _mapping_indent(text: str) -> int:
    """The indentation of the file's first nested key (2 when there is none)."""
    for line in text.splitlines():
        match = _INDENT.match(line)
        if match:
            return len(match.group(1))
    return 2


def _scalar(number: float) -> int | float:
    """A whole number as people write it (``640``, not ``640.0``); any other float in full."""
    if float(number).is_integer() and abs(number) < _EXACT_INT:
        return int(number)
    return float(number)


def _entry(values: Values, flow: bool) -> CommentedMap:
    entry = CommentedMap()
    for key, value in values.items():
        if isinstance(value, Sequence):
            items = CommentedSeq(_scalar(item) for item in value)
            items.fa.set_flow_style()
            entry[key] = items
        else:
            entry[key] = _scalar(value)
    if flow:
        entry.fa.set_flow_style()
    else:
        entry.fa.set_block_style()
    return entry


def _flow(values: Values) -> str:
    """``{input: value, ...}`` on one line (``{}`` for none)."""
    return _dump(_entry(values, flow=True)).strip() if values else "{}"


def _block(values: Values) -> str:
    """``input: value`` lines, per-period lists as flow lists."""
    return _dump(_entry(values, flow=False)) if values else "{}"


def _key_text(name: str) -> str:
    """``name`` as a mapping key, quoted when YAML would read it as anything but that text."""
    return _dump(CommentedMap({name: 0})).rstrip("\n").rpartition(": 0")[0]


def _yaml() -> YAML:
    yaml = YAML()
    # ruamel.yaml folds long flow collections at 80 columns; tree files have longer lines.
    yaml.width = 1 << 16
    return yaml


def _dump(data: Any) -> str:
    stream = io.StringIO()
    _yaml().dump(data, stream)
    return stream.getvalue()
