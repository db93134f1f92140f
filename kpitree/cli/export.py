"""``kpitree export TREE -o plan.xlsx``: the tree as a workbook with live formulas."""

from __future__ import annotations

import argparse
from pathlib import Path

from kpitree.cli.options import (
    UsageError,
    add_tree,
    add_values,
    check_output,
    load_tree,
    parse_overrides,
    write_output,
)


def register(commands: argparse._SubParsersAction) -> None:
    """Add the sub-command."""
    parser = commands.add_parser(
        "export",
        help="write the tree as an Excel workbook with live formulas",
        description="Write the tree as an .xlsx workbook: one row per node, one column per "
        "period, inputs as editable cells and every derived cell an Excel formula over other "
        "cells, so changing an input recomputes the tree; the KGI's target and status; one "
        "sheet per owner (department). --scenario and --set choose the input values written.",
    )
    add_tree(parser)
    add_values(parser)
    parser.add_argument(
        "-o", "--output", metavar="FILE", required=True, help="the workbook to write (.xlsx)"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Build the workbook and write it whole."""
    # openpyxl only when exporting: the other commands start without it.
    from kpitree.xlsx import workbook_bytes

    suffix = Path(args.output).suffix.lower()
    if suffix != ".xlsx":
        found = f"'{suffix}'" if suffix else "no extension"
        raise UsageError(f"-o {args.output}: expected an .xlsx file, found {found}")
    check_output(args.output, "-o")
    tree = load_tree(args)
    data = workbook_bytes(tree, overrides=parse_overrides(args.overrides), scenario=args.scenario)
    write_output(args.output, data)
    return 0
