"""``kpitree validate TREE``: check a tree file and summarise it in one line."""

from __future__ import annotations

import argparse

from kpitree.cli.options import add_tree, load_tree


def register(commands: argparse._SubParsersAction) -> None:
    """Add the sub-command."""
    parser = commands.add_parser(
        "validate",
        help="check a tree file",
        description="Check a tree file: YAML, keys, formulas, cycles, bounds, distributions. "
        "Prints a one-line summary, or FILE:LINE: what is wrong (exit status 2).",
    )
    add_tree(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Validate and print the summary."""
    tree = load_tree(args)
    time = f", {tree.time.periods} {tree.time.unit}s" if tree.time else ", static"
    uncertain = sum(1 for node in tree.nodes.values() if node.distribution is not None)
    print(
        f"{args.tree}: ok: tree '{tree.name}', kgi '{tree.kgi}', {len(tree.nodes)} nodes "
        f"({len(tree.inputs)} inputs, {len(tree.derived)} derived{time}), "
        f"{len(tree.scenarios)} scenarios, {uncertain} uncertain inputs"
    )
    return 0
