"""``kpitree forecast TREE``: Monte Carlo forecast of the KGI (or a node) per period."""

from __future__ import annotations

import argparse

from kpitree.cli.learn import add_actuals, parse_window, read_landing_actuals
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
    parse_number,
    parse_overrides,
    parse_whole,
    write_figure,
)
from kpitree.cli.progress import ProgressBar
from kpitree.cli.workers import add_workers, open_executor
from kpitree.timeaxis import BUCKETS

FIXED_RULE = (
    "An input set by --scenario or --set is fixed at that value on every path: its "
    "distribution is not drawn and a correlation that names it is dropped (the output lists "
    "the fixed inputs and says what was dropped); the other inputs with a distribution are "
    "drawn as usual."
)


def register(commands: argparse._SubParsersAction) -> None:
    """Add the sub-command."""
    parser = commands.add_parser(
        "forecast",
        help="Monte Carlo forecast of the KGI",
        description="Simulate the tree with every input that has a distribution drawn at "
        "random: mean, standard deviation and quantiles per period, and the chance that the "
        "KGI reaches its target at the last period. " + FIXED_RULE + " With --actuals, the "
        "periods up to the last with actuals are the actuals and the paths start from there "
        "(stocks carry on from their actual values): the landing forecast.",
    )
    add_tree(parser)
    add_values(parser)
    add_sampling(parser, default_samples="10_000")
    parser.add_argument(
        "--counts",
        choices=("binomial",),
        help="draw count flows converted by a rate (leads x rate, deals x win rate) "
        "binomially, so a small funnel shows its lumpiness",
    )
    parser.add_argument("--node", metavar="NAME", help="forecast this node instead of the KGI")
    parser.add_argument(
        "--target", metavar="VALUE", help="the value to reach at the last period "
        "(default: the node's target)"
    )  # fmt: skip
    parser.add_argument(
        "--by",
        choices=BUCKETS,
        help="summarise each path rolled up by quarter or (fiscal) year (flows sum, stocks "
        "take their last period, rates are recomputed from their flows)",
    )
    add_actuals(parser)
    parser.add_argument(
        "--learn", action="store_true", help="with actuals: draw each learnable conversion "
        "rate from its posterior given the actual counts (see 'kpitree learn')",
    )  # fmt: skip
    add_workers(parser)
    add_plot(parser, "fan chart and histogram of the last period")
    add_format(parser)
    parser.set_defaults(run=run)


def add_sampling(parser: argparse.ArgumentParser, default_samples: str) -> None:
    """``--samples N`` and ``--seed S``."""
    parser.add_argument(
        "--samples", metavar="N", default=default_samples,
        help=f"number of samples (default: {default_samples})",
    )  # fmt: skip
    parser.add_argument(
        "--seed", metavar="S", help="seed of the random numbers: the same seed gives the same "
        "result (default: a fresh seed, reported in the output)",
    )  # fmt: skip


def run(args: argparse.Namespace) -> int:
    """Forecast, print, and write the chart if asked."""
    from kpitree.present.assumptions import fixed_line
    from kpitree.present.forecast import landing_lines

    figure_format(args.plot)
    samples = parse_whole(args.samples, "--samples")
    seed = parse_whole(args.seed, "--seed")
    target = None if args.target is None else parse_number(args.target, "--target")
    overrides = parse_overrides(args.overrides)
    window = parse_window(args)
    if args.actuals is None and not args.measure:
        for given, option in ((args.as_of, "--as-of"), (args.learn, "--learn"),
                              (window, "--window"), (args.sheet, "--sheet"),
                              (args.partial != "skip", "--partial")):  # fmt: skip
            if given:
                raise UsageError(f"{option} needs --actuals FILE or --measure")
    tree = load_tree(args)
    start = None
    if args.actuals is not None or args.measure:
        from kpitree.analysis.landing import landing

        actuals, as_of = read_landing_actuals(args, tree)
        start = landing(tree, actuals, as_of=as_of, learned=args.learn, window=window)
    with open_executor(args) as executor, ProgressBar("forecast") as bar:
        result = tree.forecast(
            samples=samples, seed=seed, counts=args.counts, node=args.node, target=target,  # type: ignore[arg-type]
            overrides=overrides, scenario=args.scenario, progress=bar, by=args.by,
            landing=start, executor=executor,
        )  # fmt: skip
    if args.plot:
        from kpitree.plots.forecast import forecast_figure

        write_figure(forecast_figure(result), args.plot)
    if args.format != "table":
        # JSON carries the fixed inputs itself; CSV has one row per period and no room.
        lines = [fixed_line(tree, result.fixed)] if result.fixed and args.format == "csv" else []
        for line in lines + list(result.notes):
            note(args, line)
    if args.format == "csv":
        for line in landing_lines(result):
            note(args, line)
    emit(args, result)
    return 0
