"""Arguments shared by the sub-commands, and turning them into API calls' inputs."""

from __future__ import annotations

import argparse
import io
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kpitree.errors import UsageError  # UsageError re-exported from here
from kpitree.excerpt import excerpt
from kpitree.numbers import parse_number
from kpitree.numbers import parse_whole as parse_whole  # the commands read options through here

if TYPE_CHECKING:
    from kpitree.facade import Tree

FORMATS = ("table", "json", "csv", "xlsx", "html")
"""What ``--format`` offers; repeated from :data:`kpitree.render.FORMATS` so that ``--help``
imports no renderer (a test checks they agree)."""
OUTPUT_EXTENSIONS = {
    ".txt": "table",
    ".json": "json",
    ".csv": "csv",
    ".xlsx": "xlsx",
    ".html": "html",
    ".htm": "html",
}
"""The format ``-o FILE`` writes by its extension, unless ``--format`` says."""
PATH_LIMIT = 200
"""Characters of a path quoted in a message: whole as people write them, cut when absurd."""
FIGURE_FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}


def add_tree(parser: argparse.ArgumentParser) -> None:
    """The positional TREE argument."""
    parser.add_argument(
        "tree", metavar="TREE", help="the tree file (YAML), e.g. trees/saas_arr.yaml"
    )


def add_format(parser: argparse.ArgumentParser, formats: tuple[str, ...] = FORMATS) -> None:
    """``--format``, ``-o FILE`` and ``--quiet``: how and where a command emits its result
    (see :func:`resolve_output` and :func:`emit`)."""
    parser.add_argument(
        "--format",
        choices=formats,
        default=None,
        help=f"output format: one of {', '.join(formats)} (default: by the extension of -o, "
        "otherwise table; xlsx needs -o)",
    )
    parser.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write the result to FILE, whole or not at all, instead of standard output; "
        "the format follows its extension (.txt, .json, .csv, .xlsx, .html)",
    )
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="print no notes or warnings on standard error"
    )


def resolve_output(args: argparse.Namespace) -> None:
    """Settle ``args.format`` from ``--format`` or the extension of ``-o``, and check that the
    output can be written, before any computing (commands without ``--format`` pass).

    Raises
    ------
    UsageError
        For an extension that names no format, a workbook asked for standard output, or an
        output path that cannot be written.
    """
    if not hasattr(args, "format"):
        return
    output = getattr(args, "output", None)
    if output is not None:
        check_output(output, "-o")
    if args.format is None:
        args.format = "table" if output is None else _format_by_extension(output)
    if args.format == "xlsx" and output is None:
        raise UsageError("--format xlsx writes a workbook: give -o FILE.xlsx")


def _format_by_extension(path: str) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in OUTPUT_EXTENSIONS:
        found = f"'{excerpt(suffix)}'" if suffix else "no extension"
        raise UsageError(
            f"-o {_path(path)}: expected a .txt, .json, .csv, .xlsx or .html file (or give "
            f"--format), found {found}"
        )
    return OUTPUT_EXTENSIONS[suffix]


def emit(args: argparse.Namespace, result: Any, **options: Any) -> None:
    """Render ``result`` in ``args.format`` and print it, or write it whole to ``-o FILE``.

    ``options`` go to the result's layout (``scenario`` for a roll-up).
    """
    from kpitree.render import render

    data = render(result, args.format, **options)
    output = getattr(args, "output", None)
    if output is not None:
        write_output(output, data)
    elif isinstance(data, bytes):  # resolve_output sends a workbook to a file: not reached
        sys.stdout.buffer.write(data)
    else:
        print(data, end="")


def note(args: argparse.Namespace, text: str, prefix: str = "kpitree: note: ") -> None:
    """Print a note or warning on standard error, unless ``--quiet``."""
    if not getattr(args, "quiet", False):
        print(f"{prefix}{text}", file=sys.stderr)


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


def add_period(parser: argparse.ArgumentParser) -> None:
    """``--period P``: the period of the KGI analysed (timed trees)."""
    parser.add_argument(
        "--period",
        metavar="P",
        help="the KGI's period, as a label (2027-06) or a number 1..N (default: the last)",
    )


def add_plot(parser: argparse.ArgumentParser, what: str) -> None:
    """``--plot FILE``: also write a chart."""
    parser.add_argument(
        "--plot", metavar="FILE", help=f"also write the {what} to FILE (.png, .svg or .pdf)"
    )


def figure_format(path: str | None, option: str = "--plot") -> str | None:
    """The matplotlib format of a chart file by its extension (``None`` passes), checked before
    any computing.

    Raises
    ------
    UsageError
        For an extension other than .png, .svg and .pdf.
    """
    if path is None:
        return None
    suffix = Path(path).suffix.lower()
    if suffix not in FIGURE_FORMATS:
        found = f"'{excerpt(suffix)}'" if suffix else "no extension"
        raise UsageError(
            f"{option} {_path(path)}: expected a .png, .svg or .pdf file, found {found}"
        )
    check_output(path, option)
    return FIGURE_FORMATS[suffix]


