"""Saving a dashboard session's edits as a named scenario in the tree file, or as a snippet.

The tree file is people's text, so a save changes nothing but the one scenario: comments,
blank lines, key order, flow or block style and quotes stay as written
(:mod:`kpitree.serve.scenario_text` edits the text in place, located with ruamel.yaml), and the
result is read back with kpitree's own reader before it replaces the file: the reader's errors
(unknown input, value outside bounds) come out as they would for a hand edit, and an edit that
would change anything else is refused. The write is atomic
(a temporary file in the same folder, flushed to disk, then renamed over the tree), under an
exclusive lock on ``.TREE.lock`` next to the tree, so two savers take turns and neither
overwrites a version the other has not seen.
"""

from __future__ import annotations

import codecs
import contextlib
import fcntl
import math
import os
import stat
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from kpitree.encoding import decode_text
from kpitree.errors import DataError, EncodingError, Location, ScenarioConflict, SpecError
from kpitree.excerpt import excerpt
from kpitree.files import read_regular_file
from kpitree.serve.scenario_text import snippet, with_scenario
from kpitree.serve.watch import fingerprint, tree_text_version, tree_version
from kpitree.spec.schema import MAX_TREE_BYTES, loads
from kpitree.spec.yamlfile import read_yaml
from kpitree.tree import TreeModel

MAX_SCENARIO_NAME = 100
"""Characters of a scenario name: it is shown in menus and used as a download's file name."""

Values = dict[str, float | list[float]]


def save_scenario(
    path: Path, name: str, overrides: Mapping[str, object], expected_version: str
) -> str:
    """Save ``overrides`` as scenario ``name`` in the tree file at ``path``.

    A new name is added after the file's other scenarios (a ``scenarios:`` key is added after
    the last line of the file's content when there is none); an existing name has its values
    replaced where it stands, so the scenario holds exactly ``overrides`` afterwards. A new
    scenario takes the style (flow ``{a: 1}`` or block) of the scenarios already there, flow
    when there is none;
    a list of values per period is written as a flow list ``[1, 2, 3]``; numbers are written
    in full (``repr``), a whole number without ``.0``.

    Parameters
    ----------
    path : Path
        The tree file.
    name : str
        The scenario's name (see :func:`check_scenario_name`).
    overrides : Mapping[str, object]
        Input name -> a number, a number as text as ``--set`` reads it (``"12%"``,
        ``"1_200"``, ``"2.5e6"``), or a list of those, one per period.
    expected_version : str
        The :func:`~kpitree.serve.watch.fingerprint` of the tree the values were chosen on.
        Only its tree part is compared: a record file touched since does not block a save.

    Returns
    -------
    str
        The new version (fingerprint) of the tree file.

    Raises
    ------
    ScenarioConflict
        When the tree file's bytes are not those of ``expected_version``; nothing is written.
    DataError
        For a bad name or value (``--set``'s messages), or a tree the saved file would not be
        (the reader's own error, ``FILE:LINE``, the line in the file as it would have been);
        also when the file cannot be written. The file is then left as it was.
    """
    path = Path(path)
    name = check_scenario_name(name)
    values = scenario_values(overrides)
    # A tree reached through a symbolic link is saved where it lives, the link kept.
    target = Path(os.path.realpath(path))
    with _locked(target, path):
        data = _read(path)
        if tree_text_version(data) != tree_version(str(expected_version)):
            raise ScenarioConflict(
                f"{path} changed since it was loaded (someone saved it or edited it): reload "
                "to see the new version, then save again"
            )
        try:
            text = decode_text(data)
        except EncodingError as error:
            raise SpecError(f"the tree file {error}", Location(str(path))) from None
        # Edited with \n line ends; the file's own are put back when it is written.
        text = text.replace("\r\n", "\n")
        new_text = with_scenario(text, name, values, str(path))
        tree = _checked(text, new_text, name, values, str(path))
        _replace(target, _encoded(new_text, data, path), path)
        return fingerprint(path, tree)


def scenario_yaml(name: str, overrides: Mapping[str, object]) -> str:
    """A standalone YAML snippet ``scenarios: {NAME: {...}}`` to paste into a tree file.

    Values are read and written as :func:`save_scenario` does; they are not checked against a
    tree (there is none here): the tree that reads the snippet checks names and bounds.

    Raises
    ------
    DataError
        For a bad name or a value that is not a number.
    """
    name = check_scenario_name(name)
    values = scenario_values(overrides)
    return snippet(name, values)


def check_scenario_name(name: object) -> str:
    """Return ``name`` when it can name a saved scenario: text of 1 to 100 printable
    characters, without spaces at either end.

    Raises
    ------
    DataError
        Saying what is wrong with the name.
    """
    if not isinstance(name, str):
        raise DataError(f"a scenario name must be text, found {excerpt(repr(name))}")
    if not name.strip():
        raise DataError("a scenario name must not be empty")
    if len(name) > MAX_SCENARIO_NAME:
        raise DataError(
            f"scenario name '{excerpt(name)}' is longer than {MAX_SCENARIO_NAME} characters"
        )
    if name != name.strip() or not name.isprintable():
        raise DataError(
            f"scenario name {excerpt(repr(name))} must be printable characters without spaces "
            "at either end"
        )
    return name


