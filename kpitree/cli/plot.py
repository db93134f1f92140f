"""``kpitree plot TREE -o tree.png``: the tree diagram as PNG, SVG or PDF."""

from __future__ import annotations

import argparse

from kpitree.cli.options import (
    add_tree,
    add_values,
    figure_format,
    load_tree,
    parse_overrides,
    write_figure,
)

DPI = 150
"""PNG resolution: 8-point text is about 17 pixels high."""


def register(commands: argparse._SubParsersAction) -> None:
    """Add the sub-command."""
    parser = commands.add_parser(
        "plot",
        help="draw the tree diagram",
        description="Draw the tree: the KGI at the top, one box per node with its value, unit "
        "and owner, coloured by status against its target and alert (on track, at risk: within "
        "10 %% of the target or threshold, off track). The file's extension picks the format: "
        ".png, .svg or .pdf.",
    )
    add_tree(parser)
    add_values(parser)
    parser.add_argument(
        "--period", metavar="PERIOD", help="period shown, a label or number (default: the last)"
    )
    parser.add_argument(
        "-o", "--output", metavar="FILE", required=True, help="image file: .png, .svg or .pdf"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Evaluate, draw and write the image whole."""
    from kpitree.plots.tree_diagram import plot_tree  # matplotlib only when drawing

    figure_format(args.output, "-o")
    tree = load_tree(args)
    evaluation = tree.evaluate(overrides=parse_overrides(args.overrides), scenario=args.scenario)
    figure = plot_tree(tree, evaluation, period=args.period).figure
    write_figure(figure, args.output, "-o", dpi=DPI)
    return 0
