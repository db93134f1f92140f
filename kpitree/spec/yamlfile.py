"""Read a tree file's YAML safely, keeping the line of every key.

PyYAML's safe loader is used for scalars only; mappings and sequences are walked here so that
duplicate keys (which PyYAML silently overwrites) are reported and every key keeps its line.

Numbers are read as people write them: ``2.5e6`` and ``1e3`` are floats (YAML 1.1, which PyYAML
follows, would read them as text for want of a dot and an exponent sign). Aliases (``*name``)
are expanded, within a budget: PyYAML shares an aliased node, so a few lines of nested aliases
("billion laughs") would otherwise expand to billions of values.
"""

from __future__ import annotations

import re
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


MAX_ALIAS_VALUES = 100_000
"""How many values aliases may add to a file when expanded (a tree is far smaller)."""


class _Loader(yaml.SafeLoader):
    """The safe loader, with YAML 1.2's floats (``1e3``, ``2.5e6``) besides YAML 1.1's."""


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$"),
    list("-+0123456789."),
)


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
    try:
        loader = _Loader(text)
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        raise SpecError(
            f"YAML cannot hold the control character U+{exc.character:04X}: remove it",
            Location(file, line),
        ) from None
    try:
        root = loader.get_single_node()
        if root is None:
            raise SpecError(
                "the file is empty: expected a mapping with name, kgi and nodes", Location(file, 1)
            )
        lines: dict[Path, int] = {}
        data = _Walker(loader, file).walk(root, (), lines)
    except RecursionError:
        raise SpecError(
            "the YAML nests too deeply (lists or mappings inside each other hundreds of levels)",
            Location(file, 0),
        ) from None
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


class _Walker:
    """Turns composed YAML nodes into plain data, each key with its line."""

    def __init__(self, loader: yaml.SafeLoader, file: str) -> None:
        self.loader = loader
        self.file = file
        self.seen: set[int] = set()  # collection nodes walked once: walking one again is an alias
        self.open: set[int] = set()  # collection nodes being walked: meeting one is a loop
        self.budget = MAX_ALIAS_VALUES

    def walk(self, node: yaml.Node, path: Path, lines: dict[Path, int], alias: bool = False) -> Any:
        """``node`` as dicts, lists and scalars; ``alias`` when inside a repeated node."""
        line = node.start_mark.line + 1
        if alias:
            self.budget -= 1
            if self.budget < 0:
                raise SpecError(
                    f"YAML aliases (*name) expand to more than {MAX_ALIAS_VALUES:,} values: "
                    "write the values out",
                    Location(self.file, line),
                )
        if isinstance(node, yaml.MappingNode | yaml.SequenceNode):
            if id(node) in self.open:
                raise SpecError(
                    "a YAML alias (*name) refers to the mapping or list that contains it",
                    Location(self.file, line),
                )
            alias = alias or id(node) in self.seen
            self.seen.add(id(node))
            self.open.add(id(node))
            try:
                if isinstance(node, yaml.MappingNode):
                    return self.mapping(node, path, lines, alias)
                return self.sequence(node, path, lines, alias)
            finally:
                self.open.discard(id(node))
        if node.tag not in _SCALAR_TAGS:
            raise SpecError(
                f"YAML tag '{node.tag}' is not allowed in a tree file", Location(self.file, line)
            )
        return self.loader.construct_object(node)

    def mapping(
        self, node: yaml.MappingNode, path: Path, lines: dict[Path, int], alias: bool
    ) -> dict[str, Any]:
        _check_tag(node, "tag:yaml.org,2002:map", self.file)
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                raise SpecError("a key must be a plain name", Location(self.file, key_line))
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise SpecError(
                    "YAML merge keys (<<) are not supported in tree files",
                    Location(self.file, key_line),
                )
            # A key is a name as written: `no`, `on`, `~` or `2027` are not a bool, null or int.
            key = str(key_node.value)
            if key in result:
                first = lines[(*path, key)]
                raise SpecError(
                    f"duplicate key '{key}' (first given at line {first})",
                    Location(self.file, key_line),
                )
            lines[(*path, key)] = key_line
            result[key] = self.walk(value_node, (*path, key), lines, alias)
        return result

    def sequence(
        self, node: yaml.SequenceNode, path: Path, lines: dict[Path, int], alias: bool
    ) -> list[Any]:
        _check_tag(node, "tag:yaml.org,2002:seq", self.file)
        items = []
        for index, item in enumerate(node.value):
            lines[(*path, index)] = item.start_mark.line + 1
            items.append(self.walk(item, (*path, index), lines, alias))
        return items


def _check_tag(node: yaml.Node, expected: str, file: str) -> None:
    if node.tag != expected:
        raise SpecError(
            f"YAML tag '{node.tag}' is not allowed in a tree file",
            Location(file, node.start_mark.line + 1),
        )
