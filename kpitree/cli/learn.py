"""``kpitree learn TREE --actuals FILE``: conversion rates learned from actual counts; and the
options a command from actuals shares (``--actuals``, ``--window``)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from kpitree.cli.options import UsageError, add_format, add_tree, load_tree, parse_whole

if TYPE_CHECKING:
    from kpitree.actuals import Actuals
    from kpitree.tree import Tree

LEARN_RULE = (
    "A rate r is learned when a node is 'count * r' (the count may be delayed, as in "
    "'delay(sql, 2) * win_rate'), r an input bounded inside [0, 1] and the count a node whose "
    "unit counts things: prior the rate's distribution as a Beta (moment-matched when not a "
    "beta; Beta(1, 1) without one), posterior Beta(a + successes, b + trials - successes)."
)


def add_actuals(parser: argparse.ArgumentParser, *, required: bool) -> None:
    """``--actuals FILE`` and ``--window K``."""
    parser.add_argument(
        "--actuals", metavar="FILE", required=required,
        help="CSV of actual input values per period (a 'period' column and one per input)",
    )  # fmt: skip
    parser.add_argument(
        "--window", metavar="K", help="learn rates from the last K periods with actuals "
        "(default: all)",
    )  # fmt: skip


def read_landing_actuals(args: argparse.Namespace, tree: Tree) -> Actuals:
    """The actuals a command starts from: the one place a measured source plugs in."""
    from kpitree.actuals import read_actuals

    if args.actuals is None:
        raise UsageError("give --actuals FILE")
    return read_actuals(args.actuals, tree)


def parse_window(args: argparse.Namespace) -> int | None:
    """``--window`` as a whole number >= 1, or ``None``."""
    window = parse_whole(args.window, "--window")
    if window is not None and window < 1:
        raise UsageError(f"--window: expected a whole number >= 1, found {args.window}")
    return window


def register(commands: argparse._SubParsersAction) -> None:
    """Add the sub-command."""
    parser = commands.add_parser(
        "learn",
        help="conversion rates learned from actual counts",
        description="Update each conversion rate's prior with the successes and trials "
        "counted in the actuals. " + LEARN_RULE,
    )
    add_tree(parser)
    add_actuals(parser, required=True)
    add_format(parser, ("table", "json"))
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Learn and print."""
    from kpitree.analysis.learn import learn
    from kpitree.present.learn import learn_json, learn_table

    window = parse_window(args)
    tree = load_tree(args)
    result = learn(tree, read_landing_actuals(args, tree), window=window)
    render = {"table": learn_table, "json": learn_json}
    print(render[args.format](result), end="")
    return 0
