"""Read a tree file's YAML safely, keeping the line of every key.

libyaml (PyYAML's C parser) turns the text into events, each with its line; the data is built
here from those events, without PyYAML's node graph and resolver (five times slower), so that
duplicate keys (which PyYAML silently overwrites) are reported, every key keeps its line, and
scalars are read as a person means them rather than by YAML 1.1's surprising rules:

- ``1_000``, ``2.5``, ``2.5e6`` and ``1e3`` are numbers (YAML 1.1 reads ``1e3`` as text);
- ``010`` is not octal 8, ``0x1F`` not 31 and ``59:59`` not base-60 3,599: they stay text, so a
  number field refuses them instead of reading them silently as something else;
- only ``true`` and ``false`` are booleans (``yes``, ``no``, ``on``, ``off`` stay text, so
  ``owner: no`` is the owner "no");
- dates stay text (``2027-01``, ``2027-01-31``): the fields that take a date check them;
- an explicit tag must fit its value (``!!int abc`` is refused), and a tag outside YAML's own
  (``!!python/...``) is refused anywhere, keys included.

Aliases (``*name``) share the anchored value, within a budget counted in what they expand to
(values and characters): a few lines of nested aliases ("billion laughs") or one long text
aliased thousands of times would otherwise reach every table and chart as gigabytes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from kpitree.errors import Location, SpecError
from kpitree.excerpt import excerpt

Path = tuple[str | int, ...]

_TAG = "tag:yaml.org,2002:"
STR, INT, FLOAT, BOOL, NULL, TIMESTAMP, MAP, SEQ = (
    _TAG + name for name in ("str", "int", "float", "bool", "null", "timestamp", "map", "seq")
)
_EXPECTED = {
    STR: "text",
    NULL: "null (~)",
    BOOL: "true or false",
    INT: "a whole number such as 1_000",
    FLOAT: "a number such as 2.5e6",
    TIMESTAMP: "a date such as 2027-01-31",
}

MAX_ALIAS_VALUES = 100_000
"""How many values aliases may add to a file when expanded (a tree is far smaller)."""
MAX_ALIAS_CHARACTERS = 100_000
"""How many characters of text aliases may add to a file when expanded."""
MAX_DIGITS = 4_000
"""Digits of a whole number read (a float holds at most 309; Python refuses beyond 4,300)."""

_INT = re.compile(r"[-+]?(?:0|[1-9][0-9_]*)")
# A float needs a dot or an exponent (`1.`, `.5`, `2.5e6`, `1e3`), or is YAML's .inf / .nan.
_FLOAT = re.compile(
    r"[-+]?(?:[0-9][0-9_]*\.[0-9_]*|\.[0-9_]+)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)"
)
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_NULL = frozenset({"", "~", "null", "Null", "NULL"})
_NUMBER_START = frozenset("-+.0123456789")
_NESTING = "the YAML nests too deeply (lists or mappings inside each other hundreds of levels)"

# libyaml's parser when PyYAML was built with it (20x faster than the pure-Python one).
_Parser: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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


def read_yaml(text: str, file: str, limits: Mapping[Path, int] | None = None) -> Document:
    """Parse ``text`` (the contents of ``file``) into a :class:`Document`.

    ``limits`` caps the number of entries of the mappings or lists at some paths (``{("nodes",):
    10_000}``), checked as they are read.

    Raises
    ------
    SpecError
        On a syntax error, a duplicate key, a non-string key, a tag other than YAML's own, a
        scalar that does not fit its tag, aliases that expand too far, a limit passed.
    """
    try:
        parser = _Parser(text)
    except yaml.reader.ReaderError as exc:  # the pure-Python reader checks on creation
        raise _control_character(exc, text, file) from None
    try:
        data, lines = _Builder(parser, file, limits or {}).build()
    except yaml.reader.ReaderError as exc:  # libyaml checks as it reads
        raise _control_character(exc, text, file) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Location(file, mark.line + 1 if mark is not None else 0)
        problem = exc.problem or exc.context or "invalid YAML"
        if "maximum nesting depth" in problem:
            raise SpecError(_NESTING, where) from None
        raise SpecError(f"YAML syntax error: {excerpt(problem)}", where) from None
    except yaml.YAMLError as exc:
        raise SpecError(f"YAML error: {excerpt(exc)}", Location(file, 0)) from None
    finally:
        parser.dispose()
    return Document(data, lines, file)


def _control_character(error: yaml.reader.ReaderError, text: str, file: str) -> SpecError:
    character = error.character if isinstance(error.character, int) else ord(error.character)
    return SpecError(
        f"YAML cannot hold the control character U+{character:04X}: remove it",
        Location(file, text.count("\n", 0, error.position) + 1),
    )


@dataclass
class _Open:
    """A mapping or list being read: where it is, and what is known of it so far."""

    data: dict[str, Any] | list[Any]
    path: Path
    line: int
    anchor: str | None
    log_start: int  # index in the builder's line log where its entries begin
    size_start: tuple[int, int]  # the builder's (values, characters) when it began
    key: str | None = None  # a mapping's key waiting for its value
    key_line: int = 0
    limit: int | None = None
    keys_lines: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class _Anchor:
    """What ``&name`` marks: the value, its expanded size, and its lines relative to it."""

    value: Any
    values: int
    characters: int
    lines: tuple[tuple[Path, int], ...]


class _Builder:
    """Builds plain data (dicts, lists, scalars) from the parser's events, with an explicit
    stack (no recursion), each key's line, and the alias budget."""

    def __init__(self, parser: Any, file: str, limits: Mapping[Path, int]) -> None:
        self.parser = parser
        self.file = file
        self.limits = limits
        self.stack: list[_Open] = []
        self.log: list[tuple[Path, int]] = []  # (path, line) of every key and item, in order
        self.anchors: dict[str, _Anchor | None] = {}  # None while the anchored node is open
        self.values = 0  # values read, aliases counted as what they expand to
        self.characters = 0
        self.aliased_values = 0
        self.aliased_characters = 0
        self.root: Any = None

    def build(self) -> tuple[Any, dict[Path, int]]:
        get = self.parser.get_event
        documents = 0
        while True:
            event = get()
            kind = type(event)
            if kind is yaml.ScalarEvent:
                self.scalar(event)
            elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
                self.start(event, kind is yaml.MappingStartEvent)
            elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                self.end()
            elif kind is yaml.AliasEvent:
                self.alias(event)
            elif kind is yaml.DocumentStartEvent:
                if documents:
                    raise SpecError(
                        "a tree file holds one YAML document: remove the second '---'",
                        self.at(event),
                    )
                documents += 1
            elif kind is yaml.StreamEndEvent:
                break
        if not documents:
            raise SpecError(
                "the file is empty: expected a mapping with name, kgi and nodes",
                Location(self.file, 1),
            )
        return self.root, dict(self.log)

    def at(self, event: Any) -> Location:
        return Location(self.file, event.start_mark.line + 1)

    # -- events ------------------------------------------------------------------------------
    def scalar(self, event: yaml.ScalarEvent) -> None:
        parent = self.stack[-1] if self.stack else None
        if parent is not None and isinstance(parent.data, dict) and parent.key is None:
            self.key(parent, event)
            return
        value = self.scalar_value(event)
        self.values += 1
        self.characters += len(event.value)
        if event.anchor is not None:
            self.anchors[event.anchor] = _Anchor(value, 1, len(event.value), ())
        self.add(value, event.start_mark.line + 1)

    def key(self, parent: _Open, event: yaml.ScalarEvent) -> None:
        line = event.start_mark.line + 1
        self.check_tag(event.tag, None, event)
        if event.value == "<<" and event.implicit[0]:
            raise SpecError(
                "YAML merge keys (<<) are not supported in tree files", Location(self.file, line)
            )
        # A key is a name as written: `no`, `on`, `~` or `2027` are not a bool, null or int.
        key = event.value
        if key in parent.keys_lines:
            raise SpecError(
                f"duplicate key '{excerpt(key)}' (first given at line {parent.keys_lines[key]})",
                Location(self.file, line),
            )
        if parent.limit is not None and len(parent.keys_lines) >= parent.limit:
            raise SpecError(
                f"'{parent.path[-1]}' has more than the {parent.limit:,} entries kpitree reads",
                Location(self.file, parent.line),
            )
        parent.keys_lines[key] = line
        parent.key, parent.key_line = key, line
        self.values += 1
        self.characters += len(key)
        if event.anchor is not None:
            self.anchors[event.anchor] = _Anchor(key, 1, len(key), ())

    def start(self, event: Any, mapping: bool) -> None:
        self.check_tag(event.tag, MAP if mapping else SEQ, event)
        parent = self.stack[-1] if self.stack else None
        if parent is not None and isinstance(parent.data, dict) and parent.key is None:
            raise SpecError("a key must be a plain name", self.at(event))
        path = self.child_path(parent)
        if event.anchor is not None:
            self.anchors[event.anchor] = None
        self.stack.append(
            _Open(
                data={} if mapping else [],
                path=path,
                line=event.start_mark.line + 1,
                anchor=event.anchor,
                log_start=len(self.log),
                size_start=(self.values, self.characters),
                limit=self.limits.get(path),
            )
        )
        if parent is not None:
            self.record(parent, event.start_mark.line + 1)
        self.values += 1

    def end(self) -> None:
        done = self.stack.pop()
        if done.anchor is not None:
            prefix = len(done.path)
            self.anchors[done.anchor] = _Anchor(
                done.data,
                self.values - done.size_start[0],
                self.characters - done.size_start[1],
                tuple((path[prefix:], line) for path, line in self.log[done.log_start :]),
            )
        self.attach(done.data)

    def alias(self, event: yaml.AliasEvent) -> None:
        parent = self.stack[-1] if self.stack else None
        if parent is not None and isinstance(parent.data, dict) and parent.key is None:
            raise SpecError("a key must be a plain name, not an alias (*name)", self.at(event))
        if event.anchor not in self.anchors:
            raise SpecError(
                f"YAML alias '*{excerpt(event.anchor)}' names no anchor (&name) given before it",
                self.at(event),
            )
        anchor = self.anchors[event.anchor]
        if anchor is None:
            raise SpecError(
                "a YAML alias (*name) refers to the mapping or list that contains it",
                self.at(event),
            )
        self.aliased_values += anchor.values
        self.aliased_characters += anchor.characters
        if self.aliased_values > MAX_ALIAS_VALUES or self.aliased_characters > MAX_ALIAS_CHARACTERS:
            raise SpecError(
                f"YAML aliases (*name) expand to more than {MAX_ALIAS_VALUES:,} values or "
                f"{MAX_ALIAS_CHARACTERS:,} characters: write the values out",
                self.at(event),
            )
        self.values += anchor.values
        self.characters += anchor.characters
        path = self.child_path(parent)
        self.log.extend(((*path, *relative), line) for relative, line in anchor.lines)
        self.add(anchor.value, event.start_mark.line + 1)

    # -- attaching values --------------------------------------------------------------------
    def child_path(self, parent: _Open | None) -> Path:
        if parent is None:
            return ()
        if isinstance(parent.data, dict):
            return (*parent.path, parent.key)  # type: ignore[arg-type]
        return (*parent.path, len(parent.data))

    def record(self, parent: _Open, line: int) -> None:
        """Log the line of the key or item that the value now starting belongs to."""
        if isinstance(parent.data, dict):
            self.log.append(((*parent.path, parent.key), parent.key_line))  # type: ignore[arg-type]
        else:
            if parent.limit is not None and len(parent.data) >= parent.limit:
                raise SpecError(
                    f"'{parent.path[-1]}' has more than the {parent.limit:,} entries kpitree reads",
                    Location(self.file, parent.line),
                )
            self.log.append(((*parent.path, len(parent.data)), line))

    def add(self, value: Any, line: int) -> None:
        """A complete scalar or alias: log its line, then attach it."""
        if self.stack:
            self.record(self.stack[-1], line)
        self.attach(value)

    def attach(self, value: Any) -> None:
        """Put a complete value in the mapping or list that holds it (or make it the root)."""
        if not self.stack:
            self.root = value
            return
        parent = self.stack[-1]
        if isinstance(parent.data, dict):
            parent.data[parent.key] = value  # type: ignore[index]
            parent.key = None
        else:
            parent.data.append(value)

    # -- scalars -----------------------------------------------------------------------------
    def scalar_value(self, event: yaml.ScalarEvent) -> Any:
        """A scalar's value: by its explicit tag, refusing a value the tag does not fit, or
        read as a person means it when plain; quoted text is text."""
        tag, text = event.tag, event.value
        if tag is None or tag == "!":
            value = _plain(text) if event.implicit[0] else text
        else:
            self.check_tag(tag, None, event)
            value = _tagged(tag, text)
        if value is _NOT:
            raise SpecError(
                f"'{excerpt(text)}' tagged !!{tag.removeprefix(_TAG)} is not {_EXPECTED[tag]}",
                self.at(event),
            )
        if value is _TOO_LONG:
            digits = len(text.lstrip("+-").replace("_", ""))
            raise SpecError(
                f"a number of {digits:,} digits is out of range (at most about 1.8e308)",
                self.at(event),
            )
        if isinstance(value, _BadDate):
            raise SpecError(f"'{excerpt(text)}' is not a valid date: {value}", self.at(event))
        return value

    def check_tag(self, tag: str | None, expected: str | None, event: Any) -> None:
        """Refuse a tag outside YAML's own scalar tags (or other than ``expected``)."""
        if tag is None or tag == "!":
            return
        if tag == expected or (expected is None and tag in _EXPECTED):
            return
        raise SpecError(f"YAML tag '{excerpt(tag)}' is not allowed in a tree file", self.at(event))


