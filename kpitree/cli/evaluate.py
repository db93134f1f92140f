"""``kpitree eval TREE``: every node's value, as a table, JSON or CSV."""

from __future__ import annotations

import argparse

from kpitree.cli.options import (
    add_format,
    add_tree,
    add_values,
    emit,
    load_tree,
    parse_overrides,
)
from kpitree.timeaxis import BUCKETS


def register(commands: argparse._SubParsersAction) -> None:
    """Add the sub-command."""
    parser = commands.add_parser(
        "eval",
        help="evaluate every node",
        description="Evaluate every node of the tree on its own values, a scenario's, or "
        "values given with --set. A timed tree gives one value per period.",
    )
    add_tree(parser)
    add_values(parser)
    add_format(parser)
    parser.add_argument(
        "--by",
        choices=BUCKETS,
        help="roll the periods up: flows sum, stocks take their last period, rates are "
        "recomputed from the flows they divide, anything else is the mean",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Evaluate and print."""
    tree = load_tree(args)
    evaluation = tree.evaluate(overrides=parse_overrides(args.overrides), scenario=args.scenario)
    if args.by is not None:
        emit(args, evaluation.rollup(args.by), scenario=evaluation.scenario)
    else:
        emit(args, evaluation)
    return 0
