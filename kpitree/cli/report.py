"""``kpitree report TREE -o report.html``: one self-contained HTML page about the tree."""

from __future__ import annotations

import argparse
from pathlib import Path

from kpitree.cli.options import (
    UsageError,
    add_tree,
    add_values,
    load_tree,
    parse_overrides,
    write_output,
)


def register(commands: argparse._SubParsersAction) -> None:
    """Add the sub-command."""
    parser = commands.add_parser(
        "report",
        help="write a one-file HTML report",
        description="Write one HTML file (style and images inside it, opens without network "
        "access): the KGI against its target, the tree diagram coloured by status, the alerts "
        "that fire and the main KPIs period by period.",
    )
    add_tree(parser)
    add_values(parser)
    parser.add_argument("-o", "--output", metavar="FILE", required=True, help="the .html file")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Build the report and write it whole."""
    from kpitree.report import build_report  # matplotlib only when reporting

    if Path(args.output).suffix.lower() not in (".html", ".htm"):
        raise UsageError(f"-o {args.output}: expected an .html file")
    tree = load_tree(args)
    html = build_report(tree, overrides=parse_overrides(args.overrides), scenario=args.scenario)
    write_output(args.output, html)
    return 0
