"""Where a command's actuals come from: ``--actuals FILE`` (CSV or .xlsx, ``--sheet``) or
``--measure`` from the tree's record sources (``--as-of``, ``--partial``)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from kpitree.cli.options import UsageError, note

if TYPE_CHECKING:
    from kpitree.actuals import Actuals
    from kpitree.tree import Tree


def add_actuals_source(
    parser: argparse.ArgumentParser, what: str, *, as_of_help: str | None = None
) -> None:
    """``--actuals FILE``, ``--sheet NAME``, ``--measure``, ``--as-of DATE``, ``--partial``;
    ``what`` ends the help of ``--actuals`` (what the actuals are used for), ``as_of_help``
    replaces the help of ``--as-of`` for a command that also reads it with ``--actuals``."""
    parser.add_argument(
        "--actuals",
        metavar="FILE",
        help="CSV or .xlsx export: a 'period' column and one column per node, by name or "
        "label (1,200 and 12%% are read as numbers; a blank cell keeps the plan value; a "
        f"derived node's actual pins the input it reads without one){what}",
    )
    parser.add_argument(
        "--sheet", metavar="NAME", help="with an .xlsx --actuals: the sheet (default: the first)"
    )
    parser.add_argument(
        "--measure",
        action="store_true",
        help="measure the actuals from the tree's record sources instead of --actuals",
    )
    parser.add_argument(
        "--as-of",
        metavar="DATE",
        help=as_of_help
        or "with --measure: count records up to this day, YYYY-MM-DD (default: today in the "
        "tree's time zone); the period holding it is partial",
    )
    parser.add_argument(
        "--partial",
        choices=("skip", "pace"),
        default="skip",
        help="with --measure: the partial period is left out (skip, the default) or its flows "
        "are divided by the share of the period elapsed (pace)",
    )


def has_actuals(args: argparse.Namespace) -> bool:
    """Whether the command was given actuals (a file or ``--measure``)."""
    return args.actuals is not None or args.measure


def read_actuals_source(args: argparse.Namespace, tree: Tree) -> Actuals | None:
    """The actuals the options name, ``None`` when there are none.

    Raises
    ------
    UsageError
        For options that do not go together (``--actuals`` with ``--measure``, ``--sheet``
        without a file, ``--as-of`` without ``--measure``).
    """
    if args.actuals is not None and args.measure:
        raise UsageError("give either --actuals FILE or --measure, not both")
    if args.sheet is not None and args.actuals is None:
        raise UsageError("--sheet goes with --actuals FILE.xlsx")
    if not args.measure and (args.as_of is not None or args.partial != "skip"):
        raise UsageError("--as-of and --partial go with --measure")
    if args.actuals is not None:
        from kpitree.actuals import read_actuals

        return read_actuals(args.actuals, tree, sheet=args.sheet)
    if not args.measure:
        return None
    from kpitree.measurement import actuals_from_measure

    actuals = actuals_from_measure(tree, args.as_of, args.partial)
    if actuals.partial is not None and actuals.labels is not None:
        label = actuals.labels[actuals.partial]
        how = (
            "its flows are paced to the whole period"
            if actuals.partial in actuals.periods
            else "left out (--partial pace to judge it paced)"
        )
        note(args, f"{label} is partial ({actuals.source}): {how}", prefix="note: ")
    return actuals
