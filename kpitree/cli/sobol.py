"""``kpitree sobol TREE``: Sobol first- and total-order indices of the KGI."""

from __future__ import annotations

import argparse
import sys

from kpitree.cli.forecast import add_sampling
from kpitree.cli.options import (
    add_format,
    add_plot,
    add_tree,
    add_values,
    figure_format,
    load_tree,
    parse_overrides,
    parse_whole,
    write_figure,
)
from kpitree.cli.progress import ProgressBar


def register(commands: argparse._SubParsersAction) -> None:
    """Add the sub-command."""
    parser = commands.add_parser(
        "sobol",
        help="global sensitivity (Sobol indices) of the KGI",
        description="Share of the KGI's variance (at the last period) due to each uncertain "
        "input alone (S1) and with its interactions (ST), from scrambled Sobol' points; "
        "95 %% intervals from the spread over 8 independent scrambles. An input set by "
        "--scenario or --set is fixed at that value: it is not a factor and has no index (its "
        "share is 0), a correlation that names it is dropped, and the other indices are shares "
        "of the variance that is left.",
    )
    add_tree(parser)
    add_values(parser)
    add_sampling(parser, default_samples="4096")
    add_plot(parser, "bar chart of S1 and ST")
    add_format(parser, ("table", "json"))
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Compute, print, and write the chart if asked."""
    from kpitree.present.sobol import sobol_json, sobol_table

    figure_format(args.plot)
    samples = parse_whole(args.samples, "--samples")
    seed = parse_whole(args.seed, "--seed")
    overrides = parse_overrides(args.overrides)
    tree = load_tree(args)
    with ProgressBar("sobol") as bar:
        result = tree.sobol(
            samples=samples, seed=seed, overrides=overrides, scenario=args.scenario, progress=bar
        )
    if args.plot:
        from kpitree.plots.sobol import plot_sobol

        write_figure(plot_sobol(result).figure, args.plot)
    if args.format == "json":
        for note in result.notes:
            print(f"kpitree: note: {note}", file=sys.stderr)
        print(sobol_json(result), end="")
    else:
        print(sobol_table(result), end="")
    return 0
