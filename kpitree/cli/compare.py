"""``kpitree compare TREE --actuals FILE``: actual vs plan of every node, per period."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from kpitree.cli.actuals_source import add_actuals_source, read_actuals_source
from kpitree.cli.options import UsageError, add_format, add_tree, emit, load_tree, parse_number
from kpitree.timeaxis import BUCKETS

if TYPE_CHECKING:
    from kpitree.actuals import Actuals
    from kpitree.tree import Tree


def add_actuals(parser: argparse.ArgumentParser) -> None:
    """``--actuals FILE`` or ``--measure`` (one is needed) and ``--plan SCENARIO``, shared
    with check."""
    add_actuals_source(parser, "")
    parser.add_argument(
        "--plan", metavar="SCENARIO", help="a scenario to use as the plan (default: the tree's)"
    )


def register(commands: argparse._SubParsersAction) -> None:
    """Add the sub-command."""
    parser = commands.add_parser(
        "compare",
        help="actuals against plan for every node",
        description="Evaluate the tree on actuals (plan values where there is no actual) and on "
        "plan, and show every node's plan, actual, difference and status for each period with "
        "actuals. Off track: an alert fires, or the node is worse than plan by more than the "
        "tolerance in the direction that helps the KGI.",
    )
    add_tree(parser)
    add_actuals(parser)
    parser.add_argument(
        "--period", metavar="LABEL", help="report the periods with actuals up to this one"
    )
    parser.add_argument(
        "--tolerance",
        metavar="FRACTION",
        default="5%",
        help="how far worse than plan a node may be and still be on track, judged on the "
        "relative gap as shown (0.1 %%); a stock's on its change over the period (default: 5%%)",
    )
    parser.add_argument(
        "--by",
        choices=BUCKETS,
        help="compare per quarter or (fiscal) year, over the periods with actuals in each",
    )
    add_format(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Compare and print."""
    from kpitree.analysis.compare import compare

    tree = load_tree(args)
    actuals = required_actuals(args, tree)
    tolerance = parse_number(args.tolerance, "--tolerance")
    if args.by is not None:
        from kpitree.analysis.compare_by import compare_by

        emit(args, compare_by(tree, actuals, args.by, args.plan, args.period, tolerance))
        return 0
    result = compare(tree, actuals, plan=args.plan, period=args.period, tolerance=tolerance)
    emit(args, result)
    return 0


def required_actuals(args: argparse.Namespace, tree: Tree) -> Actuals:
    """The actuals of ``--actuals`` or ``--measure``; one of them is needed."""
    actuals = read_actuals_source(args, tree)
    if actuals is None:
        raise UsageError("give --actuals FILE or --measure")
    return actuals
