"""``kpitree tornado TREE``: the KGI with each input swung low and high, and its chart."""

from __future__ import annotations

import argparse

from kpitree.cli.options import (
    UsageError,
    add_format,
    add_period,
    add_plot,
    add_tree,
    add_values,
    emit,
    figure_format,
    load_tree,
    parse_number,
    parse_overrides,
    write_figure,
)


def register(commands: argparse._SubParsersAction) -> None:
    """Add the sub-command."""
    parser = commands.add_parser(
        "tornado",
        help="the KGI with each input swung low and high",
        description="Swing each input the KGI depends on to a low and a high value, one at a "
        "time with everything else at base, and report the KGI at each end, largest spread "
        "first. Swing values are clipped to the input's bounds (marked *).",
    )
    add_tree(parser)
    how = parser.add_mutually_exclusive_group()
    how.add_argument(
        "--swing",
        metavar="X",
        help="relative swing: base x (1 - X) and base x (1 + X), 0 < X < 1 (default 0.1; 10%% also "
        "works)",
    )
    how.add_argument(
        "--range",
        choices=("benchmark", "distribution"),
        help="swing across the input's benchmark range (an open end stays at base), or from "
        "the 5th to the 95th percentile of its distribution; inputs without one are skipped",
    )
    add_plot(parser, "tornado chart")
    add_period(parser)
    add_values(parser)
    add_format(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Compute, print, and write the chart if asked."""
    from kpitree.analysis.tornado import tornado

    swing = 0.1 if args.swing is None else parse_number(args.swing, "--swing")
    if not 0 < swing < 1:
        raise UsageError(f"--swing: expected a number > 0 and < 1 (100%), found '{args.swing}'")
    figure_format(args.plot)
    tree = load_tree(args)
    result = tornado(
        tree,
        swing=swing,
        range=args.range or "swing",
        period=args.period,
        overrides=parse_overrides(args.overrides),
        scenario=args.scenario,
    )
    if args.plot is not None:
        write_figure(result.plot().figure, args.plot)
    emit(args, result)
    return 0
