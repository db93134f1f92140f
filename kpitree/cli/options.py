"""Arguments shared by the sub-commands, and turning them into API calls' inputs."""

from __future__ import annotations

import argparse
import os
import re
import tempfile
from pathlib import Path

from kpitree.errors import DataError
from kpitree.spec import load
from kpitree.tree import Tree

FORMATS = ("table", "json", "csv")


class UsageError(DataError):
    """A command-line argument that cannot be used as given."""


def add_tree(parser: argparse.ArgumentParser) -> None:
    """The positional TREE argument."""
    parser.add_argument(
        "tree", metavar="TREE", help="the tree file (YAML), e.g. trees/saas_arr.yaml"
    )


def add_format(parser: argparse.ArgumentParser, formats: tuple[str, ...] = FORMATS) -> None:
    """``--format table|json|csv``."""
    parser.add_argument(
        "--format",
        choices=formats,
        default="table",
        help=f"output format (default: table; one of {', '.join(formats)})",
    )


def add_values(parser: argparse.ArgumentParser) -> None:
    """``--set NAME=VALUE`` (repeatable) and ``--scenario NAME``."""
    parser.add_argument(
        "--set",
        dest="overrides",
        metavar="NAME=VALUE",
        action="append",
        default=[],
        help="override an input: a number (1_000, 2.5e6, 12%%) or one per period as "
        "[v1, v2, ...]; repeatable",
    )
    parser.add_argument("--scenario", metavar="NAME", help="evaluate one of the tree's scenarios")


def load_tree(args: argparse.Namespace) -> Tree:
    """The tree named on the command line."""
    return load(args.tree)


def parse_number(text: str, what: str) -> float:
    """A number as people type it: ``1_000``, ``2.5e6``, ``12%`` (0.12)."""
    clean = text.strip().replace("_", "")
    scale = 1.0
    if clean.endswith("%"):
        clean, scale = clean[:-1].strip(), 0.01
    try:
        return float(clean) * scale
    except ValueError:
        raise UsageError(f"{what}: '{text}' is not a number") from None


def parse_overrides(items: list[str]) -> dict[str, float | list[float]]:
    """``["win_rate=0.3", "leads=[1, 2, 3]"]`` -> ``{"win_rate": 0.3, "leads": [1, 2, 3]}``."""
    overrides: dict[str, float | list[float]] = {}
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise UsageError(f"--set takes NAME=VALUE, found '{item}'")
        text = text.strip()
        if text.startswith("["):
            if not text.endswith("]"):
                raise UsageError(f"--set {name}: a list is written [v1, v2, ...], found '{text}'")
            parts = [part for part in re.split(r"[,\s]+", text[1:-1]) if part]
            overrides[name] = [parse_number(part, f"--set {name}") for part in parts]
        else:
            overrides[name] = parse_number(text, f"--set {name}")
    return overrides


def write_output(path: str | Path, data: bytes | str) -> None:
    """Write ``data`` to ``path`` whole or not at all (through a temporary file)."""
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise UsageError(f"{path}: directory '{directory}' does not exist")
    payload = data.encode("utf-8") if isinstance(data, str) else data
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(payload)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
