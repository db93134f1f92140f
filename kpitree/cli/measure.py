"""``kpitree measure TREE``: each measured node's value per period, from the tree's sources."""

from __future__ import annotations

import argparse

from kpitree.cli.options import add_format, add_tree, emit, load_tree


def register(commands: argparse._SubParsersAction) -> None:
    """Add the sub-command."""
    parser = commands.add_parser(
        "measure",
        help="measure the tree from record data (CRM, MA, SFA exports)",
        description="Read the tree's 'sources:' (CSV, Parquet, JSON lines, xlsx, globs) and "
        "compute every node's 'measure:' per period in the tree's time zone: rows counted, "
        "sums, distinct counts, stocks active at each period's end, or raw SQL. Periods after "
        "--as-of are empty; the period holding it is partial. Inputs pinned by measured derived "
        "nodes are implied, and each measured derived node is reconciled with what the tree "
        "computes (measured, computed, difference), over complete periods: the table shows "
        "both under the measured values, JSON has them too. The CSV output reads back as "
        "--actuals.",
    )
    add_tree(parser)
    parser.add_argument(
        "--as-of",
        metavar="DATE",
        help="count records up to the end of this day, YYYY-MM-DD (default: today in the "
        "tree's time zone)",
    )
    add_format(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Measure and print (or write whole to -o)."""
    # DuckDB and pandas only when measuring: the other commands start without them.
    from kpitree.measurement import measure

    tree = load_tree(args)
    result = measure(tree, as_of=args.as_of)
    emit(args, result)
    return 0