class _BadDate(str):
    """The reason a !!timestamp is not a date (``month must be in 1..12``)."""


_NOT = object()  # a value that does not fit its tag
_TOO_LONG = object()  # a whole number with more digits than read


def _plain(text: str) -> Any:
    """An untagged, unquoted scalar as a person means it (see the module's docstring)."""
    if text in _NULL:
        return None
    if text in _BOOL:
        return _BOOL[text]
    if text[0] in _NUMBER_START:
        if _INT.fullmatch(text):
            return _whole(text)
        if _FLOAT.fullmatch(text):
            return _float(text)
    return text


def _tagged(tag: str, text: str) -> Any:
    """A scalar with an explicit YAML tag, or ``_NOT`` when the text does not fit it."""
    if tag == STR:
        return text
    if tag == NULL:
        return None if text in _NULL else _NOT
    if tag == BOOL:
        return _BOOL.get(text, _NOT)
    if tag == INT:
        return _whole(text) if _INT.fullmatch(text) else _NOT
    if tag == FLOAT:
        if _INT.fullmatch(text) or _FLOAT.fullmatch(text):
            return _float(text)
        return _NOT
    match = yaml.constructor.SafeConstructor.timestamp_regexp.fullmatch(text)
    if match is None:
        return _NOT
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(
            _Text(), yaml.ScalarNode(TIMESTAMP, text)
        )
    except ValueError as error:  # a month 13, February 30
        return _BadDate(error)


def _whole(text: str) -> Any:
    digits = text.lstrip("+-").replace("_", "")
    if len(digits) > MAX_DIGITS:
        return _TOO_LONG
    return int(text.replace("_", ""))


def _float(text: str) -> float:
    clean = text.replace("_", "").lower()
    return float(clean.replace(".inf", "inf").replace(".nan", "nan"))


class _Text:
    """What SafeConstructor's timestamp reader needs of a constructor: a scalar's text."""

    timestamp_regexp = yaml.constructor.SafeConstructor.timestamp_regexp

    @staticmethod
    def construct_scalar(node: yaml.ScalarNode) -> str:
        return node.value
