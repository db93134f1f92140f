"""``kpitree validate TREE``: check a tree file and summarise it in one line."""

from __future__ import annotations

import argparse

from kpitree.cli.options import add_format, add_tree, emit, load_tree


def register(commands: argparse._SubParsersAction) -> None:
    """Add the sub-command."""
    parser = commands.add_parser(
        "validate",
        help="check a tree file",
        description="Check a tree file: YAML, keys, formulas, cycles, bounds, distributions. "
        "Prints a one-line summary (or its counts as JSON or CSV, --format, -o FILE), or "
        "FILE:LINE: what is wrong (exit status 2).",
    )
    add_tree(parser)
    add_format(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Validate and print the summary (or write it to ``-o``)."""
    from kpitree.validation import validation_of

    emit(args, validation_of(load_tree(args), str(args.tree)))
    return 0
