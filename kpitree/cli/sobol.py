"""``kpitree sobol TREE``: Sobol first- and total-order indices of the KGI."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from kpitree.cli.forecast import add_sampling
from kpitree.cli.options import (
    UsageError,
    add_format,
    add_plot,
    add_tree,
    add_values,
    emit,
    figure_format,
    load_tree,
    note,
    parse_overrides,
    parse_whole,
    write_figure,
)
from kpitree.cli.progress import ProgressBar
from kpitree.cli.workers import add_workers, open_executor

if TYPE_CHECKING:
    from kpitree.analysis.shapley import Shapley
    from kpitree.analysis.sobol import Sobol
    from kpitree.facade import Tree


def register(commands: argparse._SubParsersAction) -> None:
    """Add the sub-command."""
    parser = commands.add_parser(
        "sobol",
        help="global sensitivity (Sobol indices) of the KGI",
        description="Share of the KGI's variance (at the last period) due to each uncertain "
        "input alone (S1) and with its interactions (ST), from scrambled Sobol' points; "
        "95 %% intervals from the spread over 8 blocks of the design. An input set by "
        "--scenario or --set is fixed at that value: it is not a factor and has no index (its "
        "share is 0), a correlation that names it is dropped, and the other indices are shares "
        "of the variance that is left. With --shapley: Shapley effects instead, which take the "
        "tree's correlations into account (--samples is then the number of random orders).",
    )
    add_tree(parser)
    add_values(parser)
    add_sampling(parser, default_samples="4096")
    add_workers(parser)
    add_plot(parser, "bar chart of S1 and ST (of the effects with --shapley)")
    add_format(parser)
    parser.add_argument(
        "--shapley", action="store_true",
        help="Shapley effects (with the correlations) instead of Sobol indices",
    )  # fmt: skip
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Compute, print, and write the chart if asked."""
    figure_format(args.plot)
    samples = parse_whole(args.samples, "--samples")
    seed = parse_whole(args.seed, "--seed")
    overrides = parse_overrides(args.overrides)
    tree = load_tree(args)
    if args.shapley and (args.workers or args.scheduler):
        raise UsageError("--workers and --scheduler run Sobol indices; --shapley runs here")
    if args.shapley:
        return _run_shapley(args, tree, samples, seed, overrides)

    with open_executor(args) as executor, ProgressBar("sobol") as bar:
        result = tree.sobol(
            samples=4096 if samples is None else samples, seed=seed, overrides=overrides,
            scenario=args.scenario, progress=bar, executor=executor,
        )  # fmt: skip
    if args.plot:
        from kpitree.plots.sobol import plot_sobol

        write_figure(plot_sobol(result).figure, args.plot)
    _emit_with_notes(args, result)
    return 0


def _run_shapley(
    args: argparse.Namespace, tree: Tree, samples: int | None, seed: int | None, overrides: dict
) -> int:
    """``--shapley``: compute, print, and write the chart if asked."""
    with ProgressBar("shapley") as bar:
        result = tree.shapley(
            samples=samples, seed=seed, overrides=overrides, scenario=args.scenario, progress=bar  # type: ignore[arg-type]
        )  # fmt: skip
    if args.plot:
        from kpitree.plots.sobol import plot_shapley

        write_figure(plot_shapley(result).figure, args.plot)
    _emit_with_notes(args, result)
    return 0


def _emit_with_notes(args: argparse.Namespace, result: Sobol | Shapley) -> None:
    """Emit the result; outside the table, which carries them, its notes go to stderr."""
    if args.format != "table":
        for line in result.notes:
            note(args, line)
    emit(args, result)
