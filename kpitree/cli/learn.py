"""``kpitree learn TREE (--actuals FILE | --measure)``: rates learned from actual counts; and
options a command from actuals shares (``--actuals``, ``--window``)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from kpitree.cli.actuals_source import add_actuals_source
from kpitree.cli.options import UsageError, add_format, add_tree, emit, load_tree, parse_whole

if TYPE_CHECKING:
    from kpitree.actuals import Actuals
    from kpitree.tree import Tree

LEARN_RULE = (
    "A rate r is learned when a node is 'count * r' (the count may be delayed, as in "
    "'delay(sql, 2) * win_rate'), r an input bounded inside [0, 1] and the count a node whose "
    "unit counts things: prior the rate's distribution as a Beta (moment-matched when not a "
    "beta; Beta(1, 1) without one), posterior Beta(a + successes, b + trials - successes)."
)


def add_actuals(parser: argparse.ArgumentParser) -> None:
    """Where the actuals come from (``--actuals FILE`` or ``--measure``, see
    :mod:`kpitree.cli.actuals_source`) and ``--window K``."""
    add_actuals_source(
        parser,
        ": the periods they cover are taken as they happened",
        as_of_help="with --measure: count records up to this day, YYYY-MM-DD (default: today "
        "in the tree's time zone; the period holding it is partial and left out); with "
        "--actuals: use the actuals up to this period (a label such as 2027-09, its number, or "
        "a date; default: the last with actuals)",
    )
    parser.add_argument(
        "--window", metavar="K", help="learn rates from the last K periods with actuals "
        "(default: all)",
    )  # fmt: skip


def read_landing_actuals(args: argparse.Namespace, tree: Tree) -> tuple[Actuals, str | None]:
    """The actuals a command starts from and the cut-off ``--as-of`` names for a file (with
    ``--measure`` the as-of day is the measurement's, whose partial period is left out).

    Raises
    ------
    UsageError
        For options that do not go together.
    """
    if args.actuals is not None and args.measure:
        raise UsageError("give either --actuals FILE or --measure, not both")
    if args.actuals is None and not args.measure:
        raise UsageError("give --actuals FILE or --measure")
    if args.sheet is not None and args.actuals is None:
        raise UsageError("--sheet goes with --actuals FILE.xlsx")
    if args.measure:
        from kpitree.measurement import actuals_from_measure

        return actuals_from_measure(tree, args.as_of, args.partial), None
    if args.partial != "skip":
        raise UsageError("--partial goes with --measure")
    from kpitree.actuals import read_actuals

    return read_actuals(args.actuals, tree, sheet=args.sheet), args.as_of


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
    add_actuals(parser)
    add_format(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Learn and print."""
    from kpitree.analysis.learn import learn

    window = parse_window(args)
    tree = load_tree(args)
    actuals, as_of = read_landing_actuals(args, tree)
    through = None
    if as_of is not None:
        from kpitree.analysis.landing import cut_off

        through = cut_off(tree, actuals, as_of)
    result = learn(tree, actuals, window=window, through=through)
    emit(args, result)
    return 0
