"""``kpitree backtest TREE --actuals FILE --from LABEL``: coverage and CRPS of landing
forecasts made at past cut-offs."""

from __future__ import annotations

import argparse

from kpitree.cli.forecast import add_sampling
from kpitree.cli.learn import add_actuals, parse_window, read_landing_actuals
from kpitree.cli.options import (
    UsageError,
    add_format,
    add_tree,
    emit,
    load_tree,
    note,
    parse_whole,
)


def register(commands: argparse._SubParsersAction) -> None:
    """Add the sub-command."""
    parser = commands.add_parser(
        "backtest",
        help="score past landing forecasts against the actuals that followed",
        description="For each period with actuals from --from on, forecast from the actuals "
        "up to it and score each later actual of the KGI and of every drawn input: is it in "
        "the 50 % and 90 % bands, and its CRPS. A calibrated model covers about 50 % and "
        "90 %; the output says when it does not.",
    )
    add_tree(parser)
    add_actuals(parser)
    parser.add_argument(
        "--from", dest="start", metavar="LABEL", required=True,
        help="the first cut-off period (a label such as 2027-03, or its number)",
    )  # fmt: skip
    parser.add_argument(
        "--learn", action="store_true",
        help="draw learnable rates from their posteriors given the actuals to each cut-off",
    )  # fmt: skip
    add_sampling(parser, default_samples="2_000")
    add_format(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Backtest and print."""
    from kpitree.analysis.backtest import backtest

    samples = parse_whole(args.samples, "--samples")
    seed = parse_whole(args.seed, "--seed")
    window = parse_window(args)
    tree = load_tree(args)
    actuals, as_of = read_landing_actuals(args, tree)
    if as_of is not None:
        raise UsageError("backtest scores every period with actuals: --as-of goes with --measure")
    result = backtest(
        tree, actuals, args.start, learned=args.learn, window=window,
        samples=2_000 if samples is None else samples, seed=seed,
    )  # fmt: skip
    if args.format == "csv":
        for line in result.notes:
            note(args, line)
    emit(args, result)
    return 0