def check_output(path: str | Path, option: str) -> None:
    """Refuse an output path that cannot be written, before any computing: its folder is
    missing or read-only, the path is a folder, or its name is too long for the file system.

    Raises
    ------
    UsageError
        Naming the option and the path.
    """
    path = Path(path)
    shown = f"{option} {_path(path)}"
    directory = path.parent if str(path.parent) else Path(".")
    try:
        if not directory.is_dir():
            raise UsageError(f"{shown}: directory '{_path(directory)}' does not exist")
        limit = _name_max(directory)
        if len(os.fsencode(path.name)) > limit:
            raise UsageError(
                f"{shown}: the file name is {len(os.fsencode(path.name)):,} bytes long, more "
                f"than the {limit} the file system allows"
            )
        if path.is_dir():
            raise UsageError(f"{shown}: is a directory, expected a file name")
        if path.exists() and not path.is_file():
            # Replacing a device or a pipe by a file (/dev/full as root) is never meant.
            raise UsageError(f"{shown}: is not a regular file (a device or a pipe)")
    except OSError as error:  # a path too long as a whole, a loop of links
        raise UsageError(f"{shown}: {error.strerror}") from None
    if not os.access(directory, os.W_OK | os.X_OK):
        raise UsageError(f"{shown}: directory '{_path(directory)}' is not writable")


def _path(path: str | Path) -> str:
    """A path as quoted in a message."""
    return excerpt(path, PATH_LIMIT)


def _name_max(directory: Path) -> int:
    """The longest file name, in bytes, the file system holding ``directory`` accepts."""
    try:
        return int(os.pathconf(directory, "PC_NAME_MAX"))
    except (OSError, ValueError):  # not reported: the common limit
        return 255


def write_figure(figure: Any, path: str, option: str = "--plot", dpi: int = 120) -> None:
    """Render a matplotlib figure in the format of ``path``'s extension and write it whole."""
    from kpitree.plots.figures import close

    buffer = io.BytesIO()
    try:
        figure.savefig(buffer, format=figure_format(path, option), dpi=dpi)
    finally:
        close(figure)  # pyplot keeps every figure it made until closed
    write_output(path, buffer.getvalue())


def load_tree(args: argparse.Namespace) -> Tree:
    """The tree named on the command line."""
    from kpitree.facade import load  # sympy and friends only once a command reads a tree

    return _with_curves(load(args.tree), args)


def _with_curves(tree: Tree, args: argparse.Namespace) -> Tree:
    """The tree rebuilt with the curves by age that ``--set NAME=[...]`` and ``--scenario``
    give (a list on such a node is one value per age, not per period); those ``--set`` items
    are then taken out of ``args.overrides``."""
    curve_nodes = {name for name, node in tree.nodes.items() if node.ages is not None}
    if not curve_nodes:
        return tree
    items = getattr(args, "overrides", None) or []
    kept = [item for item in items if item.partition("=")[0].strip() not in curve_nodes]
    listed = [item for item in items if item not in kept and "[" in item.partition("=")[2]]
    scenario = getattr(args, "scenario", None)
    scenario_lists = isinstance(scenario, str) and any(
        isinstance(value, tuple) and name in curve_nodes
        for name, value in tree.scenarios.get(scenario, {}).items()
    )
    if not listed and not scenario_lists:
        return tree
    args.overrides = kept + [item for item in items if item not in kept and item not in listed]
    curves = {
        name: value for name, value in parse_overrides(listed).items() if isinstance(value, list)
    }
    return tree.with_curves(curves, scenario if scenario_lists else None)


def parse_overrides(items: list[str]) -> dict[str, float | list[float]]:
    """``["win_rate=0.3", "leads=[1, 2, 3]"]`` -> ``{"win_rate": 0.3, "leads": [1, 2, 3]}``."""
    overrides: dict[str, float | list[float]] = {}
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise UsageError(f"--set takes NAME=VALUE, found '{excerpt(item)}'")
        text = text.strip()
        if text.startswith("["):
            if not text.endswith("]"):
                raise UsageError(
                    f"--set {excerpt(name)}: a list is written [v1, v2, ...], "
                    f"found '{excerpt(text)}'"
                )
            parts = [part for part in re.split(r"[,\s]+", text[1:-1]) if part]
            overrides[name] = [parse_number(part, f"--set {excerpt(name)}") for part in parts]
        else:
            overrides[name] = parse_number(text, f"--set {excerpt(name)}")
    return overrides


def write_output(path: str | Path, data: bytes | str) -> None:
    """Write ``data`` to ``path`` whole or not at all (through a temporary file)."""
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise UsageError(f"{_path(path)}: directory '{_path(directory)}' does not exist")
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        # A short name of its own: the final name may already be as long as names can be.
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=".kpitree-", suffix=".tmp")
    except OSError as error:
        raise UsageError(f"{_path(path)}: cannot write the file: {error.strerror}") from None
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(payload)
        # mkstemp makes the file private (0600); a report or chart is meant to be shared, so
        # give it the permissions any new file gets here.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except OSError as error:  # disk full, a directory in the way
        Path(temporary).unlink(missing_ok=True)
        raise UsageError(f"{_path(path)}: cannot write the file: {error.strerror}") from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
