"""Read a tree file's YAML safely, keeping the line of every key.

PyYAML's safe loader is used for scalars only; mappings and sequences are walked here so that
duplicate keys (which PyYAML silently overwrites) are reported and every key keeps its line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from kpitree.errors import Location, SpecError

Path = tuple[str | int, ...]

_SCALAR_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
}


@dataclass(frozen=True)
class Document:
    """A parsed YAML document: plain Python data and the line of every key or item."""

    data: Any
    lines: dict[Path, int]
    file: str

    def where(self, *path: str | int) -> Location:
        """The location of ``path`` or, failing that, of its nearest parent."""
        while path and path not in self.lines:
            path = path[:-1]
        return Location(self.file, self.lines.get(path, 1))


def read_yaml(text: str, file: str) -> Document:
    """Parse ``text`` (the contents of ``file``) into a :class:`Document`.

    Raises
    ------
    SpecError
        On a syntax error, a duplicate key, a non-string key or a tag other than YAML's own.
    """
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            raise SpecError(
                "the file is empty: expected a mapping with name, kgi and nodes", Location(file, 1)
            )
        lines: dict[Path, int] = {}
        data = _walk(loader, root, (), lines, file)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 0
        problem = exc.problem or exc.context or "invalid YAML"
        raise SpecError(f"YAML syntax error: {problem}", Location(file, line)) from None
    except yaml.YAMLError as exc:
        raise SpecError(f"YAML error: {exc}", Location(file, 0)) from None
    finally:
        loader.dispose()
    return Document(data, lines, file)


def _walk(
    loader: yaml.SafeLoader, node: yaml.Node, path: Path, lines: dict[Path, int], file: str
) -> Any:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        _check_tag(node, "tag:yaml.org,2002:map", file)
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                raise SpecError("a key must be a plain name", Location(file, key_line))
            key = loader.construct_object(key_node)
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise SpecError(
                    "YAML merge keys (<<) are not supported in tree files", Location(file, key_line)
                )
            if not isinstance(key, str):
                key = str(key)
            if key in result:
                first = lines[(*path, key)]
                raise SpecError(
                    f"duplicate key '{key}' (first given at line {first})", Location(file, key_line)
                )
            lines[(*path, key)] = key_line
            result[key] = _walk(loader, value_node, (*path, key), lines, file)
        return result
    if isinstance(node, yaml.SequenceNode):
        _check_tag(node, "tag:yaml.org,2002:seq", file)
        items = []
        for index, item in enumerate(node.value):
            lines[(*path, index)] = item.start_mark.line + 1
            items.append(_walk(loader, item, (*path, index), lines, file))
        return items
    if node.tag not in _SCALAR_TAGS:
        raise SpecError(
            f"YAML tag '{node.tag}' is not allowed in a tree file", Location(file, line)
        )
    return loader.construct_object(node)


def _check_tag(node: yaml.Node, expected: str, file: str) -> None:
    if node.tag != expected:
        raise SpecError(
            f"YAML tag '{node.tag}' is not allowed in a tree file",
            Location(file, node.start_mark.line + 1),
        )