def scenario_values(overrides: Mapping[str, object]) -> Values:
    """``overrides`` as numbers: text read as ``--set`` reads it (``12%`` is 0.12), a list
    element by element; names are left for the tree to check.

    Raises
    ------
    DataError
        For a value that is not a finite number (``--set``'s message) or a name that is not
        text.
    """
    # The parser lives with the command line; importing it here keeps one reading of numbers.
    from kpitree.numbers import parse_number

    if not isinstance(overrides, Mapping):
        raise DataError(f"a scenario maps input names to values, found {excerpt(repr(overrides))}")
    values: Values = {}
    for key, raw in overrides.items():
        if not isinstance(key, str):
            raise DataError(f"an input name must be text, found {excerpt(repr(key))}")
        if isinstance(raw, list | tuple):
            values[key] = [_number(item, key, parse_number) for item in raw]
        else:
            values[key] = _number(raw, key, parse_number)
    return values


def _number(raw: object, key: str, parse_number: Any) -> float:
    what = excerpt(key)
    if isinstance(raw, str):
        return float(parse_number(raw, what))
    # bool is an int in Python, never a number a person typed
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise DataError(f"{what}: expected a number, found {excerpt(repr(raw))}")
    try:
        number = float(raw)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise DataError(f"{what}: expected a finite number, found {excerpt(repr(raw))}")
    return number


def _checked(old: str, new: str, name: str, values: Values, file: str) -> TreeModel:
    """The tree ``new`` reads as, after checking it differs from ``old`` only in the scenario.

    The reader raises what it would for the file as saved; an edit that would change anything
    else (a name or value ruamel.yaml writes in a way kpitree reads differently) is refused.
    """
    tree = loads(new, source=file)
    before = read_yaml(old, file).data
    after = read_yaml(new, file).data
    saved = after.get("scenarios", {}).get(name) if isinstance(after, dict) else None
    if _without(before, name) != _without(after, name) or saved != values:
        raise DataError(
            f"scenario '{excerpt(name)}' cannot be saved without changing something else in "
            "the file; add it by hand",
            Location(file),
        )
    return tree


def _without(data: Any, name: str) -> Any:
    """A file's data without scenario ``name`` (and without an empty ``scenarios:``)."""
    if not isinstance(data, dict):
        return data
    data = dict(data)
    scenarios = dict(data.get("scenarios") or {})
    scenarios.pop(name, None)
    if scenarios:
        data["scenarios"] = scenarios
    else:
        data.pop("scenarios", None)
    return data


def _read(path: Path) -> bytes:
    try:
        return read_regular_file(path, MAX_TREE_BYTES)
    except OSError as error:
        raise SpecError(
            f"cannot read the tree file: {error.strerror}", Location(str(path))
        ) from None


def _encoded(text: str, original: bytes, path: Path) -> bytes:
    """``text`` in the original file's encoding and line endings."""
    if b"\r\n" in original:
        text = text.replace("\n", "\r\n")
    if original.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif original.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        try:
            original.decode("utf-8")
            encoding = "utf-8"
        except UnicodeDecodeError:
            encoding = "cp932"
    try:
        return text.encode(encoding)
    except UnicodeEncodeError:
        raise DataError(
            f"the scenario holds characters the file's encoding ({encoding}) cannot write: "
            "save the tree as UTF-8 first",
            Location(str(path)),
        ) from None


@contextlib.contextmanager
def _locked(path: Path, shown: Path) -> Iterator[None]:
    """An exclusive lock on ``.TREE.lock`` beside the tree, held for a read-check-write.

    A lock file of its own, not the tree: the tree is replaced by a rename, and a lock on the
    old file would not stop a saver who opened the new one.
    """
    lock = path.with_name(f".{path.name}.lock")
    try:
        handle = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as error:
        raise _unsaved(shown, error) from None
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)  # closing releases the lock


def _replace(path: Path, payload: bytes, shown: Path) -> None:
    """Write ``payload`` over ``path`` whole or not at all, keeping the file's mode."""
    directory = path.parent
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise _unsaved(shown, error) from None
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(payload)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except OSError as error:  # disk full, quota
        Path(temporary).unlink(missing_ok=True)
        raise _unsaved(shown, error) from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _sync_directory(directory)


def _unsaved(path: Path, error: OSError) -> DataError:
    return DataError(f"cannot save the scenario: {error.strerror}", Location(str(path)))


def _sync_directory(directory: Path) -> None:
    """Flush the rename itself to disk (best effort: not every file system allows it)."""
    with contextlib.suppress(OSError):
        handle = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)
